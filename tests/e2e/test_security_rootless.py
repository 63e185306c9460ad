"""Rootless: an unprivileged user created by the test runs `spec --rootless` containers end to
end, state under $XDG_RUNTIME_DIR/hull, id maps written directly (own uid/gid, setgroups denied)
or through newuidmap/newgidmap (subordinate ranges)."""
import fcntl
import json
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from conftest import RUNTIME

USER = "hull-rootless-test"


USERS_DIR = "/run/lock/hull-test-rootless"  # a file per process using the user, and a lock


@pytest.fixture(scope="module")
def rootless_user():
    """The user, shared by the parallel workers (and concurrent runs): made by the first,
    removed by the last one that leaves, all under a lock."""
    os.makedirs(USERS_DIR, exist_ok=True)
    me = os.path.join(USERS_DIR, f"user.{os.getpid()}")
    with open(os.path.join(USERS_DIR, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            pwd.getpwnam(USER)
        except KeyError:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", USER],
                           check=True)
            open(os.path.join(USERS_DIR, "created"), "w").close()
        open(me, "w").close()
        pw = pwd.getpwnam(USER)
    yield pw
    with open(os.path.join(USERS_DIR, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.unlink(me)
        users = [u for u in os.listdir(USERS_DIR) if u.startswith("user.") and
                 os.path.exists(f"/proc/{u.split('.')[1]}")]  # a crashed run does not count
        created = os.path.join(USERS_DIR, "created")
        if not users and os.path.exists(created):
            subprocess.run(["userdel", USER], check=False)
            os.unlink(created)


@pytest.fixture
def rootless_env(rootless_user, busybox_rootfs):
    """A world-traversable work dir owned by the user: bundle + XDG_RUNTIME_DIR."""
    work = tempfile.mkdtemp(prefix="hull-rootless-", dir="/tmp")
    os.chmod(work, 0o755)
    bundle = os.path.join(work, "bundle")
    xdg = os.path.join(work, "xdg")
    os.makedirs(xdg)
    os.makedirs(bundle)
    subprocess.run(["cp", "-a", busybox_rootfs, os.path.join(bundle, "rootfs")], check=True)
    subprocess.run(["chown", "-R", f"{rootless_user.pw_uid}:{rootless_user.pw_gid}", work],
                   check=True)
    os.chmod(xdg, 0o700)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "XDG_RUNTIME_DIR": xdg, "HOME": work}

    def as_user(*args, timeout=60):
        return subprocess.run(["setpriv", f"--reuid={rootless_user.pw_uid}",
                               f"--regid={rootless_user.pw_gid}", "--clear-groups", RUNTIME]
                              + list(args), capture_output=True, text=True, env=env,
                              timeout=timeout, cwd=work, stdin=subprocess.DEVNULL)

    yield bundle, xdg, as_user
    # Anything left: delete it as the user, then remove the files as root.
    state = os.path.join(xdg, "hull")
    if os.path.isdir(state):
        for cid in os.listdir(state):
            if not cid.startswith("."):
                as_user("delete", "-f", cid)
    shutil.rmtree(work, ignore_errors=True)


def write_config(bundle, mutate):
    with open(os.path.join(bundle, "config.json")) as f:
        cfg = json.load(f)
    mutate(cfg)
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(cfg, f)


def test_rootless_run_end_to_end(rootless_user, rootless_env):
    bundle, xdg, as_user = rootless_env
    r = as_user("spec", "--rootless", "-b", bundle)
    assert r.returncode == 0, r.stderr
    uid, gid = rootless_user.pw_uid, rootless_user.pw_gid

    def mutate(cfg):
        cfg["process"]["args"] = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map "
                                  "/proc/self/setgroups; id -u; grep -E '^(Seccomp|NoNewPrivs):' "
                                  "/proc/self/status"]
    write_config(bundle, mutate)
    # create: the state lives under $XDG_RUNTIME_DIR/hull, owned by the user.
    with open(os.path.join(bundle, "..", "out.txt"), "w+") as out:
        r = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                            RUNTIME, "create", "-b", bundle, "rl"], stdout=out, stderr=out,
                           env={"XDG_RUNTIME_DIR": xdg, "PATH": "/usr/bin:/bin"},
                           stdin=subprocess.DEVNULL, timeout=60)
        out.seek(0)
        assert r.returncode == 0, out.read()
    st = os.stat(os.path.join(xdg, "hull", "rl"))
    assert st.st_uid == uid
    r = as_user("state", "rl")
    assert json.loads(r.stdout)["status"] == "created", r.stderr
    r = as_user("start", "rl")
    assert r.returncode == 0, r.stderr
    r = as_user("delete", "-f", "rl")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(xdg, "hull", "rl"))
    # run: the same config attached, and what the container sees.
    r = as_user("run", "-b", bundle, "rl2")
    as_user("delete", "-f", "rl2")
    assert r.returncode == 0, r.stderr
    lines = [l.split() for l in r.stdout.splitlines()]
    assert lines[0] == ["0", str(uid), "1"]
    assert lines[1] == ["0", str(gid), "1"]
    assert lines[2] == ["deny"]
    assert lines[3] == ["0"]
    assert ["Seccomp:", "2"] in lines and ["NoNewPrivs:", "1"] in lines


def subid_start(path, user):
    with open(path) as f:
        for line in f:
            name, start, count = line.strip().split(":")
            if name == user and int(count) >= 65536:
                return int(start)
    return None


def test_rootless_with_subordinate_ids_uses_newuidmap(rootless_user, rootless_env):
    bundle, _, as_user = rootless_env
    sub_uid = subid_start("/etc/subuid", USER)
    sub_gid = subid_start("/etc/subgid", USER)
    assert sub_uid and sub_gid, "useradd gives new users subordinate ids on Debian"
    r = as_user("spec", "--rootless", "-b", bundle)
    assert r.returncode == 0, r.stderr
    uid, gid = rootless_user.pw_uid, rootless_user.pw_gid

    def mutate(cfg):
        cfg["process"]["args"] = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map "
                                  "/proc/self/setgroups"]
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": uid, "size": 1},
                                       {"containerID": 1, "hostID": sub_uid, "size": 65536}]
        cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": gid, "size": 1},
                                       {"containerID": 1, "hostID": sub_gid, "size": 65536}]
    write_config(bundle, mutate)
    r = as_user("run", "-b", bundle, "rl3")
    as_user("delete", "-f", "rl3")
    assert r.returncode == 0, r.stderr
    lines = [l.split() for l in r.stdout.splitlines()]
    assert lines[0] == ["0", str(uid), "1"] and lines[1] == ["1", str(sub_uid), "65536"]
    assert lines[2] == ["0", str(gid), "1"] and lines[3] == ["1", str(sub_gid), "65536"]
    assert lines[4] == ["allow"]


def test_rootless_mapping_outside_the_subordinate_range_is_refused(rootless_env):
    bundle, xdg, as_user = rootless_env
    r = as_user("spec", "--rootless", "-b", bundle)
    assert r.returncode == 0, r.stderr

    def mutate(cfg):
        cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 0, "size": 1}]
    write_config(bundle, mutate)
    r = as_user("run", "-b", bundle, "rl4")
    assert r.returncode != 0
    assert "linux.uidMappings: /usr/bin/newuidmap failed" in r.stderr, r.stderr
    state = os.path.join(xdg, "hull")
    assert [n for n in os.listdir(state) if not n.startswith(".")] == []
