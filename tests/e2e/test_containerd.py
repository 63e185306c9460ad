"""containerd drives hull-runtime through its runc v2 shim (`ctr run --runc-binary`), with a
private containerd daemon (temporary root, state and socket) and the built-in busybox image
saved by `hull save` and imported with `ctr images import` (no registry, no download)."""
import os
import shutil
import signal
import subprocess
import tempfile
import uuid

import pytest

from conftest import BUILD, RUNTIME, wait_for

pytestmark = pytest.mark.skipif(shutil.which("containerd") is None or shutil.which("ctr") is None,
                                reason="containerd not installed (scripts/install-deps installs it)")

IMAGE = "localhost/busybox:latest"


class Ctr:
    def __init__(self, base):
        self.sock = os.path.join(base, "containerd.sock")
        # A namespace of our own: the shim's runtime --root (/run/containerd/runc/<ns>) and the
        # default cgroups (/<ns>/<id>) are shared by every containerd on the host.
        self.namespace = f"hulltest-{uuid.uuid4().hex[:8]}"
        self.shim_root = f"/run/containerd/runc/{self.namespace}"

    def __call__(self, *args, timeout=60, tty=False):
        cmd = ["ctr", "-a", self.sock, "-n", self.namespace] + list(args)
        if tty:
            cmd = ["script", "-qec", " ".join(cmd), "/dev/null"]
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            p = subprocess.run(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, timeout=timeout)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, p.returncode, out.read().decode(),
                                               err.read().decode())

    def run(self, *args, **kw):
        return self("run", "--snapshotter", "native", "--runc-binary", RUNTIME, *args, **kw)


@pytest.fixture(scope="module")
def ctr(tmp_path_factory):
    base = str(tmp_path_factory.mktemp("containerd"))
    config = os.path.join(base, "config.toml")
    with open(config, "w") as f:
        f.write(f"""version = 2
root = "{base}/root"
state = "{base}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{base}/containerd.sock"
""")
    log = open(os.path.join(base, "containerd.log"), "w")
    daemon = subprocess.Popen(["containerd", "--config", config], stdout=log, stderr=log)
    c = Ctr(base)
    try:
        wait_for(lambda: os.path.exists(c.sock) and c("version").returncode == 0, timeout=60,
                 what="containerd to answer")
        archive = os.path.join(base, "busybox.tar")
        r = subprocess.run([os.path.join(BUILD, "hull"), "--data-root", os.path.join(base, "hull"),
                            "save", "-o", archive, IMAGE], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        r = c("images", "import", "--snapshotter", "native", "--base-name", "localhost/busybox", archive)
        assert r.returncode == 0, r.stderr
        yield c
    finally:
        for cid in c("task", "ls", "-q").stdout.split():
            c("task", "kill", "-s", "SIGKILL", cid)
            c("task", "delete", "-f", cid)
        for cid in c("containers", "ls", "-q").stdout.split():
            c("containers", "rm", cid)
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
        log.close()
        for shim in subprocess.run(["pgrep", "-f", f"containerd-shim.*{base}"], capture_output=True,
                                   text=True).stdout.split():
            os.kill(int(shim), signal.SIGKILL)
        subprocess.run(["umount", "-R", base], stderr=subprocess.DEVNULL)
        shutil.rmtree(base, ignore_errors=True)
        try:
            os.rmdir(c.shim_root)
        except OSError:
            pass


def test_run_rm_output_and_exit_code(ctr):
    r = ctr.run("--rm", IMAGE, "c1", "echo", "hello", "containerd")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello containerd\n"
    r = ctr.run("--rm", IMAGE, "c2", "sh", "-c", "exit 7")
    assert r.returncode == 7


def test_detached_exec_ps_pause_kill_delete(ctr):
    r = ctr.run("-d", IMAGE, "d1", "sh", "-c", "sleep 300 & wait")
    assert r.returncode == 0, r.stderr
    try:
        r = ctr("task", "exec", "--exec-id", "e1", "d1", "sh", "-c", "echo in-exec; exit 5")
        assert r.returncode == 5 and r.stdout == "in-exec\n", r.stderr
        # `ctr task ps` asks the runtime for `ps --format json`: a JSON array of pids.
        r = ctr("task", "ps", "d1")
        assert r.returncode == 0, r.stderr
        pids = [l.split()[0] for l in r.stdout.strip().split("\n")[1:]]
        assert len(pids) == 2 and all(p.isdigit() for p in pids)
        assert ctr("task", "pause", "d1").returncode == 0
        assert "PAUSED" in ctr("task", "ls").stdout
        assert ctr("task", "resume", "d1").returncode == 0
        assert "RUNNING" in ctr("task", "ls").stdout
        r = ctr("task", "exec", "-t", "--exec-id", "e2", "d1", "tty", tty=True)
        assert r.returncode == 0 and "/dev/pts/" in r.stdout, r.stdout + r.stderr
        assert ctr("task", "kill", "-s", "SIGKILL", "d1").returncode == 0
        wait_for(lambda: "STOPPED" in ctr("task", "ls").stdout, what="the task to stop")
    finally:
        ctr("task", "kill", "-s", "SIGKILL", "d1")
        r = ctr("task", "delete", "d1")
        ctr("containers", "rm", "d1")
    assert "d1" not in ctr("task", "ls", "-q").stdout.split()
    # Nothing of the container is left in the runtime's state directory.
    assert not os.path.exists(os.path.join(ctr.shim_root, "d1"))
