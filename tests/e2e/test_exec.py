"""hull-runtime exec: a new process inside a running container, confined like its init."""
import concurrent.futures
import json
import os
import re
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import wait_exit, wait_for

NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")

# The --process file podman 4.3 wrote for `podman exec -e FOO=bar -w /tmp C sh -c 'echo hi'`
# (shared/fixtures/clients/podman-exec-process.json), verbatim.
PODMAN_EXEC_PROCESS = (
    '{"user":{"uid":0,"gid":0},"args":["sh","-c","echo hi"],"env":["PATH=/usr/sbin:/usr/bin:'
    '/sbin:/bin","TERM=xterm","container=podman","FOO=bar","HOME=/root"],"cwd":"/tmp",'
    '"capabilities":{"bounding":["CAP_AUDIT_WRITE","CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER",'
    '"CAP_FSETID","CAP_KILL","CAP_MKNOD","CAP_NET_BIND_SERVICE","CAP_NET_RAW","CAP_SETFCAP",'
    '"CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"],"effective":["CAP_AUDIT_WRITE",'
    '"CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_MKNOD",'
    '"CAP_NET_BIND_SERVICE","CAP_NET_RAW","CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID",'
    '"CAP_SYS_CHROOT"],"permitted":["CAP_AUDIT_WRITE","CAP_CHOWN","CAP_DAC_OVERRIDE",'
    '"CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_MKNOD","CAP_NET_BIND_SERVICE","CAP_NET_RAW",'
    '"CAP_SETFCAP","CAP_SETGID","CAP_SETPCAP","CAP_SETUID","CAP_SYS_CHROOT"]},"rlimits":[{"type":'
    '"RLIMIT_NOFILE","hard":20000,"soft":20000},{"type":"RLIMIT_NPROC","hard":32768,"soft":32768}]}'
)


def start_detached(runtime, bundle, cid, args=("sleep", "1000"), config=None):
    """run --detach keeps the container's stdio on ours: give it /dev/null, not pipes."""
    if config is not None:
        bundle.config = config
    bundle.config["process"]["args"] = list(args)
    bundle.write()
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(runtime.cmd("run", "-d", "-b", bundle.path, cid),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                           timeout=30)
        err.seek(0)
        assert r.returncode == 0, err.read().decode()
    return runtime.state(cid)["pid"]


def exec_detached(runtime, cid, pid_file, *args):
    """exec --detach: the process keeps our stdio, so give it /dev/null rather than pipes."""
    with tempfile.TemporaryFile() as err:
        r = subprocess.run(runtime.cmd("exec", "--detach", "--pid-file", pid_file, cid, *args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                           timeout=30)
        err.seek(0)
        assert r.returncode == 0, err.read().decode()
    return int(open(pid_file).read())


def make_traversable(path):
    """Let an unprivileged user namespace's root reach the bundle (pytest's tmp is 0700)."""
    while path not in ("/", "/tmp"):
        os.chmod(path, os.stat(path).st_mode | 0o011)
        path = os.path.dirname(path)


def ns_inodes(pid):
    return {n: os.readlink(f"/proc/{pid}/ns/{n}") for n in NAMESPACES}


def wait_gone(pid, timeout=120):
    return wait_exit(pid, timeout)


def status_caps(text, field):
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"{field} missing")


def test_exec_output_and_exit_code(runtime, bundle):
    start_detached(runtime, bundle, "e1")
    r = runtime("exec", "e1", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert r.returncode == 3, r.stderr
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"
    r = runtime("exec", "e1", "true")
    assert r.returncode == 0, r.stderr
    r = runtime("exec", "e1", "sh", "-c", "kill -TERM $$")
    assert r.returncode == 128 + 15
    r = runtime("exec", "e1", "no-such-program")
    assert r.returncode == 127
    assert "no-such-program" in r.stderr
    assert runtime("delete", "--force", "e1").returncode == 0


def test_exec_reads_the_config_copy_in_the_state_and_in_an_older_layout(runtime, bundle):
    """`run` keeps the container's copy of its config in state.json, after the state's line
    (one file); a state of an older runtime has it in a config.json beside: exec reads both."""
    bundle.config["process"]["env"] = ["PATH=/bin:/usr/bin", "WHERE=bundle"]
    start_detached(runtime, bundle, "e2")
    state_dir = os.path.join(runtime.root, "e2")
    assert sorted(os.listdir(state_dir)) == ["state.json"]
    r = runtime("exec", "e2", "sh", "-c", "echo $WHERE")
    assert (r.returncode, r.stdout) == (0, "bundle\n"), r.stderr
    with open(os.path.join(state_dir, "state.json")) as f:
        line, _, config = f.read().partition("\n")
    cfg = json.loads(config)
    cfg["process"]["env"] = ["PATH=/bin:/usr/bin", "WHERE=older"]
    with open(os.path.join(state_dir, "config.json"), "w") as f:
        json.dump(cfg, f)
    with open(os.path.join(state_dir, "state.json.tmp"), "w") as f:
        f.write(line)
    os.rename(os.path.join(state_dir, "state.json.tmp"), os.path.join(state_dir, "state.json"))
    assert runtime.state("e2")["status"] == "running"
    r = runtime("exec", "e2", "sh", "-c", "echo $WHERE")
    assert (r.returncode, r.stdout) == (0, "older\n"), r.stderr
    assert runtime("delete", "--force", "e2").returncode == 0
    assert not os.path.exists(state_dir)


def test_exec_joins_every_namespace(runtime, bundle):
    cfg = bundle.config
    cfg["linux"]["namespaces"] += [{"type": "cgroup"}, {"type": "time"}, {"type": "user"}]
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    cfg["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 300, "nanosecs": 0}}
    # sysfs needs privileges over the network namespace's owner: not for this test.
    cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/sys"]
    make_traversable(bundle.path)
    init = start_detached(runtime, bundle, "ns1", config=cfg)
    expected = ns_inodes(init)
    script = "for n in %s; do readlink /proc/self/ns/$n; done; cat /proc/uptime" % " ".join(
        NAMESPACES)
    r = runtime("exec", "ns1", "sh", "-c", script)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert dict(zip(NAMESPACES, lines)) == expected
    # The time namespace's offset applies: uptime is 300 days ahead of the host's.
    assert float(lines[len(NAMESPACES)].split()[0]) > 86400 * 299
    # The pid namespace's view: init is pid 1, we are someone else. (`run -d` returns once the
    # container is started, which may be before its process's execve: wait for that.)
    wait_for(lambda: open(f"/proc/{init}/cmdline", "rb").read().startswith(b"sleep\0"),
             what="the container's execve of sleep")
    r = runtime("exec", "ns1", "sh", "-c", "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$")
    assert r.stdout.split("\n")[0].strip() == "sleep 1000"
    assert int(r.stdout.split("\n")[1]) > 1
    # Root of the user namespace is host uid 200000.
    pid = exec_detached(runtime, "ns1", os.path.join(bundle.path, "p"), "sleep", "30")
    with open(f"/proc/{pid}/status") as f:
        uid_line = [l for l in f if l.startswith("Uid:")][0]
    assert uid_line.split()[1] == "200000"
    assert runtime("delete", "--force", "ns1").returncode == 0
    assert wait_gone(pid)


class Cgroup:
    """A cgroup made by the test in one hierarchy, removed at the end."""

    def __init__(self, mountpoint, name):
        self.path = os.path.join(mountpoint, name)
        os.mkdir(self.path)

    def add(self, pid):
        with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
            f.write(str(pid))

    def remove(self):
        def rmdir():
            try:
                os.rmdir(self.path)
                return True
            except FileNotFoundError:
                return True
            except OSError:  # EBUSY until the kernel has drained the exited tasks
                return False
        wait_for(rmdir, what=f"{self.path} to be removable")


def test_exec_joins_the_cgroups(runtime, bundle):
    """The exec'd process lands in every cgroup of the container's init (v1 and v2)."""
    init = start_detached(runtime, bundle, "cg1")
    name = "hull-test-exec-" + uuid.uuid4().hex[:8]
    groups = [Cgroup(m, name) for m in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified")
              if os.path.isdir(m)]
    assert groups, "no cgroup hierarchy to test with"
    try:
        for g in groups:
            g.add(init)
        # What the cgroup manager records: exec joins only containers that have a cgroup.
        # state.json: the state's line, then the container's copy of its config.
        state_file = os.path.join(runtime.root, "cg1", "state.json")
        with open(state_file) as f:
            line, _, config = f.read().partition("\n")
        st = json.loads(line)
        st["cgroupPath"] = "/" + name
        with open(state_file, "w") as f:
            f.write(json.dumps(st) + "\n" + config)
        pid = exec_detached(runtime, "cg1", os.path.join(bundle.path, "exec.pid"), "sleep", "30")
        with open(f"/proc/{pid}/cgroup") as f:
            mine = f.read()
        with open(f"/proc/{init}/cgroup") as f:
            theirs = f.read()
        assert mine == theirs
        assert name in mine
    finally:
        assert runtime("delete", "--force", "cg1").returncode == 0
        for g in groups:
            g.remove()
    assert not any(os.path.exists(g.path) for g in groups)


def test_exec_user_env_cwd(runtime, bundle):
    start_detached(runtime, bundle, "u1")
    r = runtime("exec", "--user", "1000:1001", "--additional-gids", "2000", "-e", "FOO=bar",
                "--env", "PATH=/bin", "--cwd", "/tmp", "u1",
                "sh", "-c", "id -u; id -g; id -G; echo $FOO; echo $PATH; pwd; umask")
    assert r.returncode == 0, r.stderr
    uid, gid, groups, foo, path, cwd, umask = r.stdout.split("\n")[:7]
    assert (uid, gid, foo, path, cwd) == ("1000", "1001", "bar", "/bin", "/tmp")
    assert "2000" in groups.split()
    assert umask == "0022"
    # The container's environment is the base: TERM comes from config.json.
    r = runtime("exec", "u1", "sh", "-c", "echo $TERM")
    assert r.stdout == "xterm\n"
    # A cwd that does not exist in the container fails clearly.
    r = runtime("exec", "--cwd", "/no/such/dir", "u1", "true")
    assert r.returncode != 0
    assert "/no/such/dir" in r.stderr
    r = runtime("exec", "--user", "root", "u1", "true")
    assert r.returncode != 0 and "--user" in r.stderr


def test_exec_capabilities_follow_config_and_cap(runtime, bundle):
    caps = ["CAP_CHOWN", "CAP_KILL"]
    bundle.config["process"]["capabilities"] = {
        k: caps for k in ("bounding", "effective", "permitted")}
    bundle.config["process"]["noNewPrivileges"] = True
    init = start_detached(runtime, bundle, "c1")
    with open(f"/proc/{init}/status") as f:
        init_status = f.read()
    r = runtime("exec", "c1", "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    for field in ("CapBnd", "CapEff", "CapPrm", "NoNewPrivs"):
        if field == "NoNewPrivs":
            assert "NoNewPrivs:\t1" in r.stdout
            continue
        assert status_caps(r.stdout, field) == status_caps(init_status, field)
    assert status_caps(r.stdout, "CapEff") == (1 << 0) | (1 << 5)
    r = runtime("exec", "--cap", "CAP_NET_ADMIN", "c1", "cat", "/proc/self/status")
    assert r.returncode == 0, r.stderr
    for field in ("CapBnd", "CapEff", "CapPrm", "CapAmb"):
        assert status_caps(r.stdout, field) & (1 << 12), field


def test_exec_no_new_privs_flag(runtime, bundle):
    start_detached(runtime, bundle, "n1")
    r = runtime("exec", "n1", "grep", "NoNewPrivs", "/proc/self/status")
    assert r.stdout.split() == ["NoNewPrivs:", "0"]
    r = runtime("exec", "--no-new-privs", "n1", "grep", "NoNewPrivs", "/proc/self/status")
    assert r.stdout.split() == ["NoNewPrivs:", "1"]


def test_exec_detach_with_pid_file(runtime, bundle):
    init = start_detached(runtime, bundle, "d1")
    pid_file = os.path.join(bundle.path, "exec.pid")
    t0 = time.monotonic()
    pid = exec_detached(runtime, "d1", pid_file, "sleep", "300")
    assert time.monotonic() - t0 < 120  # it did not wait for the program
    assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{init}/ns/pid")
    # exec --detach returns once the process may go on to its execve, not after it.
    wait_for(lambda: open(f"/proc/{pid}/cmdline").read() == "sleep\x00300\x00",
             what="the exec'd process's execve of sleep")
    assert runtime("delete", "--force", "d1").returncode == 0
    assert wait_gone(pid)


def test_exec_process_file_from_podman(runtime, bundle, tmp_path):
    start_detached(runtime, bundle, "p1")
    proc = tmp_path / "exec-process-1"
    proc.write_text(PODMAN_EXEC_PROCESS)
    pid_file = tmp_path / "exec_pid"
    # podman's exact command line: always --detach, cwd = its exec dir.
    r = subprocess.run(runtime.cmd("exec", "--pid-file", pid_file, "--process", proc,
                                   "--detach", "p1"),
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"
    assert int(pid_file.read_text()) > 0
    # The same file, asking what the process saw.
    doc = json.loads(PODMAN_EXEC_PROCESS)
    doc["args"] = ["sh", "-c", "echo $FOO $container; pwd; grep -E 'CapEff|Max open' "
                   "/proc/self/status /proc/self/limits"]
    proc.write_text(json.dumps(doc))
    r = runtime("exec", "--process", proc, "p1")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "bar podman"
    assert lines[1] == "/tmp"
    assert "CapEff:\t00000000a80425fb" in r.stdout
    assert "20000" in r.stdout
    # Bad input names the file and the field.
    doc["args"] = "sh"
    proc.write_text(json.dumps(doc))
    r = runtime("exec", "--process", proc, "p1")
    assert r.returncode != 0
    assert str(proc) in r.stderr and "process.args" in r.stderr


def test_exec_in_stopped_container_fails(runtime, bundle):
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    r = runtime("run", "--keep", "-b", bundle.path, "s1")
    assert r.returncode == 0, r.stderr
    r = runtime("exec", "s1", "true")
    assert r.returncode != 0
    assert "stopped" in r.stderr
    r = runtime("exec", "nope", "true")
    assert r.returncode != 0 and "does not exist" in r.stderr


def test_exec_in_paused_container(runtime, bundle):
    start_detached(runtime, bundle, "z1")
    marker = os.path.join(runtime.root, "z1", "paused")
    open(marker, "w").close()  # what `pause` leaves (the freezer is not this test's subject)
    try:
        r = runtime("exec", "z1", "true")
        assert r.returncode != 0 and "paused" in r.stderr
        r = runtime("exec", "--ignore-paused", "z1", "true")
        assert r.returncode == 0, r.stderr
    finally:
        os.unlink(marker)


def test_exec_terminal_flag_rules(runtime, bundle, tmp_path):
    start_detached(runtime, bundle, "t1")
    r = runtime("exec", "--tty", "--detach", "t1", "true")
    assert r.returncode != 0 and "--console-socket" in r.stderr
    r = runtime("exec", "--console-socket", tmp_path / "sock", "--detach", "t1", "true")
    assert r.returncode != 0 and "--console-socket" in r.stderr
    r = runtime("exec", "--apparmor", "unconfined", "t1", "true")
    assert r.returncode != 0 and "not supported" in r.stderr
    assert runtime("exec", "--help").stdout.startswith("Usage: hull-runtime exec")


def test_twenty_concurrent_execs(runtime, bundle):
    start_detached(runtime, bundle, "many")

    def one(i):
        return runtime("exec", "-e", f"N={i}", "many", "sh", "-c", "echo $N; exit $((N % 7))")

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    for i, r in enumerate(results):
        assert r.returncode == i % 7, r.stderr
        assert r.stdout == f"{i}\n"


WRAPPER = """
import os, sys
fds = [int(f) for f in sys.argv[1].split(",")]
for i, fd in enumerate(fds):
    os.dup2(fd, 3 + i)
if sys.argv[2] != "0":
    os.environ.update(LISTEN_FDS=sys.argv[2], LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[3], sys.argv[3:])
"""


def with_fds(cmd, fds, listen_fds=0):
    """Run cmd with `fds` at 3, 4, ... (and LISTEN_FDS/LISTEN_PID for socket activation)."""
    wrapper = ["/usr/bin/python3", "-c", WRAPPER, ",".join(map(str, fds)), str(listen_fds)]
    return subprocess.run(wrapper + cmd, capture_output=True, text=True, timeout=30,
                          pass_fds=fds)


def pipe_with(text):
    rd, wr = os.pipe()
    os.write(wr, text)
    os.close(wr)
    return rd


def test_exec_preserve_fds_and_socket_activation(runtime, bundle):
    start_detached(runtime, bundle, "f1")
    rd = pipe_with(b"through-fd-3\n")
    try:
        r = with_fds(runtime.cmd("exec", "--preserve-fds", "1", "f1", "sh", "-c",
                                 "cat <&3; ls /proc/self/fd | wc -l"), [rd])
        assert r.returncode == 0, r.stderr
        assert r.stdout.split("\n")[0] == "through-fd-3"
        # 0, 1, 2, 3 and the fd ls reads the directory with: nothing else leaked.
        assert int(r.stdout.split("\n")[1]) == 5
        # Without --preserve-fds the fd is not passed.
        r = with_fds(runtime.cmd("exec", "f1", "sh", "-c", "cat <&3"), [rd])
        assert r.returncode != 0
    finally:
        os.close(rd)
    # systemd socket activation: LISTEN_FDS fds are passed and LISTEN_PID is the process's own.
    rd = pipe_with(b"activated\n")
    try:
        r = with_fds(runtime.cmd("exec", "f1", "sh", "-c",
                                 "echo $LISTEN_FDS $LISTEN_PID $$; cat <&3"), [rd], listen_fds=1)
        assert r.returncode == 0, r.stderr
        fds, listen_pid, own_pid = r.stdout.split("\n")[0].split()
        assert fds == "1" and listen_pid == own_pid
        assert r.stdout.split("\n")[1] == "activated"
    finally:
        os.close(rd)


def test_run_socket_activation_and_preserve_fds(runtime, bundle):
    """LISTEN_FDS come first (fd 3), --preserve-fds after them (fd 4); LISTEN_PID is 1."""
    bundle.config["process"]["args"] = ["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4"]
    bundle.write()
    fds = [pipe_with(b"sock\n"), pipe_with(b"extra\n")]
    try:
        r = with_fds(runtime.cmd("run", "--keep", "--preserve-fds", "1", "-b", bundle.path, "a1"), fds,
                     listen_fds=1)
        assert r.returncode == 0, r.stderr
        assert r.stdout == "1 1\nsock\nextra\n"
    finally:
        for fd in fds:
            os.close(fd)
    assert runtime("delete", "a1").returncode == 0


def test_run_detach_keeps_callers_stdio(runtime, bundle, tmp_path):
    bundle.config["process"]["args"] = ["sh", "-c", "echo detached-out; echo detached-err >&2"]
    bundle.write()
    out, err = tmp_path / "out", tmp_path / "err"
    with open(out, "w") as o, open(err, "w") as e:
        r = subprocess.run(runtime.cmd("run", "--detach", "-b", bundle.path, "dd1"),
                           stdin=subprocess.DEVNULL, stdout=o, stderr=e, timeout=30)
    assert r.returncode == 0
    wait_for(lambda: "detached-err" in err.read_text() and "detached-out" in out.read_text(),
             what="the container's output")
    assert out.read_text() == "detached-out\n"
    assert err.read_text() == "detached-err\n"
    assert runtime("delete", "--force", "dd1").returncode == 0


def test_exec_is_confined_like_init_under_the_default_spec(runtime, bundle):
    """exec'd processes get the container's seccomp filter, capabilities, no_new_privs and
    Landlock policy, exactly as its first process."""
    os.unlink(os.path.join(bundle.path, "config.json"))
    assert runtime("spec", "--landlock-default", "-b", bundle.path).returncode == 0
    spec = json.load(open(os.path.join(bundle.path, "config.json")))
    spec["root"]["readonly"] = False
    fields = "^(CapEff|CapBnd|NoNewPrivs|Seccomp|Seccomp_filters):"
    pid = start_detached(runtime, bundle, "conf", config=spec)
    init = open(f"/proc/{pid}/status").read()
    init = sorted(l for l in init.split("\n") if re.match(fields, l))
    r = runtime("exec", "conf", "grep", "-E", fields, "/proc/self/status")
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.strip().split("\n")) == init
    assert "Seccomp:\t2" in r.stdout
    # The filter really applies: unshare(CLONE_NEWUSER) is refused in the exec'd process too.
    r = runtime("exec", "conf", "unshare", "-U", "true")
    assert r.returncode != 0
    # Landlock: the default policy makes /etc read-only even for root.
    r = runtime("exec", "conf", "sh", "-c", "echo x > /etc/landlock-probe")
    assert r.returncode != 0 and "denied" in r.stderr.lower()
