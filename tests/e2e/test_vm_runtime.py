"""hull-runtime's `vm` handler: a bundle annotated run.oci.handler=vm (or any bundle when the
runtime is invoked as hull-runtime-vm) runs in a QEMU microVM through the normal commands.
Real TCG boots: two per pass."""
import os
import platform
import shutil
import signal
import subprocess

import pytest

from vm_procs import alive, children, wait_for
from conftest import RUNTIME

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                                reason="qemu-system-x86_64 not installed (scripts/install-deps)")

BOOT_TIMEOUT = 120


def test_vm_handler_create_start_state_kill_delete(bundle, runtime, tmp_path):
    bundle.config["annotations"] = {"run.oci.handler": "vm", "run.hull.vm.memory": "256M"}
    bundle.config["process"]["args"] = ["/bin/sh", "-c", "echo ready; exec sleep 1000"]
    bundle.write()
    out = tmp_path / "out"
    qemus = []
    try:
        with open(out, "w") as f:
            r = subprocess.run(runtime.cmd("create", "--bundle", bundle.path, "vm1"), stdout=f,
                               stderr=f, timeout=60)
        assert r.returncode == 0, out.read_text()
        st = runtime.state("vm1")
        assert st["status"] == "created"
        pid = st["pid"]
        assert children(pid) == [], "qemu must not start before `start`"
        assert runtime("start", "vm1").returncode == 0
        assert runtime.state("vm1")["status"] == "running"
        wait_for(lambda: "ready" in out.read_text(), BOOT_TIMEOUT, "the guest program")
        qemus = children(pid)
        assert len(qemus) == 1
        r = runtime("kill", "vm1", "TERM")
        assert r.returncode == 0, r.stderr
        wait_for(lambda: runtime.state("vm1")["status"] == "stopped", 30, "status stopped")
        wait_for(lambda: not any(alive(q) for q in qemus), 10, "qemu to exit")
        r = runtime("delete", "vm1")
        assert r.returncode == 0, r.stderr
        assert "vm1" not in runtime.ids()
    finally:
        for q in qemus:
            if alive(q):
                os.kill(q, signal.SIGKILL)


def test_vm_runtime_invoked_as_hull_runtime_vm_runs_attached(bundle, runtime, tmp_path):
    """No annotation needed under the hull-runtime-vm name; stdout and the exit code pass through."""
    link = tmp_path / "hull-runtime-vm"
    os.symlink(RUNTIME, link)
    bundle.config["process"]["args"] = ["/bin/sh", "-c",
                                        "uname -r; echo 'a b=c'; id -u; id -g; exit 7"]
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001}
    bundle.write()
    r = subprocess.run([str(link), "--root", runtime.root, "run", "--rm", "--bundle",
                        bundle.path, "vm2"], capture_output=True, text=True,
                       timeout=BOOT_TIMEOUT)
    assert r.returncode == 7, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] != platform.release()
    assert lines[1] == "a b=c"
    assert lines[2:4] == ["1000", "1001"]
    assert "vm2" not in runtime.ids()


def test_vm_handler_create_fails_fast_without_qemu(bundle, runtime, tmp_path):
    bundle.config["annotations"] = {"run.oci.handler": "vm"}
    bundle.write()
    out = tmp_path / "out"
    env = dict(os.environ, PATH="/usr/sbin:/sbin")  # qemu-system-x86_64 lives in /usr/bin
    with open(out, "w") as f:
        r = subprocess.run(runtime.cmd("create", "--bundle", bundle.path, "vm4"), stdout=f,
                           stderr=f, timeout=60, env=env)
    assert r.returncode != 0
    assert "qemu-system-x86_64" in out.read_text()
    assert "vm4" not in runtime.ids()


def test_vm_handler_rejects_bad_size_annotation(bundle, runtime, tmp_path):
    bundle.config["annotations"] = {"run.oci.handler": "vm", "run.hull.vm.cpus": "lots"}
    bundle.write()
    out = tmp_path / "out"
    with open(out, "w") as f:
        r = subprocess.run(runtime.cmd("create", "--bundle", bundle.path, "vm3"), stdout=f,
                           stderr=f, timeout=60)
    assert r.returncode != 0
    assert "run.hull.vm.cpus" in out.read_text()
    assert "vm3" not in runtime.ids()
