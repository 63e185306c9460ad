"""Failure paths found by killing things: `hull run -d` killed at random moments, parallel
`hull rm` of one container. Every test ends with the `hull` fixture's leak check (processes,
mounts, runtime state, container directories, names, image users) and checks cgroups itself."""
import glob
import json
import os
import random
import re
import signal
import subprocess
import threading
import time

from hull_helpers import hull  # noqa: F401  (fixture)


def cgroups_of(ids):
    found = []
    for i in ids:
        found += glob.glob(f"/sys/fs/cgroup/*/hull/{i}") + glob.glob(f"/sys/fs/cgroup/hull/{i}")
    return found


def listing(hull):
    """`ps -a` as ids, then what inspect says of each."""
    ids = hull("ps", "-aq", "--no-trunc", check=True).stdout.split()
    if not ids:
        return []
    return json.loads(hull("inspect", "--type", "container", *ids, check=True).stdout)


def test_run_d_killed_at_random_moments_leaves_nothing(hull):
    hull("run", "--rm", "busybox", "true", check=True)  # the built-in image is in the store
    rng = random.Random(int(os.environ.get("HULL_KILL_SEED", time.time_ns())))
    delays = [rng.uniform(0, 0.4) for _ in range(100)]
    names = [f"kill{i}" for i in range(100)]
    lock = threading.Lock()
    todo = list(zip(names, delays))

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                name, delay = todo.pop()
            p = hull.popen("run", "-d", "--name", name, "busybox", "sleep", "1000",
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                p.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                p.wait()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    listed = listing(hull)
    listed_ids = {c["Id"] for c in listed}
    # Every container directory is listed: nothing half-made hides from `ps -a`.
    assert set(hull.container_ids()) == listed_ids
    for c in listed:
        assert c["State"]["Status"] in ("created", "running", "exited", "dead"), c
    # Every reserved name belongs to a listed container.
    names_dir = os.path.join(hull.root, "names")
    for n in os.listdir(names_dir):
        assert os.readlink(os.path.join(names_dir, n)) in listed_ids, n
    # Remove each by name when it has one, else by id.
    for c in listed:
        ref = c["Name"].lstrip("/") or c["Id"]
        r = hull("rm", "-f", ref)
        assert r.returncode == 0 and r.stderr == "", (c, r.stderr)
        assert r.stdout.strip() == ref
    assert hull("ps", "-aq").stdout == ""
    assert cgroups_of(listed_ids) == []
    # Every name is free again.
    hull("run", "-d", "--name", names[0], "busybox", "true", check=True)
    hull("rm", "-f", names[0], check=True)


def test_dead_container_is_listed_removed_and_pruned(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    # What a create of an older hull killed after reserving the name and the image leaves
    # (its creating.json, still read).
    cid = hull("create", "--name", "dead1", "busybox", "true", check=True).stdout.strip()
    record = os.path.join(hull.containers_dir, cid, "container.json")
    with open(record) as f:
        digest = json.load(f)["ImageDigest"]
    os.unlink(record)
    with open(os.path.join(hull.containers_dir, cid, "creating.json"), "w") as f:
        json.dump({"Name": "dead1", "ImageDigest": digest}, f)
    # A bare directory (killed right after mkdir).
    bare = "ab" * 32
    os.mkdir(os.path.join(hull.containers_dir, bare))
    ps = {c["Id"]: c for c in listing(hull)}
    assert ps[cid]["State"]["Status"] == "dead" and ps[cid]["Name"] == "/dead1"
    assert ps[bare]["State"]["Status"] == "dead"
    table = hull("ps", "-a", check=True).stdout
    row = [line for line in table.splitlines() if line.startswith(cid[:12])][0]
    assert re.search(r"\s{3}Dead\s+dead1$", row), row
    st = hull.state("dead1")
    assert st["Dead"] is True and st["Status"] == "dead"
    r = hull("start", "dead1")
    assert r.returncode != 0 and "dead" in r.stderr
    # The name is still taken until the container is removed.
    r = hull("run", "-d", "--name", "dead1", "busybox", "true")
    assert r.returncode == 125 and "already in use" in r.stderr
    r = hull("rm", "dead1")
    assert r.returncode == 0 and r.stdout.strip() == "dead1"
    r = hull("rm", "dead1")
    assert r.returncode == 1 and "no such container: dead1" in r.stderr
    out = hull("system", "prune", "-f", check=True).stdout
    assert f"Deleted container: {bare}" in out
    assert hull("ps", "-aq").stdout == ""


def test_create_killed_before_its_record_is_repaired(hull):
    """What a create killed after reserving the name and recording the image use leaves: the
    directory, the names/ link, the users/ entry, the bundle, no container.json (and no
    creating.json: it is no longer written)."""
    hull("run", "--rm", "busybox", "true", check=True)
    cid = hull("create", "--name", "dead2", "busybox", "true", check=True).stdout.strip()
    d = os.path.join(hull.containers_dir, cid)
    assert not os.path.exists(os.path.join(d, "creating.json"))
    with open(os.path.join(d, "container.json")) as f:
        digest = json.load(f)["ImageDigest"]
    entry = os.path.join(hull.root, "images", "users", digest.split(":")[1], cid)
    assert os.path.exists(entry)
    os.unlink(os.path.join(d, "container.json"))
    ps = {c["Id"]: c for c in listing(hull)}
    assert ps[cid]["State"]["Status"] == "dead" and ps[cid]["Name"] == "/dead2"
    r = hull("run", "-d", "--name", "dead2", "busybox", "true")
    assert r.returncode == 125 and "already in use" in r.stderr
    r = hull("rm", "dead2")
    assert r.returncode == 0 and r.stdout.strip() == "dead2"
    # The image use is released although nothing named the image: found by the id.
    assert not os.path.exists(entry)
    assert not os.path.exists(d)
    hull("run", "-d", "--name", "dead2", "busybox", "true", check=True)
    hull("rm", "-f", "dead2", check=True)


def parallel(hull, n, *args):
    procs = [hull.popen(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    return [(p.wait(timeout=120), *p.communicate()) for p in procs]


def test_parallel_rm_exactly_one_succeeds(hull):
    hull.run_d("--name", "race", "busybox", "true")
    hull.wait_for(lambda: hull.state("race")["Status"] == "exited", what="exit")
    results = parallel(hull, 10, "rm", "race")
    ok = [r for r in results if r[0] == 0]
    assert len(ok) == 1, results
    assert ok[0][1].strip() == "race"
    for rc, out, err in results:
        if rc != 0:
            assert rc == 1 and out == "" and err.strip() == "hull: no such container: race", \
                (rc, out, err)
    assert hull("ps", "-aq").stdout == ""


def test_parallel_rm_force_of_running_exactly_one_succeeds(hull):
    cid = hull.run_d("--name", "race2", "busybox", "sleep", "1000")
    results = parallel(hull, 10, "rm", "-f", "race2")
    ok = [r for r in results if r[0] == 0]
    assert len(ok) == 1, results
    for rc, out, err in results:
        if rc != 0:
            assert rc == 1 and err.strip() == "hull: no such container: race2", (rc, out, err)
    assert hull("ps", "-aq").stdout == ""
    assert cgroups_of([cid]) == []


LOOP = 'trap "exit 0" TERM; i=0; while true; do echo line$i; i=$((i+1)); sleep 0.1; done'


def kill_monitor(hull, ref):
    mpid = hull.state(ref)["MonitorPid"]
    assert mpid > 0
    os.kill(mpid, signal.SIGKILL)
    hull.wait_for(lambda: "(unmonitored)" in hull("ps", check=True).stdout, what="unmonitored")
    return mpid


def test_killed_monitor_is_seen_and_adopted_by_start(hull):
    hull.run_d("--name", "orph", "--restart", "always", "busybox", "sh", "-c", LOOP)
    hull.wait_for(lambda: "line1" in hull.logs("orph").stdout, what="output")
    kill_monitor(hull, "orph")
    st = hull.state("orph")
    assert st["Running"] is True and "monitor died" in st["Error"]
    row = [l for l in hull("ps", check=True).stdout.splitlines() if "orph" in l][0]
    assert re.search(r"Up .* \(unmonitored\)", row), row
    # logs -f does not block: what was recorded, then one line saying why it ends.
    r = hull("logs", "-f", "orph", timeout=30)
    assert r.returncode == 0 and "line0" in r.stdout
    assert r.stderr.strip().splitlines() == [
        "hull: the monitor of container orph died: its output is no longer recorded "
        "(`hull start orph` gives it a new monitor)"]
    # hull start adopts it; when it then exits the restart policy applies again.
    old_pid = st["Pid"]
    assert hull("start", "orph", check=True).stdout.strip() == "orph"
    st = hull.state("orph")
    assert st["Pid"] == old_pid and st["Error"] == "" and st["MonitorPid"] > 0
    os.kill(old_pid, signal.SIGKILL)
    hull.wait_for(lambda: hull.inspect("orph")["RestartCount"] == 1 and
                  hull.state("orph")["Running"], what="restart")
    new = hull.state("orph")
    assert new["Pid"] != old_pid and "(unmonitored)" not in hull("ps", check=True).stdout
    # The new run is monitored again: its output reaches the log.
    before = len(hull.logs("orph").stdout.splitlines())
    hull.wait_for(lambda: len(hull.logs("orph").stdout.splitlines()) > before + 2,
                  what="new output")
    hull("stop", "-t", "5", "orph", check=True)
    assert hull.state("orph")["Status"] == "exited"


def test_stop_restart_rm_work_without_monitor(hull):
    hull.run_d("--name", "orph2", "busybox", "sh", "-c", LOOP)
    kill_monitor(hull, "orph2")
    hull("stop", "-t", "5", "orph2", check=True)
    st = hull.state("orph2")
    assert st["Status"] == "exited" and st["Running"] is False
    hull("restart", "-t", "5", "orph2", check=True)
    assert hull.state("orph2")["Running"] is True
    kill_monitor(hull, "orph2")
    cid = hull.inspect("orph2")["Id"]
    r = hull("rm", "-f", "orph2")
    assert r.returncode == 0, r.stderr
    assert hull("ps", "-aq").stdout == ""
    assert cgroups_of([cid]) == []
