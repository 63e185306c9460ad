"""Health checks as docker runs them: the image's Healthcheck and the --health-* flags, probes
on the monitor's schedule (detached and attached), docker's state rules (retries, start period,
timeout), `hull ps`/`inspect` showing the result, `hull healthcheck run`, and nothing left
behind."""
import json
import os
import time

import pytest

from hull_helpers import hull, processes_mentioning  # noqa: F401  (fixture)
from image_helpers import add_tree, tar_bytes, write_oci_layout

MS = 1_000_000


@pytest.fixture(scope="module")
def health_layout(busybox_rootfs, tmp_path_factory):
    """An OCI layout of busybox with two HEALTHCHECKs. `hc`: passes once /tmp/ready exists;
    probes every 100ms inside a 30s start period. `missing`: the exec form of a program that
    does not exist."""
    layout = str(tmp_path_factory.mktemp("health") / "layout")
    layers = [(tar_bytes(lambda t: add_tree(t, busybox_rootfs)), "plain")]
    write_oci_layout(layout, layers, tag="missing", config_extra={"config": {
        "Cmd": ["sh"], "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
        "Healthcheck": {"Test": ["CMD", "/bin/nonexistent", "--flag"], "Interval": 100 * MS,
                        "Retries": 1}}})
    write_oci_layout(layout, layers, tag="hc", config_extra={"config": {
                         "Cmd": ["sh"],
                         "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                         "Healthcheck": {
                             "Test": ["CMD-SHELL", "test -f /tmp/ready && echo ready"],
                             "Interval": 100 * MS, "Timeout": 2000 * MS,
                             "StartPeriod": 30000 * MS, "StartInterval": 100 * MS,
                             "Retries": 2}}})
    return layout


def health_image(hull, layout, tag="hc"):
    hull("pull", f"oci:{layout}:{tag}", check=True)
    return f"localhost/layout:{tag}"


def health(hull, ref):
    return hull.state(ref).get("Health")


def wait_health(hull, ref, pred, what, timeout=60):
    return hull.wait_for(lambda: (h := health(hull, ref)) and pred(h) and h, timeout=timeout,
                         what=what)


def probe_timer_seconds(monitor_pid):
    """Seconds until the monitor's next probe (its timerfd's it_value); 0 when disarmed."""
    fds = f"/proc/{monitor_pid}/fd"
    for fd in os.listdir(fds):
        if os.readlink(f"{fds}/{fd}") == "anon_inode:[timerfd]":
            with open(f"/proc/{monitor_pid}/fdinfo/{fd}") as f:
                line = next(l for l in f if l.startswith("it_value:"))
            secs, nsecs = line.split("(", 1)[1].rstrip(")\n").split(",")
            return int(secs) + int(nsecs) / 1e9
    raise AssertionError(f"monitor {monitor_pid} has no timerfd")


def ps_entry(hull, name):
    (e,) = [e for e in hull.ps("-a") if e["Names"] == [name]]
    return e


def test_image_healthcheck_goes_from_starting_to_healthy(hull, health_layout):
    image = health_image(hull, health_layout)
    t0 = time.monotonic()
    hull.run_d("--name", "web", image, "sleep", "600")
    doc = hull.inspect("web")
    assert doc["Config"]["Healthcheck"] == {
        "Test": ["CMD-SHELL", "test -f /tmp/ready && echo ready"], "Interval": 100 * MS,
        "Timeout": 2000 * MS, "StartPeriod": 30000 * MS, "StartInterval": 100 * MS,
        "Retries": 2}
    h = doc["State"]["Health"]
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    assert "(health: starting)" in ps_entry(hull, "web")["Status"]
    # Failures inside the start period do not count (Retries is 2)...
    h = wait_health(hull, "web", lambda h: len(h["Log"]) >= 3, "three failed probes")
    if time.monotonic() - t0 < 30:  # else a very slow machine left the 30s start period
        assert h["Status"] == "starting" and h["FailingStreak"] == 0
    hull("exec", "web", "touch", "/tmp/ready", check=True)
    # ...and the first success makes it healthy.
    h = wait_health(hull, "web", lambda h: h["Status"] == "healthy", "healthy")
    assert h["FailingStreak"] == 0
    assert h["Log"][-1]["ExitCode"] == 0 and h["Log"][-1]["Output"] == "ready\n"
    # Failed (exit 1), or timed out (-1) on a loaded machine, until the first success; probes
    # that ran after it (a slow machine polls less often than the 100 ms interval) succeeded.
    codes = [e["ExitCode"] for e in h["Log"]]
    first_ok = codes.index(0)
    assert all(c != 0 for c in codes[:first_ok]) and all(c == 0 for c in codes[first_ok:]), codes
    assert len(h["Log"]) <= 5
    e = ps_entry(hull, "web")
    assert e["Status"].startswith("Up ") and e["Status"].endswith("(healthy)")
    assert e["Health"] == "healthy"
    table = hull("ps", check=True).stdout
    assert "(healthy)" in table


def test_failing_check_goes_unhealthy(hull):
    hull.run_d("--name", "sick", "--health-cmd", "echo failing >&2; false",
               "--health-retries", "2", "--health-interval", "200ms", "busybox", "sleep", "60")
    h = wait_health(hull, "sick", lambda h: h["Status"] == "unhealthy", "unhealthy")
    assert h["FailingStreak"] >= 2
    assert h["Log"] and all(e["ExitCode"] == 1 and e["Output"] == "failing\n" for e in h["Log"])
    for e in h["Log"]:
        assert e["Start"] <= e["End"]
    assert ps_entry(hull, "sick")["Status"].endswith("(unhealthy)")
    # Docker's record of the flags: only what was set, durations in nanoseconds.
    assert hull.inspect("sick")["Config"]["Healthcheck"] == {
        "Test": ["CMD-SHELL", "echo failing >&2; false"], "Interval": 200 * MS, "Retries": 2}


def test_start_period_and_start_interval(hull):
    # Probes every 100ms during the start period (StartInterval), failures not counted; after
    # the first success the 30s Interval applies.
    hull.run_d("--name", "slow", "--health-cmd", "test -f /tmp/ok", "--health-retries", "1",
               "--health-interval", "30s", "--health-start-period", "20s",
               "--health-start-interval", "100ms", "busybox", "sleep", "60")
    h = wait_health(hull, "slow", lambda h: len(h["Log"]) >= 3, "three probes")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0
    assert all(e["ExitCode"] == 1 for e in h["Log"])
    hull("exec", "slow", "touch", "/tmp/ok", check=True)
    h = wait_health(hull, "slow", lambda h: h["Status"] == "healthy", "healthy")
    # Probes run one at a time; once the successful one is reaped, the monitor's probe timer
    # is set to the 30s Interval, no longer to the 100ms StartInterval.
    mon = hull.state("slow")["MonitorPid"]
    hull.wait_for(lambda: probe_timer_seconds(mon) > 20, timeout=30, what="the 30s interval")
    assert health(hull, "slow")["Log"] == h["Log"]


def test_start_period_ends(hull):
    # Never healthy: once the start period is over, failures count.
    t0 = time.monotonic()
    hull.run_d("--name", "late", "--health-cmd", "false", "--health-retries", "1",
               "--health-interval", "100ms", "--health-start-period", "1500ms",
               "--health-start-interval", "100ms", "busybox", "sleep", "60")
    h = wait_health(hull, "late", lambda h: h["Status"] == "unhealthy", "unhealthy")
    # Not before the start period is over (a loaded machine only makes it later); the log
    # keeps the last five probes at most.
    assert time.monotonic() - t0 >= 1.4
    assert 1 <= len(h["Log"]) <= 5 and h["FailingStreak"] >= 1


def test_timeout_is_recorded(hull):
    hull.run_d("--name", "hang", "--health-cmd", "sleep 5", "--health-timeout", "300ms",
               "--health-interval", "100ms", "--health-retries", "1", "busybox", "sleep", "60")
    h = wait_health(hull, "hang", lambda h: h["Status"] == "unhealthy", "unhealthy")
    e = h["Log"][0]
    assert e["ExitCode"] == -1
    assert e["Output"] == "Health check exceeded timeout (300ms)"
    assert hull.inspect("hang")["Config"]["Healthcheck"]["Timeout"] == 300 * MS


def test_output_is_capped_like_docker(hull):
    hull.run_d("--name", "chatty", "--health-cmd", "head -c 10000 /dev/zero | tr '\\0' x",
               "--health-interval", "100ms", "busybox", "sleep", "60")
    h = wait_health(hull, "chatty", lambda h: h["Status"] == "healthy", "healthy")
    assert h["Log"][0]["Output"] == "x" * 4096 + "..."


def test_no_healthcheck_disables_the_image_check(hull, health_layout):
    image = health_image(hull, health_layout)
    hull.run_d("--name", "off", "--no-healthcheck", image, "sleep", "60")
    doc = hull.inspect("off")
    assert doc["Config"]["Healthcheck"] == {"Test": ["NONE"]}
    assert "Health" not in doc["State"]
    assert "(" not in ps_entry(hull, "off")["Status"]
    assert not os.path.exists(os.path.join(hull.containers_dir, doc["Id"], "health-schedule"))
    mon = doc["State"]["MonitorPid"]
    fds = [os.readlink(f"/proc/{mon}/fd/{fd}") for fd in os.listdir(f"/proc/{mon}/fd")]
    assert not any("timerfd" in f for f in fds), fds
    r = hull("healthcheck", "run", "off")
    assert r.returncode == 125 and "no health check" in r.stderr
    # Flags override the image's check field by field: the image's test with a new retry count.
    hull.run_d("--name", "mixed", "--health-retries", "7", image, "sleep", "60")
    hc = hull.inspect("mixed")["Config"]["Healthcheck"]
    assert hc["Retries"] == 7 and hc["Test"][1] == "test -f /tmp/ready && echo ready"
    assert hc["Interval"] == 100 * MS


def test_exec_form_that_cannot_start(hull, health_layout):
    # docker records a probe that cannot be started as exit -1 with the error.
    image = health_image(hull, health_layout, "missing")
    hull.run_d("--name", "nocmd", image, "sleep", "60")
    h = wait_health(hull, "nocmd", lambda h: h["Status"] == "unhealthy", "unhealthy")
    e = h["Log"][0]
    assert e["ExitCode"] == -1 and "/bin/nonexistent" in e["Output"], e
    # --health-cmd replaces the image's test, keeping its other fields.
    hull.run_d("--name", "fixed", "--health-cmd", "echo fixed", image, "sleep", "60")
    h = wait_health(hull, "fixed", lambda h: h["Status"] == "healthy", "healthy")
    assert h["Log"][0]["Output"] == "fixed\n"
    assert hull.inspect("fixed")["Config"]["Healthcheck"] == {
        "Test": ["CMD-SHELL", "echo fixed"], "Interval": 100 * MS, "Retries": 1}


def test_attached_run_records_health(hull):
    # The program ends once a second probe has started: the first one's result is recorded by
    # then (probes run one at a time).
    r = hull("run", "--name", "att", "--health-cmd", "echo >> /tmp/probes; echo alive",
             "--health-interval", "100ms", "busybox", "sh", "-c",
             "touch /tmp/probes; while [ $(wc -l < /tmp/probes) -lt 2 ]; do sleep 0.02; done; "
             "echo done", timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "done\n"
    h = health(hull, "att")
    assert h["Status"] == "healthy" and h["Log"][-1]["Output"] == "alive\n"
    assert not processes_mentioning(hull.root + " __health")
    # An exited container shows no health in its status.
    assert ps_entry(hull, "att")["Status"].startswith("Exited (0)")


@pytest.mark.parametrize("detach", [False, True])
def test_probe_cut_short_by_the_exit_is_not_recorded(hull, detach):
    # Probes back to back: one is in flight when the container exits and the kernel kills it
    # with the container's pid namespace. docker drops that result; so does hull.
    # The program ends once a third probe has started: two are recorded, the third is (most
    # likely) still sleeping.
    args = ["--name", "cut", "--health-cmd", "echo >> /tmp/probes; sleep 0.2; echo alive",
            "--health-interval", "1ms", "busybox", "sh", "-c",
            "touch /tmp/probes; while [ $(wc -l < /tmp/probes) -lt 3 ]; do sleep 0.02; done"]
    if detach:
        hull.run_d(*args)
        hull.wait_for(lambda: hull.state("cut")["Status"] == "exited", timeout=60, what="exit")
    else:
        assert hull("run", *args, timeout=120).returncode == 0
    h = health(hull, "cut")
    assert h["Log"], h
    assert all(e["ExitCode"] == 0 and e["Output"] == "alive\n" for e in h["Log"]), h
    assert h["Status"] == "healthy" and h["FailingStreak"] == 0
    assert not processes_mentioning(hull.root + " __health")


def test_healthcheck_run_and_restart_resets(hull):
    hull.run_d("--name", "manual", "--health-cmd", "test -f /tmp/ok && echo fine", "busybox",
               "sleep", "60")
    r = hull("healthcheck", "run", "manual")
    assert r.returncode == 1 and r.stdout == "unhealthy\n"
    hull("exec", "manual", "touch", "/tmp/ok", check=True)
    r = hull("healthcheck", "run", "manual")
    assert r.returncode == 0 and r.stdout == "healthy\n"
    h = health(hull, "manual")
    assert h["Status"] == "healthy" and [e["ExitCode"] for e in h["Log"]] == [1, 0]
    # A restart starts over (status and streak), keeping the log, as docker does.
    hull("restart", "-t", "1", "manual", check=True)
    h = health(hull, "manual")
    assert h["Status"] == "starting" and h["FailingStreak"] == 0 and len(h["Log"]) == 2
    hull("stop", "-t", "1", "manual", check=True)
    r = hull("healthcheck", "run", "manual")
    assert r.returncode == 125 and "not running" in r.stderr
    r = hull("healthcheck", "run", "nosuch")
    assert r.returncode == 125 and "no such container" in r.stderr
    r = hull("healthcheck", "bogus")
    assert r.returncode == 125


@pytest.mark.parametrize("flags, message", [
    (["--health-interval", "abc"], "hull run: --health-interval: invalid duration `abc`"),
    (["--health-interval", "5"], "missing unit"),
    (["--health-timeout", "10x"], "hull run: --health-timeout: invalid duration `10x`: unknown unit"),
    (["--health-start-period", "-1s"], "hull run: --health-start-period cannot be negative"),
    (["--health-retries", "-1"], "hull run: --health-retries cannot be negative"),
    (["--health-retries", "x"], "hull run: --health-retries: invalid number `x`"),
    (["--health-interval", "500us", "--health-cmd", "true"],
     "hull: Interval in Healthcheck cannot be less than 1ms"),
    (["--health-start-interval", "10ns", "--health-cmd", "true"],
     "hull: StartInterval in Healthcheck cannot be less than 1ms"),
    (["--no-healthcheck", "--health-cmd", "true"],
     "hull run: --no-healthcheck conflicts with --health-* options"),
    (["--runtime", "vm", "--health-cmd", "true"],
     "hull run: --runtime vm: health checks are not supported in a VM yet"),
])
def test_bad_health_options(hull, flags, message):
    r = hull("run", "-d", *flags, "busybox", "true")
    assert r.returncode == 125
    lines = r.stderr.splitlines()
    assert message in lines[0], r.stderr
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("See "))
    assert hull.container_ids() == []


def test_nothing_left_after_rm_with_probe_in_flight(hull):
    hull.run_d("--name", "busy", "--health-cmd", "sleep 120", "--health-interval", "1ms",
               "busybox", "sleep", "60")
    hull.wait_for(lambda: processes_mentioning(hull.root + " __health"), what="a probe")
    t0 = time.monotonic()
    hull("rm", "-f", "busy", check=True)
    assert time.monotonic() - t0 < 60  # it did not wait for the probe's two minutes
    assert not processes_mentioning(hull.root + " __health")
    assert hull.container_ids() == []


def test_monitor_stays_small_with_a_health_check(hull):
    hull.run_d("--name", "idle", "--health-cmd", "true", "--health-interval", "50ms",
               "busybox", "sleep", "60")
    wait_health(hull, "idle", lambda h: len(h["Log"]) >= 3, "probes")
    mon = hull.state("idle")["MonitorPid"]
    with open(f"/proc/{mon}/status") as f:
        rss = int(next(l for l in f if l.startswith("VmRSS")).split()[1])
    assert rss < 1024, f"monitor RSS {rss} KiB"
