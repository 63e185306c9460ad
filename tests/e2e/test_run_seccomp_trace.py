"""`hull run --seccomp-trace FILE` (docs/seccomp-trace.md): the container's syscalls are recorded
by a tracer process; `hull seccomp generate FILE` makes a minimal profile; `hull run
--security-opt seccomp=PROFILE` then runs the same workload while a syscall it never made fails
with ENOSYS. Real programs: busybox tools, python3 -c (the host's /usr bind-mounted read-only)
and a static C program. The hull fixture's teardown checks that no process (a tracer is a
`hull --data-root ROOT run` process) is left."""
import json
import os

from hull_helpers import hull, static_probe_program  # noqa: F401

TRACE_DIR = "/run/hull-seccomp-trace"
# python3 from the host, read-only: the busybox image has no python.
HOST_PY = ["-v", "/usr:/usr:ro", "-v", "/usr/lib:/lib:ro", "-v", "/usr/lib64:/lib64:ro"]


def traced(h, tmp_path, *args, name="trace.json"):
    # Not --rm: the container's id names its tracer's socket (no_socket_left).
    trace = tmp_path / name
    r = h("run", "--network", "none", "--seccomp-trace", trace, *args, timeout=180)
    assert r.returncode == 0, r.stderr
    doc = json.loads(trace.read_text())
    prof = tmp_path / (name + ".profile")
    prof.write_text(h("seccomp", "generate", trace, check=True).stdout)
    return r, doc, prof


def confined(h, prof, *args):
    return h("run", "--rm", "--network", "none", "--security-opt", f"seccomp={prof}", *args,
             timeout=180)


def no_socket_left(h):
    """None of this data root's containers has a tracer socket left (other tests' tracers, in
    parallel, may have theirs)."""
    ids = h("ps", "-aq", "--no-trunc", check=True).stdout.split()
    assert ids
    return not [i for i in ids if os.path.exists(f"{TRACE_DIR}/{i}.sock")]


def test_busybox_trace_generate_and_refuse(hull, tmp_path):
    work = ["busybox", "sh", "-c", "cat /etc/passwd >/dev/null; ls /"]
    r, doc, prof = traced(hull, tmp_path, *work)
    assert doc["format"] == "hull-seccomp-trace/1"
    calls = doc["syscalls"]
    assert calls["execve"]["count"] >= 1 and len(calls["execve"]["first_args"]) == 6
    assert "openat" in calls and "write" in calls
    assert "mkdir" not in calls and "mkdirat" not in calls
    p = json.loads(prof.read_text())
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == 38
    names = p["syscalls"][0]["names"]
    assert "execve" in names and "sendmsg" in names and "close" in names

    again = confined(hull, prof, *work)
    assert again.returncode == 0 and again.stdout == r.stdout, again.stderr
    refused = confined(hull, prof, "busybox", "sh", "-c", "cat /etc/passwd >/dev/null; "
                       "mkdir /tmp/x")
    assert refused.returncode != 0
    assert "Function not implemented" in refused.stderr
    assert no_socket_left(hull)


def test_python3(hull, tmp_path):
    code = "import os; print(sorted(os.listdir('/'))[:2])"
    r, doc, prof = traced(hull, tmp_path, *HOST_PY, "busybox", "/usr/bin/python3", "-c", code)
    assert r.stdout == "['bin', 'dev']\n"
    assert "mkdir" not in doc["syscalls"] and "socket" not in doc["syscalls"]
    ok = confined(hull, prof, *HOST_PY, "busybox", "/usr/bin/python3", "-c", code)
    assert ok.returncode == 0 and ok.stdout == r.stdout, ok.stderr
    bad = confined(hull, prof, *HOST_PY, "busybox", "/usr/bin/python3", "-c",
                   code + "; import socket; socket.socket()")
    assert bad.returncode == 1 and bad.stdout == r.stdout
    assert "[Errno 38] Function not implemented" in bad.stderr


def test_compiled_program(hull, tmp_path):
    ctx = static_probe_program(tmp_path)
    vol = ["-v", f"{ctx}:/w:ro"]
    r, doc, prof = traced(hull, tmp_path, *vol, "busybox", "/w/prog")
    assert r.stdout == "pid 1\n"
    assert "getpid" in doc["syscalls"] and "uname" not in doc["syscalls"]
    ok = confined(hull, prof, *vol, "busybox", "/w/prog")
    assert ok.returncode == 0 and ok.stdout == "pid 1\n", ok.stderr
    refused = confined(hull, prof, *vol, "busybox", "/w/prog", "x")
    assert "uname -1 Function not implemented" in refused.stdout, refused


def test_detached_trace_written_when_container_ends(hull, tmp_path):
    trace = tmp_path / "d.json"
    cid = hull.run_d("--network", "none", "--seccomp-trace", trace, "busybox", "sh", "-c",
                     "ls /")
    r = hull("wait", cid, check=True)
    assert r.stdout.strip() == "0"
    # The tracer writes the file once no process of the container is left.
    hull.wait_for(trace.exists, what="the trace file")
    calls = json.loads(trace.read_text())["syscalls"]
    assert calls["execve"]["count"] >= 1 and "getdents64" in calls  # ls read /
    assert hull.logs(cid).stdout.split()[:2] == ["bin", "dev"]
    hull.wait_for(lambda: not os.path.exists(f"{TRACE_DIR}/{cid}.sock"),
                  what="the tracer's socket to go")


def test_bad_input(hull, tmp_path):
    cases = [
        (["run", "--seccomp-trace", tmp_path / "nodir" / "t.json", "busybox", "true"],
         "directory"),
        (["run", "--seccomp-trace", "", "busybox", "true"], "expected a FILE"),
        (["create", "--seccomp-trace", tmp_path / "t.json", "busybox", "true"], "only `hull run`"),
        (["run", "--seccomp-trace", tmp_path / "t.json", "--security-opt", "seccomp=unconfined",
          "busybox", "true"], "conflicting options"),
        (["run", "--seccomp-trace", tmp_path / "t.json", "--privileged", "busybox", "true"],
         "conflicting options"),
        (["run", "--seccomp-trace", tmp_path / "t.json", "--restart", "always", "-d", "busybox",
          "true"], "runs once"),
    ]
    for args, why in cases:
        r = hull(*args)
        assert r.returncode == 125, (args, r.stderr)
        assert "--seccomp-trace" in r.stderr and why in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) <= 2, r.stderr
    assert hull("ps", "-aq").stdout == ""
    assert not (tmp_path / "t.json").exists()


def test_run_help_names_the_flag(hull):
    r = hull("run", "--help", check=True)
    assert "--seccomp-trace FILE" in r.stdout


def test_failed_start_writes_no_trace(hull, tmp_path):
    trace = tmp_path / "t.json"
    r = hull("run", "--network", "none", "--seccomp-trace", trace, "busybox", "/nonexistent")
    assert r.returncode == 127, r.stderr
    # hull's own error only: the tracer (which got no notify fd) says nothing of its own.
    assert "/nonexistent" in r.stderr and "seccomp" not in r.stderr, r.stderr
    assert not trace.exists()
    assert no_socket_left(hull)


def test_exec_into_traced_container_is_traced(hull, tmp_path):
    # `hull exec` installs the container's (tracing) profile too: its process connects to the
    # same tracer, which serves it alongside the first process instead of leaving it hanging.
    trace = tmp_path / "x.json"
    cid = hull.run_d("--network", "none", "--seccomp-trace", trace, "busybox", "sh", "-c",
                     "while [ ! -d /tmp/made ]; do sleep 0.05; done; echo seen")
    r = hull("exec", cid, "mkdir", "/tmp/made", timeout=120)
    assert r.returncode == 0, r.stderr
    assert hull("wait", cid, check=True).stdout.strip() == "0"
    hull.wait_for(trace.exists, what="the trace file")
    calls = json.loads(trace.read_text())["syscalls"]
    assert "mkdir" in calls or "mkdirat" in calls  # made only by the exec'd command
    assert hull.logs(cid).stdout == "seen\n"
