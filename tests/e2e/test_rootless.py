"""Rootless hull (docs/rootless.md): a user made by the test (useradd, with subordinate id
ranges) runs `hull run` through `runuser -u`: the data root under ~/.local/share/hull, the run
directory under $XDG_RUNTIME_DIR/hull, a user namespace from /etc/subuid and /etc/subgid (layers
unpacked with their owners), no cgroup limits (refused), pasta for published ports reached from
the host on 127.0.0.1. The user goes at the end with every file, process and namespace of it,
even when a test fails."""
import contextlib
import fcntl
import io
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tarfile
import tempfile
import urllib.request

import pytest

from conftest import BUILD, wait_for

HULL = os.path.join(BUILD, "hull")
TUN = "/dev/net/tun"
# Shared by the workers of a parallel run: who uses /dev/net/tun's changed mode, and a lock.
TUN_DIR = "/run/lock/hull-test-rootless-tun"


def subid_range(path, name):
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[0] == name:
                return int(parts[1]), int(parts[2])
    return None


def user_processes(uids, zombies=False):
    """Processes whose real or effective uid is one of `uids` (a range); zombies (ended, not
    yet reaped by their parent) only when asked."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("State:") and line.split()[1] == "Z" and not zombies:
                        break
                    if line.startswith("Uid:"):
                        ids = [int(x) for x in line.split()[1:3]]
                        if any(i in uids for i in ids):
                            found.append(int(pid))
                        break
        except OSError:
            continue
    return found


class RootlessUser:
    def __init__(self, name, pw, home, xdg, subuid):
        self.name, self.pw, self.home, self.xdg, self.subuid = name, pw, home, xdg, subuid

    @property
    def uids(self):
        own = range(self.pw.pw_uid, self.pw.pw_uid + 1)
        if self.subuid is None:
            return (own,)
        start, count = self.subuid
        return own, range(start, start + count)

    def hull(self, *args, timeout=180, check=False):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.home,
               "XDG_RUNTIME_DIR": self.xdg, "HULL_RESTART_BACKOFF_MS": "50"}
        cmd = ["runuser", "-u", self.name, "--", "env", "-i"] + \
            [f"{k}={v}" for k, v in env.items()] + [HULL] + [str(a) for a in args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, cwd="/")
        if check and r.returncode != 0:
            raise AssertionError(f"hull {' '.join(map(str, args))} failed ({r.returncode}): "
                                 f"{r.stderr}")
        return r


def kill_all(uids):
    """SIGKILL every process of the user and of its subordinate ids, by pid, until none is
    left (the pause process among them: its namespaces go with it)."""
    def gone():
        pids = [p for r in uids for p in user_processes(r)]
        for p in pids:
            try:
                os.kill(p, 9)
            except ProcessLookupError:
                pass
        return not pids
    wait_for(gone, timeout=60, what="the user's processes to end")


@contextlib.contextmanager
def made_user(suffix, subids=True):
    """A user for the test (with subordinate ranges, or explicitly without), and at the end,
    whatever happened: every process of it and of its ranges killed, the user, its home (the
    data root) and run directory removed, no /etc/subuid or /etc/subgid line left."""
    name = f"hullrl{os.getpid()}{suffix}"[:31]
    home = tempfile.mkdtemp(prefix="hull-rl-home-", dir="/tmp")
    os.rmdir(home)  # useradd makes it, owned by the user
    xdg = tempfile.mkdtemp(prefix="hull-rl-xdg-", dir="/tmp")
    subprocess.run(["useradd", "--create-home", "--home-dir", home, "--shell", "/bin/sh",
                    name], check=True, capture_output=True)
    user = None
    try:
        pw = pwd.getpwnam(name)
        os.chown(xdg, pw.pw_uid, pw.pw_gid)
        os.chmod(xdg, 0o700)
        have = subid_range("/etc/subuid", name), subid_range("/etc/subgid", name)
        if subids and None in have:
            # Debian's useradd gives a user subordinate ranges (login.defs SUB_UID_*); if not:
            first = pw.pw_uid * 65536
            subprocess.run(["usermod", "--add-subuids", f"{first}-{first + 65535}",
                            "--add-subgids", f"{first}-{first + 65535}", name],
                           check=True, capture_output=True)
        elif not subids:
            for flag, r in (("--del-subuids", have[0]), ("--del-subgids", have[1])):
                if r:
                    subprocess.run(["usermod", flag, f"{r[0]}-{r[0] + r[1] - 1}", name],
                                   check=True, capture_output=True)
        user = RootlessUser(name, pw, home, xdg, subid_range("/etc/subuid", name))
        yield user
    finally:
        if user is not None:
            kill_all(user.uids)
        else:
            uid = pwd.getpwnam(name).pw_uid
            kill_all([range(uid, uid + 1)])
        subprocess.run(["userdel", "--remove", name], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(xdg, ignore_errors=True)
        for path in ("/etc/subuid", "/etc/subgid"):
            assert subid_range(path, name) is None, f"{name} left in {path}"
        with pytest.raises(KeyError):
            pwd.getpwnam(name)


@pytest.fixture(scope="module")
def rl_user():
    with made_user("") as user:
        yield user


@pytest.fixture
def tun_for_users():
    """/dev/net/tun is 0600 on this machine (Debian makes it 0666): pasta opens it inside the
    container's namespace, as the user, so the test opens it to users for its duration and
    puts the mode back when the last worker using it is done (under a lock)."""
    os.makedirs(TUN_DIR, exist_ok=True)
    me = os.path.join(TUN_DIR, f"user.{os.getpid()}")
    saved = os.path.join(TUN_DIR, "mode")
    with open(os.path.join(TUN_DIR, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(saved):
            with open(saved, "w") as f:
                f.write(str(stat.S_IMODE(os.stat(TUN).st_mode)))
        os.chmod(TUN, 0o666)
        open(me, "w").close()
    yield
    with open(os.path.join(TUN_DIR, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.unlink(me)
        users = [u for u in os.listdir(TUN_DIR) if u.startswith("user.") and
                 os.path.exists(f"/proc/{u.split('.')[1]}")]
        if not users:
            with open(saved) as f:
                os.chmod(TUN, int(f.read()))
            os.unlink(saved)


def free_port(addr="127.0.0.1"):
    with socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def test_rootless_run_uses_the_users_dirs_and_namespace(rl_user):
    r = rl_user.hull("run", "--rm", "--network", "none", "busybox", "echo", "hi")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"
    root = os.path.join(rl_user.home, ".local", "share", "hull")
    assert os.stat(os.path.join(root, "containers")).st_uid == rl_user.pw.pw_uid
    with open(os.path.join(rl_user.xdg, "hull", "pause.pid")) as f:
        pause = int(f.read().split()[0])
    # The pause process holds a user namespace mapping the user to 0 and the subordinate ids
    # after it.
    with open(f"/proc/{pause}/uid_map") as f:
        rows = [l.split() for l in f.read().splitlines()]
    start, count = rl_user.subuid
    assert ["0", str(rl_user.pw.pw_uid), "1"] in rows
    assert ["1", str(start), str(count)] in rows
    # No container left, nothing of it in the run directory.
    assert rl_user.hull("ps", "-aq", check=True).stdout == ""


def test_rootless_layers_unpack_with_their_owners(rl_user):
    """A layer with a file owned by uid 1000: inside the container it belongs to 1000, on the
    host to the user's subordinate id 999 after the first (the chown that failed outside a
    user namespace)."""
    tar = os.path.join(rl_user.home, "rootfs.tar")
    busybox = "/bin/busybox"
    with tarfile.open(tar, "w") as t:
        info = t.gettarinfo(busybox, arcname="bin/busybox")
        info.uid = info.gid = 0
        with open(busybox, "rb") as f:
            t.addfile(info, f)
        sh = tarfile.TarInfo("bin/sh")
        sh.type, sh.linkname = tarfile.SYMTYPE, "busybox"
        t.addfile(sh)
        data = b"owned by 1000\n"
        owned = tarfile.TarInfo("home/app/note")
        owned.size, owned.uid, owned.gid, owned.mode = len(data), 1000, 1000, 0o640
        t.addfile(owned, io.BytesIO(data))
    os.chown(tar, rl_user.pw.pw_uid, rl_user.pw.pw_gid)
    r = rl_user.hull("import", str(tar), "rl-owned:1")
    assert r.returncode == 0, r.stderr
    r = rl_user.hull("run", "--rm", "--network", "none", "rl-owned:1",
                     "/bin/busybox", "stat", "-c", "%u:%g %a", "/home/app/note")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1000:1000 640"
    start, _ = rl_user.subuid
    store = os.path.join(rl_user.home, ".local", "share", "hull")
    owners = set()
    for d, _, files in os.walk(store):
        if "note" in files and d.endswith(os.path.join("home", "app")):
            owners.add(os.stat(os.path.join(d, "note")).st_uid)
    assert owners == {start + 999}, owners


def test_rootless_published_port_through_pasta(rl_user, tun_for_users):
    port, port6 = free_port(), free_port("::1")
    # 127.0.0.1, and ::1 too: pasta listens there (root's kernel DNAT cannot).
    r = rl_user.hull("run", "-d", "--name", "web", "-p", f"127.0.0.1:{port}:80", "-p",
                     f"[::1]:{port6}:80", "busybox", "httpd", "-f", "-p", "80", "-h", "/etc")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    try:
        def fetch(url):
            try:
                with urllib.request.urlopen(url, timeout=5) as u:
                    return u.read().decode()
            except OSError:
                return None
        body = wait_for(lambda: fetch(f"http://127.0.0.1:{port}/hostname"), timeout=60,
                        interval=0.05, what="the published port")
        assert body.strip() == cid[:12]
        body = wait_for(lambda: fetch(f"http://[::1]:{port6}/hostname"), timeout=60,
                        interval=0.05, what="the published port on ::1")
        assert body.strip() == cid[:12]
        assert rl_user.hull("port", "web", check=True).stdout == \
            f"80/tcp -> 127.0.0.1:{port}\n80/tcp -> [::1]:{port6}\n"
        ps = rl_user.hull("ps", check=True).stdout
        assert f"127.0.0.1:{port}->80/tcp" in ps
        # pasta runs as the user (root of its namespace), not as root.
        pasta = [p for p in user_processes(rl_user.uids[0])
                 if open(f"/proc/{p}/comm").read().startswith(("passt", "pasta"))]
        assert len(pasta) == 1
        # A restart gets a new pasta for the new namespace, the old one goes.
        rl_user.hull("restart", "-t", "1", "web", check=True)
        body = wait_for(lambda: fetch(f"http://127.0.0.1:{port}/hostname"), timeout=60,
                        interval=0.05, what="the published port after a restart")
        assert body.strip() == cid[:12]
        again = [p for p in user_processes(rl_user.uids[0])
                 if open(f"/proc/{p}/comm").read().startswith(("passt", "pasta"))]
        assert len(again) == 1 and again != pasta
        # No freezer without a cgroup.
        r = rl_user.hull("pause", "web")
        assert r.returncode != 0 and "rootless containers get none" in r.stderr, r.stderr
    finally:
        rm = rl_user.hull("rm", "-f", "web")
    assert rm.returncode == 0, rm.stderr
    # The forwarder went with the container: the port is closed, no pasta is left.
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    with socket.socket(socket.AF_INET6) as s:
        assert s.connect_ex(("::1", port6)) != 0
    assert not [p for p in user_processes(rl_user.uids[0])
                if open(f"/proc/{p}/comm").read().startswith(("passt", "pasta"))]


def test_rootless_default_network_runs_and_is_pasta(rl_user, tun_for_users):
    r = rl_user.hull("run", "--rm", "busybox", "cat", "/proc/net/dev")
    assert r.returncode == 0, r.stderr
    devs = [l.split(":")[0].strip() for l in r.stdout.splitlines() if ":" in l]
    assert "lo" in devs and len(devs) == 2, devs  # and pasta's tap device
    r = rl_user.hull("create", "--name", "c1", "busybox", "true")
    assert r.returncode == 0, r.stderr
    r = rl_user.hull("inspect", "--format", "{{.HostConfig.NetworkMode}}", "c1", check=True)
    assert r.stdout.strip() == "pasta"
    rl_user.hull("rm", "c1", check=True)


def test_rootless_limits_and_bridges_are_refused_clearly(rl_user):
    r = rl_user.hull("run", "--rm", "--network", "none", "-m", "64m", "busybox", "true")
    assert r.returncode != 0
    assert "linux.resources.memory: rootless: resource limits need a delegated cgroup" \
        in r.stderr, r.stderr
    r = rl_user.hull("run", "--rm", "--network", "none", "--pids-limit", "10", "busybox",
                     "true")
    assert r.returncode != 0 and "linux.resources.pids" in r.stderr, r.stderr
    r = rl_user.hull("run", "--rm", "--network", "front", "busybox", "true")
    assert r.returncode != 0
    assert "--network front: rootless hull has no bridge networks" in r.stderr, r.stderr
    r = rl_user.hull("network", "create", "front")
    assert r.returncode != 0 and "rootless hull has no bridge networks" in r.stderr
    # A host port someone listens on: docker's words, before pasta starts.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = rl_user.hull("run", "--rm", "-p", f"127.0.0.1:{port}:80", "busybox", "true")
    assert r.returncode != 0
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in r.stderr, r.stderr
    # Nothing half-made.
    assert rl_user.hull("ps", "-aq", check=True).stdout == ""


def test_rootless_exec_into_a_running_container(rl_user):
    r = rl_user.hull("run", "-d", "--name", "sl", "--network", "none", "busybox", "sleep",
                     "600")
    assert r.returncode == 0, r.stderr
    try:
        r = rl_user.hull("exec", "sl", "sh", "-c", "echo in; cat /proc/1/cmdline")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("in\n")
        # `run -d` returns once the container is started, which (as with runc) may be before
        # its process's execve: pid 1 is then still the runtime's init for a moment.
        wait_for(lambda: rl_user.hull("exec", "sl", "cat", "/proc/1/cmdline",
                                      check=True).stdout.startswith("sleep"),
                 timeout=60, what="the container's execve of sleep")
    finally:
        rl_user.hull("rm", "-f", "sl", check=True)


def test_rootless_without_subordinate_ids_maps_only_the_user():
    """The single-id fallback: a warning, the user alone mapped (to 0), root-owned images run
    (devpts without gid=5, which is not mapped), a layer with another owner is refused."""
    with made_user("n", subids=False) as u:
        assert u.subuid is None
        r = u.hull("run", "--rm", "--network", "none", "busybox", "echo", "hi")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "hi\n"
        assert "no subordinate uids for " in r.stderr and "only your own id is mapped" \
            in r.stderr, r.stderr
        with open(os.path.join(u.xdg, "hull", "pause.pid")) as f:
            pause = int(f.read().split()[0])
        with open(f"/proc/{pause}/uid_map") as f:
            assert [l.split() for l in f.read().splitlines()] == [["0", str(u.pw.pw_uid), "1"]]
        tar = os.path.join(u.home, "owned.tar")
        with tarfile.open(tar, "w") as t:
            info = tarfile.TarInfo("f")
            info.size, info.uid, info.gid = 2, 1000, 1000
            t.addfile(info, io.BytesIO(b"x\n"))
        os.chown(tar, u.pw.pw_uid, u.pw.pw_gid)
        r = u.hull("import", tar, "rl-owned:1")
        assert r.returncode != 0 and "chown `f`: Invalid argument" in r.stderr, r.stderr


def test_rootless_without_a_usable_tun_fails_clearly(rl_user):
    """Where /dev/net/tun is not open to users (this machine's 0600), pasta cannot make the
    container's tap device: `hull run` says so and why, and leaves no container and no pasta.
    Where it is (Debian's 0666), the same run works. Checked under the tun lock with no other
    test holding the device open to users, so the mode seen is the host's own."""
    os.makedirs(TUN_DIR, exist_ok=True)
    result = {}

    def run_alone():
        """Under the lock, once no other worker has the device open to users."""
        with open(os.path.join(TUN_DIR, "lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if [u for u in os.listdir(TUN_DIR) if u.startswith("user.") and
                    os.path.exists(f"/proc/{u.split('.')[1]}")]:
                return False
            result["usable"] = bool(stat.S_IMODE(os.stat(TUN).st_mode) & 0o006)
            result["run"] = rl_user.hull("run", "--rm", "busybox", "echo", "hi")
            return True
    wait_for(run_alone, timeout=600, interval=0.5, what="/dev/net/tun at its own mode")
    usable, r = result["usable"], result["run"]
    if usable:
        assert r.returncode == 0 and r.stdout == "hi\n", r.stderr
    else:
        assert r.returncode != 0
        assert "network: pasta failed (exit status 1): Failed to open tun socket in namespace" \
            " (it opens /dev/net/tun in the container's namespace: see docs/rootless.md)" \
            in r.stderr, r.stderr
    assert rl_user.hull("ps", "-aq", check=True).stdout == ""
    assert not [p for p in user_processes(rl_user.uids[0])
                if open(f"/proc/{p}/comm").read().startswith(("passt", "pasta"))]
