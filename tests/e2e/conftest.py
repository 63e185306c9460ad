"""Shared fixtures for hull's end-to-end tests: real containers, run as root.

HULL_BUILD names the build directory under test (set by tests/run-all; default build/).
The suite runs in parallel (pytest-xdist): every fixture here gives a test its own state
(private --root, private cgroup paths, private bundle); see docs/testing.md."""
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
import uuid
import zlib

import pytest

from cgroup_helpers import dirs_named as cgroup_dirs_named

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("HULL_BUILD", os.path.join(TOP, "build"))
RUNTIME = os.path.join(BUILD, "hull-runtime")
HULL = os.path.join(BUILD, "hull")


# Long tests, longest first (VM boots; the cgroup2 suite in a VM takes minutes; Debian image
# builds; the random-kill and fifty-container runs): a module, or one test (module::name
# prefix). They run first, so that with pytest-xdist they overlap the many short tests instead
# of being handed out last and trailing alone at the end of the run (xdist deals tests in
# collection order). Order by the `--durations` of a run on the 2-core machine.
LONG_FIRST = (
    "test_vm_cgroup2_suite.py",
    "test_vm_krunclient.py",
    "test_build_debian.py",
    "test_hull_failures.py::test_run_d_killed_at_random_moments",
    "test_hull_stats.py::test_stats_net_io",
    "test_hull_parallel.py::test_fifty_detached_containers",
    "test_vm_runtime.py",
    "test_compose_up.py",
    "test_hull_events.py",
    "test_podman.py",
)


def pytest_collection_modifyitems(items):
    def rank(item):
        name = os.path.basename(str(item.fspath)) + "::" + item.name
        for i, prefix in enumerate(LONG_FIRST):
            if name.startswith(prefix if "::" in prefix else prefix + "::"):
                return i
        return len(LONG_FIRST)
    items.sort(key=rank)  # stable: the order within each group stays


# LeakSanitizer's check at the exit of every ASan-built process costs about 45 ms on this host
# (it scans the binary's 4 MB of instrumented globals: some 3000 page faults, dear on a
# paravirtualised guest), doubling the cost of each short `hull` command and taking about a fifth
# of the ASan e2e run. The C unit tests check every exit for leaks; the e2e tests check them in
# a fixed one of every HULL_TEST_LEAK_SAMPLE tests (by a hash of the test's id, so the same tests
# every run: a leak found once is found again), default 3; 1 checks every test (docs/testing.md).
LEAK_SAMPLE = max(int(os.environ.get("HULL_TEST_LEAK_SAMPLE", "3")), 1)


def leak_checked(nodeid):
    return zlib.crc32(nodeid.encode()) % LEAK_SAMPLE == 0


@pytest.fixture(autouse=True)
def leak_check_sample(request, monkeypatch):
    opts = os.environ.get("ASAN_OPTIONS", "")
    if "detect_leaks=1" in opts and not leak_checked(request.node.nodeid):
        monkeypatch.setenv("ASAN_OPTIONS", opts.replace("detect_leaks=1", "detect_leaks=0"))


@pytest.fixture(scope="session")
def seeded_data_root(tmp_path_factory):
    """A data root that holds only the built-in busybox image, seeded once per worker (read it,
    don't write): each test's private root starts as a copy of it. Seeding builds and unpacks
    the busybox layer on a store's first use, which costs far more than copying its result
    (test_image_store.py still seeds its own stores, and checks that seeding does this)."""
    root = str(tmp_path_factory.mktemp("seeded") / "data-root")
    subprocess.run([HULL, "--data-root", root, "images"], check=True, capture_output=True,
                   timeout=120)
    yield root
    # The seed's directory in hull's per-boot run directory (container/store.h).
    st = os.stat(root)
    shutil.rmtree(f"/run/hull-containers/{st.st_dev:x}-{st.st_ino:x}", ignore_errors=True)


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


def wait_for(predicate, timeout=120, interval=0.02, what="condition"):
    """Poll `predicate` until it returns something true and return that; fail the test after
    `timeout` seconds. Generous: the suite must pass under ASan on a 2-core machine that
    `stress-ng --cpu 2` and other work load twenty times over, where one `hull run` can take
    half a minute (30s was seen to run out there); a passing wait returns as soon as it can."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_exit(pid, timeout=120):
    """Wait (on a pidfd, not by polling) until process `pid` has exited; True when it has.
    Works for processes that are not our children; a zombie counts as exited."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    finally:
        os.close(fd)


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
    """Drives build/hull-runtime with a private --root and cleans up after the test.

    Parallel safety: a config without `linux.cgroupsPath` would put container `c1` of every
    test into the same cgroup `/hull/c1`. So `create` and `run` through this fixture give such
    a config the path `/hulltest-<token>/<id>` (token unique per test) before the runtime
    reads it. A test that means the runtime's default sets `"cgroupsPath": ""` and picks a
    unique id; so does one that creates containers from one bundle in several threads at once
    (the rewrite would race with the runtime reading the file)."""

    def __init__(self, root):
        self.root = root
        self.binary = RUNTIME
        self.cgroup_top = f"/hulltest-{uuid.uuid4().hex[:12]}"

    def cmd(self, *args, root=True):
        base = [self.binary]
        if root:
            base += ["--root", self.root]
        args = [str(a) for a in args]
        self._private_cgroup(args)
        return base + args

    def _private_cgroup(self, args):
        """For `create`/`run`: give the bundle's config a per-test cgroup path when it has none."""
        verbs = [i for i, a in enumerate(args) if a in ("create", "run")]
        cid = args[-1] if args else ""
        if not verbs or not cid or cid.startswith("-") or "/" in cid:
            return
        bundle = "."
        rest = args[verbs[0] + 1:]
        for i, a in enumerate(rest):
            if a in ("-b", "--bundle") and i + 1 < len(rest):
                bundle = rest[i + 1]
            elif a.startswith("--bundle="):
                bundle = a.split("=", 1)[1]
        path = os.path.join(bundle, "config.json")
        try:
            with open(path) as f:
                cfg = json.load(f)
        except (OSError, ValueError):
            return
        linux = cfg.get("linux") if isinstance(cfg, dict) else None
        if not isinstance(linux, dict):
            return
        # None: unset; ours for another id: the same bundle run again under a new id.
        current, mine = linux.get("cgroupsPath"), f"{self.cgroup_top}/{cid}"
        if current is not None and not (isinstance(current, str) and current != mine and
                                        current.startswith(self.cgroup_top + "/")):
            return
        linux["cgroupsPath"] = mine
        tmp = f"{path}.{uuid.uuid4().hex}"
        with open(tmp, "w") as f:
            json.dump(cfg, f, indent=1)
        os.rename(tmp, path)

    def __call__(self, *args, check=False, timeout=60, input=None, root=True, **kw):
        """Run hull-runtime; stdout/stderr go through files, not pipes: a created or detached
        container inherits them and would hold a pipe open long after the runtime exits."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            io = {"input": input.encode()} if input is not None else {"stdin": subprocess.DEVNULL}
            p = subprocess.run(self.cmd(*args, root=root), stdout=out, stderr=err,
                               timeout=timeout, **io, **kw)
            out.seek(0)
            err.seek(0)
            r = subprocess.CompletedProcess(p.args, p.returncode, out.read().decode(),
                                            err.read().decode())
        if check:
            r.check_returncode()
        return r

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
    # Every cgroup the test's containers had is gone (the kernel may take a moment to drain).
    try:
        wait_for(lambda: not cgroup_dirs_named(rt.cgroup_top), what="cgroups to go")
    except AssertionError:
        raise AssertionError(f"cgroups left behind: {cgroup_dirs_named(rt.cgroup_top)}")
