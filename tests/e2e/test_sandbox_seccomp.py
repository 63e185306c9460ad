"""Seccomp profiles from a trace: `hull sandbox run --seccomp-trace` records every syscall,
`hull seccomp generate` turns it into a minimal profile under which the same workload runs and a
syscall it never made is refused with ENOSYS. (python3 is not tested: no rootfs with python is
available to the suite without network.)"""
import json

from hull_helpers import hull, static_probe_program  # noqa: F401


def run(h, *args):
    r = h("sandbox", "run", "--json", *args, timeout=120)
    assert r.stdout, f"rc={r.returncode} stderr={r.stderr}"
    return json.loads(r.stdout)


def learn(h, tmp_path, *args):
    trace = tmp_path / "trace.json"
    res = run(h, "--seccomp-trace", trace, *args)
    assert res["exit_code"] == 0, res
    doc = json.loads(trace.read_text())
    prof = tmp_path / "profile.json"
    r = h("seccomp", "generate", trace, check=True)
    prof.write_text(r.stdout)
    return res, doc, prof


def test_busybox_trace_generate_and_refuse(hull, tmp_path):
    res, doc, prof = learn(hull, tmp_path, "--", "sh", "-c", "cat /etc/passwd >/dev/null; "
                           "exec ls /")
    assert "execve" in doc["syscalls"] and doc["syscalls"]["execve"]["count"] >= 1
    assert len(doc["syscalls"]["execve"]["first_args"]) == 6
    assert "mkdir" not in doc["syscalls"] and "mkdirat" not in doc["syscalls"]
    p = json.loads(prof.read_text())
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 38
    again = run(hull, "--seccomp", prof, "--", "sh", "-c", "cat /etc/passwd >/dev/null; exec ls /")
    assert again["exit_code"] == 0 and again["stdout"]["data"] == res["stdout"]["data"]
    # A syscall it never made (mkdir) is refused.
    other = run(hull, "--seccomp", prof, "--", "sh", "-c",
                "cat /etc/passwd >/dev/null; exec mkdir /tmp/x")
    assert other["exit_code"] != 0
    assert "Function not implemented" in other["stderr"]["data"]


def test_compiled_program(hull, tmp_path):
    ctx = static_probe_program(tmp_path)
    res, doc, prof = learn(hull, tmp_path, "--context", ctx, "--", "./prog")
    assert "getpid" in doc["syscalls"] and "uname" not in doc["syscalls"]
    ok = run(hull, "--context", ctx, "--seccomp", prof, "--", "./prog")
    assert ok["exit_code"] == 0 and ok["stdout"]["data"] == "pid 1\n"
    refused = run(hull, "--context", ctx, "--seccomp", prof, "--", "./prog", "x")
    assert "uname -1 Function not implemented" in refused["stdout"]["data"], refused


def test_generate_bad_input(hull, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    r = hull("seccomp", "generate", bad)
    assert r.returncode != 0 and str(bad) in r.stderr
