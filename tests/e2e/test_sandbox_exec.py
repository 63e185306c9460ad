"""hull sandbox exec through the session's exec server (hull-sandbox-init, docs/sandbox.md
"Sessions"): the exec'd command has every confinement of the session, its exit status, signal,
environment and output come back, a timeout kills its whole process group, and a session whose
server is gone fails with a clear error."""
import json
import os
import signal

import pytest

from hull_helpers import hull, processes_mentioning  # noqa: F401

RUN_DIR = "/run/hull-sandbox"


def sexec(h, name, *cmd, flags=()):
    r = h("sandbox", "exec", "--json", *flags, name, "--", *cmd, timeout=120)
    assert r.stdout, f"rc={r.returncode} stderr={r.stderr}"
    res = json.loads(r.stdout)
    assert r.returncode == res["exit_code"]
    return res


@pytest.fixture
def session(hull):
    name = f"x{os.getpid()}"
    sid = hull("sandbox", "create", "--env", "FROM_CREATE=c", name, check=True).stdout.strip()
    try:
        yield name, sid
    finally:
        hull("sandbox", "rm", name)
    assert not os.path.exists(os.path.join(RUN_DIR, sid))


def test_exec_is_confined_like_the_session(hull, session, tmp_path):
    name, sid = session
    res = sexec(hull, name, "sh", "-c",
                "grep -E '^(CapEff|CapBnd|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status; "
                "id -u; echo x > /etc/owned 2>/dev/null || echo ro-root; "
                "echo x > /proc/sys/kernel/hostname 2>/dev/null || echo no-sysctl; "
                "echo ok > in-workspace && cat in-workspace")
    out = res["stdout"]["data"]
    for line in ("CapEff:\t0000000000000000", "CapBnd:\t0000000000000000",
                 "CapPrm:\t0000000000000000", "NoNewPrivs:\t1", "Seccomp:\t2"):
        assert line in out
    assert "\n0\n" in out and "ro-root" in out and "no-sysctl" in out and out.endswith("ok\n")
    assert res["changes"]["created"] == ["in-workspace"]
    # Host view: the command ran as the sandbox's unprivileged host uid, in the session cgroup.
    assert sexec(hull, name, "sh", "-c", "cat /proc/self/uid_map")["stdout"]["data"].split() == \
        ["0", "3000000000", "1"]


def test_exec_status_signal_env_and_missing_command(hull, session):
    name, _ = session
    assert sexec(hull, name, "sh", "-c", "exit 5")["exit_code"] == 5
    res = sexec(hull, name, "sh", "-c", "kill -TERM $$")
    assert res["exit_code"] == 128 + signal.SIGTERM and res["signal"] == "Terminated"
    res = sexec(hull, name, "sh", "-c", 'echo "$FROM_CREATE $FROM_EXEC $HOME $PWD"',
                flags=("-e", "FROM_EXEC=e"))
    assert res["stdout"]["data"] == "c e /workspace /workspace\n"
    res = sexec(hull, name, "no-such-command-here")
    assert res["exit_code"] == 127 and "no-such-command-here" in res["stderr"]["data"]
    # Plain mode: output passed through, exit code returned.
    r = hull("sandbox", "exec", name, "--", "sh", "-c", "echo out; echo err >&2; exit 3",
             timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (3, "out\n", "err\n")


def test_exec_timeout_kills_the_process_group(hull, session):
    name, sid = session
    marker = f"{6000000 + os.getpid() % 1000000}"
    res = sexec(hull, name, "sh", "-c", f"sleep {marker} & sleep {marker}",
                flags=("--timeout", "2s"))
    assert res["timed_out"] and res["signal"] == "Killed"
    # Neither the command nor what it left in its process group survives.
    hull.wait_for(lambda: not [c for _, c in processes_mentioning(f"sleep {marker}")],
                  timeout=60, what="the exec's process group gone")
    # A background process started with its own session is not the exec's to kill.
    sexec(hull, name, "sh", "-c", f"setsid sleep {marker} >/dev/null 2>&1 &")
    assert hull.wait_for(lambda: processes_mentioning(f"sleep {marker}"), timeout=60,
                         what="the detached sleep")
    assert sexec(hull, name, "true")["exit_code"] == 0


def test_exec_into_a_dead_session_fails_clearly(hull, session):
    name, sid = session
    # Kill the session's first process (the exec server) from the host.
    init = [p for p, c in processes_mentioning("hull-sandbox-init")
            if sid in open(f"/proc/{p}/cgroup").read()]
    assert len(init) == 1
    os.kill(init[0], signal.SIGKILL)
    hull.wait_for(lambda: not os.path.exists(f"/proc/{init[0]}/cmdline") or
                  not open(f"/proc/{init[0]}/cmdline").read(), timeout=60,
                  what="the exec server gone")
    r = hull("sandbox", "exec", name, "--", "true", timeout=120)
    assert r.returncode != 0 and len(r.stderr.splitlines()) == 1
    assert f"sandbox session `{name}` is not running" in r.stderr


def test_exec_counters_cpu_peak_memory_and_oom(hull):
    """cpu_ms is the session cgroup's CPU time during the exec, peak_memory_bytes the session's
    peak, oom_killed an OOM kill during this exec (not an earlier one's): the counters are
    opened once per exec and read before and after the command."""
    name = f"m{os.getpid()}"
    sid = hull("sandbox", "create", "--memory", "48m", name, check=True).stdout.strip()
    try:
        idle = sexec(hull, name, "true")
        assert 0 <= idle["cpu_ms"] < 200 and idle["oom_killed"] is False
        busy = sexec(hull, name, "sh", "-c",
                     "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
        assert busy["cpu_ms"] > 50 and busy["cpu_ms"] > idle["cpu_ms"], busy
        # dd holds (and fills) one 24 MiB buffer.
        mem = sexec(hull, name, "dd", "if=/dev/zero", "of=/dev/null", "bs=24M", "count=1")
        assert mem["exit_code"] == 0, mem
        assert mem["peak_memory_bytes"] >= 24 * 1024 * 1024, mem
        assert mem["peak_memory_bytes"] <= 48 * 1024 * 1024 and mem["oom_killed"] is False
        bomb = sexec(hull, name, "sh", "-c", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done")
        assert bomb["oom_killed"] and bomb["signal"] == "Killed", bomb
        after = sexec(hull, name, "true")
        assert after["oom_killed"] is False and after["exit_code"] == 0
    finally:
        hull("sandbox", "rm", name)
    assert not os.path.exists(os.path.join(RUN_DIR, sid))
