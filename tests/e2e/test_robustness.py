"""Concurrency and crash safety of hull-runtime's state handling."""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import mounts_mentioning, wait_for


def _container_processes(marker):
    found = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            if marker in open(f"/proc/{p}/cmdline", "rb").read().decode(errors="replace"):
                found.append(int(p))
        except OSError:
            pass
    return found


def test_fifty_concurrent_create_delete(runtime, bundle):
    marker = f"1234.{random.randrange(10**8)}"  # this test's processes, not another run's
    bundle.config["process"]["args"] = ["sleep", marker]
    # Concurrent creates from one bundle: the runtime's default cgroup, /hull/<id>, with ids
    # no other test uses (the fixture's per-test cgroup path is rewritten per create).
    bundle.config["linux"]["cgroupsPath"] = ""
    bundle.write()
    token = uuid.uuid4().hex[:8]

    def lifecycle(i):
        cid = f"par{i}-{token}"
        r = runtime("create", "-b", bundle.path, cid)
        assert r.returncode == 0, r.stderr
        assert runtime.state(cid)["status"] == "created"
        if i % 2:
            assert runtime("start", cid).returncode == 0
            r = runtime("delete", "--force", cid)
        else:
            r = runtime("delete", cid)
        assert r.returncode == 0, r.stderr
        return cid

    with ThreadPoolExecutor(max_workers=10) as pool:
        done = list(pool.map(lifecycle, range(50)))
    assert len(done) == 50
    assert runtime.ids() == []
    assert mounts_mentioning(bundle.path) == []
    wait_for(lambda: _container_processes(marker) == [], what="the containers' processes to go")


def test_concurrent_commands_on_one_id_are_serialized(runtime, bundle):
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    assert runtime("create", "-b", bundle.path, "one").returncode == 0

    def start(_):
        return runtime("start", "one").returncode

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(start, range(8)))
    # Exactly one start wins; the others see a running container.
    assert codes.count(0) == 1 and codes.count(1) == 7
    assert runtime("delete", "-f", "one").returncode == 0


def test_sigkill_during_create_then_delete_force(runtime, bundle, tmp_path):
    marker = tmp_path / "hook-started"
    hook = tmp_path / "slow-hook.sh"
    sleeper = f"4242.{random.randrange(10**8)}"  # this test's hook, not another run's
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nexec sleep {sleeper}\n")
    hook.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(hook)}]}
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    p = subprocess.Popen(runtime.cmd("create", "-b", bundle.path, "crashy"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(marker.exists, what="create to reach its createRuntime hook")
    # The hook touches the marker before it execs sleep: wait for the sleep itself, or it
    # would be missed below and left running (an orphan of 4242 s).
    wait_for(lambda: _container_processes(sleeper), what="the hook's sleep")
    p.send_signal(signal.SIGKILL)
    p.wait()
    for pid in _container_processes(sleeper):
        os.kill(pid, signal.SIGKILL)
    assert runtime.ids() == ["crashy"]
    r = runtime("delete", "--force", "crashy")
    assert r.returncode == 0, r.stderr
    assert runtime.ids() == []
    assert mounts_mentioning(bundle.path) == []
    wait_for(lambda: _container_processes(f"{bundle.path}") == [],
             what="no process of this bundle left")


def _cgroups_of(runtime, cid):
    return glob.glob(f"/sys/fs/cgroup/*{runtime.cgroup_top}/{cid}") + \
        glob.glob(f"/sys/fs/cgroup{runtime.cgroup_top}/{cid}")


# The moments of a create at which the runtime is killed (strace delivers SIGKILL as it enters
# the system call): the first write of state.json (pid 0, the cgroup set recorded), amid the
# cgroup directories' creation (the 4th mkdir: the state root and directory are the first two),
# the clone (the v2 cgroup made), the first message to the container process (cloned), the
# pid's write into state.json (every cgroup made).
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")
@pytest.mark.parametrize("syscall,when", [("renameat,renameat2,rename", 1), ("mkdir", 4),
                                          ("clone3", 1), ("sendto", 1), ("pwrite64", 1)])
def test_sigkill_at_each_step_of_create_is_repaired_by_delete(runtime, bundle, syscall, when):
    sleeper = f"4343.{random.randrange(10**8)}"  # this test's container process
    bundle.config["process"]["args"] = ["sleep", sleeper]
    bundle.write()
    cid = f"k-{syscall.split(',')[0]}"
    cmd = runtime.cmd("create", "-b", bundle.path, cid)
    strace = ["strace", "-qq", "-o", "/dev/null", "-e", f"trace={syscall}",
              "-e", f"inject={syscall}:signal=KILL:when={when}"]
    # strace ends as its tracee did (killed); output to a file: the orphaned container
    # process may hold a pipe until delete kills it.
    with open(os.path.join(bundle.path, "strace.err"), "w+") as err:
        p = subprocess.run(strace + ["--"] + cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=60)
        err.seek(0)
        assert p.returncode == -signal.SIGKILL, err.read()
    assert runtime.ids() == [cid]
    state = os.path.join(runtime.root, cid, "state.json")
    if os.path.exists(state):
        # What was recorded before the kill: the cgroup set always, the pid only at the end.
        line = json.loads(open(state).readline())
        assert line["cgroups"]["path"] == f"{runtime.cgroup_top}/{cid}"
        assert line["pid"] == 0
        assert runtime.state(cid)["status"] == "creating"
    r = runtime("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
    assert runtime.ids() == []
    assert _cgroups_of(runtime, cid) == []
    assert mounts_mentioning(bundle.path) == []
    wait_for(lambda: _container_processes(sleeper) == [], what="the container process to go")


def test_state_of_an_older_runtime_with_cgroup_json_is_read_and_deleted(runtime, bundle):
    """Runtimes of before 2026-12-06 kept the cgroup set in cgroup.json beside state.json (and
    wrote it first, so a create killed before state.json leaves only that file): kill --all,
    pause and delete find the cgroups there."""
    bundle.config["process"]["args"] = ["sleep", "600"]
    bundle.write()
    for cid, keep_state in (("old1", True), ("old2", False)):
        assert runtime("create", "-b", bundle.path, cid).returncode == 0
        state_dir = os.path.join(runtime.root, cid)
        line, _, config = open(f"{state_dir}/state.json").read().partition("\n")
        state = json.loads(line)
        with open(f"{state_dir}/cgroup.json", "w") as f:
            json.dump(state.pop("cgroups"), f)
        if keep_state:
            with open(f"{state_dir}/state.json.tmp", "w") as f:
                f.write(json.dumps(state) + "\n" + config)
            os.rename(f"{state_dir}/state.json.tmp", f"{state_dir}/state.json")
            assert runtime("start", cid).returncode == 0
            assert runtime("pause", cid).returncode == 0
            assert runtime.state(cid)["status"] == "paused"
            assert runtime("resume", cid).returncode == 0
            pids = runtime("ps", "--format", "json", cid)
            assert json.loads(pids.stdout) == [state["pid"]], pids.stderr
        else:
            # Killed before its state.json: only cgroup.json says where the cgroups are.
            os.unlink(f"{state_dir}/state.json")
            assert runtime.state(cid)["status"] == "creating"
        assert _cgroups_of(runtime, cid) != []
        r = runtime("delete", "--force", cid)
        assert r.returncode == 0, r.stderr
        assert _cgroups_of(runtime, cid) == []
    assert runtime.ids() == []
