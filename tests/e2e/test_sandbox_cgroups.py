"""hull sandbox: the sandbox's process is in its own cgroups with their limits from the moment it
runs (it moves itself into the v1 hierarchies with `tasks` fds the runtime opened, since it is
in a new user namespace), and a run leaves no cgroup, bundle, mount, owner lock or runtime
state behind (docs/sandbox.md; docs/performance.md, "hull sandbox run, fifth pass")."""
import glob
import os
import re
import subprocess

from hull_helpers import hull, mounts_under, processes_mentioning  # noqa: F401

RUN_DIR = "/run/hull-sandbox"
CGROUP_ROOT = "/sys/fs/cgroup"


def cgroup_lines(pid):
    """{controllers: path} of /proc/PID/cgroup ("" for cgroup2)."""
    out = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            out[ctrls] = path
    return out


def unified_host():
    return os.path.exists(os.path.join(CGROUP_ROOT, "cgroup.controllers"))


def read(path):
    with open(path) as f:
        return f.read().strip()


def test_sandbox_process_is_in_its_cgroups_with_limits_and_nothing_is_left(hull, tmp_path):
    marker = f"go-{os.getpid()}"
    fifo_cmd = f"mkfifo /workspace/{marker} && exec cat /workspace/{marker}"
    p = hull.popen("sandbox", "run", "--timeout", "10m", "--memory", "96m", "--pids", "77",
                   "--", "sh", "-c", fifo_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sid = None
    try:
        def running():
            for pid, cmd in processes_mentioning(f"/workspace/{marker}"):
                if cmd.strip() == f"cat /workspace/{marker}":
                    m = re.search(r"sbx-[0-9a-f]{16}", "\n".join(cgroup_lines(pid).values()))
                    if m:
                        return pid, m.group(0)
            return None
        pid, sid = hull.wait_for(running, timeout=120, what="the sandboxed cat")
        want = f"/hull/{sid}"
        lines = cgroup_lines(pid)
        if unified_host():
            assert lines[""] == want
            d = os.path.join(CGROUP_ROOT, want.lstrip("/"))
            assert read(os.path.join(d, "memory.max")) == str(96 << 20)
            assert read(os.path.join(d, "pids.max")) == "77"
            assert read(os.path.join(d, "cpu.max")).split() == ["100000", "100000"]
        else:
            by_ctrl = {c: path for ctrls, path in lines.items() for c in ctrls.split(",")}
            # Every hierarchy the sandbox limits, counts or kills through: its own cgroup.
            for ctrl in ("cpu", "cpuacct", "memory", "pids", "devices", "freezer"):
                if ctrl in by_ctrl:
                    assert by_ctrl[ctrl] == want, (ctrl, lines)
            mem = os.path.join(CGROUP_ROOT, "memory", want.lstrip("/"))
            assert read(os.path.join(mem, "memory.limit_in_bytes")) == str(96 << 20)
            assert int(read(os.path.join(mem, "memory.usage_in_bytes"))) > 0  # charged there
            assert read(os.path.join(CGROUP_ROOT, "pids", want.lstrip("/"), "pids.max")) == "77"
            assert str(pid) in read(os.path.join(CGROUP_ROOT, "pids", want.lstrip("/"),
                                                 "cgroup.procs")).split()
            assert read(os.path.join(CGROUP_ROOT, "cpu", want.lstrip("/"),
                                     "cpu.cfs_quota_us")) == "100000"
            devices = read(os.path.join(CGROUP_ROOT, "devices", want.lstrip("/"), "devices.list"))
            assert "a *:* rwm" not in devices and "c 1:3 rwm" in devices  # an allow-list
        bundle = os.path.join(RUN_DIR, sid)
        # The bundle is a tmpfs of its own, the run's runtime state inside it.
        assert os.path.isdir(os.path.join(bundle, "runtime", sid))
        assert bundle in mounts_under(bundle)
        # Let it finish: the sandboxed cat reads the fifo (from the host, as root).
        with open(os.path.join(bundle, "scratch", "workspace", marker), "w") as f:
            f.write("done\n")
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert out == b"done\n"
        # Nothing is left of it: no cgroup in any hierarchy, no bundle, mount, lock or state.
        assert not glob.glob(os.path.join(CGROUP_ROOT, "*", "hull", sid))
        assert not os.path.exists(os.path.join(CGROUP_ROOT, "hull", sid))
        assert not os.path.exists(bundle)
        assert not os.path.exists(bundle + ".lock")
        assert not mounts_under(bundle)
        assert not os.path.exists(os.path.join(hull.root, "sandbox", "runtime", sid))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
