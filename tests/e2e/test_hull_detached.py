"""Detached containers and their monitors: logs (streaming, rotation), stop/kill/restart/wait,
restart policies with backoff, ps/inspect documents, a crashed monitor, the monitor's memory."""
import json
import os
import signal
import subprocess
import time

from conftest import wait_exit
from hull_helpers import hull  # noqa: F401  (fixture)


def rfc3339_seconds(ts):
    """'2024-01-02T03:04:05.123456789Z' -> seconds (float) since midnight (enough for gaps)."""
    clock = ts.split("T")[1].rstrip("Z")
    h, m, s = clock.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def test_detached_run_prints_id_and_logs_follow_streams(hull):
    # The container writes the other lines only once /tmp/go exists, which the test creates
    # after `logs -f` has shown the first one: that line was streamed, not read at the end.
    cid = hull.run_d("--name", "streamer", "busybox", "sh", "-c",
                     "echo line 1; while [ ! -e /tmp/go ]; do sleep 0.02; done; "
                     "for i in 2 3 4 5 6; do echo line $i; done; echo bye >&2")
    assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid)
    p = hull.popen("logs", "-f", cid[:12], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   text=True)
    try:
        first = p.stdout.readline()
        hull("exec", "streamer", "touch", "/tmp/go", check=True)
        rest, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert first == "line 1\n"
    assert (first + rest).splitlines() == [f"line {i}" for i in range(1, 7)]
    assert err == "bye\n"
    assert p.returncode == 0
    assert hull("wait", "streamer", check=True).stdout == "0\n"


def test_log_records_are_docker_json_lines(hull):
    hull.run_d("--name", "js", "busybox", "sh", "-c", 'printf "a\\tb\\n"; printf "no-newline"')
    hull("wait", "js", check=True)
    doc = hull.inspect("js")
    with open(doc["LogPath"]) as f:
        recs = [json.loads(l) for l in f]
    assert [(r["log"], r["stream"]) for r in recs] == [("a\tb\n", "stdout"),
                                                        ("no-newline", "stdout")]
    assert all(r["time"].endswith("Z") and len(r["time"]) == 30 for r in recs)
    r = hull.logs("js", "-t", "--tail", "1")
    assert r.stdout == recs[1]["time"] + " no-newline"


def test_log_rotation(hull):
    hull.run_d("--name", "rot", "--log-opt", "max-size=2k", "--log-opt", "max-file=2",
               "busybox", "sh", "-c", "i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done")
    hull("wait", "rot", check=True)
    d = os.path.dirname(hull.inspect("rot")["LogPath"])
    files = sorted(f for f in os.listdir(d) if f.startswith("container.log"))
    assert files == ["container.log", "container.log.1"]
    for f in files:
        assert os.path.getsize(os.path.join(d, f)) <= 2048
    lines = hull.logs("rot").stdout.splitlines()
    assert lines[-1] == "line-299"
    # What is kept is the most recent output, in order.
    nums = [int(l.split("-")[1]) for l in lines]
    assert nums == list(range(nums[0], 300))


def test_stop_sends_stop_signal_then_waits(hull):
    hull.run_d("--name", "graceful", "busybox", "sh", "-c",
               'trap "echo got TERM; exit 3" TERM; echo ready; while true; do sleep 0.05; done')
    hull.wait_for(lambda: "ready" in hull.logs("graceful").stdout, what="ready")
    t0 = time.monotonic()
    r = hull("stop", "-t", "60", "graceful", timeout=120)
    elapsed = time.monotonic() - t0
    assert r.returncode == 0 and r.stdout == "graceful\n"
    assert elapsed < 50  # before the timeout: the TERM did it (so says exit code 3 below)
    assert "got TERM" in hull.logs("graceful").stdout
    st = hull.state("graceful")
    assert st["Status"] == "exited" and st["ExitCode"] == 3


def test_stop_kills_after_timeout(hull):
    hull.run_d("--name", "stubborn", "--stop-signal", "USR1", "busybox", "sh", "-c",
               'trap "echo got USR1" USR1; echo ready; while true; do sleep 0.05; done')
    hull.wait_for(lambda: "ready" in hull.logs("stubborn").stdout, what="ready")
    t0 = time.monotonic()
    assert hull("stop", "-t", "1", "stubborn").returncode == 0
    elapsed = time.monotonic() - t0
    assert 1.0 <= elapsed < 60  # waited the timeout, then killed (137 below)
    assert "got USR1" in hull.logs("stubborn").stdout
    st = hull.state("stubborn")
    assert st["Status"] == "exited" and st["ExitCode"] == 137
    assert hull.ps() == []


def test_restart_on_failure_backs_off_then_gives_up(hull):
    # Backoff 200, 400, 800 ms here (HULL_RESTART_BACKOFF_MS): each gap between two runs is
    # at least its backoff; container start-up only adds to it, so there is no upper bound.
    r = hull("run", "-d", "--name", "flaky", "--restart", "on-failure:3", "busybox", "sh", "-c",
             "echo run; exit 1", env={"HULL_RESTART_BACKOFF_MS": "200"})
    assert r.returncode == 0, r.stderr
    assert hull("wait", "flaky", timeout=120, check=True).stdout == "1\n"
    doc = hull.inspect("flaky")
    assert doc["RestartCount"] == 3
    assert doc["State"]["Status"] == "exited" and doc["State"]["ExitCode"] == 1
    # Logs of every run accumulate; the gaps are at least the doubling backoff.
    stamps = [l.split()[0] for l in hull.logs("flaky", "-t").stdout.splitlines()]
    assert len(stamps) == 4
    t = [rfc3339_seconds(s) for s in stamps]
    gaps = [b - a for a, b in zip(t, t[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and gaps[2] >= 0.8, gaps


def test_restart_always_until_stopped(hull):
    hull.run_d("--name", "forever", "--restart", "always", "busybox", "sh", "-c",
               "echo run; sleep 0.1")
    hull.wait_for(lambda: hull.inspect("forever")["RestartCount"] >= 2, what="restarts")
    mon = hull.state("forever")["MonitorPid"]
    assert hull("stop", "-t", "1", "forever").returncode == 0
    # The monitor is what restarts: it is gone, so nothing can start the program again.
    assert wait_exit(mon), "the monitor outlived stop"
    assert hull.state("forever")["Status"] == "exited"


def test_ps_and_inspect_documents(hull):
    cid = hull.run_d("--name", "doc", "-l", "tier=web", "-e", "A=1", "busybox", "sleep", "30")
    (entry,) = hull.ps()
    assert entry["Id"] == cid and entry["Names"] == ["doc"]
    assert entry["Image"] == "busybox" and entry["Command"] == "sleep 30"
    assert entry["State"] == "running" and entry["Status"].startswith("Up")
    assert entry["Labels"] == {"tier": "web"} and entry["Pid"] > 0
    doc = hull.inspect("doc")
    for key in ("Id", "Name", "Created", "Path", "Args", "State", "Image", "Config",
                "HostConfig", "Mounts", "RestartCount", "LogPath", "GraphDriver"):
        assert key in doc, key
    st = doc["State"]
    assert st["Status"] == "running" and st["Running"] and st["Pid"] == entry["Pid"]
    assert st["MonitorPid"] > 0
    assert "A=1" in doc["Config"]["Env"]
    assert doc["HostConfig"]["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}
    assert doc["HostConfig"]["LogConfig"]["Config"]["max-size"] == str(10 << 20)
    # The pid is the container's PID 1 on the host (its execve may follow `run -d`'s return).
    hull.wait_for(lambda: open(f"/proc/{st['Pid']}/cmdline", "rb").read() == b"sleep\x0030\x00",
                  what="the container's execve of sleep")
    # Short ID prefixes and names both work; ambiguity and unknown names are errors.
    assert hull("inspect", "-f", "{{.Name}}", cid[:5], check=True).stdout == "/doc\n"
    r = hull("inspect", "--type", "container", "nosuch")
    assert r.returncode == 1 and "no such container: nosuch" in r.stderr
    top = hull("top", "doc", check=True).stdout
    assert "sleep 30" in top
    stats = json.loads(hull("stats", "--no-stream", "--format", "json", check=True).stdout)
    assert stats[0]["Name"] == "doc" and stats[0]["Pids"] == 1 and stats[0]["MemUsage"] > 0
    r = hull("rm", "doc")
    assert r.returncode == 1 and "stop it first" in r.stderr
    assert hull("rm", "-f", "doc").returncode == 0
    assert hull.ps("-a") == []


def test_create_start_kill_restart_wait(hull):
    cid = hull("create", "--name", "cycle", "busybox", "sh", "-c",
               "echo start; trap 'echo hup' HUP; while true; do sleep 0.05; done",
               check=True).stdout.strip()
    assert hull.state("cycle")["Status"] == "created"
    assert hull("start", "cycle", check=True).stdout == "cycle\n"
    hull.wait_for(lambda: "start" in hull.logs("cycle").stdout, what="start")
    assert hull("kill", "-s", "HUP", "cycle").returncode == 0
    hull.wait_for(lambda: "hup" in hull.logs("cycle").stdout, what="hup")
    pid1 = hull.state("cycle")["Pid"]
    assert hull("restart", "-t", "0", "cycle", check=True).stdout == "cycle\n"
    st = hull.state("cycle")
    assert st["Status"] == "running" and st["Pid"] != pid1
    assert hull("kill", cid).returncode == 0
    assert hull("wait", "cycle", check=True).stdout == "137\n"
    r = hull("kill", "cycle")
    assert r.returncode == 1 and "is not running" in r.stderr


def test_crashed_monitor_is_detected_and_cleaned_up(hull):
    hull.run_d("--name", "orphan", "busybox", "sleep", "60")
    st = hull.state("orphan")
    os.kill(st["MonitorPid"], signal.SIGKILL)
    os.kill(st["Pid"], signal.SIGKILL)
    hull.wait_for(lambda: hull.state("orphan")["Status"] == "exited", what="exited")
    (entry,) = hull.ps("-a")
    assert entry["Status"] == "Exited (unknown)" and entry["ExitCode"] == -1
    assert "monitor" in hull.state("orphan")["Error"]
    assert hull("rm", "orphan").returncode == 0


def test_idle_monitor_is_small(hull):
    """Once set up, the monitor drops its mappings of code it no longer runs: an idle one stays
    near 340 KiB RSS (it was 770 KiB), and still relays output and records the exit."""
    hull.run_d("-i", "--name", "idle", "busybox", "sh", "-c", "read x; echo got $x; exit 3")
    mon = hull.state("idle")["MonitorPid"]
    with open(f"/proc/{mon}/comm") as f:
        assert f.read().strip() == "hull-monitor"

    def rss():
        with open(f"/proc/{mon}/status") as f:
            return int(next(l for l in f if l.startswith("VmRSS")).split()[1])
    hull.wait_for(lambda: rss() < 512, what="idle monitor RSS under 512 KiB")
    r = hull("attach", "idle", input="hello\n")
    assert "got hello" in r.stdout, r
    hull.wait_for(lambda: hull.state("idle")["Status"] == "exited", what="exited")
    assert hull.state("idle")["ExitCode"] == 3
    assert "got hello" in hull("logs", "idle", check=True).stdout


def test_ps_table_columns_line_up_like_dockers(hull):
    """Columns as wide as their widest cell (a long status or name included), at least 3
    spaces apart, every cell starting under its header."""
    hull.run_d("--name", "a-rather-long-container-name", "busybox", "sleep", "30")
    hull("run", "--name", "xx", "busybox", "sh", "-c", "exit 3")
    lines = hull("ps", "-a", check=True).stdout.splitlines()
    header, rows = lines[0], lines[1:]
    assert len(rows) == 2
    starts = [header.index(h) for h in ("IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES")]
    for row in rows:
        for s in starts:
            assert row[s - 3:s] == "   " and row[s] != " ", (row, s)
    by_name = {r.split()[-1]: r for r in rows}
    assert "Exited (3)" in by_name["xx"] and "ago" in by_name["xx"]
    assert by_name["a-rather-long-container-name"][starts[3]:].startswith("Up ")
