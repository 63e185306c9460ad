"""hull sandbox sessions: state kept between execs, cp both ways, rm leaves nothing."""
import json
import os

from hull_helpers import hull, mounts_under, processes_mentioning  # noqa: F401

RUN_DIR = "/run/hull-sandbox"


def in_cgroup(sid):
    """Host pids whose cgroup path names the sandbox."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cgroup") as f:
                    if sid in f.read():
                        pids.append(int(d))
            except OSError:
                pass
    return pids


def sexec(h, name, *cmd, flags=()):
    r = h("sandbox", "exec", "--json", *flags, name, "--", *cmd, timeout=120)
    assert r.stdout, f"rc={r.returncode} stderr={r.stderr}"
    return json.loads(r.stdout)


def test_session_keeps_state_between_execs(hull, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "n").write_text("0\n")
    name = f"s{os.getpid()}"
    r = hull("sandbox", "create", "--context", ctx, name, check=True)
    sid = r.stdout.strip()
    try:
        assert [s["name"] for s in json.loads(hull("sandbox", "ls", "--json",
                                                   check=True).stdout)] == [name]
        first = sexec(hull, name, "sh", "-c", "echo $(( $(cat n) + 1 )) > n; cat n; "
                      "echo kept > /tmp/t; sleep 1000 >/dev/null 2>&1 &")
        assert first["stdout"]["data"] == "1\n" and first["changes"]["changed"] == ["n"]
        second = sexec(hull, name, "sh", "-c", "echo $(( $(cat n) + 1 )) > n; cat n /tmp/t")
        assert second["stdout"]["data"] == "2\nkept\n"
        assert second["session"] == name and second["id"] == sid
        assert second["attestation"] == first["attestation"]
        # The same pid namespace: the background sleep of the first exec is visible.
        # The session's first process is its exec server (pid 1), the execs are its children.
        ps = sexec(hull, name, "sh", "-c", "ps -o pid,comm | grep -c sleep; cat /proc/1/comm")
        assert ps["stdout"]["data"] == "1\nhull-sandbox-in\n"
        assert len(in_cgroup(sid)) >= 2
        # cp both ways
        host_in = tmp_path / "in.txt"
        host_in.write_text("from host\n")
        hull("sandbox", "cp", host_in, f"{name}:sub_in.txt", check=True)
        assert sexec(hull, name, "cat", "sub_in.txt")["stdout"]["data"] == "from host\n"
        hull("sandbox", "cp", f"{name}:n", tmp_path / "n.out", check=True)
        assert (tmp_path / "n.out").read_text() == "2\n"
        # A symlink planted in the workspace does not lead cp out of it.
        sexec(hull, name, "ln", "-s", "/", "escape")
        r = hull("sandbox", "cp", f"{name}:escape/etc/passwd", tmp_path / "leak")
        assert not (tmp_path / "leak").exists() or \
            (tmp_path / "leak").read_text() != open("/etc/passwd").read()
        # Timeout of one exec.
        t = sexec(hull, name, "sleep", "100", flags=("--timeout", "1s"))
        assert t["timed_out"] and t["signal"] == "Killed"
        assert ("sandbox session" not in str(
            sexec(hull, name, "true")))  # the session survives an exec's timeout
    finally:
        hull("sandbox", "rm", name, check=True)
    assert json.loads(hull("sandbox", "ls", "--json", check=True).stdout) == []
    assert not processes_mentioning(sid)
    assert hull.wait_for(lambda: not in_cgroup(sid), what="session processes gone")
    assert not mounts_under(os.path.join(RUN_DIR, sid))
    assert not os.path.exists(os.path.join(RUN_DIR, sid))
    r = hull("sandbox", "exec", name, "--", "true")
    assert r.returncode != 0 and "no such sandbox session" in r.stderr


def test_session_errors(hull):
    r = hull("sandbox", "create", "bad/name")
    assert r.returncode != 0 and "invalid session name" in r.stderr
    r = hull("sandbox", "rm", "nothere")
    assert r.returncode != 0 and "nothere" in r.stderr
