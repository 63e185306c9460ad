"""hull sandbox: a `kill -9` of hull mid-run leaves its bundle, mounts and processes; the next
`hull sandbox` command repairs that (docs/sandbox.md, "Crashes"). And the command line follows
the other hull commands' POSIX option convention (src/util/options)."""
import json
import os
import re
import signal
import subprocess

from conftest import wait_exit
from hull_helpers import hull, mounts_under, processes_mentioning  # noqa: F401

RUN_DIR = "/run/hull-sandbox"


def sandbox_of(pid):
    """The sandbox id in the cgroup path of host process `pid`, or None."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            m = re.search(r"sbx-[0-9a-f]{16}", f.read())
    except OSError:
        return None
    return m.group(0) if m else None


def in_cgroup(sid):
    return [int(d) for d in os.listdir("/proc") if d.isdigit() and sandbox_of(d) == sid]


def test_kill9_of_hull_is_repaired_by_the_next_command(hull, tmp_path):
    marker = f"{4000000 + os.getpid() % 1000000}"
    p = hull.popen("sandbox", "run", "--timeout", "10m", "--", "sleep", marker,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sid = None
    try:
        def running():
            for pid, cmd in processes_mentioning(f"sleep {marker}"):
                if cmd.strip() == f"sleep {marker}" and sandbox_of(pid):
                    return sandbox_of(pid)
            return None
        sid = hull.wait_for(running, timeout=120, what="the sandboxed sleep")
        bundle = os.path.join(RUN_DIR, sid)
        assert os.path.isdir(bundle) and os.path.exists(bundle + ".lock")
        # The repair that follows must not be able to take the lock while hull lives.
        assert sandbox_of(next(pid for pid, c in processes_mentioning(f"sleep {marker}")
                               if c.strip() == f"sleep {marker}")) == sid
        p.send_signal(signal.SIGKILL)
        assert p.wait(timeout=60) == -signal.SIGKILL
        # What the killed hull left behind (a bundle with its mounts, the runtime state, the
        # running process) is not asserted: any sandbox command repairs it, of any data root,
        # so a test running in parallel may be doing that right now.
        # A run's runtime state lives in its bundle's tmpfs (a session's in the data root).
        runtime_states = [os.path.join(bundle, "runtime", sid),
                          os.path.join(hull.root, "sandbox", "runtime", sid)]
        # Any sandbox command repairs it: the container is killed and deleted, the mounts,
        # bundle and owner lock removed.
        r = hull("sandbox", "ls", "--json", check=True)
        assert json.loads(r.stdout) == []
        assert not os.path.exists(bundle)
        assert not os.path.exists(bundle + ".lock")
        assert not mounts_under(bundle)
        assert not any(os.path.exists(st) for st in runtime_states)
        assert hull.wait_for(lambda: not in_cgroup(sid), timeout=60, what="sandbox processes gone")
        assert not [c for _, c in processes_mentioning(f"sleep {marker}")
                    if c.strip() == f"sleep {marker}"]
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if sid:
            for pid in in_cgroup(sid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                wait_exit(pid, timeout=30)
            for m in sorted(mounts_under(os.path.join(RUN_DIR, sid)), key=len, reverse=True):
                subprocess.run(["umount", "-l", m], capture_output=True)


def test_live_sandbox_and_session_are_not_reaped(hull, tmp_path):
    """A running sandbox (its owner holds the lock) and a session (its record claims the
    bundle) survive the repair other commands do."""
    name = f"keep{os.getpid()}"
    sid = hull("sandbox", "create", name, check=True).stdout.strip()
    try:
        marker = f"{5000000 + os.getpid() % 1000000}"
        p = hull.popen("sandbox", "run", "--timeout", "5m", "--", "sleep", marker,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            hull.wait_for(lambda: any(c.strip() == f"sleep {marker}"
                                      for _, c in processes_mentioning(f"sleep {marker}")),
                          timeout=120, what="the sandboxed sleep")
            hull("sandbox", "ls", check=True)
            assert p.poll() is None
            assert any(c.strip() == f"sleep {marker}"
                       for _, c in processes_mentioning(f"sleep {marker}"))
            r = hull("sandbox", "exec", name, "--", "echo", "alive", timeout=120)
            assert r.returncode == 0 and r.stdout == "alive\n"
            assert os.path.isdir(os.path.join(RUN_DIR, sid))
        finally:
            p.kill()
            p.wait()
            hull("sandbox", "ls")  # the killed run's bundle goes
    finally:
        hull("sandbox", "rm", name, check=True)
    assert not os.path.exists(os.path.join(RUN_DIR, sid))
    assert not os.path.exists(os.path.join(RUN_DIR, sid + ".lock"))


def test_posix_options(hull):
    # --name=value, short flags with values, `--` and options after the command.
    r = hull("sandbox", "run", "--memory=64m", "-e", "A=1", "-eB=2", "--json=false", "--",
             "sh", "-c", 'echo "$A$B" "$0"', "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "12 --json\n"
    # Without `--`, the first operand ends the options.
    r = hull("sandbox", "run", "echo", "--json", timeout=120)
    assert r.returncode == 0 and r.stdout == "--json\n"
    r = hull("sandbox", "run", "--bogus", "--", "true")
    assert r.returncode == 125 and "unknown option `--bogus`" in r.stderr
    r = hull("sandbox", "run", "--memory")
    assert r.returncode == 125 and "--memory" in r.stderr and "needs a value" in r.stderr
    r = hull("sandbox", "run", "--memory", "lots", "--", "true")
    assert r.returncode == 125 and "invalid --memory `lots`" in r.stderr
    r = hull("sandbox", "exec", "--memory", "1g", "x", "--", "true")
    assert r.returncode == 125 and "unknown option `--memory`" in r.stderr
    r = hull("sandbox", "rm", "-f", "x")
    assert r.returncode == 125 and "unknown option" in r.stderr
    r = hull("sandbox", "ls", "extra")
    assert r.returncode == 125 and "unexpected argument `extra`" in r.stderr
    r = hull("sandbox", "run", "--egress-allow", "10.0.0.0/8", "--", "true")
    assert r.returncode == 125 and "need --network egress" in r.stderr


def test_lock_held_by_an_inherited_copy_after_the_owner_died(hull):
    """A process that inherited the owner lock from hull (a container process created but never
    started, waiting for `start` without having exec'd) keeps the flock after hull dies; the
    repair tells it from a live owner by the owner's pid and start time. Simulated exactly: this
    test takes a duplicate of hull's own lock fd (pidfd_getfd, the same open file) and holds it
    while hull is killed."""
    import ctypes
    marker = f"{7000000 + os.getpid() % 1000000}"
    p = hull.popen("sandbox", "run", "--timeout", "10m", "--", "sleep", marker,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    held = -1
    sid = None
    try:
        def running():
            for pid, cmd in processes_mentioning(f"sleep {marker}"):
                if cmd.strip() == f"sleep {marker}" and sandbox_of(pid):
                    return sandbox_of(pid)
            return None
        sid = hull.wait_for(running, timeout=120, what="the sandboxed sleep")
        lock = os.path.join(RUN_DIR, sid + ".lock")
        ino = os.stat(lock).st_ino  # (an O_TMPFILE's fd has no name to match)

        def same(fd):
            try:
                return os.stat(f"/proc/{p.pid}/fd/{fd}").st_ino == ino
            except OSError:
                return False
        fdnum = next(int(fd) for fd in os.listdir(f"/proc/{p.pid}/fd") if same(fd))
        libc = ctypes.CDLL(None, use_errno=True)
        pidfd = os.pidfd_open(p.pid)
        held = libc.syscall(438, pidfd, fdnum, 0)  # pidfd_getfd
        os.close(pidfd)
        assert held >= 0, os.strerror(ctypes.get_errno())
        p.send_signal(signal.SIGKILL)
        assert p.wait(timeout=60) == -signal.SIGKILL
        # The lock is still held (by us), the owner is gone: the next command repairs.
        hull("sandbox", "ls", check=True)
        assert not os.path.exists(os.path.join(RUN_DIR, sid))
        assert not os.path.exists(lock)
        assert hull.wait_for(lambda: not in_cgroup(sid), timeout=60, what="sandbox processes gone")
    finally:
        if held >= 0:
            os.close(held)
        if p.poll() is None:
            p.kill()
            p.wait()
        if sid:
            for pid in in_cgroup(sid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            hull("sandbox", "ls")
