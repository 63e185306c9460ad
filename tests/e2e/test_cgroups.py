"""cgroups end to end: limits enforced on real containers on this (hybrid) host, update, pause,
resume, ps, events, kill --all, and cleanup of every cgroup directory in every hierarchy."""
import concurrent.futures
import json
import os
import selectors
import subprocess
import time
import uuid

import pytest

from cgroup_helpers import (WAIT_GO, bpf_attach_allow_all, bpf_device_programs, bpf_program_tag,
                            cgroup_mounts, controller_dir, delete, detached, dirs_named,
                            go, keyed, read, run_detached, unique_path, with_resources)
from conftest import wait_for


def test_memory_limit_oom_kills_and_events_reports_oom(runtime, bundle):
    path = unique_path("oom")
    mib = 1024 * 1024
    with_resources(bundle, ["/bin/sh", "-c", WAIT_GO +
                            "dd if=/dev/zero of=/dev/null bs=96M count=1; echo $? > /tmp/done; "
                            "sleep 60"],
                   {"memory": {"limit": 32 * mib, "swap": 32 * mib}}, path)
    run_detached(runtime, bundle, "oom")
    mem = controller_dir("memory") + path
    assert int(read(mem + "/memory.limit_in_bytes")) == 32 * mib
    ev = subprocess.Popen(runtime.cmd("events", "--interval", "200ms", "oom"),
                          stdout=subprocess.PIPE, text=True)
    try:
        sel = selectors.DefaultSelector()
        sel.register(ev.stdout, selectors.EVENT_READ)
        lines = []

        def next_line(deadline):
            while time.monotonic() < deadline:
                if sel.select(timeout=deadline - time.monotonic()):
                    return ev.stdout.readline()
            return None

        first = json.loads(next_line(time.monotonic() + 60))
        assert first["type"] == "stats" and first["id"] == "oom"
        open(os.path.join(bundle.rootfs, "tmp", "go"), "w").close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = next_line(deadline)
            if not line:
                break
            lines.append(json.loads(line))
            if lines[-1]["type"] == "oom":
                break
        assert {"type": "oom", "id": "oom"} in lines, lines
    finally:
        ev.kill()
        ev.wait()
    done = os.path.join(bundle.rootfs, "tmp", "done")
    assert wait_for(lambda: os.path.exists(done) and read(done)), "dd never finished"
    assert read(done) == "137", "dd was not SIGKILLed by the OOM killer"
    oom_kills = [l for l in read(mem + "/memory.oom_control").splitlines()
                 if l.startswith("oom_kill ")]
    assert int(oom_kills[0].split()[1]) >= 1
    delete(runtime, "oom")
    assert dirs_named(path) == []


def test_pids_limit_makes_fork_fail(runtime, bundle):
    with_resources(bundle, ["/bin/sh", "-c",
                            "i=0; while :; do sleep 30 & i=$((i+1)); echo $i; done"],
                   {"pids": {"limit": 10}})
    r = runtime("run", "--keep", "-b", bundle.path, "pids", timeout=30)
    assert r.returncode != 0
    started = [int(x) for x in r.stdout.split()]
    # sh itself plus nine sleeps fill the limit of ten.
    assert max(started) == 9, r.stdout
    assert "fork" in r.stderr, r.stderr
    delete(runtime, "pids")


def test_cpu_quota_limits_a_busy_loop(runtime, bundle):
    path = unique_path("cpu")
    with_resources(bundle, ["/bin/sh", "-c", "while :; do :; done"],
                   {"cpu": {"quota": 20000, "period": 100000}}, path)
    run_detached(runtime, bundle, "cpu")
    assert read(controller_dir("cpu") + path + "/cpu.cfs_quota_us") == "20000"
    usage = controller_dir("cpuacct") + path + "/cpuacct.usage"
    stat = controller_dir("cpu") + path + "/cpu.stat"
    # The loop runs into the quota (throttled), and over ten periods it never gets more than
    # its 0.2 CPU. A loaded machine can only give it less, so there is no lower bound.
    wait_for(lambda: int(keyed(stat)["nr_throttled"]) >= 1, what="throttling")
    t0, u0, p0 = time.monotonic(), int(read(usage)), int(keyed(stat)["nr_periods"])
    wait_for(lambda: int(keyed(stat)["nr_periods"]) >= p0 + 10, what="ten cfs periods")
    t1, u1 = time.monotonic(), int(read(usage))
    share = (u1 - u0) / 1e9 / (t1 - t0)
    assert share < 0.3, f"busy loop used {share:.2f} CPUs with a 0.2 CPU quota"
    delete(runtime, "cpu")


def test_cpuset_pins_the_container_and_cgroup_namespace_hides_the_path(runtime, bundle):
    with_resources(bundle, ["/bin/sh", "-c",
                            "grep -E 'Cpus_allowed_list|Mems_allowed_list' /proc/self/status; "
                            "grep '^0::' /proc/self/cgroup"],
                   {"cpu": {"cpus": "0", "mems": "0"}})
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.write()
    r = runtime("run", "--keep", "-b", bundle.path, "cpuset")
    assert r.returncode == 0, r.stderr
    lines = dict(l.split(":", 1) for l in r.stdout.splitlines() if "allowed" in l)
    assert lines["Cpus_allowed_list"].strip() == "0"
    assert lines["Mems_allowed_list"].strip() == "0"
    # In its own cgroup namespace the container sees its cgroup as the root.
    assert "0::/\n" in r.stdout
    delete(runtime, "cpuset")


KMSG = {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}
OPEN_DEVICES = ("(: < /dev/zero) && echo zero-read-ok; "
                "(: < /dev/kmsg) 2>&1 && echo kmsg-read-ok; "
                "(: > /dev/kmsg) 2>&1 && echo kmsg-write-ok")


def probe_devices(runtime, bundle, cid, rules, before_probe=None):
    """Start a container that opens /dev/zero and /dev/kmsg once /tmp/go exists; run
    `before_probe(cgroup_path)` on the host first; return what the probe printed."""
    path = unique_path(cid)
    probe = "(" + OPEN_DEVICES + ") > /tmp/out 2>&1; touch /tmp/done"
    with_resources(bundle, ["/bin/sh", "-c", WAIT_GO + probe + "; sleep 60"],
                   {"devices": rules}, path, devices=[KMSG])
    run_detached(runtime, bundle, cid)
    if before_probe:
        before_probe(path)
    open(os.path.join(bundle.rootfs, "tmp", "go"), "w").close()
    assert wait_for(lambda: os.path.exists(os.path.join(bundle.rootfs, "tmp", "done")))
    out = read(os.path.join(bundle.rootfs, "tmp", "out"))
    delete(runtime, cid)
    assert dirs_named(path) == []
    return out


def test_device_rules_deny_and_allow_on_v1(runtime, bundle):
    listed = []
    out = probe_devices(runtime, bundle, "dev",
                        [{"allow": False, "access": "rwm"},
                         {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"}],
                        lambda path: listed.extend(read(
                            controller_dir("devices") + path + "/devices.list").splitlines()))
    assert "c 1:11 r" in listed and "c 1:5 rwm" in listed and "a *:* rwm" not in listed
    assert "zero-read-ok" in out and "kmsg-read-ok" in out, out
    assert "kmsg-write-ok" not in out and "Operation not permitted" in out, out


def test_device_rules_enforced_by_bpf_on_the_unified_hierarchy(runtime, bundle):
    """Widen the v1 devices cgroup to allow everything from the host: the denied device must
    stay denied, because the BPF program on the cgroup2 directory still says no."""

    def widen_v1(path):
        unified = [m for m in cgroup_mounts() if m.endswith("/unified") or m == "/sys/fs/cgroup"]
        assert unified and os.path.isdir(unified[0] + path)
        v1 = controller_dir("devices") + path
        with open(v1 + "/devices.allow", "w") as f:
            f.write("a")
        assert read(v1 + "/devices.list") == "a *:* rwm"

    out = probe_devices(runtime, bundle, "bpf",
                        [{"allow": False, "access": "rwm"},
                         {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"}],
                        widen_v1)
    assert "zero-read-ok" in out and "kmsg-read-ok" in out, out
    assert "kmsg-write-ok" not in out and "Operation not permitted" in out, out


def test_device_program_is_loaded_once_and_kept_by_its_anchor(runtime, bundle):
    """Containers of the default device policy in hull's own /hull share one loaded BPF
    program, kept for the next one by an empty anchor cgroup; a program put on the anchor from
    outside (here one that allows every device) is not taken: the next container loads its own
    again. Any other policy loads its own program and makes no anchor: one anchor per host."""
    unified = [m for m in cgroup_mounts() if m.endswith("/unified") or m == "/sys/fs/cgroup"]
    assert unified, "this host has a cgroup2 hierarchy (hybrid)"
    hull_dir = unified[0] + "/hull"
    token = uuid.uuid4().hex[:8]
    with_resources(bundle, ["sleep", "1000"], {"devices": [{"allow": False, "access": "rwm"}]},
                   cgroupsPath="")
    ids = [f"anc{token}{i}" for i in range(4)]

    def anchors():
        return [d for d in os.listdir(hull_dir) if d.startswith(".devices-")]

    try:
        run_detached(runtime, bundle, ids[0])
        first = bpf_device_programs(f"{hull_dir}/{ids[0]}")
        assert len(first) == 1
        held = [a for a in anchors() if bpf_device_programs(f"{hull_dir}/{a}") == first]
        assert len(held) == 1, anchors()
        anchor = f"{hull_dir}/{held[0]}"
        tag = bpf_program_tag(first[0])
        # The second container takes the same program.
        run_detached(runtime, bundle, ids[1])
        assert bpf_device_programs(f"{hull_dir}/{ids[1]}") == first
        # Another policy: its own program, no anchor of its own.
        before = sorted(anchors())
        with_resources(bundle, ["sleep", "1000"],
                       {"devices": [{"allow": False, "access": "rwm"},
                                    {"allow": True, "type": "c", "major": 1, "minor": 11,
                                     "access": "r"}]}, cgroupsPath="")
        run_detached(runtime, bundle, ids[2])
        other = bpf_device_programs(f"{hull_dir}/{ids[2]}")
        assert len(other) == 1 and other != first and bpf_program_tag(other[0]) != tag
        assert sorted(anchors()) == before
        # Someone swaps the anchor's program: the next container does not take it. (Containers
        # of parallel tests may put a right program back meanwhile: each is checked by its tag.)
        with_resources(bundle, ["sleep", "1000"], {"devices": [{"allow": False, "access": "rwm"}]},
                       cgroupsPath="")
        foreign = bpf_attach_allow_all(anchor)
        run_detached(runtime, bundle, ids[3])
        fourth = bpf_device_programs(f"{hull_dir}/{ids[3]}")
        assert len(fourth) == 1 and fourth != [foreign] and fourth != first
        assert bpf_program_tag(fourth[0]) == tag
        # ... and a right program is on the anchor again.
        held = bpf_device_programs(anchor)
        assert len(held) == 1 and held != [foreign] and bpf_program_tag(held[0]) == tag
    finally:
        for cid in ids:
            runtime("delete", "--force", cid)


def test_device_probe_output_on_v1_and_bpf_together(runtime, bundle):
    """Both enforcers in place (the normal case): read allowed, write denied with EPERM."""
    with_resources(bundle, ["/bin/sh", "-c", "(" + OPEN_DEVICES + ") 2>&1; true"],
                   {"devices": [{"allow": False, "access": "rwm"},
                                {"allow": True, "type": "c", "major": 1, "minor": 11,
                                 "access": "r"}]}, devices=[KMSG])
    r = runtime("run", "--keep", "-b", bundle.path, "devboth")
    assert r.returncode == 0, r.stderr
    assert "zero-read-ok" in r.stdout and "kmsg-read-ok" in r.stdout, r.stdout
    assert "kmsg-write-ok" not in r.stdout and "Operation not permitted" in r.stdout, r.stdout
    delete(runtime, "devboth")


def test_update_changes_live_limits(runtime, bundle, tmp_path):
    path = unique_path("upd")
    with_resources(bundle, ["/bin/sleep", "60"],
                   {"memory": {"limit": 64 * 1024 * 1024}, "pids": {"limit": 100}}, path)
    run_detached(runtime, bundle, "upd")
    r = runtime("update", "--memory", "128m", "--pids-limit", "20", "--cpu-quota", "30000",
                "upd")
    assert r.returncode == 0, r.stderr
    assert int(read(controller_dir("memory") + path + "/memory.limit_in_bytes")) == 128 << 20
    assert read(controller_dir("pids") + path + "/pids.max") == "20"
    assert read(controller_dir("cpu") + path + "/cpu.cfs_quota_us") == "30000"
    # podman's form: a LinuxResources JSON file.
    res = tmp_path / "resources.json"
    res.write_text(json.dumps({"pids": {"limit": 33}, "cpu": {"shares": 512}}))
    r = runtime("update", f"--resources={res}", "upd")
    assert r.returncode == 0, r.stderr
    assert read(controller_dir("pids") + path + "/pids.max") == "33"
    assert read(controller_dir("cpu") + path + "/cpu.shares") == "512"
    # Bad values name the field and change nothing.
    res.write_text(json.dumps({"cpu": {"shares": 1}}))
    r = runtime("update", "-r", str(res), "upd")
    assert r.returncode != 0 and "cpu.shares" in r.stderr, r.stderr
    assert read(controller_dir("cpu") + path + "/cpu.shares") == "512"
    # No swap before (memory == memory+swap): raising the limit keeps it that way.
    mem = controller_dir("memory") + path
    r = runtime("update", "-r", "-", "upd",
                input=json.dumps({"memory": {"limit": 96 << 20, "swap": 96 << 20}}))
    assert r.returncode == 0, r.stderr
    r = runtime("update", "--memory", "160m", "upd")
    assert r.returncode == 0, r.stderr
    assert int(read(mem + "/memory.limit_in_bytes")) == 160 << 20
    assert int(read(mem + "/memory.memsw.limit_in_bytes")) == 160 << 20
    delete(runtime, "upd")
    r = runtime("update", "--pids-limit", "5", "upd")
    assert r.returncode != 0


def test_pause_stops_a_counter_and_resume_continues_it(runtime, bundle):
    with_resources(bundle, ["/bin/sh", "-c",
                            "i=0; while :; do i=$((i+1)); echo $i > /tmp/c; sleep 0.02; done"],
                   {})
    run_detached(runtime, bundle, "pause")
    counter = os.path.join(bundle.rootfs, "tmp", "c")
    assert wait_for(lambda: os.path.exists(counter) and read(counter) not in ("", "1"))
    r = runtime("pause", "pause")
    assert r.returncode == 0, r.stderr
    assert runtime.state("pause")["status"] == "paused"
    frozen = read(counter)
    # Watching for something that must not happen: a slow machine only makes it pass.
    time.sleep(0.3)
    assert read(counter) == frozen
    r = runtime("resume", "pause")
    assert r.returncode == 0, r.stderr
    assert runtime.state("pause")["status"] == "running"
    assert wait_for(lambda: read(counter) not in ("", frozen), timeout=60)
    r = runtime("resume", "pause")
    assert r.returncode != 0 and "not paused" in r.stderr
    # A paused container can be deleted with --force.
    assert runtime("pause", "pause").returncode == 0
    delete(runtime, "pause")


def test_ps_lists_the_container_pids(runtime, bundle):
    with_resources(bundle, ["/bin/sh", "-c", "sleep 60 & sleep 61 & wait"], {})
    pid = run_detached(runtime, bundle, "ps")
    pids = wait_for(lambda: (lambda p: p if len(p) == 3 else None)(
        json.loads(runtime("ps", "--format", "json", "ps").stdout)))
    assert pids and pid in pids
    r = runtime("ps", "ps")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "PID" in lines[0].split()
    assert len(lines) == 4 and "sleep 61" in r.stdout
    r = runtime("ps", "ps", "--", "-o", "pid,comm")
    assert r.returncode == 0 and r.stdout.split()[:2] == ["PID", "COMMAND"], r.stdout
    delete(runtime, "ps")


def test_events_stats_prints_parseable_stats(runtime, bundle):
    with_resources(bundle, ["/bin/sleep", "60"],
                   {"memory": {"limit": 64 << 20}, "pids": {"limit": 50}})
    run_detached(runtime, bundle, "stats")
    r = runtime("events", "--stats", "stats")
    assert r.returncode == 0, r.stderr
    ev = json.loads(r.stdout)
    assert ev["type"] == "stats" and ev["id"] == "stats"
    data = ev["data"]
    assert data["memory"]["usage"]["limit"] == 64 << 20
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"] == {"current": 1, "limit": 50}
    assert data["cpu"]["usage"]["total"] > 0
    assert "blkio" in data and "hugetlb" in data
    delete(runtime, "stats")


def test_kill_all_signals_every_process_in_the_cgroup(runtime, bundle):
    # No pid namespace: only the cgroup knows which processes belong to the container.
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    with_resources(bundle, ["/bin/sh", "-c", "sleep 60 & sleep 60 & sleep 61 & wait"], {})
    run_detached(runtime, bundle, "killall")
    pids = wait_for(lambda: (lambda p: p if len(p) == 4 else None)(
        json.loads(runtime("ps", "--format", "json", "killall").stdout)))
    assert pids
    r = runtime("kill", "--all", "killall", "KILL")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: not any(os.path.exists(f"/proc/{p}/cmdline") and
                                    read(f"/proc/{p}/stat").split()[2] != "Z" for p in pids))
    delete(runtime, "killall")


def test_delete_leaves_no_cgroup_in_any_hierarchy(runtime, bundle):
    top = f"/hulltest-{uuid.uuid4().hex[:8]}"
    path = top + "/a/b/del"
    with_resources(bundle, ["/bin/sleep", "60"], {"pids": {"limit": 10}}, path)
    run_detached(runtime, bundle, "del")
    made = dirs_named(path)
    assert len(made) == len(cgroup_mounts()), made
    delete(runtime, "del")
    # The container's directory and the empty parents it created are gone everywhere.
    assert dirs_named(top) == []


def test_run_removes_its_cgroups_and_what_is_left_in_them(runtime, bundle, tmp_path):
    """The delete at the end of an attached `run` works from what create kept in memory (the
    cgroup set, the state directory): without a pid namespace a child outlives the program,
    and is killed with the cgroups, which are all removed."""
    top = f"/hulltest-{uuid.uuid4().hex[:8]}"
    path = top + "/run/left"
    marker = f"4545.{uuid.uuid4().hex[:8]}"
    with_resources(bundle, ["sh", "-c", f"sleep {marker} & echo $! > /pidfile; exit 3"],
                   {"pids": {"limit": 10}}, path)
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["type"] != "proc"]
    bundle.config["root"]["readonly"] = False
    bundle.write()
    r = runtime("run", "-b", bundle.path, "left")
    assert r.returncode == 3, r.stderr
    assert runtime.ids() == []
    assert dirs_named(top) == []
    pid = int(open(os.path.join(bundle.path, "rootfs", "pidfile")).read())

    def gone():
        try:
            return marker not in open(f"/proc/{pid}/cmdline").read()
        except OSError:
            return True

    wait_for(gone, what="the child killed")


def test_default_path_and_podman_and_containerd_resources(runtime, bundle):
    for client in ("podman", "containerd"):
        with open(f"/work/shared/fixtures/clients/{client}-config.json") as f:
            res = json.load(f)["linux"]["resources"]
        cid = f"client-{client}-{uuid.uuid4().hex[:8]}"
        with_resources(bundle, ["/bin/sh", "-c", "echo ok > /dev/null && cat /proc/self/cgroup"],
                       res)
        bundle.config["linux"]["cgroupsPath"] = ""  # the runtime's default, /hull/<id>
        bundle.write()
        r = runtime("run", "--keep", "-b", bundle.path, cid)
        assert r.returncode == 0, r.stderr
        assert f"pids:/hull/{cid}" in r.stdout
        delete(runtime, cid)
        assert dirs_named(f"/hull/{cid}") == []


def test_delete_keeps_the_runtimes_own_hull_parent(runtime, bundle):
    """The default parent /hull stays when its last container goes (as docker's /docker), so
    the next container makes one directory per hierarchy, not two; the container's own
    directory is gone everywhere."""
    cid = f"keep-{uuid.uuid4().hex[:8]}"
    with_resources(bundle, ["/bin/true"], {"pids": {"limit": 10}})
    bundle.config["linux"]["cgroupsPath"] = ""
    bundle.write()
    r = runtime("run", "-b", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert dirs_named(f"/hull/{cid}") == []
    assert len(dirs_named("/hull")) == len(cgroup_mounts()), dirs_named("/hull")


def test_parallel_containers_with_limits_are_all_cleaned_up(runtime, bundle):
    top = f"/hulltest-{uuid.uuid4().hex[:8]}"
    with_resources(bundle, ["/bin/sleep", "60"],
                   {"memory": {"limit": 32 << 20}, "pids": {"limit": 20},
                    "cpu": {"shares": 256}})
    ids = [f"par{i}" for i in range(30)]
    for cid in ids:  # one config per container: each its own cgroupsPath
        bundle.config["linux"]["cgroupsPath"] = f"{top}/{cid}"
        bundle.write()
        os.rename(os.path.join(bundle.path, "config.json"),
                  os.path.join(bundle.path, f"config-{cid}.json"))

    def create(cid):
        d = os.path.join(os.path.dirname(bundle.path), cid)
        os.makedirs(d, exist_ok=True)
        os.rename(os.path.join(bundle.path, f"config-{cid}.json"), os.path.join(d, "config.json"))
        os.symlink(bundle.rootfs, os.path.join(d, "rootfs"))
        return detached(runtime, "run", "-d", "-b", d, cid)

    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(create, ids))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    mem = controller_dir("memory")
    for cid in ids:
        assert int(read(f"{mem}{top}/{cid}/memory.limit_in_bytes")) == 32 << 20
        assert runtime.state(cid)["status"] == "running"
    with concurrent.futures.ThreadPoolExecutor(30) as pool:
        results = list(pool.map(lambda c: runtime("delete", "--force", c), ids))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    assert dirs_named(top) == []


@pytest.mark.parametrize("resources,field", [
    ({"network": {"classID": 1}}, "linux.resources.network.classID"),
    ({"cpu": {"shares": 1}}, "linux.resources.cpu.shares"),
    ({"memory": {"swappiness": 101}}, "linux.resources.memory.swappiness"),
    ({"devices": [{"allow": True, "type": "x"}]}, "linux.resources.devices[0].type"),
    ({"unified": {"memory.high": "1G"}}, "linux.resources.unified.memory.high"),
    ({"cpu": {"cpus": "64-127"}}, "cpu.cpus"),
])
def test_bad_resources_fail_naming_the_field_and_leave_nothing(runtime, bundle, resources,
                                                               field):
    path = unique_path("bad")
    with_resources(bundle, ["/bin/true"], resources, path)
    r = runtime("create", "-b", bundle.path, "bad")
    assert r.returncode != 0
    assert field in r.stderr, r.stderr
    assert runtime.ids() == []
    assert dirs_named(path) == [] and dirs_named(path.rsplit("/", 1)[0]) == []


def test_cgroup_manager_disabled_creates_no_cgroup(runtime, bundle):
    path = unique_path("nocg")
    with_resources(bundle, ["/bin/sleep", "60"], {"pids": {"limit": 10}}, path)
    r = detached(runtime, "--cgroup-manager", "disabled", "run", "-d", "-b", bundle.path, "nocg")
    assert r.returncode == 0, r.stderr
    assert dirs_named(path) == []
    r = runtime("pause", "nocg")
    assert r.returncode != 0 and "no cgroups" in r.stderr
    delete(runtime, "nocg")


def test_systemd_cgroup_manager_fails_clearly(runtime, bundle):
    r = runtime("--systemd-cgroup", "create", "-b", bundle.path, "sd")
    assert r.returncode != 0 and "systemd" in r.stderr, r.stderr
    assert runtime.ids() == []


def test_cgroup_mount_in_a_cgroup_namespace_shows_the_containers_own_cgroups(runtime, bundle):
    with_resources(bundle, ["/bin/sh", "-c",
                            "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                            "/sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup/unified"],
                   {"memory": {"limit": 48 << 20}, "pids": {"limit": 77}})
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.config["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup",
                                    "source": "cgroup", "options": ["nosuid", "noexec", "ro"]})
    bundle.write()
    r = runtime("run", "--keep", "-b", bundle.path, "cgns")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[:2] == [str(48 << 20), "77"], r.stdout
    assert "cgroup.freeze" in lines  # a non-root cgroup2 directory: the container's own
    delete(runtime, "cgns")


def test_container_process_starts_in_every_hierarchy_without_a_migration(runtime, bundle):
    """Hybrid host: the container process is cloned into its v2 cgroup (CLONE_INTO_CGROUP) and
    moves itself into the v1 ones before anything else: its program sees its cgroup in every
    hierarchy, the limits are in place, and --debug says how it got there."""
    path = unique_path("into")
    with_resources(bundle, ["/bin/cat", "/proc/self/cgroup"], {"pids": {"limit": 17}}, path)
    # Without a cgroup namespace the program sees the host's paths.
    bundle.config["linux"]["namespaces"] = [
        ns for ns in bundle.config["linux"]["namespaces"] if ns["type"] != "cgroup"]
    bundle.write()
    r = runtime("--debug", "run", "--keep", "-b", bundle.path, "into")
    assert r.returncode == 0, r.stderr
    assert "CLONE_INTO_CGROUP" in r.stderr and "moves itself into its v1 cgroups" in r.stderr, \
        r.stderr
    lines = r.stdout.split()
    assert len(lines) == len(cgroup_mounts()), (lines, cgroup_mounts())
    assert all(line.split(":", 2)[2] == path for line in lines), lines
    assert read(controller_dir("pids") + path + "/pids.max") == "17"
    delete(runtime, "into")
    assert dirs_named(path) == []


def test_new_containers_get_cpus_and_mems_by_default_path_and_custom_path(runtime, bundle):
    """A v1 cpuset directory starts empty. Under the runtime's own /hull the kernel copies the
    parent's cpus and mems at mkdir (hull sets cgroup.clone_children there); under a custom
    cgroupsPath hull copies them down itself and leaves the parents' clone_children alone (a new
    cgroup takes its parent's flag)."""
    cpuset = controller_dir("cpuset")
    if cpuset is None:
        pytest.skip("no v1 cpuset hierarchy")
    want = {f: read(f"{cpuset}/{f}") for f in ("cpuset.cpus", "cpuset.mems")}
    root_clones = read(f"{cpuset}/cgroup.clone_children")
    script = "grep -E 'Cpus_allowed_list|Mems_allowed_list' /proc/self/status; cat /proc/self/cgroup"
    for path in ("", unique_path("cpus")):
        cid = f"cpus-{uuid.uuid4().hex[:8]}"
        with_resources(bundle, ["/bin/sh", "-c", WAIT_GO + script], {})
        bundle.config["linux"]["cgroupsPath"] = path
        bundle.write()
        run_detached(runtime, bundle, cid)
        leaf = f"{cpuset}{path or '/hull/' + cid}"
        try:
            for f, value in want.items():
                assert read(f"{leaf}/{f}") == value, (leaf, f)
            parent = os.path.dirname(leaf)
            assert read(f"{parent}/cgroup.clone_children") == (root_clones if path else "1"), parent
        finally:
            go(bundle)
            delete(runtime, cid)
        assert dirs_named(path or f"/hull/{cid}") == []
        if path:
            assert dirs_named(os.path.dirname(path)) == []


def test_no_cgroup_directory_fd_reaches_the_container(runtime, bundle):
    """The runtime keeps fds of the cgroup directories it makes; none may reach the program."""
    with_resources(bundle, ["sh", "-c", "ls /proc/self/fd; readlink /proc/self/fd/* || true"],
                   {"pids": {"limit": 10}}, unique_path("fds"))
    r = runtime("run", "-b", bundle.path, f"fds-{uuid.uuid4().hex[:8]}")
    assert r.returncode == 0, r.stderr
    fds = [l for l in r.stdout.split() if l.isdigit()]
    assert set(fds) <= {"0", "1", "2", "3"}, r.stdout
    assert "cgroup" not in r.stdout, r.stdout
