"""hull sandbox run: escape attempts fail or are stopped and the result says how, the host sees
no change, the attestation is stable and sensitive to every byte of the context."""
import json
import os
import shutil
import subprocess

import pytest

from hull_helpers import hull, mounts_under, processes_mentioning  # noqa: F401

RUN_DIR = "/run/hull-sandbox"


def sandbox(h, *args, timeout=120):
    r = h("sandbox", "run", "--json", *args, timeout=timeout)
    assert r.stdout, f"no result document: rc={r.returncode} stderr={r.stderr}"
    res = json.loads(r.stdout)
    assert r.returncode == res["exit_code"]
    return res


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


def assert_gone(res):
    """Nothing of the sandbox is left on the host: no process, mount or bundle."""
    sid = res["id"]
    assert not processes_mentioning(sid)
    assert not in_cgroup(sid)
    assert not mounts_under(os.path.join(RUN_DIR, sid))
    assert not os.path.exists(os.path.join(RUN_DIR, sid))


@pytest.fixture
def context(tmp_path):
    d = tmp_path / "ctx"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("hello\n")
    (d / "sub" / "b.txt").write_text("bee\n")
    os.chmod(d / "sub" / "b.txt", 0o640)
    return d


def test_result_changes_output_and_audit(hull, context, tmp_path):
    out = tmp_path / "out"
    res = sandbox(hull, "--context", context, "--output", out, "--", "sh", "-c",
                  "cat a.txt; echo new > c.txt; echo more >> sub/b.txt; rm a.txt; "
                  "echo err >&2; exit 7")
    assert res["exit_code"] == 7 and res["signal"] is None and not res["timed_out"]
    assert res["stdout"] == {"data": "hello\n", "truncated": False, "bytes": 6}
    assert res["stderr"]["data"] == "err\n"
    assert res["wall_ms"] > 0 and res["cpu_ms"] >= 0
    assert res["changes"] == {"created": ["c.txt"], "changed": ["sub/b.txt"],
                              "deleted": ["a.txt"]}
    assert (out / "changes" / "c.txt").read_text() == "new\n"
    assert (out / "changes" / "sub" / "b.txt").read_text() == "bee\nmore\n"
    assert json.loads((out / "result.json").read_text())["id"] == res["id"]
    att = res["attestation"]
    for k in ("context_tree_sha256", "image_digest", "seccomp_profile_sha256", "config_sha256"):
        assert att[k].startswith("sha256:"), k
    # The context on the host is untouched.
    assert (context / "a.txt").read_text() == "hello\n"
    assert (context / "sub" / "b.txt").read_text() == "bee\n"
    with open(os.path.join(hull.root, "sandbox", "audit.log")) as f:
        lines = [json.loads(l) for l in f]
    assert lines[-1]["id"] == res["id"] and lines[-1]["exit_code"] == 7
    assert lines[-1]["attestation"] == att
    assert_gone(res)


def test_output_cap_truncates(hull):
    res = sandbox(hull, "--output-cap", "1k", "--", "sh", "-c",
                  "i=0; while [ $i -lt 500 ]; do echo 0123456789; i=$((i+1)); done")
    assert res["exit_code"] == 0
    assert res["stdout"]["truncated"] and res["stdout"]["bytes"] == 1024


def test_escape_attempts_fail(hull, tmp_path):
    canary = tmp_path / "canary"
    canary.write_text("host secret\n")
    script = (
        "echo x > /etc/pwn && echo WROTE_ETC; "
        "echo x > /pwn && echo WROTE_ROOT; "
        f"cat {canary} && echo READ_HOST; "
        f"echo x > {canary} && echo WROTE_HOST; "
        "cat /proc/1/root/etc/shadow 2>/dev/null && echo READ_INIT_ROOT; "
        "mount -t tmpfs none /mnt && echo MOUNTED; "
        "unshare -U true && echo UNSHARED; "
        "unshare -n true && echo UNSHARED_NET; "
        "ip -o link | grep -v ' lo:' | grep . && echo HAS_NET; "
        "wget -q -T 3 -O- http://127.0.0.1:1/ && echo NET; "
        "echo done"
    )
    res = sandbox(hull, "--", "sh", "-c", script)
    out = res["stdout"]["data"]
    assert out.strip().endswith("done"), res
    for bad in ("WROTE_ETC", "WROTE_ROOT", "READ_HOST", "WROTE_HOST", "READ_INIT_ROOT",
                "MOUNTED", "UNSHARED", "HAS_NET", "NET\n"):
        assert bad not in out, (bad, res)
    assert "Read-only file system" in res["stderr"]["data"]
    assert canary.read_text() == "host secret\n"
    assert_gone(res)


def test_ptrace_refused(hull, tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the static ptrace probe")
    ctx = tmp_path / "ptctx"
    ctx.mkdir()
    src = tmp_path / "pt.c"
    src.write_text('#include <sys/ptrace.h>\n#include <stdio.h>\n#include <errno.h>\n'
                   '#include <string.h>\nint main(void){long r = ptrace(PTRACE_ATTACH, 1, 0, 0);\n'
                   'printf("ptrace=%ld %s\\n", r, strerror(errno)); return r == 0;}\n')
    subprocess.run(["gcc", "-static", "-O1", "-o", str(ctx / "pt"), str(src)], check=True)
    res = sandbox(hull, "--context", ctx, "--", "./pt")
    assert res["exit_code"] == 1 or "ptrace=-1" in res["stdout"]["data"], res
    assert "ptrace=-1" in res["stdout"]["data"]


def test_timeout_kills_everything(hull):
    res = sandbox(hull, "--timeout", "1s", "--", "sh", "-c", "sleep 300 & sleep 300")
    assert res["timed_out"] and res["signal"] == "Killed" and res["exit_code"] == 137
    assert_gone(res)  # the background sleep too: nothing is left in the sandbox's cgroup


def test_fork_bomb_is_contained(hull):
    res = sandbox(hull, "--pids", "64", "--timeout", "20s", "--", "sh", "-c",
                  "f(){ f | f & }; f; sleep 2; echo survived")
    # The pids limit holds the bomb; the sandbox ends (by itself or at the deadline) and
    # leaves nothing behind.
    assert res["exit_code"] is not None
    assert_gone(res)


def test_memory_bomb_oom(hull):
    res = sandbox(hull, "--memory", "32m", "--", "sh", "-c",
                  "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done")
    assert res["oom_killed"] and res["signal"] == "Killed", res
    assert res["peak_memory_bytes"] <= 34 * 1024 * 1024
    assert_gone(res)


def test_disk_fill_stops_at_the_workspace_size(hull):
    res = sandbox(hull, "--disk", "2m", "--", "sh", "-c",
                  "dd if=/dev/zero of=big bs=1k count=8192; echo rc=$?")
    assert "No space left on device" in res["stderr"]["data"]
    assert "rc=1" in res["stdout"]["data"]
    assert_gone(res)


def test_attestation_stable_and_sensitive(hull, context):
    a = sandbox(hull, "--context", context, "--", "true")["attestation"]
    b = sandbox(hull, "--context", context, "--", "true")["attestation"]
    assert a == b
    (context / "sub" / "b.txt").write_text("bef\n")  # one byte
    c = sandbox(hull, "--context", context, "--", "true")["attestation"]
    assert c["context_tree_sha256"] != a["context_tree_sha256"]
    assert c["image_digest"] == a["image_digest"]
    os.chmod(context / "a.txt", 0o600)  # a mode
    d = sandbox(hull, "--context", context, "--", "true")["attestation"]
    assert d["context_tree_sha256"] != c["context_tree_sha256"]
    e = sandbox(hull, "--context", context, "--memory", "100m", "--", "true")["attestation"]
    assert e["config_sha256"] != d["config_sha256"]
    assert e["context_tree_sha256"] == d["context_tree_sha256"]


def test_bad_flags(hull):
    r = hull("sandbox", "run", "--memory", "lots", "--", "true")
    assert r.returncode == 125 and "--memory" in r.stderr
    r = hull("sandbox", "run", "--context", "/nonexistent-ctx", "--", "true")
    assert r.returncode != 0 and "/nonexistent-ctx" in r.stderr
    r = hull("sandbox", "run")
    assert r.returncode == 125


def merkle(path):
    """The documented scheme (docs/sandbox.md, "Attestation"), independently."""
    import hashlib
    import stat as st

    def h(b):
        return hashlib.sha256(b).hexdigest()

    def node(p):
        s = os.lstat(p)
        if st.S_ISDIR(s.st_mode):
            body = b"D %04o\n" % (s.st_mode & 0o7777)
            for name in sorted(os.listdir(p), key=os.fsencode):
                body += os.fsencode(name) + b"\0" + node(os.path.join(p, name)).encode() + b"\n"
            return h(body)
        if st.S_ISREG(s.st_mode):
            with open(p, "rb") as f:
                return h(b"F %04o %s" % (s.st_mode & 0o7777, h(f.read()).encode()))
        if st.S_ISLNK(s.st_mode):
            return h(b"L " + os.fsencode(os.readlink(p)))
        return h(b"O %o" % s.st_mode)

    return "sha256:" + node(path)


def test_attestation_follows_the_documented_scheme(hull, context):
    os.symlink("sub/b.txt", context / "link")
    (context / "empty").mkdir(mode=0o750)
    os.chmod(context / "empty", 0o750)
    os.chmod(context, 0o750)  # the workspace gets the context's own mode too
    res = sandbox(hull, "--context", context, "--", "true")
    assert res["attestation"]["context_tree_sha256"] == merkle(str(context))
