"""Malformed or unusable security fields: one clear line naming the field, nothing left behind."""
import pytest

from security_util import hardened, run


def seccomp_with(**fields):
    base = {"defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}
    base.update(fields)
    return base


CASES = [
    ("linux.seccomp", {}, "config.json: linux.seccomp.defaultAction: missing"),
    ("linux.seccomp", seccomp_with(defaultAction="SCMP_ACT_FOO"),
     "config.json: linux.seccomp.defaultAction: unknown action `SCMP_ACT_FOO`"),
    ("linux.seccomp", seccomp_with(defaultAction="SCMP_ACT_NOTIFY"),
     "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action"),
    ("linux.seccomp", seccomp_with(defaultErrnoRet=1),
     "linux.seccomp.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"),
    ("linux.seccomp", seccomp_with(architectures=["SCMP_ARCH_VAX"]),
     "linux.seccomp.architectures: unknown architecture `SCMP_ARCH_VAX`"),
    ("linux.seccomp", seccomp_with(flags=["SECCOMP_FILTER_FLAG_MAGIC"]),
     "linux.seccomp.flags: unknown flag `SECCOMP_FILTER_FLAG_MAGIC`"),
    ("linux.seccomp", seccomp_with(listenerPath="relative.sock"),
     "linux.seccomp.listenerPath: `relative.sock` is not an absolute path"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]),
     "linux.seccomp.listenerPath: required when an action is SCMP_ACT_NOTIFY"),
    ("linux.seccomp", seccomp_with(syscalls=[{"action": "SCMP_ACT_ERRNO"}]),
     "linux.seccomp.syscalls[0].names: missing or empty"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["mkdir"]}]),
     "linux.seccomp.syscalls[0].action: missing"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW",
                                              "errnoRet": 5}]),
     "linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                                              "args": [{"index": 6, "value": 1,
                                                        "op": "SCMP_CMP_EQ"}]}]),
     "linux.seccomp.syscalls[0].args[0].index: 6 is out of range"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                                              "args": [{"index": 0, "value": 1,
                                                        "op": "SCMP_CMP_ABOUT"}]}]),
     "linux.seccomp.syscalls[0].args[0].op: unknown operator `SCMP_CMP_ABOUT`"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO",
                                              "args": [{"index": 0, "op": "SCMP_CMP_EQ"}]}]),
     "linux.seccomp.syscalls[0].args[0].value: missing"),
    ("linux.seccomp", seccomp_with(syscalls=[{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}],
                                   listenerPath="/run/x.sock"),
     "linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY on `sendmsg` would block the runtime"),
    ("linux.seccomp", "not an object", "config.json: linux.seccomp: expected object"),
    ("process.apparmorProfile", "hull-default",
     "config.json: process.apparmorProfile: `hull-default` is set but AppArmor is not enabled"),
    ("process.selinuxLabel", "system_u:system_r:container_t:s0",
     "config.json: process.selinuxLabel: `system_u:system_r:container_t:s0` is set but SELinux"),
    ("process.apparmorProfile", "bad\nprofile",
     "config.json: process.apparmorProfile: contains control characters"),
    ("linux.mountLabel", "bad\nlabel", "config.json: linux.mountLabel: contains control characters"),
]


def set_field(cfg, dotted, value):
    section, key = dotted.split(".")
    cfg[section][key] = value


@pytest.mark.parametrize("field,value,needle", CASES, ids=[c[2][:60] for c in CASES])
def test_bad_security_field_is_named(runtime, bundle, tmp_path, field, value, needle):
    cfg = hardened(bundle, tmp_path, ["true"])
    set_field(cfg, field, value)
    bundle.write(cfg)
    r = runtime("create", "-b", bundle.path, "bad")
    assert r.returncode != 0
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert runtime.ids() == []


def test_mount_label_is_ignored_without_selinux(runtime, bundle, tmp_path):
    # As runc: without SELinux a mount label has nothing to apply to.
    cfg = hardened(bundle, tmp_path, ["true"])
    cfg["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    bundle.write(cfg)
    r = run(runtime, bundle, "mlabel")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("dest", ["/proc/self/attr/exec", "/proc/sys/kernel/core_pattern",
                                  "/proc/./sys/../self/attr"])
def test_mounts_over_proc_files_are_refused(runtime, bundle, tmp_path, dest):
    cfg = hardened(bundle, tmp_path, ["true"])
    cfg["mounts"].append({"destination": dest, "type": "bind", "source": "/etc/hostname",
                          "options": ["bind"]})
    bundle.write(cfg)
    r = runtime("create", "-b", bundle.path, "procmnt")
    assert r.returncode != 0
    assert "mounts[%d].destination" % (len(cfg["mounts"]) - 1) in r.stderr
    assert "would cover a /proc file" in r.stderr
    assert runtime.ids() == []


def test_lxcfs_style_proc_mounts_are_allowed(runtime, bundle, tmp_path, tmp_path_factory):
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal: 1 kB\n")
    cfg = hardened(bundle, tmp_path, ["cat", "/proc/meminfo"])
    cfg["mounts"].append({"destination": "/proc/meminfo", "type": "bind", "source": str(fake),
                          "options": ["bind", "ro"]})
    bundle.write(cfg)
    r = run(runtime, bundle, "lxcfs")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "MemTotal: 1 kB\n"
