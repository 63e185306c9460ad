"""Concurrency and crash safety of hull-runtime's state handling."""
import os
import random
import signal
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

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
