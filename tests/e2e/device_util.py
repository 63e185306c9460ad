"""Device nodes a hostile image ships (test_devices.py, test_security_battery.py): the host's
kernel log, /dev/mem, a loop device and the host's first disk, all mode 0666."""
import os
import stat
import tarfile


def host_disk():
    """(name, major, minor) of the first block device in /proc/partitions."""
    with open("/proc/partitions") as f:
        for line in f.read().splitlines()[2:]:
            parts = line.split()
            if len(parts) == 4:
                return parts[3], int(parts[0]), int(parts[1])
    raise AssertionError("no block device in /proc/partitions")


def hostile_nodes():
    """{name: (kind, major, minor)}, kind "c" or "b"."""
    _, dmaj, dmin = host_disk()
    return {"kmsg": ("c", 1, 11), "mem": ("c", 1, 1), "loop": ("b", 7, 0),
            "disk": ("b", dmaj, dmin)}


def mknod_hostile(directory):
    """Create the nodes in `directory` (a rootfs path on the host)."""
    os.makedirs(directory, exist_ok=True)
    for name, (kind, major, minor) in hostile_nodes().items():
        mode = (stat.S_IFCHR if kind == "c" else stat.S_IFBLK) | 0o666
        os.mknod(os.path.join(directory, name), mode, os.makedev(major, minor))
        os.chmod(os.path.join(directory, name), 0o666)


def add_hostile(t, directory="hostile"):
    """Add the nodes under `directory` to a tarfile (a layer)."""
    info = tarfile.TarInfo(directory)
    info.type, info.mode = tarfile.DIRTYPE, 0o755
    t.addfile(info)
    for name, (kind, major, minor) in hostile_nodes().items():
        info = tarfile.TarInfo(f"{directory}/{name}")
        info.type = tarfile.CHRTYPE if kind == "c" else tarfile.BLKTYPE
        info.devmajor, info.devminor, info.mode = major, minor, 0o666
        t.addfile(info)


def denied_everywhere(prefix="dev_"):
    """The battery's expected lines when every open of every node is refused by the cgroup."""
    return {f"{prefix}{n}_{op}": "EPERM" for n in hostile_nodes() for op in ("read", "write")}
