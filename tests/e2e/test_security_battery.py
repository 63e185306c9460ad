"""The escape battery: a hostile workload in a container made from the default spec (`hull-runtime
spec`: runc's three capabilities, no_new_privs, masked and read-only /proc paths, the default
seccomp profile) tries the classic escapes; every attempt must fail with the expected errno."""
import os
import shutil
import tempfile

from conftest import Bundle

from device_util import denied_everywhere, mknod_hostile
from security_util import hardened, results, run, status_fields

EXPECTED = {
    "mount": "EPERM",            # seccomp (and no CAP_SYS_ADMIN)
    "umount": "EPERM",
    "pivot_root": "EPERM",
    "unshare_user": "EPERM",     # allowed without capabilities by the kernel: seccomp stops it
    "clone_newuser": "EPERM",    # clone's namespace flags are masked by the profile
    "keyctl": "EPERM",
    "ptrace_pid1": "EPERM",
    "write_proc_sys": "EROFS",   # readonlyPaths
    "write_sysrq": "EROFS",
    "write_sys": "EROFS",        # sysfs mounted read-only
    "read_kcore": "bytes=0",     # maskedPaths: /dev/null bound over it
    "read_keys": "bytes=0",
    "read_timer_list": "bytes=0",
    "raw_socket": "EPERM",       # no CAP_NET_RAW
    "chown": "EPERM",            # no CAP_CHOWN
    "setns": "EPERM",
    "bpf": "EPERM",
    "io_uring_setup": "EPERM",
}


def test_escape_battery_default_spec(runtime, bundle, tmp_path):
    hardened(bundle, tmp_path, ["/bin/escape-battery", "default"])
    # Nodes the image ships (kmsg, /dev/mem, a loop device, the host's disk): the default
    # spec's device cgroup denies every open, whatever the node's mode says.
    mknod_hostile(os.path.join(bundle.rootfs, "hostile"))
    r = run(runtime, bundle, "battery")
    assert r.returncode == 0, r.stderr
    got = results(r.stdout)
    expected = dict(EXPECTED, **denied_everywhere())
    # Some kernels (this CI's VM) have no /proc/sysrq-trigger or /proc/kcore at all.
    if not os.path.exists("/proc/sysrq-trigger"):
        expected["write_sysrq"] = "ENOENT"
    if not os.path.exists("/proc/kcore"):
        expected["read_kcore"] = "ENOENT"
    assert got == expected, "\n" + r.stdout


def test_status_shows_the_configured_sets(runtime, bundle, tmp_path):
    hardened(bundle, tmp_path, ["cat", "/proc/self/status"])
    r = run(runtime, bundle, "status")
    assert r.returncode == 0, r.stderr
    st = status_fields(r.stdout)
    # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
    mask = "%016x" % ((1 << 29) | (1 << 5) | (1 << 10))
    assert st["CapEff"] == mask
    assert st["CapPrm"] == mask
    assert st["CapBnd"] == mask
    assert st["CapInh"] == "0" * 16
    assert st["CapAmb"] == "0" * 16
    assert st["NoNewPrivs"] == "1"
    assert st["Seccomp"] == "2"
    assert st["Seccomp_filters"] == "1"


def test_status_without_seccomp_and_nnp(runtime, bundle, tmp_path):
    cfg = hardened(bundle, tmp_path, ["cat", "/proc/self/status"])
    del cfg["linux"]["seccomp"]
    cfg["process"]["noNewPrivileges"] = False
    caps = ["CAP_CHOWN", "CAP_SYS_ADMIN"]
    cfg["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps,
                                      "inheritable": ["CAP_CHOWN"], "ambient": ["CAP_CHOWN"]}
    bundle.write(cfg)
    r = run(runtime, bundle, "status2")
    assert r.returncode == 0, r.stderr
    st = status_fields(r.stdout)
    mask = "%016x" % ((1 << 0) | (1 << 21))
    assert st["CapEff"] == mask
    assert st["CapBnd"] == mask
    assert st["CapInh"] == "%016x" % 1
    assert st["CapAmb"] == "%016x" % 1
    assert st["NoNewPrivs"] == "0"
    assert st["Seccomp"] == "0"


def _setuid_run(runtime, bundle, tmp_path, nnp, cid):
    cfg = hardened(bundle, tmp_path, ["/bin/escape-battery-suid", "euid"])
    suid = os.path.join(bundle.rootfs, "bin", "escape-battery-suid")
    os.link(os.path.join(bundle.rootfs, "bin", "escape-battery"), suid) \
        if not os.path.exists(suid) else None
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    cfg["process"]["user"] = {"uid": 1000, "gid": 1000}
    cfg["process"]["noNewPrivileges"] = nnp
    bundle.write(cfg)
    r = run(runtime, bundle, cid)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_setuid_binary_gains_nothing_under_no_new_privs(runtime, bundle, tmp_path):
    assert _setuid_run(runtime, bundle, tmp_path, True, "nnp1") == "euid 1000"
    # The control: without no_new_privs the same binary does become root, so the check above
    # is meaningful.
    assert _setuid_run(runtime, bundle, tmp_path, False, "nnp0") == "euid 0"


def test_user_namespace_maps_match_the_config(runtime, bundle, tmp_path):
    cfg = hardened(bundle, tmp_path, ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; "
                                                  "id -u; grep -E '^Cap(Eff|Bnd):' "
                                                  "/proc/self/status"])
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 1000},
                                   {"containerID": 1000, "hostID": 300000, "size": 10}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 210000, "size": 65536}]
    # The mapped root must be able to reach the rootfs: pytest's tmp dirs are private to root.
    work = tempfile.mkdtemp(prefix="hull-userns-", dir="/tmp")
    try:
        os.chmod(work, 0o755)
        shutil.copytree(bundle.path, os.path.join(work, "b"), symlinks=True)
        moved = Bundle(os.path.join(work, "b"))
        moved.write(cfg)
        r = run(runtime, moved, "userns")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    lines = [l.split() for l in r.stdout.splitlines()]
    assert lines[0] == ["0", "200000", "1000"]
    assert lines[1] == ["1000", "300000", "10"]
    assert lines[2] == ["0", "210000", "65536"]
    assert lines[3] == ["0"]
    mask = "%016x" % ((1 << 29) | (1 << 5) | (1 << 10))
    assert lines[4] == ["CapEff:", mask] and lines[5] == ["CapBnd:", mask]
