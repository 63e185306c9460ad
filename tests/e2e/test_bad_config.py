"""Malformed bundles: each gives a one-line error naming the file, the JSON path and the reason,
exits 1, and leaves nothing behind (no state, no mounts, no process)."""
import copy
import json
import os

import pytest

from conftest import default_config, mounts_mentioning


def mutate(fn):
    c = default_config(["/bin/true"])
    fn(c)
    return c


def set_path(c, path, value):
    *parents, last = path
    for p in parents:
        c = c[p]
    c[last] = value


def delete_path(c, path):
    *parents, last = path
    for p in parents:
        c = c[p]
    del c[last]


CASES = [
    ("not-json", "{ this is not json", "config.json: invalid JSON at line 1"),
    ("not-object", [1, 2, 3], "config.json: (document): expected a JSON object"),
    ("no-version", mutate(lambda c: delete_path(c, ["ociVersion"])), "config.json: ociVersion: missing"),
    ("version-2", mutate(lambda c: set_path(c, ["ociVersion"], "2.0.0")),
     "config.json: ociVersion: unsupported version `2.0.0`"),
    ("args-string", mutate(lambda c: set_path(c, ["process", "args"], "sh")),
     "config.json: process.args: expected array of strings"),
    ("args-empty", mutate(lambda c: set_path(c, ["process", "args"], [])),
     "config.json: process.args: must contain at least one element"),
    ("args-number", mutate(lambda c: set_path(c, ["process", "args"], ["sh", 3])),
     "config.json: process.args: expected array of strings"),
    ("no-process", mutate(lambda c: delete_path(c, ["process"])), "config.json: process: missing"),
    ("cwd-relative", mutate(lambda c: set_path(c, ["process", "cwd"], "tmp")),
     "config.json: process.cwd: `tmp` is not an absolute path"),
    ("env-no-equals", mutate(lambda c: set_path(c, ["process", "env"], ["PATH"])),
     "config.json: process.env: `PATH` is not of the form KEY=VALUE"),
    ("uid-negative", mutate(lambda c: set_path(c, ["process", "user", "uid"], -1)),
     "config.json: process.user.uid: value -1 out of range"),
    ("missing-rootfs", mutate(lambda c: set_path(c, ["root", "path"], "nope")),
     "config.json: root.path: `"),
    ("no-root", mutate(lambda c: delete_path(c, ["root"])), "config.json: root: missing"),
    ("bad-namespace", mutate(lambda c: c["linux"]["namespaces"].append({"type": "bogus"})),
     "config.json: linux.namespaces[5].type: unknown namespace type `bogus`"),
    ("dup-namespace", mutate(lambda c: c["linux"]["namespaces"].append({"type": "pid"})),
     "config.json: linux.namespaces[5]: duplicate namespace `pid`"),
    ("ns-path-missing", mutate(lambda c: c["linux"]["namespaces"].__setitem__(
        1, {"type": "network", "path": "/run/netns/does-not-exist"})),
     "config.json: linux.namespaces[1].path: `/run/netns/does-not-exist`: No such file"),
    ("relative-mount", mutate(lambda c: c["mounts"].append({"destination": "mnt", "type": "tmpfs",
                                                             "source": "tmpfs"})),
     "config.json: mounts[6].destination: `mnt` is not an absolute path"),
    ("mount-no-type", mutate(lambda c: c["mounts"].append({"destination": "/mnt"})),
     "config.json: mounts[6].type: missing"),
    ("bind-no-source", mutate(lambda c: c["mounts"].append({"destination": "/mnt", "type": "bind",
                                                             "options": ["rbind"]})),
     "config.json: mounts[6].source: missing for a bind mount"),
    ("mount-options-type", mutate(lambda c: c["mounts"].append({"destination": "/mnt", "type": "tmpfs",
                                                                 "options": "ro"})),
     "config.json: mounts[6].options: expected array of strings"),
    ("host-sysctl", mutate(lambda c: set_path(c, ["linux", "sysctl"], {"kernel.panic": "1"})),
     "config.json: linux.sysctl.kernel.panic: not a namespaced sysctl"),
    ("rlimit-type", mutate(lambda c: set_path(c, ["process", "rlimits"],
                                              [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}])),
     "config.json: process.rlimits[0].type: unknown rlimit `RLIMIT_FOO`"),
    ("rlimit-soft-above-hard", mutate(lambda c: set_path(c, ["process", "rlimits"],
                                                         [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}])),
     "config.json: process.rlimits[0]: soft limit 10 is above hard limit 5"),
    ("hostname-no-uts", mutate(lambda c: (set_path(c, ["hostname"], "x"), c["linux"]["namespaces"].remove({"type": "uts"}))),
     "config.json: hostname: needs a uts namespace"),
    ("device-dotdot", mutate(lambda c: set_path(c, ["linux", "devices"],
                                                [{"path": "/dev/../etc/shadow", "type": "c", "major": 1, "minor": 3}])),
     "config.json: linux.devices[0].path: `/dev/../etc/shadow`: not a file path (`/` or `..`)"),
    ("device-type", mutate(lambda c: set_path(c, ["linux", "devices"],
                                              [{"path": "/dev/x", "type": "z", "major": 1, "minor": 3}])),
     "config.json: linux.devices[0].type: expected one of c, b, u, p"),
    ("userns-no-maps", mutate(lambda c: c["linux"]["namespaces"].append({"type": "user"})),
     "config.json: linux.uidMappings: a new user namespace needs uidMappings and gidMappings"),
    ("hook-relative", mutate(lambda c: set_path(c, ["hooks"], {"poststart": [{"path": "hook.sh"}]})),
     "config.json: hooks.poststart[0].path: must be an absolute path"),
    ("annotation-number", mutate(lambda c: set_path(c, ["annotations"], {"a": 1})),
     "config.json: annotations.a: expected string"),
    ("rootfs-propagation", mutate(lambda c: set_path(c, ["linux", "rootfsPropagation"], "sideways")),
     "config.json: linux.rootfsPropagation: unknown value `sideways`"),
    ("personality", mutate(lambda c: set_path(c, ["linux", "personality"], {"domain": "WIN32"})),
     "config.json: linux.personality.domain: unknown domain `WIN32`"),
    ("oom-range", mutate(lambda c: set_path(c, ["process", "oomScoreAdj"], 2000)),
     "config.json: process.oomScoreAdj: 2000 is outside -1000..1000"),
    ("missing-executable", mutate(lambda c: set_path(c, ["process", "args"], ["no-such-binary"])),
     "exec: `no-such-binary`: executable file not found in $PATH"),
    ("mount-source-missing", mutate(lambda c: c["mounts"].append(
        {"destination": "/mnt", "type": "bind", "source": "/no/such/dir", "options": ["rbind"]})),
     "mounts[6]: bind mount source `/no/such/dir`: No such file or directory"),
    # Failing before the container process is in its cgroups (the mounts ahead of the first
    # cgroup mount overlap the runtime's cgroup work): the reason still comes through.
    ("early-mount-failure", mutate(lambda c: c["mounts"].__setitem__(slice(0, 0), [
        {"destination": "/mnt", "type": "bind", "source": "/no/such/dir", "options": ["rbind"]},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["ro", "nosuid", "noexec", "nodev"]}])),
     "mounts[0]: bind mount source `/no/such/dir`: No such file or directory"),
]


@pytest.mark.parametrize("name,config,message", CASES, ids=[c[0] for c in CASES])
def test_bad_config(runtime, bundle, name, config, message):
    if isinstance(config, str):
        bundle.write(config)
    else:
        bundle.write(copy.deepcopy(config))
    r = runtime("create", "-b", bundle.path, "bad")
    assert r.returncode == 1
    lines = r.stderr.strip().split("\n")
    assert len(lines) == 1, r.stderr
    assert message in lines[0], lines[0]
    # Nothing left: no state directory, no mount of the bundle, no container process.
    assert runtime.ids() == []
    assert mounts_mentioning(bundle.path) == []
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _inside(p, bundle.path)]


def _inside(pid, path):
    """Is `pid` a live process whose root or cwd lies in `path`?"""
    try:
        if open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0] == "Z":
            return False
        return any(os.readlink(f"/proc/{pid}/{link}").startswith(path) for link in ("root", "cwd"))
    except OSError:
        return False


def test_bad_config_count():
    assert len(CASES) >= 15
