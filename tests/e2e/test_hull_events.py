"""`hull events` and the event log every command and monitor appends to; OOM kills recorded from
the kernel's verdict."""
import json
import os
import re
import subprocess
import threading
import time

from hull_helpers import hull  # noqa: F401  (fixture)


def since_now():
    return f"{time.time() - 0.001:.9f}"


def events(hull, since, *args):
    r = hull("events", "--since", since, "--until", "0s", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def json_events(hull, since, *filters):
    out = events(hull, since, "--format", "{{json .}}", *filters)
    return [json.loads(l) for l in out.splitlines()]


def wait_event(hull, since, *filters, timeout=120):
    """The first event matching, waiting for it (polls the recorded log)."""
    return hull.wait_for(lambda: json_events(hull, since, *filters), timeout=timeout,
                         interval=0.05, what=f"event {filters}")[0]


class Follower:
    """`hull events` running in the background; lines collected by a thread."""

    def __init__(self, hull, *args):
        self.p = hull.popen("events", *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, pred, timeout=120):
        with self.cond:
            ok = self.cond.wait_for(lambda: any(pred(l) for l in self.lines), timeout=timeout)
        assert ok, f"no such event line; got {self.lines}"
        return [l for l in self.lines if pred(l)][0]

    def stop(self):
        self.p.kill()
        self.p.wait()


def test_container_lifecycle_events_follow_in_docker_shape(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    since = since_now()
    f = Follower(hull, "--since", since, "--format", "{{json .}}", "-f", "container=evweb")
    try:
        cid = hull.run_d("--name", "evweb", "-l", "tier=web", "busybox", "sleep", "1000")
        hull("pause", "evweb", check=True)
        hull("unpause", "evweb", check=True)
        # sleep as PID 1 has no TERM handler: SIGKILL after the timeout, as with docker.
        hull("stop", "-t", "1", "evweb", check=True)
        hull("rm", "evweb", check=True)
        f.wait_for(lambda l: '"Action":"destroy"' in l)
    finally:
        f.stop()
    evs = [json.loads(l) for l in f.lines]
    actions = [e["Action"] for e in evs]
    assert actions == ["create", "start", "pause", "unpause", "kill", "kill", "die", "stop",
                       "destroy"], actions
    for e in evs:
        assert e["Type"] == "container" and e["scope"] == "local"
        assert e["Actor"]["ID"] == cid and e["id"] == cid and e["status"] == e["Action"]
        assert e["from"] == "busybox"
        attrs = e["Actor"]["Attributes"]
        assert attrs["name"] == "evweb" and attrs["image"] == "busybox" and attrs["tier"] == "web"
        assert e["time"] == e["timeNano"] // 10**9
    assert [e["Actor"]["Attributes"]["signal"] for e in evs if e["Action"] == "kill"] == \
        ["15", "9"]
    assert evs[6]["Actor"]["Attributes"]["exitCode"] == "137"
    times = [e["timeNano"] for e in evs]
    assert times == sorted(times)


def test_events_filters_since_until_and_default_format(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    since = since_now()
    hull("run", "--name", "eva", "-l", "app=a", "busybox", "sh", "-c", "exit 3")
    hull("run", "--name", "evb", "-l", "app=b", "busybox", "true", check=True)
    hull("volume", "create", "evvol", check=True)
    hull("volume", "rm", "evvol", check=True)
    dies = json_events(hull, since, "-f", "event=die")
    assert [(e["Actor"]["Attributes"]["name"], e["Actor"]["Attributes"]["exitCode"])
            for e in dies] == [("eva", "3"), ("evb", "0")]
    assert [e["Action"] for e in json_events(hull, since, "-f", "container=eva")] == \
        ["create", "start", "die"]
    # Values of one key OR, different keys AND.
    two = json_events(hull, since, "-f", "container=eva", "-f", "container=evb",
                      "-f", "event=start")
    assert [e["Actor"]["Attributes"]["name"] for e in two] == ["eva", "evb"]
    assert {e["Actor"]["Attributes"]["name"]
            for e in json_events(hull, since, "-f", "label=app=b")} == {"evb"}
    vols = json_events(hull, since, "-f", "type=volume")
    assert [(e["Action"], e["Actor"]["ID"]) for e in vols] == \
        [("create", "evvol"), ("destroy", "evvol")]
    assert "status" not in vols[0]
    assert json_events(hull, since, "-f", "image=busybox:latest", "-f", "event=create")
    # --until before anything happened: nothing; a template of fields.
    assert events(hull, since, "--until", since) == ""
    out = events(hull, since, "-f", "event=die", "--format",
                 "{{.Action}} {{.Actor.Attributes.name}} {{json .Actor.Attributes.exitCode}}")
    assert out.splitlines() == ['die eva "3"', 'die evb "0"']
    # docker's default line.
    line = events(hull, since, "-f", "container=eva", "-f", "event=die").strip()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) container die "
                        r"[0-9a-f]{64} \(app=a, exitCode=3, image=busybox, name=eva\)", line), line
    # Bad input.
    r = hull("events", "-f", "nope=1")
    assert r.returncode == 125 and "invalid filter 'nope'" in r.stderr
    r = hull("events", "-f", "type=bogus")
    assert r.returncode == 125 and "invalid filter 'type=bogus'" in r.stderr
    r = hull("events", "--since", "yesterday")
    assert r.returncode == 125 and "--since" in r.stderr
    r = hull("events", "--since", since, "--until", "0s", "--format", "{{.Nope}}")
    assert r.returncode == 1 and 'map has no entry for key "Nope"' in r.stderr
    r = hull("events", "--format", "{{.Action")
    assert r.returncode == 125 and "--format" in r.stderr
    # The full template language: conditionals and functions over the event.
    out = events(hull, since, "-f", "event=die", "--format",
                 '{{if eq .Actor.Attributes.exitCode "0"}}ok{{else}}fail{{end}} '
                 '{{upper .Actor.Attributes.name}}')
    assert out.splitlines() == ["fail EVA", "ok EVB"]
    hull("rm", "eva", "evb", check=True)


def test_image_tag_events(hull):
    since = since_now()
    hull("tag", "busybox", "evtag:1", check=True)
    hull("rmi", "evtag:1", check=True)
    out = events(hull, since, "-f", "type=image", "--format",
                 "{{.Action}} {{.Actor.Attributes.name}}")
    assert out.splitlines() == ["tag docker.io/library/evtag:1",
                                "untag docker.io/library/evtag:1"], out


def test_oom_kill_is_recorded(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    since = since_now()
    bomb = "x=0123456789abcdef; while true; do x=$x$x; done"
    hull.run_d("--name", "evoom", "-m", "16m", "busybox", "sh", "-c", bomb)
    hull.wait_for(lambda: hull.state("evoom")["Status"] == "exited", timeout=60, what="oom")
    st = hull.state("evoom")
    assert st["OOMKilled"] is True and st["ExitCode"] == 137
    row = [l for l in hull("ps", "-a", check=True).stdout.splitlines() if "evoom" in l][0]
    assert "Exited (137)" in row
    oom = wait_event(hull, since, "-f", "event=oom")
    assert oom["Actor"]["Attributes"]["name"] == "evoom"
    actions = [e["Action"] for e in json_events(hull, since, "-f", "container=evoom")]
    assert actions[-2:] == ["oom", "die"], actions
    # Attached too; and an exit by SIGKILL that is not the kernel's OOM killer is not OOMKilled.
    r = hull("run", "--name", "evoom2", "-m", "16m", "busybox", "sh", "-c", bomb)
    assert r.returncode == 137 and hull.state("evoom2")["OOMKilled"] is True
    hull.run_d("--name", "evkill", "-m", "16m", "busybox", "sleep", "1000")
    hull("kill", "evkill", check=True)
    hull.wait_for(lambda: hull.state("evkill")["Status"] == "exited", what="exit")
    assert hull.state("evkill")["OOMKilled"] is False
    assert hull.state("evkill")["ExitCode"] == 137


def test_health_status_and_restart_events(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    since = since_now()
    hull.run_d("--name", "evhc", "--health-cmd", "true", "--health-interval", "100ms",
               "busybox", "sleep", "1000")
    e = wait_event(hull, since, "-f", "event=health_status")
    assert e["Action"] == "health_status: healthy"
    assert e["Actor"]["Attributes"]["name"] == "evhc"
    hull("restart", "-t", "1", "evhc", check=True)
    wait_event(hull, since, "-f", "event=restart")
    # Restart policy restarts: die then start again.
    hull.run_d("--name", "evrp", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 1")
    hull.wait_for(lambda: len(json_events(hull, since, "-f", "container=evrp",
                                          "-f", "event=die")) == 3, what="3 dies")
    starts = json_events(hull, since, "-f", "container=evrp", "-f", "event=start")
    assert len(starts) == 3
    hull("rm", "-f", "evhc", "evrp", check=True)


def test_until_ahead_is_waited_for(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    since = since_now()
    until = f"{time.time() + 8:.3f}"  # generous: the create below must land before it
    p = hull.popen("events", "--since", since, "--until", until, "-f", "event=create",
                   "--format", "{{.Actor.Attributes.name}}", stdout=subprocess.PIPE, text=True)
    hull("create", "--name", "evlater", "busybox", "true", check=True)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0 and out.splitlines() == ["evlater"]
    assert time.time() >= float(until)
    hull("rm", "evlater", check=True)


def test_event_attributes_file_only_once_a_monitor_runs(hull):
    """The attributes file the monitor reads is written when a monitor first starts: an attached
    run never makes it (its events come from hull itself), a detached start does, and the
    monitor's die event carries the attributes either way."""
    since = since_now()
    hull("run", "--name", "evatt", "-l", "k=v", "busybox", "true", check=True)
    cid = hull.inspect("evatt")["Id"]
    attrs_file = os.path.join(hull.root, "containers", cid, "event-attrs")
    assert not os.path.exists(attrs_file)
    hull("start", "evatt", check=True)
    assert os.path.exists(attrs_file)
    hull.wait_for(lambda: len(json_events(hull, since, "-f", "container=evatt",
                                          "-f", "event=die")) == 2, what="second die")
    for e in json_events(hull, since, "-f", "container=evatt", "-f", "event=die"):
        a = e["Actor"]["Attributes"]
        assert a["name"] == "evatt" and a["k"] == "v" and a["exitCode"] == "0", a
