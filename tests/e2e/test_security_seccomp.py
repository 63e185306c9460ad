"""seccomp: every action, every argument operator, unknown syscalls skipped, flags, the compiled
BPF cache under --root, and SCMP_ACT_NOTIFY with a listener receiving the notify fd."""
import array
import json
import os
import socket
import stat
import struct
import threading

import pytest

from security_util import hardened, results, run


def profile(rules, default="SCMP_ACT_ALLOW", **extra):
    p = {"defaultAction": default, "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
         "syscalls": rules}
    p.update(extra)
    return p


def with_profile(bundle, tmp_path, args, prof):
    cfg = hardened(bundle, tmp_path, args)
    cfg["linux"]["seccomp"] = prof
    bundle.write(cfg)
    return cfg


def mkdir_result(runtime, bundle, tmp_path, prof, mode="755", cid="sc"):
    with_profile(bundle, tmp_path, ["/bin/escape-battery", "mkdir", "/tmp/d", mode], prof)
    r = run(runtime, bundle, cid)
    return r, results(r.stdout).get("mkdir")


def test_errno_action_with_errno_ret(runtime, bundle, tmp_path):
    r, got = mkdir_result(runtime, bundle, tmp_path, profile(
        [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]))
    assert r.returncode == 0, r.stderr
    assert got == "ENOSPC"


def test_default_errno_ret(runtime, bundle, tmp_path):
    # The default profile with another errno for everything it does not list.
    prof = hardened(bundle, tmp_path, ["true"])["linux"]["seccomp"]
    prof["defaultErrnoRet"] = 95
    with_profile(bundle, tmp_path, ["/bin/escape-battery", "default"], prof)
    r = run(runtime, bundle, "sc2")
    assert r.returncode == 0, r.stderr
    got = results(r.stdout)
    assert got["mount"] == "EOPNOTSUPP", r.stdout
    assert got["keyctl"] == "EOPNOTSUPP", r.stdout


@pytest.mark.parametrize("action,signal", [("SCMP_ACT_KILL_PROCESS", 31), ("SCMP_ACT_KILL", 31),
                                           ("SCMP_ACT_KILL_THREAD", 31), ("SCMP_ACT_TRAP", 31)])
def test_killing_actions(runtime, bundle, tmp_path, action, signal):
    r, got = mkdir_result(runtime, bundle, tmp_path,
                          profile([{"names": ["mkdir"], "action": action}]))
    assert got is None
    assert r.returncode == 128 + signal, (r.returncode, r.stderr)


@pytest.mark.parametrize("action", ["SCMP_ACT_LOG", "SCMP_ACT_ALLOW"])
def test_allowing_actions(runtime, bundle, tmp_path, action):
    r, got = mkdir_result(runtime, bundle, tmp_path,
                          profile([{"names": ["mkdir"], "action": action}],
                                  default="SCMP_ACT_ALLOW" if action != "SCMP_ACT_ALLOW"
                                  else "SCMP_ACT_LOG"))
    assert r.returncode == 0, r.stderr
    assert got == "OK"


def test_trace_action_without_tracer_fails_the_syscall(runtime, bundle, tmp_path):
    # With no tracer attached, SECCOMP_RET_TRACE fails the syscall with ENOSYS.
    r, got = mkdir_result(runtime, bundle, tmp_path,
                          profile([{"names": ["mkdir"], "action": "SCMP_ACT_TRACE"}]))
    assert r.returncode == 0, r.stderr
    assert got == "ENOSYS"


# Each operator against value 0700, with modes below, equal to and above it.
@pytest.mark.parametrize("op,value,value2,denied", [
    ("SCMP_CMP_NE", 0o700, None, {"600", "755"}),
    ("SCMP_CMP_LT", 0o700, None, {"600"}),
    ("SCMP_CMP_LE", 0o700, None, {"600", "700"}),
    ("SCMP_CMP_EQ", 0o700, None, {"700"}),
    ("SCMP_CMP_GE", 0o700, None, {"700", "755"}),
    ("SCMP_CMP_GT", 0o700, None, {"755"}),
    ("SCMP_CMP_MASKED_EQ", 0o070, 0, {"600", "700"}),
])
def test_argument_operators(runtime, bundle, tmp_path, op, value, value2, denied):
    arg = {"index": 1, "value": value, "op": op}
    if value2 is not None:
        arg["valueTwo"] = value2
    prof = profile([{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28,
                     "args": [arg]}])
    for mode in ("600", "700", "755"):
        r, got = mkdir_result(runtime, bundle, tmp_path, prof, mode, "op" + mode)
        assert r.returncode == 0, r.stderr
        assert got == ("ENOSPC" if mode in denied else "OK"), (op, mode)


def test_conditions_on_the_same_argument_are_alternatives(runtime, bundle, tmp_path):
    prof = profile([{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28,
                     "args": [{"index": 1, "value": 0o600, "op": "SCMP_CMP_EQ"},
                              {"index": 1, "value": 0o755, "op": "SCMP_CMP_EQ"}]}])
    for mode, want in (("600", "ENOSPC"), ("700", "OK"), ("755", "ENOSPC")):
        r, got = mkdir_result(runtime, bundle, tmp_path, prof, mode, "alt" + mode)
        assert got == want, (mode, r.stdout, r.stderr)


def test_unknown_syscall_names_are_skipped(runtime, bundle, tmp_path):
    r, got = mkdir_result(runtime, bundle, tmp_path, profile(
        [{"names": ["no_such_syscall_hull", "mkdir"], "action": "SCMP_ACT_ERRNO",
          "errnoRet": 28}]))
    assert r.returncode == 0, r.stderr
    assert got == "ENOSPC"


@pytest.mark.parametrize("flag", ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"])
def test_flags(runtime, bundle, tmp_path, flag):
    r, got = mkdir_result(runtime, bundle, tmp_path, profile(
        [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}], flags=[flag]))
    assert r.returncode == 0, r.stderr
    assert got == "ENOSPC"


def cache_files(root):
    d = os.path.join(root, ".seccomp-cache")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def test_compiled_filter_is_cached_and_reused(runtime, bundle, tmp_path):
    hardened(bundle, tmp_path, ["true"])
    r = runtime("--debug", "run", "-b", bundle.path, "c1")
    runtime("delete", "-f", "c1")
    assert r.returncode == 0, r.stderr
    assert "(compiled)" in r.stderr
    files = cache_files(runtime.root)
    assert len(files) == 1 and files[0].endswith(".bpf")
    path = os.path.join(runtime.root, ".seccomp-cache", files[0])
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size % 8 == 0
    r = runtime("--debug", "run", "-b", bundle.path, "c2")
    runtime("delete", "-f", "c2")
    assert r.returncode == 0, r.stderr
    assert "(cached)" in r.stderr
    # A cache entry others could have written is never trusted.
    os.chmod(path, 0o666)
    r = runtime("--debug", "run", "-b", bundle.path, "c3")
    runtime("delete", "-f", "c3")
    assert r.returncode == 0, r.stderr
    assert "(compiled)" in r.stderr
    # The cache holds one file per distinct profile.
    assert len(cache_files(runtime.root)) == 1


def test_a_different_profile_gets_its_own_cache_entry(runtime, bundle, tmp_path):
    mkdir_result(runtime, bundle, tmp_path, profile(
        [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]), cid="p1")
    r, got = mkdir_result(runtime, bundle, tmp_path, profile(
        [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 27}]), cid="p2")
    assert got == "errno27", r.stdout  # EFBIG
    assert len(cache_files(runtime.root)) == 2


SECCOMP_IOCTL_NOTIF_RECV = 0xC0502100
SECCOMP_IOCTL_NOTIF_SEND = 0xC0182101


def test_notify_sends_fd_and_state_to_the_listener(runtime, bundle, tmp_path):
    sock_path = str(tmp_path / "agent.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    srv.settimeout(20)
    got = {}

    def agent():
        conn, _ = srv.accept()
        conn.settimeout(20)
        fds = array.array("i")
        msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(fds.itemsize))
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
        got["state"] = json.loads(msg)
        fd = fds[0]
        # Answer one notification: the mkdir fails with EOPNOTSUPP (95).
        import fcntl
        buf = bytearray(80)
        fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, buf)
        nid, pid, _flags, nr = struct.unpack_from("=QIIi", buf)
        got["nr"] = nr
        fcntl.ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, struct.pack("=QqiI", nid, 0, -95, 0))
        os.close(fd)
        conn.close()

    t = threading.Thread(target=agent, daemon=True)
    t.start()
    try:
        r, res = mkdir_result(runtime, bundle, tmp_path, profile(
            [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
            listenerPath=sock_path, listenerMetadata="hello-agent"), cid="notify")
        t.join(20)
    finally:
        srv.close()
    assert r.returncode == 0, r.stderr
    assert res == "EOPNOTSUPP", r.stdout
    st = got["state"]
    assert st["fds"] == ["seccompFd"]
    assert st["metadata"] == "hello-agent"
    assert st["state"]["id"] == "notify"
    assert st["pid"] > 1 and st["state"]["pid"] == st["pid"]
    assert got["nr"] == 83  # mkdir on x86_64


def test_notify_listener_that_is_not_there_fails_create(runtime, bundle, tmp_path):
    with_profile(bundle, tmp_path, ["true"], profile(
        [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}],
        listenerPath=str(tmp_path / "nobody.sock")))
    r = runtime("create", "-b", bundle.path, "nolistener")
    assert r.returncode != 0
    assert "linux.seccomp.listenerPath: connect to" in r.stderr
    assert runtime.ids() == []


# ---- the runtime's own set-up does not depend on the profile -----------------------------

def without(prof, names):
    """`prof` with `names` taken out of every rule."""
    prof = json.loads(json.dumps(prof))
    for rule in prof["syscalls"]:
        rule["names"] = [n for n in rule["names"] if n not in names]
    prof["syscalls"] = [r for r in prof["syscalls"] if r["names"]]
    return prof


@pytest.mark.parametrize("nnp", [False, True])
def test_profile_without_the_runtimes_own_syscalls_still_starts(runtime, bundle, tmp_path, nnp):
    """An errno-default profile lacking close_range, getcwd, openat2 and fchdir (older profiles
    tools generate): runc and crun start the container; the runtime closes inherited fds and
    checks the cwd before the filter exists. Without no_new_privs the filter is loaded before
    the identity change, so this used to fail with `close inherited file descriptors`."""
    cfg = hardened(bundle, tmp_path, ["/bin/escape-battery", "euid"])
    cfg["linux"]["seccomp"] = without(cfg["linux"]["seccomp"],
                                      {"close_range", "getcwd", "openat2", "fchdir"})
    cfg["process"]["noNewPrivileges"] = nnp
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    cfg["process"]["cwd"] = "/tmp"
    bundle.write(cfg)
    r = run(runtime, bundle, f"oldprofile{int(nnp)}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "euid 1000"
    # The profile is in force: the workload's own getcwd is refused.
    cfg["process"]["args"] = ["/bin/busybox", "pwd"]
    bundle.write(cfg)
    r = run(runtime, bundle, f"oldprofile{int(nnp)}b")
    assert r.returncode != 0 and "Operation not permitted" in r.stderr, (r.stdout, r.stderr)


# ---- listener agents ----------------------------------------------------------------------

AGENT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "helpers",
                     "seccomp-agent")


@pytest.fixture
def agent(tmp_path):
    """tests/helpers/seccomp-agent listening on a socket: (socket path, output dir)."""
    import subprocess
    import time
    out = tmp_path / "agent-out"
    out.mkdir()
    sock = str(tmp_path / "agent.sock")
    p = subprocess.Popen([AGENT, sock, str(out)])
    deadline = time.monotonic() + 120
    while not os.path.exists(sock):
        assert p.poll() is None and time.monotonic() < deadline, "the agent did not start"
        time.sleep(0.02)
    yield sock, out
    p.kill()
    p.wait()


def wait_file(path, timeout=120):
    import time
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    with open(path) as f:
        return json.load(f)


def test_listener_agent_fakes_mkdir(runtime, bundle, tmp_path, agent):
    sock, out = agent
    with_profile(bundle, tmp_path, ["sh", "-c", "mkdir /tmp/made && echo mkdir-ok; "
                                                "test -d /tmp/made || echo not-there"],
                 profile([{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}],
                         listenerPath=sock, listenerMetadata="fake-mkdir"))
    r = run(runtime, bundle, "agentmkdir")
    assert r.returncode == 0, r.stderr
    # The agent answered "success" without making anything.
    assert r.stdout.split() == ["mkdir-ok", "not-there"], r.stdout
    st = wait_file(str(out / "state-0.json"))
    assert st["fds"] == ["seccompFd"] and st["received_fds"] == 1
    assert st["metadata"] == "fake-mkdir" and st["state"]["id"] == "agentmkdir"
    notif = wait_file(str(out / "notif-0-0.json"))
    assert notif["answer"] == "faked" and notif["nr"] in (83, 258)


def test_listener_without_notify_rules_still_gets_the_state(runtime, bundle, tmp_path, agent):
    """crun connects to the listener even when no rule notifies (agents that watch every new
    container): the state comes without an fd, and the container runs normally."""
    sock, out = agent
    with_profile(bundle, tmp_path, ["sh", "-c", "echo ran"],
                 profile([{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO"}],
                         listenerPath=sock, listenerMetadata="watch-all"))
    r = run(runtime, bundle, "agentwatch")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ran\n"
    st = wait_file(str(out / "state-0.json"))
    assert st["fds"] == [] and st["received_fds"] == 0
    assert st["metadata"] == "watch-all" and st["state"]["id"] == "agentwatch"
    assert st["pid"] > 1
