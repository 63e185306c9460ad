"""cgroup v2 end to end on a pure unified-hierarchy host: limits written to the v2 files and
enforced on real containers, device rules through the eBPF program, update, pause/resume through
cgroup.freeze, ps, events, kill --all, cleanup and --cgroup-manager disabled.

The CI hosts are hybrid, so every test here skips unless /sys/fs/cgroup is cgroup2; they run for
real inside the microVM of test_vm_cgroup2_suite.py, whose init mounts only cgroup2."""
import json
import math
import os
import selectors
import subprocess
import time
import uuid

import pytest

from cgroup_helpers import (WAIT_GO, delete, detached, go, keyed, read, run_detached, unique_path,
                            with_resources)
from conftest import wait_for

CGROOT = "/sys/fs/cgroup"


def unified_only():
    """True when /sys/fs/cgroup itself is a cgroup2 mount (no v1 hierarchy anywhere)."""
    fstypes = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            fstypes[left.split()[4]] = right.split()[0]
    return (fstypes.get(CGROOT) == "cgroup2" and
            "cgroup" not in fstypes.values())


pytestmark = pytest.mark.skipif(
    not unified_only(),
    reason="/sys/fs/cgroup is not cgroup2fs (hybrid host): these run in the pure-cgroup2 VM "
           "of test_vm_cgroup2_suite.py")

MIB = 1024 * 1024


def own_cgroup_view(bundle):
    """A cgroup namespace and a cgroup mount: the container sees its cgroup at /sys/fs/cgroup."""
    bundle.config["linux"]["namespaces"].append({"type": "cgroup"})
    bundle.config["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup",
                                    "source": "cgroup",
                                    "options": ["nosuid", "noexec", "nodev", "ro"]})
    bundle.write()


def shares_to_weight(shares):
    """runc's and crun's conversion (libcontainer/cgroups/utils.go ConvertCPUSharesToCgroupV2Value)."""
    if shares == 0:
        return 0
    if shares <= 2:
        return 1
    if shares >= 262144:
        return 10000
    l = math.log2(shares)
    return math.ceil(10 ** ((l * l + 125 * l) / 612.0 - 7.0 / 34.0))


def test_v2_memory_max_and_oom_kill_with_oom_event(runtime, bundle):
    path = unique_path("oom")
    with_resources(bundle, ["/bin/sh", "-c", WAIT_GO +
                        "dd if=/dev/zero of=/dev/null bs=96M count=1; echo $? > /tmp/done; sleep 60"],
               {"memory": {"limit": 32 * MIB, "swap": 32 * MIB}}, path)
    run_detached(runtime, bundle, "oom")
    cg = CGROOT + path
    assert int(read(cg + "/memory.max")) == 32 * MIB
    # OCI swap is memory+swap: equal to the limit means no swap at all.
    assert read(cg + "/memory.swap.max") == "0"
    ev = subprocess.Popen(runtime.cmd("events", "--interval", "200ms", "oom"),
                          stdout=subprocess.PIPE, text=True)
    try:
        sel = selectors.DefaultSelector()
        sel.register(ev.stdout, selectors.EVENT_READ)

        def next_line(deadline):
            while time.monotonic() < deadline:
                if sel.select(timeout=deadline - time.monotonic()):
                    return ev.stdout.readline()
            return None

        first = json.loads(next_line(time.monotonic() + 60))
        assert first["type"] == "stats" and first["id"] == "oom"
        assert first["data"]["memory"]["usage"]["limit"] == 32 * MIB
        go(bundle)
        lines, deadline = [], time.monotonic() + 60
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
    assert wait_for(lambda: os.path.exists(done) and read(done), timeout=60), "dd never finished"
    assert read(done) == "137", "dd was not SIGKILLed by the OOM killer"
    assert int(keyed(cg + "/memory.events")["oom_kill"]) >= 1
    delete(runtime, "oom")
    assert not os.path.exists(cg)


def test_v2_pids_max_makes_fork_fail(runtime, bundle):
    path = unique_path("pids")
    with_resources(bundle, ["/bin/sh", "-c",
                        "cat /sys/fs/cgroup/pids.max >&2; "
                        "i=0; while :; do sleep 30 & i=$((i+1)); echo $i; done"],
               {"pids": {"limit": 10}}, path)
    own_cgroup_view(bundle)
    r = runtime("run", "--keep", "-b", bundle.path, "pids", timeout=60)
    assert r.returncode != 0
    # In its own cgroup namespace, the container's cgroup is its /sys/fs/cgroup.
    assert r.stderr.startswith("10\n"), r.stderr
    started = [int(x) for x in r.stdout.split()]
    assert max(started) == 9, r.stdout  # sh plus nine sleeps fill the limit of ten
    assert "fork" in r.stderr, r.stderr
    assert int(keyed(CGROOT + path + "/pids.events")["max"]) >= 1
    delete(runtime, "pids")


def test_v2_cpu_max_and_weight_from_shares(runtime, bundle):
    path = unique_path("cpu")
    with_resources(bundle, ["/bin/sh", "-c", "while :; do :; done"],
               {"cpu": {"quota": 20000, "period": 50000, "shares": 512}}, path)
    run_detached(runtime, bundle, "cpu")
    cg = CGROOT + path
    assert read(cg + "/cpu.max") == "20000 50000"
    assert int(read(cg + "/cpu.weight")) == shares_to_weight(512) == 59
    # The busy loop gets about 0.4 CPU (generous bounds: TCG guest, shared CI host).
    # It runs into the quota (throttled) and over ten periods never gets more than 0.4 CPU; a
    # loaded machine (TCG guest, shared CI host) can only give it less: no lower bound.
    stat = lambda: {k: int(v) for k, v in keyed(cg + "/cpu.stat").items()}
    wait_for(lambda: stat()["nr_throttled"] >= 1, what="throttling")
    s0, t0 = stat(), time.monotonic()
    wait_for(lambda: stat()["nr_periods"] >= s0["nr_periods"] + 10, what="ten cfs periods")
    s1, t1 = stat(), time.monotonic()
    share = (s1["usage_usec"] - s0["usage_usec"]) / 1e6 / (t1 - t0)
    assert share < 0.6, f"busy loop used {share:.2f} CPUs with a 0.4 CPU quota"
    # quota alone keeps the period; shares at the edges convert as runc/crun do
    for shares in (2, 1024, 262144):
        r = runtime("update", "--cpu-quota", "10000", "--cpu-share", str(shares), "cpu")
        assert r.returncode == 0, r.stderr
        assert read(cg + "/cpu.max") == "10000 50000"
        assert int(read(cg + "/cpu.weight")) == shares_to_weight(shares)
    assert [shares_to_weight(s) for s in (2, 1024, 262144)] == [1, 100, 10000]
    delete(runtime, "cpu")


def test_v2_cpuset_pins_the_container(runtime, bundle):
    cpus = os.sched_getaffinity(0)
    last = max(cpus)
    path = unique_path("cpuset")
    with_resources(bundle, ["/bin/sh", "-c", "grep -E 'Cpus_allowed_list|Mems_allowed_list' "
                        "/proc/self/status > /tmp/out; cat /sys/fs/cgroup/cpuset.cpus.effective >> /tmp/out; "
                        "sleep 60"],
               {"cpu": {"cpus": str(last), "mems": "0"}}, path)
    own_cgroup_view(bundle)
    run_detached(runtime, bundle, "cpuset")
    cg = CGROOT + path
    assert read(cg + "/cpuset.cpus") == str(last)
    assert read(cg + "/cpuset.mems") == "0"
    outf = os.path.join(bundle.rootfs, "tmp", "out")
    assert wait_for(lambda: os.path.exists(outf) and len(read(outf).splitlines()) == 3)
    lines = read(outf).splitlines()
    status = dict(l.split(":", 1) for l in lines[:2])
    assert status["Cpus_allowed_list"].strip() == str(last)
    assert status["Mems_allowed_list"].strip() == "0"
    assert lines[2] == str(last)
    delete(runtime, "cpuset")


KMSG = {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11}
OPEN_DEVICES = ("(: < /dev/zero) && echo zero-read-ok; "
                "(: < /dev/kmsg) 2>&1 && echo kmsg-read-ok; "
                "(: > /dev/kmsg) 2>&1 && echo kmsg-write-ok")


def test_v2_device_rules_enforced_by_the_bpf_program(runtime, bundle):
    """No v1 devices controller exists here: only the eBPF program can deny."""
    path = unique_path("dev")
    with_resources(bundle, ["/bin/sh", "-c", "(" + OPEN_DEVICES + ") 2>&1; true"],
               {"devices": [{"allow": False, "access": "rwm"},
                            {"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"}]},
               path, devices=[KMSG])
    r = runtime("run", "--keep", "-b", bundle.path, "dev")
    assert r.returncode == 0, r.stderr
    assert "zero-read-ok" in r.stdout and "kmsg-read-ok" in r.stdout, r.stdout
    assert "kmsg-write-ok" not in r.stdout and "Operation not permitted" in r.stdout, r.stdout
    delete(runtime, "dev")
    # Now deny reads of 1:11 as well: the same node fails to open for reading.
    with_resources(bundle, ["/bin/sh", "-c", "(: < /dev/kmsg) 2>&1 && echo kmsg-read-ok; true"],
               {"devices": [{"allow": False, "access": "rwm"}]}, unique_path("dev2"), devices=[KMSG])
    r = runtime("run", "--keep", "-b", bundle.path, "dev2")
    assert r.returncode == 0, r.stderr
    assert "kmsg-read-ok" not in r.stdout and "Operation not permitted" in r.stdout, r.stdout
    delete(runtime, "dev2")


def test_v2_update_changes_live_limits(runtime, bundle, tmp_path):
    path = unique_path("upd")
    with_resources(bundle, ["/bin/sleep", "60"], {"memory": {"limit": 64 * MIB}, "pids": {"limit": 100}},
               path)
    run_detached(runtime, bundle, "upd")
    cg = CGROOT + path
    assert int(read(cg + "/memory.max")) == 64 * MIB
    r = runtime("update", "--memory", "128m", "--pids-limit", "20", "--cpu-quota", "30000",
                "--cpu-period", "60000", "upd")
    assert r.returncode == 0, r.stderr
    assert int(read(cg + "/memory.max")) == 128 * MIB
    assert read(cg + "/pids.max") == "20"
    assert read(cg + "/cpu.max") == "30000 60000"
    res = tmp_path / "resources.json"
    res.write_text(json.dumps({"memory": {"limit": 96 * MIB, "swap": 96 * MIB},
                               "pids": {"limit": -1}, "cpu": {"shares": 512},
                               "unified": {"memory.high": str(90 * MIB)}}))
    r = runtime("update", f"--resources={res}", "upd")
    assert r.returncode == 0, r.stderr
    assert int(read(cg + "/memory.max")) == 96 * MIB
    assert read(cg + "/memory.swap.max") == "0"
    assert int(read(cg + "/memory.high")) == 90 * MIB
    assert read(cg + "/pids.max") == "max"
    assert int(read(cg + "/cpu.weight")) == shares_to_weight(512)
    # Unlimited memory.
    r = runtime("update", "-r", "-", "upd", input=json.dumps({"memory": {"limit": -1}}))
    assert r.returncode == 0, r.stderr
    assert read(cg + "/memory.max") == "max"
    # Bad values name the field and change nothing.
    res.write_text(json.dumps({"cpu": {"shares": 1}}))
    r = runtime("update", "-r", str(res), "upd")
    assert r.returncode != 0 and "cpu.shares" in r.stderr, r.stderr
    assert int(read(cg + "/cpu.weight")) == shares_to_weight(512)
    delete(runtime, "upd")
    assert not os.path.exists(cg)


def test_v2_pause_freezes_through_cgroup_freeze(runtime, bundle):
    path = unique_path("pause")
    with_resources(bundle, ["/bin/sh", "-c",
                        "i=0; while :; do i=$((i+1)); echo $i > /tmp/c; sleep 0.02; done"], {}, path)
    run_detached(runtime, bundle, "pause")
    cg = CGROOT + path
    counter = os.path.join(bundle.rootfs, "tmp", "c")
    assert wait_for(lambda: os.path.exists(counter) and read(counter) not in ("", "1"))
    r = runtime("pause", "pause")
    assert r.returncode == 0, r.stderr
    assert read(cg + "/cgroup.freeze") == "1"
    assert keyed(cg + "/cgroup.events")["frozen"] == "1"
    assert runtime.state("pause")["status"] == "paused"
    frozen = read(counter)
    # Watching for something that must not happen: a slow machine only makes it pass.
    time.sleep(0.5)
    assert read(counter) == frozen
    r = runtime("resume", "pause")
    assert r.returncode == 0, r.stderr
    assert read(cg + "/cgroup.freeze") == "0"
    assert runtime.state("pause")["status"] == "running"
    assert wait_for(lambda: read(counter) not in ("", frozen), timeout=60)
    assert runtime("pause", "pause").returncode == 0
    delete(runtime, "pause")  # a frozen container can be deleted with --force
    assert not os.path.exists(cg)


def test_v2_ps_json_events_stats_and_kill_all(runtime, bundle):
    path = unique_path("ps")
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    with_resources(bundle, ["/bin/sh", "-c", "sleep 60 & sleep 61 & wait"],
               {"memory": {"limit": 64 * MIB}, "pids": {"limit": 50}}, path)
    pid = run_detached(runtime, bundle, "ps")
    pids = wait_for(lambda: (lambda p: p if len(p) == 3 else None)(
        json.loads(runtime("ps", "--format", "json", "ps").stdout)))
    assert pids and pid in pids
    assert sorted(pids) == sorted(int(p) for p in read(CGROOT + path + "/cgroup.procs").split())
    r = runtime("events", "--stats", "ps")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)["data"]
    assert data["memory"]["usage"]["limit"] == 64 * MIB
    assert data["memory"]["usage"]["usage"] > 0
    assert data["pids"] == {"current": 3, "limit": 50}
    assert data["cpu"]["usage"]["total"] > 0
    r = runtime("kill", "--all", "ps", "KILL")
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: read(CGROOT + path + "/cgroup.procs") == "")
    delete(runtime, "ps")


def test_v2_delete_leaves_no_cgroup_directory(runtime, bundle):
    top = f"/hulltest-{uuid.uuid4().hex[:8]}"
    path = top + "/a/b/del"
    with_resources(bundle, ["/bin/sleep", "60"], {"pids": {"limit": 10}, "memory": {"limit": 64 * MIB}},
               path)
    run_detached(runtime, bundle, "del")
    assert os.path.isdir(CGROOT + path)
    # Controllers were enabled on the way down.
    assert {"memory", "pids"} <= set(read(CGROOT + top + "/a/b/cgroup.subtree_control").split())
    delete(runtime, "del")
    assert not os.path.exists(CGROOT + top)
    # The default path /hull/<id>, too.
    with_resources(bundle, ["/bin/true"], {"pids": {"limit": 10}})
    bundle.config["linux"]["cgroupsPath"] = ""
    bundle.write()
    cid = f"dflt-{uuid.uuid4().hex[:8]}"
    r = runtime("run", "--keep", "-b", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    assert os.path.isdir(CGROOT + "/hull/" + cid)
    delete(runtime, cid)
    assert not os.path.exists(CGROOT + "/hull/" + cid)


def test_v2_container_process_is_cloned_into_its_cgroup(runtime, bundle):
    """Pure cgroup2: the container process starts in its configured cgroup (clone3 with
    CLONE_INTO_CGROUP) instead of being moved there after the clone."""
    path = unique_path("into")
    with_resources(bundle, ["/bin/cat", "/proc/self/cgroup"], {"pids": {"limit": 17}}, path)
    r = runtime("--debug", "run", "--keep", "-b", bundle.path, "into")
    assert r.returncode == 0, r.stderr
    assert "cloned into its cgroup" in r.stderr and "CLONE_INTO_CGROUP" in r.stderr, r.stderr
    assert r.stdout.split() == ["0::" + path], r.stdout
    assert read(CGROOT + path + "/pids.max") == "17"
    delete(runtime, "into")
    assert not os.path.exists(CGROOT + path)


def test_v2_cgroup_manager_disabled_creates_no_cgroup(runtime, bundle):
    path = unique_path("nocg")
    with_resources(bundle, ["/bin/sleep", "60"], {"pids": {"limit": 10}}, path)
    r = detached(runtime, "--cgroup-manager", "disabled", "run", "-d", "-b", bundle.path, "nocg")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(CGROOT + path)
    assert not os.path.exists(CGROOT + path.rsplit("/", 1)[0])
    r = runtime("pause", "nocg")
    assert r.returncode != 0 and "no cgroups" in r.stderr
    delete(runtime, "nocg")
