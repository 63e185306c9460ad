"""Where hull keeps the runtime's state of its containers (container/store.h): per boot, in
/run/hull-containers/<dev>-<ino of the data root> on a tmpfs (mounted by hull, once, where /run
is a plain directory on disk), not in the data root; DATA_ROOT/runtime only while it holds
states of an older hull. After a reboot (the tmpfs empty) containers read as exited and start
again."""
import json
import os
import signal
import shutil

from hull_helpers import RUNTIME_RUN_DIR, hull, runtime_root  # noqa: F401  (fixture)
from conftest import wait_for


def mounts_at(path):
    with open("/proc/self/mountinfo") as f:
        return [l.split() for l in f if l.split()[4] == path]


def fs_type(fields):
    return fields[fields.index("-") + 1]


def test_runtime_state_lives_on_a_tmpfs_in_the_run_directory(hull):
    cid = hull.run_d("--network", "none", "busybox", "sleep", "60")
    st = os.stat(hull.root)
    rt = f"{RUNTIME_RUN_DIR}/{st.st_dev:x}-{st.st_ino:x}"
    assert runtime_root(hull.root) == rt
    info = hull("system", "info", "--format", "json", check=True)
    assert json.loads(info.stdout)["RuntimeRoot"] == rt
    assert os.path.isfile(f"{rt}/{cid}/state.json")
    assert not os.path.exists(os.path.join(hull.root, "runtime"))
    # On a tmpfs: /run's own, or the one hull mounted on the run directory.
    mine = mounts_at(RUNTIME_RUN_DIR)
    parent_tmpfs = any(fs_type(m) == "tmpfs" for m in mounts_at("/run"))
    if parent_tmpfs:
        assert mine == []
    else:
        # Made only when needed, and made once: every command since reused it.
        assert [fs_type(m) for m in mine] == ["tmpfs"], mine
    hull("rm", "-f", cid, check=True)
    assert not os.path.exists(f"{rt}/{cid}")
    hull("run", "--rm", "--network", "none", "busybox", "true", check=True)
    assert len(mounts_at(RUNTIME_RUN_DIR)) == len(mine)


def test_older_layout_is_kept_while_it_holds_a_state_and_left_when_only_caches_remain(hull):
    legacy = os.path.join(hull.root, "runtime")
    # An older hull's container state (as far as the store's choice goes: a directory in it).
    os.makedirs(os.path.join(legacy, "f" * 64))
    os.makedirs(os.path.join(legacy, ".seccomp-cache"))
    info = json.loads(hull("system", "info", "--format", "json", check=True).stdout)
    assert info["RuntimeRoot"] == legacy
    cid = hull.run_d("--network", "none", "busybox", "sleep", "60")
    # Same file system as the bundle: the runtime's copy of the config is a hard link to it.
    bundle_cfg = f"{hull.root}/containers/{cid}/bundle/config.json"
    assert os.stat(bundle_cfg).st_ino == os.stat(f"{legacy}/{cid}/config.json").st_ino
    hull("rm", "-f", cid, check=True)
    os.rmdir(os.path.join(legacy, "f" * 64))
    # Only dot entries (caches) left: the next command removes it and uses the run directory.
    info = json.loads(hull("system", "info", "--format", "json", check=True).stdout)
    assert info["RuntimeRoot"].startswith(RUNTIME_RUN_DIR + "/")
    assert not os.path.exists(legacy)


def test_after_a_reboot_containers_are_exited_and_start_again(hull):
    """A reboot kills every process and empties the tmpfs: here the container and its monitor
    are killed, their cgroups removed and the state directory deleted, as the reboot would."""
    cid = hull.run_d("--network", "none", "busybox", "sleep", "600")
    doc = json.loads(hull("inspect", cid, check=True).stdout)[0]
    state_dir = f"{runtime_root(hull.root)}/{cid}"
    state = json.loads(open(f"{state_dir}/state.json").readline())
    cgroups = [d["path"] for d in state["cgroups"]["dirs"]]
    for pid in (doc["State"]["MonitorPid"], doc["State"]["Pid"]):
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{doc['State']['Pid']}"), what="container gone")
    wait_for(lambda: not os.path.exists(f"/proc/{doc['State']['MonitorPid']}"), what="monitor gone")

    def rm_cgroups():
        for path in sorted(cgroups, key=len, reverse=True):
            try:
                os.rmdir(path)
            except FileNotFoundError:
                pass
            except OSError:
                return False
        return True

    wait_for(rm_cgroups, what="cgroups removed")
    shutil.rmtree(state_dir)
    ps = hull.ps("-a")
    assert [c["State"] for c in ps] == ["exited"], ps
    hull("start", cid, check=True)
    hull.wait_for(lambda: hull.ps()[0]["State"] == "running", what="running again")
    assert os.path.isfile(f"{state_dir}/state.json")
    hull("rm", "-f", cid, check=True)
