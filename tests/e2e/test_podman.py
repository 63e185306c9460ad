"""podman drives hull-runtime unchanged (`--runtime hull-runtime`, through conmon), with a
private storage root and containers.conf in a temporary directory and a local image imported
from the busybox root filesystem (no registry, no download)."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import RUNTIME, TOP

pytestmark = pytest.mark.skipif(shutil.which("podman") is None or shutil.which("conmon") is None,
                                reason="podman/conmon not installed (scripts/install-deps installs them)")

IMAGE = "localhost/hullbox:latest"


class Podman:
    def __init__(self, base):
        self.base = base
        conf = os.path.join(base, "containers.conf")
        with open(conf, "w") as f:
            f.write(f"""[engine]
runtime_supports_json = ["crun", "runc", "hull-runtime"]
runtime_supports_nocgroup = ["crun", "hull-runtime"]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "{base}/events.log"
[engine.runtimes]
hull-runtime = ["{RUNTIME}"]
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
""")
        self.env = dict(os.environ, CONTAINERS_CONF=conf)
        # podman refuses a runroot longer than 50 characters: a short private one under /tmp.
        self.runroot = tempfile.mkdtemp(prefix="hull-pm-", dir="/tmp")
        self.prefix = ["podman", "--root", os.path.join(base, "storage"), "--runroot",
                       self.runroot, "--storage-driver", "vfs",
                       "--tmpdir", os.path.join(base, "tmp")]

    def __call__(self, *args, runtime=True, timeout=60, input=None):
        cmd = self.prefix + (["--runtime", "hull-runtime"] if runtime else []) + list(args)
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            io = {"input": input.encode()} if input is not None else {"stdin": subprocess.DEVNULL}
            # In the private directory: conmon writes files (`oom`) into its working directory.
            p = subprocess.run(cmd, stdout=out, stderr=err, env=self.env, timeout=timeout,
                               cwd=self.base, **io)
            out.seek(0)
            err.seek(0)
            return subprocess.CompletedProcess(cmd, p.returncode, out.read().decode(),
                                               err.read().decode())

    def run(self, *args, **kw):
        return self("run", "--network", "none", *args, **kw)


@pytest.fixture(scope="module")
def podman():
    # Short: podman refuses a --runroot longer than 50 characters, and pytest's tmp paths grow
    # with the number of runs (/tmp/pytest-of-root/pytest-153/popen-gw3/...).
    base = tempfile.mkdtemp(prefix="hull-podman-", dir="/tmp")
    pm = Podman(base)
    rootfs = os.path.join(base, "rootfs")
    subprocess.run([os.path.join(TOP, "tests", "fixtures", "make-busybox-rootfs"), rootfs], check=True)
    tar = os.path.join(base, "rootfs.tar")
    subprocess.run(["tar", "-C", rootfs, "-cf", tar, "."], check=True)
    r = pm("import", tar, IMAGE, runtime=False)
    assert r.returncode == 0, r.stderr
    yield pm
    pm("rm", "-af", "-t", "0", runtime=False)
    pm("system", "reset", "-f", runtime=False)
    subprocess.run(["umount", "-R", os.path.join(base, "storage")], stderr=subprocess.DEVNULL)
    shutil.rmtree(base, ignore_errors=True)
    shutil.rmtree(pm.runroot, ignore_errors=True)


def test_run_rm_output_and_exit_code(podman):
    r = podman.run("--rm", IMAGE, "echo", "hello", "podman")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello podman\n"
    assert podman.run("--rm", IMAGE, "sh", "-c", "exit 42").returncode == 42


def test_detached_exec_logs_pause_stop_rm(podman):
    r = podman.run("-d", "--name", "pd1", IMAGE, "sh", "-c",
                   "trap 'echo got-term; exit 0' TERM; echo started; while :; do sleep 0.1; done")
    assert r.returncode == 0, r.stderr
    try:
        r = podman("exec", "pd1", "sh", "-c", "echo in-exec; exit 3")
        assert r.returncode == 3 and r.stdout == "in-exec\n", r.stderr
        r = podman("exec", "-t", "pd1", "tty")
        assert r.returncode == 0 and r.stdout.strip().startswith("/dev/pts/"), r.stdout + r.stderr
        assert podman("pause", "pd1").returncode == 0
        assert podman("inspect", "-f", "{{.State.Status}}", "pd1").stdout.strip() == "paused"
        assert podman("unpause", "pd1").returncode == 0
        assert podman("inspect", "-f", "{{.State.Status}}", "pd1").stdout.strip() == "running"
        r = podman("stop", "-t", "5", "pd1")
        assert r.returncode == 0, r.stderr
        logs = podman("logs", "pd1").stdout
        assert "started" in logs and "got-term" in logs
    finally:
        assert podman("rm", "-f", "pd1").returncode == 0


def test_stop_escalates_to_sigkill_and_kill(podman):
    assert podman.run("-d", "--name", "pd2", IMAGE, "sh", "-c",
                      "trap '' TERM; while :; do sleep 0.1; done").returncode == 0
    t0 = time.time()
    assert podman("stop", "-t", "1", "pd2").returncode == 0
    assert time.time() - t0 < 60  # it did not hang; the 137 below says it killed
    assert podman("inspect", "-f", "{{.State.ExitCode}}", "pd2").stdout.strip() == "137"
    assert podman("rm", "pd2").returncode == 0
    assert podman.run("-d", "--name", "pd3", IMAGE, "sleep", "60").returncode == 0
    assert podman("kill", "pd3").returncode == 0
    assert podman("wait", "pd3").stdout.strip() == "137"
    assert podman("rm", "-f", "pd3").returncode == 0


def test_run_with_terminal(podman):
    cmd = " ".join(podman.prefix + ["--runtime", "hull-runtime", "run", "--rm", "-t",
                                    "--network", "none", IMAGE, "sh", "-c", "tty; exit 4"])
    r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True,
                       env=podman.env, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 4, r.stdout + r.stderr
    assert "/dev/pts/0" in r.stdout


def test_memory_and_pids_limits_enforced(podman):
    r = podman.run("--rm", "--memory", "64m", "--pids-limit", "20", IMAGE, "sh", "-c",
                   "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max;"
                   " for i in $(seq 30); do sleep 5 & done; echo not-limited")
    lines = r.stdout.split()
    assert lines[0] == str(64 << 20) and lines[1] == "20"
    # The 20th fork fails: the shell reports it and gives up.
    assert "not-limited" not in r.stdout
    assert "can't fork" in r.stderr or "Resource temporarily unavailable" in r.stderr, r.stderr
    # Past the limit, a memory hog is OOM-killed.
    r = podman.run("--rm", "--memory", "32m", "--memory-swap", "32m", IMAGE, "sh", "-c",
                   "dd if=/dev/zero bs=1M count=100 | tail -c 1 > /dev/null; x=$(head -c 100000000 /dev/zero | tr '\\0' x)")
    assert r.returncode == 137, (r.returncode, r.stderr)


def test_read_only_and_cap_drop_all(podman):
    r = podman.run("--rm", "--read-only", IMAGE, "sh", "-c", "touch /x 2>&1; echo ok > /tmp/y && cat /tmp/y")
    assert "Read-only file system" in r.stdout and "ok" in r.stdout
    r = podman.run("--rm", "--cap-drop", "ALL", IMAGE, "grep", "CapEff", "/proc/self/status")
    assert r.stdout.split()[1] == "0000000000000000"
    r = podman.run("--rm", "--cap-drop", "ALL", IMAGE, "chown", "1:1", "/tmp")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr


def test_seccomp_unconfined_and_custom_profile(podman, tmp_path):
    r = podman.run("--rm", "--security-opt", "seccomp=unconfined", IMAGE, "grep", "Seccomp:", "/proc/self/status")
    assert r.stdout.split()[1] == "0"
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"],'
                       ' "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}')
    r = podman.run("--rm", "--security-opt", f"seccomp={profile}", IMAGE, "mkdir", "/tmp/d")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr
    r = podman.run("--rm", IMAGE, "grep", "Seccomp:", "/proc/self/status")
    assert r.stdout.split()[1] == "2"


def test_cgroups_disabled_and_pid_host(podman):
    r = podman.run("--rm", "--cgroups", "disabled", IMAGE, "cat", "/proc/self/cgroup")
    assert r.returncode == 0, r.stderr
    assert "libpod" not in r.stdout
    r = podman.run("--rm", "--pid", "host", IMAGE, "sh", "-c", "echo $$")
    assert r.returncode == 0 and r.stdout.strip() != "1"


def test_runtime_errors_surface(podman):
    r = podman.run("--rm", IMAGE, "/no/such/program")
    assert r.returncode in (126, 127)
    assert "no/such/program" in r.stderr
