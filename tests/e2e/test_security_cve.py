"""Regression tests for the container escapes that hit runc and crun:
CVE-2019-5736 (overwriting the runtime binary through /proc/<pid>/exe), CVE-2021-30465 (mount
destination swapped for a symlink while the runtime mounts), CVE-2024-21626 (leaked host fd as
working directory)."""
import ctypes
import errno
import hashlib
import os
import subprocess
import threading

import pytest

from conftest import RUNTIME, default_config, wait_for
from security_util import create


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def runtime_rootfs(bundle):
    """Let the (dynamically linked) runtime binary run inside the busybox rootfs: the host's
    libraries bound read-only."""
    cfg = default_config()
    for d in ("usr/lib", "usr/lib64"):
        os.makedirs(os.path.join(bundle.rootfs, d), exist_ok=True)
        cfg["mounts"].append({"destination": "/" + d, "type": "bind", "source": "/" + d,
                              "options": ["rbind", "ro", "nosuid", "nodev"]})
    for link in ("lib", "lib64"):
        p = os.path.join(bundle.rootfs, link)
        if not os.path.lexists(p):
            os.symlink("usr/" + link, p)
    return cfg


def test_runtime_binary_is_unwritable_from_the_container(runtime, bundle):
    """The container's first process runs the runtime's binary until execve. A rootfs whose
    entrypoint is /proc/self/exe makes the kernel exec that very binary inside the container
    (the CVE-2019-5736 trick); it then blocks opening a FIFO, holding /proc/1/exe."""
    before = sha256(RUNTIME)
    cfg = runtime_rootfs(bundle)
    os.mkfifo(os.path.join(bundle.rootfs, "fifo"))
    cfg["process"]["args"] = ["/proc/self/exe", "--log", "/fifo", "list"]
    bundle.write(cfg)
    # Detached, with no pipe the container could hold open.
    with open(os.path.join(bundle.path, "create.log"), "w+") as log:
        r = subprocess.run(runtime.cmd("run", "-d", "-b", bundle.path, "exe"),
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=30)
        log.seek(0)
        assert r.returncode == 0, log.read()
    pid = runtime.state("exe")["pid"]
    # It is the runtime's binary the container process now runs...
    assert wait_for(lambda: os.path.samefile(f"/proc/{pid}/exe", RUNTIME) or
                    os.readlink(f"/proc/{pid}/exe").startswith("/memfd:"))
    # While it runs, the kernel refuses writers anyway (ETXTBSY), from the host...
    with pytest.raises(OSError) as e:
        os.open(f"/proc/{pid}/exe", os.O_WRONLY)
    assert e.value.errno in (errno.ETXTBSY, errno.EROFS)
    # ...and from inside the container (its root, its pid namespace).
    r = subprocess.run(["nsenter", "-t", str(pid), "-m", "-p", "-r", "-w", "/bin/sh", "-c",
                        ": 3<> /proc/1/exe"], capture_output=True, text=True, timeout=20)
    assert r.returncode != 0, r.stderr
    assert "Text file busy" in r.stderr or "Read-only file system" in r.stderr, r.stderr
    # The attack proper: keep a handle, let the runtime exit, reopen for writing.
    keep = os.open(f"/proc/{pid}/exe", os.O_PATH)
    try:
        fifo = os.open(os.path.join(bundle.rootfs, "fifo"), os.O_RDONLY | os.O_NONBLOCK)
        assert wait_for(lambda: runtime.state("exe")["status"] == "stopped")
        os.close(fifo)
        with pytest.raises(OSError) as e:
            os.open(f"/proc/self/fd/{keep}", os.O_WRONLY)
        # The handle is on a read-only mount. The kernel checks ETXTBSY first, which is what
        # it reports while other tests (in parallel) run the same binary.
        assert e.value.errno in (errno.EROFS, errno.ETXTBSY)
        assert os.fstatvfs(keep).f_flag & os.ST_RDONLY
    finally:
        os.close(keep)
        runtime("delete", "-f", "exe")
    assert sha256(RUNTIME) == before


RENAME_EXCHANGE = 2


def test_mount_destination_swapped_for_a_symlink_stays_inside_the_rootfs(runtime, bundle,
                                                                         tmp_path):
    """CVE-2021-30465: while the runtime mounts, a process swaps a directory on the mount path
    with a symlink to a host directory. Mount targets are resolved with RESOLVE_IN_ROOT and
    mounted through the resolved fd, so nothing is ever created or mounted outside."""
    outside = tmp_path / "host-dir"
    outside.mkdir()
    (outside / "marker").write_text("host\n")
    mnt = os.path.join(bundle.rootfs, "mnt")
    os.makedirs(os.path.join(mnt, "a"), exist_ok=True)
    os.symlink(str(outside), os.path.join(mnt, "swap"))
    cfg = default_config(["/bin/true"])
    cfg["mounts"].append({"destination": "/mnt/a/created", "type": "tmpfs", "source": "tmpfs"})
    cfg["mounts"].append({"destination": "/mnt/a/file", "type": "bind", "source": "/etc/hostname",
                          "options": ["bind", "ro"]})
    bundle.write(cfg)
    libc = ctypes.CDLL(None, use_errno=True)
    stop = threading.Event()

    def swapper():
        a, b = os.path.join(mnt, "a").encode(), os.path.join(mnt, "swap").encode()
        while not stop.is_set():
            libc.renameat2(-100, a, -100, b, RENAME_EXCHANGE)

    t = threading.Thread(target=swapper, daemon=True)
    t.start()
    outcomes = set()
    try:
        for i in range(25):
            rc, _ = create(runtime, bundle, f"swap{i}")
            outcomes.add(rc)
            if rc == 0:
                pid = runtime.state(f"swap{i}")["pid"]
                with open(f"/proc/{pid}/mountinfo") as f:
                    info = f.read()
                assert str(outside) not in info
            runtime("delete", "-f", f"swap{i}")
    finally:
        stop.set()
        t.join()
    print("create outcomes", outcomes)
    assert sorted(os.listdir(outside)) == ["marker"], "a mount target was created on the host"
    assert (outside / "marker").read_text() == "host\n"
    with open("/proc/self/mountinfo") as f:
        assert str(outside) not in f.read()
    assert runtime.ids() == []


def test_mount_destinations_through_image_symlinks_land_inside_the_root(runtime, bundle,
                                                                       tmp_path):
    """Image symlinks to host paths as the destinations of a tmpfs, of a read-only directory
    bind with a propagation, of a read-only file bind and of a masked path: each mount lands on
    the path as resolved inside the rootfs (mounted through the resolved fd, never a path
    walked again), the host paths stay untouched."""
    host = tmp_path / "host"
    for d in ("tmp", "dir", "masked"):
        (host / d).mkdir(parents=True)
        (host / d / "marker").write_text("host\n")
    (host / "file").write_text("host\n")
    src = tmp_path / "src"
    src.mkdir()
    (src / "inside").write_text("inside\n")
    (tmp_path / "src-file").write_text("inside\n")
    for name in ("tmp", "dir", "file", "masked"):
        os.symlink(str(host / name), os.path.join(bundle.rootfs, "link-" + name))
    cfg = default_config(["sh", "-c", "cat /proc/self/mountinfo; ls -A " + str(host / "tmp")
                          + "; cat " + str(host / "dir" / "inside") + " " + str(host / "file")
                          + "; ls -A " + str(host / "masked") + "; echo done"])
    cfg["mounts"] += [
        {"destination": "/link-tmp", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/link-dir", "type": "bind", "source": str(src),
         "options": ["rbind", "ro", "rprivate"]},
        {"destination": "/link-file", "type": "bind", "source": str(tmp_path / "src-file"),
         "options": ["bind", "ro"]},
    ]
    cfg["linux"]["maskedPaths"] = [str(host / "masked")]
    # The same paths inside the rootfs, where the symlinks resolve (a dangling destination is
    # refused, not created).
    inside = os.path.join(bundle.rootfs, str(host).lstrip("/"))
    for d in ("tmp", "dir", "masked"):
        os.makedirs(os.path.join(inside, d))
    open(os.path.join(inside, "file"), "w").close()
    bundle.write(cfg)
    r = runtime("run", "-b", bundle.path, "symdest")
    runtime("delete", "-f", "symdest")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[-3:] == ["inside", "inside", "done"], r.stdout
    points = {l.split()[4]: l.split()[5].split(",") for l in lines if len(l.split()) > 6}
    for name in ("tmp", "dir", "file", "masked"):
        assert str(host / name) in points, r.stdout
    assert "ro" in points[str(host / "dir")] and "ro" in points[str(host / "file")], r.stdout
    for d in ("tmp", "dir", "masked"):
        assert os.listdir(host / d) == ["marker"]
    assert (host / "file").read_text() == "host\n"
    with open("/proc/self/mountinfo") as f:
        assert str(host) not in f.read()


def test_no_host_fd_reaches_the_container(runtime, bundle, tmp_path):
    """CVE-2024-21626: descriptors the runtime inherits (here a host directory) are closed
    before the container's program runs."""
    host_dir = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        cfg = default_config(["sh", "-c", "ls /proc/self/fd; readlink /proc/self/fd/* || true"])
        bundle.write(cfg)
        r = subprocess.run(runtime.cmd("run", "-b", bundle.path, "fds"),
                           capture_output=True, text=True, timeout=30, pass_fds=(host_dir,))
        runtime("delete", "-f", "fds")
    finally:
        os.close(host_dir)
    assert r.returncode == 0, r.stderr
    fds = [l for l in r.stdout.split() if l.isdigit()]
    assert set(fds) <= {"0", "1", "2", "3"}, r.stdout
    assert str(tmp_path) not in r.stdout


def test_cwd_through_a_leaked_fd_is_refused(runtime, bundle, tmp_path):
    """CVE-2024-21626: process.cwd = /proc/self/fd/N naming an inherited host directory."""
    host_dir = os.open(str(tmp_path), os.O_RDONLY | os.O_DIRECTORY)
    try:
        cfg = default_config(["pwd"])
        cfg["process"]["cwd"] = f"/proc/self/fd/{host_dir}"
        bundle.write(cfg)
        r = subprocess.run(runtime.cmd("create", "-b", bundle.path, "cwd"),
                           capture_output=True, text=True, timeout=30, pass_fds=(host_dir,))
    finally:
        os.close(host_dir)
    assert r.returncode != 0
    assert "process.cwd" in r.stderr and "outside the container" in r.stderr, r.stderr
    assert runtime.ids() == []


def test_sysctl_write_cannot_be_redirected_by_a_rootfs_symlink(runtime, bundle, tmp_path):
    """A symlink in the image turns an innocent mount destination into /proc/sys/kernel, so a
    host directory covers it; the runtime's sysctl write must not land in that directory."""
    host = tmp_path / "host-knobs"
    host.mkdir()
    (host / "shmmax").write_text("untouched\n")
    os.symlink("/proc/sys/kernel", os.path.join(bundle.rootfs, "evil"))
    cfg = default_config(["/bin/true"])
    cfg["mounts"].append({"destination": "/evil", "type": "bind", "source": str(host),
                          "options": ["bind"]})
    cfg["linux"]["sysctl"] = {"kernel.shmmax": "4096"}
    bundle.write(cfg)
    rc, err = create(runtime, bundle, "sysctl")
    runtime("delete", "-f", "sysctl")
    assert rc != 0
    assert "linux.sysctl.kernel.shmmax" in err and "covered by a mount" in err, err
    assert (host / "shmmax").read_text() == "untouched\n"
    assert runtime.ids() == []


def test_sysctl_in_the_container_namespace_works(runtime, bundle):
    cfg = default_config(["cat", "/proc/sys/kernel/shmmax"])
    cfg["linux"]["sysctl"] = {"kernel.shmmax": "4096"}
    bundle.write(cfg)
    r = runtime("run", "-b", bundle.path, "sysctl2")
    runtime("delete", "-f", "sysctl2")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "4096"
