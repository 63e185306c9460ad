"""Helpers shared by the cgroup e2e tests (test_cgroups.py on this hybrid host, test_cgroup_v2.py
on a pure cgroup2 host): where the hierarchies are, unique cgroup paths, detached containers."""
import os
import subprocess
import tempfile
import uuid

# A container script prefix: wait until the test creates /tmp/go in the rootfs.
WAIT_GO = "while [ ! -e /tmp/go ]; do sleep 0.02; done; "


def cgroup_mounts():
    """Every mounted cgroup hierarchy (v1 and v2) of this host."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] in ("cgroup", "cgroup2"):
                mounts.append(left.split()[4])
    return mounts


def controller_dir(controller):
    """The mount point of the v1 hierarchy of `controller` (None when there is none)."""
    for m in cgroup_mounts():
        if os.path.basename(m) == controller:
            return m
    return None


def dirs_named(path):
    """Directories of cgroup `path` that exist in any hierarchy."""
    return [m + path for m in cgroup_mounts() if os.path.isdir(m + path)]


def read(path):
    with open(path) as f:
        return f.read().strip()


def keyed(path):
    """A flat-keyed cgroup file (`key value` lines) as a dict."""
    return {k: v for k, v in (l.split(" ", 1) for l in read(path).splitlines())}


def unique_path(cid):
    """A cgroupsPath no other test (or concurrent run of the suite) uses."""
    return f"/hulltest-{uuid.uuid4().hex[:8]}/{cid}"


def with_resources(bundle, args, resources, cgroups_path=None, **linux):
    """Configure `bundle` to run `args` with `linux.resources` (and other linux fields)."""
    bundle.config["process"]["args"] = args
    bundle.config["linux"]["resources"] = resources
    if cgroups_path:
        bundle.config["linux"]["cgroupsPath"] = cgroups_path
    bundle.config["linux"].update(linux)
    bundle.write()


def go(bundle):
    """Release a container waiting in WAIT_GO."""
    open(os.path.join(bundle.rootfs, "tmp", "go"), "w").close()


def detached(runtime, *args):
    """`run -d`: the container keeps the runtime's stdio, so give it files, not pipes."""
    with tempfile.TemporaryFile("w+") as err:
        r = subprocess.run(runtime.cmd(*args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=60)
        err.seek(0)
        return subprocess.CompletedProcess(r.args, r.returncode, "", err.read())


def run_detached(runtime, bundle, cid):
    r = detached(runtime, "run", "-d", "-b", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    return runtime.state(cid)["pid"]


def delete(runtime, cid):
    r = runtime("delete", "--force", cid)
    assert r.returncode == 0, r.stderr


# ---- BPF programs on cgroup2 directories (raw bpf(2) through ctypes: no bpftool here)
_SYS_BPF = 321
BPF_CGROUP_DEVICE = 6


def _bpf(cmd, attr):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(bytes(attr).ljust(144, b"\0"), 144)
    rc = libc.syscall(_SYS_BPF, cmd, buf, 144)
    if rc < 0:
        raise OSError(ctypes.get_errno(), f"bpf({cmd})")
    return rc, buf


def bpf_device_programs(cgroup_dir):
    """IDs of the device programs attached to a cgroup2 directory."""
    import ctypes
    import struct
    ids = (ctypes.c_uint32 * 16)()
    fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        attr = struct.pack("IIIIQI", fd, BPF_CGROUP_DEVICE, 0, 0, ctypes.addressof(ids), 16)
        _, buf = _bpf(16, attr)  # BPF_PROG_QUERY
    finally:
        os.close(fd)
    count = struct.unpack_from("I", buf.raw, 24)[0]
    return list(ids[:count])


def bpf_program_tag(prog_id):
    """The kernel's tag (hash of the loaded instructions) of a program, as hex."""
    import ctypes
    import struct
    fd, _ = _bpf(13, struct.pack("I", prog_id))  # BPF_PROG_GET_FD_BY_ID
    try:
        info = ctypes.create_string_buffer(256)
        _bpf(15, struct.pack("IIQ", fd, 256, ctypes.addressof(info)))  # BPF_OBJ_GET_INFO_BY_FD
        return info.raw[8:16].hex()
    finally:
        os.close(fd)


def bpf_attach_allow_all(cgroup_dir):
    """Load a device program that allows everything and attach it alone (flags 0, replacing a
    program attached the same way) to a cgroup2 directory. Returns its id (from the program
    itself: what the directory holds may change meanwhile)."""
    import ctypes
    import struct
    insns = ctypes.create_string_buffer(
        struct.pack("<BBhi", 0xb7, 0, 0, 1) + struct.pack("<BBhi", 0x95, 0, 0, 0))  # r0 = 1; exit
    lic = ctypes.create_string_buffer(b"GPL")
    prog, _ = _bpf(5, struct.pack("IIQQ", 15, 2, ctypes.addressof(insns), ctypes.addressof(lic)))
    fd = os.open(cgroup_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        _bpf(8, struct.pack("IIII", fd, prog, BPF_CGROUP_DEVICE, 0))  # BPF_PROG_ATTACH
        info = ctypes.create_string_buffer(256)
        _bpf(15, struct.pack("IIQ", prog, 256, ctypes.addressof(info)))  # BPF_OBJ_GET_INFO_BY_FD
        return struct.unpack_from("I", info.raw, 4)[0]
    finally:
        os.close(fd)
        os.close(prog)
