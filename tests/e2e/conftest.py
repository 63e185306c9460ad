"""Shared fixtures for hull's end-to-end tests: real containers, run as root.

HULL_BUILD names the build directory under test (set by tests/run-all; default build/)."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("HULL_BUILD", os.path.join(TOP, "build"))
RUNTIME = os.path.join(BUILD, "hull-runtime")
HULL = os.path.join(BUILD, "hull")


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory):
    """A busybox root filesystem assembled from Debian's busybox-static (read it, don't write)."""
    dest = tmp_path_factory.mktemp("busybox") / "rootfs"
    subprocess.run([os.path.join(TOP, "tests", "fixtures", "make-busybox-rootfs"), str(dest)],
                   check=True)
    return str(dest)


def default_config(args=None, terminal=False):
    """A minimal runtime-spec config the way tests want it: new namespaces, standard mounts."""
    return {
        "ociVersion": "1.2.0",
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": args or ["/bin/true"],
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
        },
        "root": {"path": "rootfs", "readonly": False},
        "hostname": "hull-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
        },
    }


class Bundle:
    def __init__(self, path):
        self.path = path
        self.rootfs = os.path.join(path, "rootfs")
        self.config = default_config()

    def write(self, config=None):
        if config is not None:
            self.config = config
        with open(os.path.join(self.path, "config.json"), "w") as f:
            if isinstance(self.config, str):
                f.write(self.config)
            else:
                json.dump(self.config, f, indent=1)
        return self


@pytest.fixture
def bundle(busybox_rootfs, tmp_path):
    """A bundle directory with a private copy of the busybox rootfs and the default config."""
    path = tmp_path / "bundle"
    path.mkdir()
    subprocess.run(["cp", "-a", busybox_rootfs, str(path / "rootfs")], check=True)
    b = Bundle(str(path))
    b.write()
    return b


class Runtime:
    """Drives build/hull-runtime with a private --root and cleans up after the test."""

    def __init__(self, root):
        self.root = root
        self.binary = RUNTIME

    def cmd(self, *args, root=True):
        base = [self.binary]
        if root:
            base += ["--root", self.root]
        return base + [str(a) for a in args]

    def __call__(self, *args, check=False, timeout=60, input=None, root=True, **kw):
        return subprocess.run(self.cmd(*args, root=root), capture_output=True, text=True,
                              timeout=timeout, check=check, input=input, **kw)

    def state(self, cid):
        r = self("state", cid)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def ids(self):
        if not os.path.isdir(self.root):
            return []
        return sorted(n for n in os.listdir(self.root) if not n.startswith("."))


def mounts_mentioning(text):
    with open("/proc/self/mountinfo") as f:
        return [l for l in f if text in l]


@pytest.fixture
def runtime(tmp_path):
    root = tempfile.mkdtemp(prefix="hull-root-")
    rt = Runtime(root)
    yield rt
    leftovers = rt.ids()
    for cid in leftovers:
        subprocess.run(rt.cmd("delete", "--force", cid), capture_output=True, timeout=30)
    remaining = rt.ids()
    shutil.rmtree(root, ignore_errors=True)
    assert not remaining, f"containers left behind that delete --force could not remove: {remaining}"
