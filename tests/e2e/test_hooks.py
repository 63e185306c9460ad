"""OCI hooks: each kind runs at its lifecycle point, in its namespaces, with the state on stdin;
failures fail the step and destroy the container (poststop still runs); timeouts kill."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import mounts_mentioning, wait_exit

HOOK = """#!/bin/sh
# hook KIND [SLEEP]: record the state from stdin, our namespaces and pid, then exit $HOOK_EXIT.
cat > "$MARKER_DIR/$1.json"
readlink /proc/self/ns/mnt > "$MARKER_DIR/$1.mnt"
echo $$ > "$MARKER_DIR/$1.pid"
[ -n "$2" ] && exec sleep "$2"
exit ${HOOK_EXIT:-0}
"""

KINDS = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart",
         "poststop")


class Hooks:
    def __init__(self, bundle, tmp_path):
        self.bundle = bundle
        self.markers = str(tmp_path / "markers")
        os.mkdir(self.markers)
        self.host_hook = str(tmp_path / "hook.sh")
        for path in (self.host_hook, os.path.join(bundle.rootfs, "hook.sh")):
            with open(path, "w") as f:
                f.write(HOOK)
            os.chmod(path, 0o755)

    def hook(self, kind, exit_code=0, sleep=None, timeout=None):
        # startContainer runs in the container: its path and marker dir are the container's.
        inside = kind == "startContainer"
        h = {
            "path": "/hook.sh" if inside else self.host_hook,
            "args": ["hook.sh", kind] + ([str(sleep)] if sleep else []),
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", f"HOOK_EXIT={exit_code}",
                    "MARKER_DIR=" + ("/" if inside else self.markers)],
        }
        if timeout:
            h["timeout"] = timeout
        return h

    def configure(self, **special):
        self.bundle.config["hooks"] = {
            k: [special.get(k) or self.hook(k)] for k in KINDS}
        self.bundle.write()

    def marker_dir(self, kind):
        return self.bundle.rootfs if kind == "startContainer" else self.markers

    def ran(self, kind):
        return os.path.exists(os.path.join(self.marker_dir(kind), kind + ".json"))

    def state(self, kind):
        with open(os.path.join(self.marker_dir(kind), kind + ".json")) as f:
            return json.load(f)

    def read(self, kind, ext):
        with open(os.path.join(self.marker_dir(kind), f"{kind}.{ext}")) as f:
            return f.read().strip()


def call(runtime, *args):
    """create/start hand their stdio to the container: never pipes."""
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(runtime.cmd(*args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=60)
        err.seek(0)
        return r.returncode, err.read().decode()


@pytest.fixture
def hooks(bundle, tmp_path):
    bundle.config["process"]["args"] = ["sleep", "1000"]
    return Hooks(bundle, tmp_path)


def test_each_hook_kind_runs_with_its_state(runtime, bundle, hooks):
    hooks.configure()
    rc, err = call(runtime, "create", "-b", bundle.path, "h1")
    assert rc == 0, err
    pid = runtime.state("h1")["pid"]
    for kind in ("prestart", "createRuntime", "createContainer"):
        assert hooks.ran(kind), kind
    for kind in ("startContainer", "poststart", "poststop"):
        assert not hooks.ran(kind), kind
    rc, err = call(runtime, "start", "h1")
    assert rc == 0, err
    assert hooks.ran("startContainer") and hooks.ran("poststart")
    assert not hooks.ran("poststop")
    assert runtime("delete", "--force", "h1").returncode == 0
    expected = {
        "prestart": ("creating", pid),
        "createRuntime": ("creating", pid),
        "createContainer": ("creating", pid),  # host pid: the hook still sees the host's /proc
        "startContainer": ("created", 1),  # after pivot_root: the container's pid namespace
        "poststart": ("running", pid),
        "poststop": ("stopped", 0),
    }
    for kind, (status, want_pid) in expected.items():
        st = hooks.state(kind)
        assert st["status"] == status, kind
        assert st["pid"] == want_pid, kind
        assert st["id"] == "h1" and st["bundle"] == bundle.path, kind
        assert st["ociVersion"] == "1.2.0", kind
    # Namespaces: createRuntime/prestart in the runtime's, createContainer in the container's.
    host_mnt = os.readlink("/proc/self/ns/mnt")
    assert hooks.read("createRuntime", "mnt") == host_mnt
    assert hooks.read("prestart", "mnt") == host_mnt
    assert hooks.read("createContainer", "mnt") != host_mnt
    assert hooks.read("startContainer", "mnt") == hooks.read("createContainer", "mnt")
    assert hooks.read("poststart", "mnt") == host_mnt


@pytest.mark.parametrize("kind", ["prestart", "createRuntime", "createContainer"])
def test_failing_create_hook_destroys_the_container(runtime, bundle, hooks, kind):
    hooks.configure(**{kind: hooks.hook(kind, exit_code=3)})
    rc, err = call(runtime, "create", "-b", bundle.path, "h2")
    assert rc != 0
    assert kind in err and "exit status 3" in err
    assert runtime.ids() == []
    assert mounts_mentioning(bundle.rootfs) == []
    # The lifecycle continues at destruction: poststop hooks run, start hooks never do.
    assert hooks.ran("poststop")
    assert not hooks.ran("startContainer") and not hooks.ran("poststart")
    # The container process is gone.
    assert not os.path.exists(f"/proc/{hooks.state(kind)['pid']}")


def test_failing_start_container_hook_fails_start(runtime, bundle, hooks):
    hooks.configure(startContainer=hooks.hook("startContainer", exit_code=4))
    rc, err = call(runtime, "create", "-b", bundle.path, "h3")
    assert rc == 0, err
    pid = runtime.state("h3")["pid"]
    rc, err = call(runtime, "start", "h3")
    assert rc != 0
    assert "startContainer" in err and "exit status 4" in err
    assert runtime.ids() == []
    assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert hooks.ran("poststop") and not hooks.ran("poststart")
    assert mounts_mentioning(bundle.rootfs) == []


def test_failing_poststart_and_poststop_hooks_only_warn(runtime, bundle, hooks):
    hooks.configure(poststart=hooks.hook("poststart", exit_code=5),
                    poststop=hooks.hook("poststop", exit_code=6))
    assert call(runtime, "create", "-b", bundle.path, "h4")[0] == 0
    rc, err = call(runtime, "start", "h4")
    assert rc == 0, err
    assert "poststart" in err  # the warning
    assert runtime.state("h4")["status"] == "running"
    r = runtime("delete", "--force", "h4")
    assert r.returncode == 0, r.stderr
    assert "poststop" in r.stderr
    assert runtime.ids() == []


def test_hook_timeout_kills_the_hook(runtime, bundle, hooks):
    hooks.configure(createRuntime=hooks.hook("createRuntime", sleep=100, timeout=1))
    t0 = time.monotonic()
    rc, err = call(runtime, "create", "-b", bundle.path, "h5")
    assert rc != 0
    assert time.monotonic() - t0 < 90  # the hook's 100s sleep was cut short
    assert "createRuntime" in err and "timed out" in err
    hook_pid = int(hooks.read("createRuntime", "pid"))
    assert wait_exit(hook_pid)
    assert runtime.ids() == []


def test_run_with_hooks(runtime, bundle, hooks):
    bundle.config["process"]["args"] = ["sh", "-c", "exit 9"]
    hooks.configure()
    r = runtime("run", "--rm", "-b", bundle.path, "h6")
    assert r.returncode == 9, r.stderr
    for kind in KINDS:
        assert hooks.ran(kind), kind
    assert runtime.ids() == []


def state_json_path(runtime, cid):
    return os.path.join(runtime.root, cid, "state.json")


def read_state(runtime, cid):
    """state.json's first line is the state; the container's copy of its config follows."""
    with open(state_json_path(runtime, cid)) as f:
        line, _, config = f.read().partition("\n")
    return json.loads(line), config


def test_state_records_which_hooks_start_and_delete_run(runtime, bundle, hooks):
    """start and delete read the config's copy only for hooks the state says it has."""
    bundle.write()
    rc, err = call(runtime, "create", "-b", bundle.path, "nohooks")
    assert rc == 0, err
    state, config = read_state(runtime, "nohooks")
    assert state["hooks"] == 0
    assert json.loads(config)["process"]["args"] == bundle.config["process"]["args"]
    # One file: no config.json of its own beside the state.
    assert not os.path.exists(os.path.join(runtime.root, "nohooks", "config.json"))
    assert runtime("delete", "--force", "nohooks").returncode == 0
    hooks.configure()
    rc, err = call(runtime, "create", "-b", bundle.path, "allhooks")
    assert rc == 0, err
    assert read_state(runtime, "allhooks")[0]["hooks"] == 3  # start, poststop
    rc, err = call(runtime, "start", "allhooks")
    assert rc == 0, err
    assert hooks.ran("startContainer") and hooks.ran("poststart")
    assert runtime("delete", "--force", "allhooks").returncode == 0
    assert hooks.ran("poststop")


def test_a_state_without_the_hooks_record_still_runs_them(runtime, bundle, hooks):
    """A state written by an older runtime has no "hooks" and its config's copy in a
    config.json of its own: start and delete read that."""
    hooks.configure()
    rc, err = call(runtime, "create", "-b", bundle.path, "old")
    assert rc == 0, err
    path = state_json_path(runtime, "old")
    state, config = read_state(runtime, "old")
    del state["hooks"]
    with open(os.path.join(os.path.dirname(path), "config.json"), "w") as f:
        f.write(config)
    with open(path + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(path + ".tmp", path)
    rc, err = call(runtime, "start", "old")
    assert rc == 0, err
    assert hooks.ran("startContainer") and hooks.ran("poststart")
    assert runtime("delete", "--force", "old").returncode == 0
    assert hooks.ran("poststop")
