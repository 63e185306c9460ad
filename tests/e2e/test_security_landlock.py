"""Landlock from the run.hull.landlock annotation: filesystem and TCP rules enforced from inside,
min_abi checked against the kernel, the default policy of `spec --landlock-default` usable."""
import json
import os

import pytest

from security_util import TMP_MOUNT, hardened, results, run, spec_config

ALLOWED_PORT, DENIED_PORT = 4431, 4432

POLICY = {
    "min_abi": 4,
    "rules": [
        {"path": "/bin", "access": ["read", "execute"]},
        {"path": "/etc", "access": ["read"]},
        {"path": "/tmp", "access": ["read", "write", "make", "remove", "truncate"]},
        {"path": "/dev", "access": ["read", "write"]},
        {"ports": [ALLOWED_PORT], "access": ["connect_tcp"]},
    ],
}


def landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(444, None, 0, 1)


def test_landlock_denies_outside_the_rules(runtime, bundle, tmp_path):
    cfg = hardened(bundle, tmp_path, ["/bin/escape-battery", "landlock", str(ALLOWED_PORT),
                                      str(DENIED_PORT)])
    cfg["mounts"].append({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                          "options": ["mode=1777"]})
    cfg["annotations"] = {"run.hull.landlock": json.dumps(POLICY)}
    os.makedirs(os.path.join(bundle.rootfs, "root"), exist_ok=True)
    with open(os.path.join(bundle.rootfs, "root", "secret"), "w") as f:
        f.write("secret\n")
    bundle.write(cfg)
    r = run(runtime, bundle, "ll")
    assert r.returncode == 0, r.stderr
    got = results(r.stdout)
    assert got["landlock_read_denied"] == "EACCES", r.stdout
    assert got["landlock_read_allowed"] == "OK", r.stdout
    assert got["landlock_write_denied"] == "EACCES", r.stdout
    assert got["landlock_write_allowed"] == "OK", r.stdout
    assert got["landlock_connect_denied"] == "EACCES", r.stdout
    # Not refused by Landlock: the loopback of the new network namespace is down.
    assert got["landlock_connect_allowed"] in ("ENETUNREACH", "ECONNREFUSED"), r.stdout


def test_landlock_min_abi_above_the_kernel_is_an_error(runtime, bundle, tmp_path):
    cfg = hardened(bundle, tmp_path, ["true"])
    abi = landlock_abi()
    cfg["annotations"] = {"run.hull.landlock": json.dumps(
        {"min_abi": abi + 1, "rules": [{"path": "/", "access": ["read"]}]})}
    bundle.write(cfg)
    r = runtime("create", "-b", bundle.path, "llabi")
    assert r.returncode != 0
    assert "annotations.run.hull.landlock" in r.stderr
    assert f"min_abi {abi + 1} is higher than this kernel's Landlock ABI {abi}" in r.stderr
    assert runtime.ids() == []


@pytest.mark.parametrize("policy,needle", [
    ("{not json", "annotations.run.hull.landlock: invalid JSON"),
    ('{"rules": [{"path": "/usr", "access": ["fly"]}]}',
     "annotations.run.hull.landlock.rules[0].access: unknown access right `fly`"),
    ('{"rules": [{"path": "/usr", "ports": [1], "access": ["read"]}]}',
     "annotations.run.hull.landlock.rules[0]: a rule has either `path` or `ports`"),
    ('{"rules": [{"ports": [70000], "access": ["bind_tcp"]}]}',
     "annotations.run.hull.landlock.rules[0].ports[0]: expected a TCP port"),
    ('{"rules": [{"path": "usr", "access": ["read"]}]}',
     "annotations.run.hull.landlock.rules[0].path: `usr` is not an absolute path"),
    ('{"rules": [{"path": "/usr", "access": ["connect_tcp"]}]}',
     "annotations.run.hull.landlock.rules[0].access: `connect_tcp` needs a rule with `ports`"),
    ('{"rules": [], "colour": "blue"}', "annotations.run.hull.landlock.colour: unknown field"),
    ('{"min_abi": 1}', "annotations.run.hull.landlock.rules: missing"),
    ('{"rules": [], "scoped": ["everything"]}',
     "annotations.run.hull.landlock.scoped: unknown scope `everything`"),
])
def test_landlock_policy_errors_name_the_field(runtime, bundle, tmp_path, policy, needle):
    cfg = hardened(bundle, tmp_path, ["true"])
    cfg["annotations"] = {"run.hull.landlock": policy}
    bundle.write(cfg)
    r = runtime("create", "-b", bundle.path, "llbad")
    assert r.returncode != 0
    assert needle in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert runtime.ids() == []


def test_spec_landlock_default_policy_runs_a_shell(runtime, bundle, tmp_path):
    cfg = spec_config(tmp_path, "--landlock-default")
    policy = json.loads(cfg["annotations"]["run.hull.landlock"])
    assert policy["min_abi"] == 1
    assert {"path": "/etc", "access": ["read"]} in policy["rules"]
    cfg = hardened(bundle, tmp_path,
                   ["sh", "-c", "cat /etc/hostname && echo ok > /tmp/f && cat /tmp/f && "
                                "ls /root; echo rc=$?"], "--landlock-default")
    r = run(runtime, bundle, "lldef")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[:2] == ["hull", "ok"], r.stdout
    assert "rc=1" in r.stdout  # /root is not in the policy
    assert "Permission denied" in r.stderr


def test_landlock_scopes_signal(runtime, bundle, tmp_path):
    if landlock_abi() < 6:
        pytest.skip("needs Landlock ABI 6 (scopes)")
    cfg = hardened(bundle, tmp_path, ["sh", "-c", "kill -0 1; echo rc=$?"])
    # PID 1 is the shell itself; a subshell's kill of its parent is inside the same domain, so
    # scoping must still allow it.
    cfg["annotations"] = {"run.hull.landlock": json.dumps(
        {"min_abi": 6, "scoped": ["signal", "abstract_unix_socket"],
         "rules": [{"path": "/bin", "access": ["read", "execute"]}]})}
    bundle.write(cfg)
    r = run(runtime, bundle, "llscope")
    assert r.returncode == 0, r.stderr
    assert "rc=0" in r.stdout
