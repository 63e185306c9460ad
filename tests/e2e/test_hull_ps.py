"""`hull ps` selection as docker's: -f/--filter with every key hull serves (the values of one key
OR, different keys AND, labels AND), a status filter listing stopped containers without -a,
-n/--last and -l/--latest, output for scripts (-q, --format json, the table), and bad filters
refused on one line with exit status 125."""
import json
import os
import subprocess

import pytest

from hull_helpers import hull, module_hull, runtime_root  # noqa: F401  (fixtures)
from image_helpers import add_tree, tar_bytes, write_oci_layout


def names(hull, *flags):
    """The names `ps --format json FLAGS` shows, in its order (newest first)."""
    return [e["Names"][0] for e in hull.ps(*flags)]


def short_ids(hull, *flags):
    r = hull("ps", "-q", *flags, check=True)
    assert r.stderr == ""
    return r.stdout.split()


def cid(hull, name):
    return hull.inspect(name)["Id"]


def make_mixed(hull):
    """Oldest to newest: ok (exited 0), bad (exited 3), web (running), idle (paused),
    fresh (created). Returns the names newest first."""
    hull("run", "--name", "ok", "-l", "app=batch", "busybox", "true", check=True)
    assert hull("run", "--name", "bad", "-l", "app=batch", "-l", "tier=back", "busybox", "sh",
                "-c", "exit 3").returncode == 3
    # Long enough to outlast any test of this file on a slow machine (ASan under stress-ng).
    hull.run_d("--name", "web", "-l", "app=web", "-l", "tier=front", "busybox", "sleep", "600")
    hull.run_d("--name", "idle", "-l", "app=web", "busybox", "sleep", "600")
    hull("pause", "idle", check=True)
    hull("create", "--name", "fresh", "busybox", "true", check=True)
    return ["fresh", "idle", "web", "bad", "ok"]


@pytest.fixture(scope="module")
def mixed_shared(module_hull):
    """The five containers once for the tests that only list them."""
    return module_hull, make_mixed(module_hull)


def test_status_filter_lists_stopped_containers_without_a(mixed_shared):
    hull, mixed = mixed_shared
    assert names(hull) == ["idle", "web"]
    assert names(hull, "-a") == mixed
    # docker sets -a for any status filter: exited containers show without it.
    assert names(hull, "-f", "status=exited") == ["bad", "ok"]
    assert names(hull, "-f", "status=created") == ["fresh"]
    assert names(hull, "-f", "status=paused") == ["idle"]
    assert names(hull, "-f", "status=running") == ["web"]
    assert names(hull, "-f", "status=dead") == []
    # One key given twice: either value.
    assert names(hull, "-f", "status=exited", "-f", "status=created") == ["fresh", "bad", "ok"]
    assert names(hull, "--filter", "status=running", "--filter=status=paused") == ["idle", "web"]


def test_rm_of_every_exited_container_by_script(hull):
    make_mixed(hull)
    exited = short_ids(hull, "-f", "status=exited")
    assert exited == [cid(hull, n)[:12] for n in ("bad", "ok")]
    # The docker idiom, through a shell.
    ps = " ".join(hull.cmd("ps", "-aq", "-f", "status=exited"))
    rm = " ".join(hull.cmd("rm"))
    r = subprocess.run(["sh", "-c", f"{rm} $({ps})"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == exited
    assert names(hull, "-a") == ["fresh", "idle", "web"]
    assert hull("ps", "-aq", "-f", "status=exited", check=True).stdout == ""


def test_exited_filter_needs_a_like_dockers(mixed_shared):
    hull, _ = mixed_shared
    # exited= does not imply -a: stopped containers stay hidden without it.
    assert names(hull, "-f", "exited=3") == []
    assert names(hull, "-a", "-f", "exited=3") == ["bad"]
    assert names(hull, "-a", "-f", "exited=0") == ["ok"]  # not the running or created ones
    assert names(hull, "-a", "-f", "exited=0", "-f", "exited=3") == ["bad", "ok"]
    assert names(hull, "-f", "status=exited", "-f", "exited=0") == ["ok"]
    assert names(hull, "-a", "-f", "exited=137") == []


def test_id_name_and_label_filters(mixed_shared):
    hull, _ = mixed_shared
    web = cid(hull, "web")
    assert names(hull, "-a", "-f", f"id={web[:5]}") == ["web"]
    assert names(hull, "-a", "-f", f"id={web}") == ["web"]
    assert names(hull, "-a", "-f", f"id={web[5:20]}") == []  # a prefix, not a substring
    assert names(hull, "-a", "-f", f"id={web[:6]}", "-f", f"id={cid(hull, 'ok')[:6]}") == \
        ["web", "ok"]
    # name: a substring, or an extended regular expression.
    assert names(hull, "-a", "-f", "name=e") == ["fresh", "idle", "web"]
    assert names(hull, "-a", "-f", "name=^b") == ["bad"]
    assert names(hull, "-a", "-f", "name=^/ok$") == ["ok"]
    assert names(hull, "-a", "-f", "name=^(ok|web)$") == ["web", "ok"]
    assert names(hull, "-a", "-f", "name=web", "-f", "name=fresh") == ["fresh", "web"]
    # label: KEY or KEY=VALUE; several label filters must all hold.
    assert names(hull, "-a", "-f", "label=app") == ["idle", "web", "bad", "ok"]
    assert names(hull, "-a", "-f", "label=app=web") == ["idle", "web"]
    assert names(hull, "-a", "-f", "label=tier") == ["web", "bad"]
    assert names(hull, "-a", "-f", "label=app=web", "-f", "label=tier") == ["web"]
    assert names(hull, "-a", "-f", "label=app=web", "-f", "label=app=batch") == []
    # Different keys AND.
    assert names(hull, "-a", "-f", "label=app=batch", "-f", "status=exited",
                 "-f", "exited=3") == ["bad"]
    assert names(hull, "-a", "-f", "label=tier", "-f", "name=b") == ["web", "bad"]
    assert names(hull, "-f", "label=tier", "-f", "name=b") == ["web"]  # running only
    assert names(hull, "-f", "label=app=web", "-f", "name=e") == ["idle", "web"]
    assert names(hull, "-f", "label=app=web", "-f", "status=exited") == []


def test_health_filter(hull):
    fast = ["--health-interval", "100ms", "--health-retries", "1"]
    hull.run_d("--name", "fine", "--health-cmd", "true", *fast, "busybox", "sleep", "60")
    hull.run_d("--name", "sick", "--health-cmd", "false", *fast, "busybox", "sleep", "60")
    hull.run_d("--name", "slow", "--health-cmd", "true", "--health-interval", "1h",
               "busybox", "sleep", "60")
    hull.run_d("--name", "plain", "busybox", "sleep", "60")
    hull("create", "--name", "never", "--health-cmd", "true", "busybox", "true", check=True)
    hull.wait_for(lambda: names(hull, "-f", "health=healthy") == ["fine"], what="healthy")
    hull.wait_for(lambda: names(hull, "-f", "health=unhealthy") == ["sick"], what="unhealthy")
    assert names(hull, "-f", "health=starting") == ["slow"]
    # none: no health check (or never started), as docker's.
    assert names(hull, "-f", "health=none") == ["plain"]
    assert names(hull, "-a", "-f", "health=none") == ["never", "plain"]
    assert names(hull, "-f", "health=healthy", "-f", "health=starting") == ["slow", "fine"]
    # A stopped container keeps its last health, as docker's State.Health.
    hull("stop", "-t", "0", "sick", check=True)
    assert names(hull, "-f", "health=unhealthy") == []
    assert names(hull, "-a", "-f", "health=unhealthy") == ["sick"]
    assert names(hull, "-f", "status=exited", "-f", "health=unhealthy") == ["sick"]


@pytest.fixture(scope="module")
def other_layout(busybox_rootfs, tmp_path_factory):
    """A second image (same files, another config): localhost/layout:other once pulled."""
    layout = str(tmp_path_factory.mktemp("psimage") / "layout")
    layers = [(tar_bytes(lambda t: add_tree(t, busybox_rootfs)), "plain")]
    write_oci_layout(layout, layers, tag="other",
                     config_extra={"created": "2024-05-06T07:08:09Z"})
    return layout


def test_ancestor_filter(hull, other_layout):
    hull("pull", f"oci:{other_layout}:other", check=True)
    hull("run", "--name", "b1", "busybox", "true", check=True)
    hull("run", "--name", "o1", "localhost/layout:other", "true", check=True)
    hull.run_d("--name", "b2", "busybox:latest", "sleep", "60")
    busybox_id = hull.inspect("b1")["Image"]
    other_id = hull.inspect("o1")["Image"]
    assert busybox_id != other_id and other_id.startswith("sha256:")
    assert names(hull, "-a", "-f", "ancestor=busybox") == ["b2", "b1"]
    assert names(hull, "-a", "-f", "ancestor=busybox:latest") == ["b2", "b1"]
    assert names(hull, "-f", "ancestor=busybox") == ["b2"]
    assert names(hull, "-a", "-f", "ancestor=localhost/layout:other") == ["o1"]
    assert names(hull, "-a", "-f", "ancestor=layout:other") == ["o1"]
    assert names(hull, "-a", "-f", f"ancestor={other_id}") == ["o1"]
    assert names(hull, "-a", "-f", f"ancestor={other_id[7:19]}") == ["o1"]
    assert names(hull, "-a", "-f", "ancestor=busybox", "-f", "ancestor=layout:other") == \
        ["b2", "o1", "b1"]
    # An image the store does not know matches nothing.
    assert names(hull, "-a", "-f", "ancestor=nosuch:1") == []
    assert names(hull, "-a", "-f", "ancestor=busybox", "-f", "status=exited") == ["b1"]


def test_ancestor_filter_does_not_bring_back_a_removed_builtin_image(hull):
    hull("run", "--rm", "busybox", "true", check=True)
    hull("rmi", "busybox", check=True)
    assert names(hull, "-a", "-f", "ancestor=busybox") == []
    assert "busybox" not in hull("images", check=True).stdout


def test_volume_filter(hull, tmp_path):
    host = tmp_path / "host"
    host.mkdir()
    hull("run", "--name", "named", "-v", "data1:/data", "busybox", "true", check=True)
    hull("run", "--name", "bind", "-v", f"{host}:/srv", "busybox", "true", check=True)
    hull("run", "--name", "anon", "-v", "/scratch", "busybox", "true", check=True)
    hull("run", "--name", "none", "busybox", "true", check=True)
    anon_volume = hull.inspect("anon")["Mounts"][0]["Name"]
    assert names(hull, "-a", "-f", "volume=data1") == ["named"]
    assert names(hull, "-a", "-f", "volume=/data") == ["named"]
    assert names(hull, "-a", "-f", f"volume={host}") == ["bind"]
    assert names(hull, "-a", "-f", "volume=/srv") == ["bind"]
    assert names(hull, "-a", "-f", f"volume={anon_volume}") == ["anon"]
    assert names(hull, "-a", "-f", "volume=data1", "-f", "volume=/scratch") == ["anon", "named"]
    assert names(hull, "-a", "-f", "volume=/dat") == []
    assert names(hull, "-f", "volume=data1") == []  # stopped: needs -a
    hull("rm", "-v", "named", "anon", check=True)
    hull("volume", "rm", "data1", check=True)


def test_last_and_latest(mixed_shared):
    hull, mixed = mixed_shared
    # -n N: the N newest in every state; -l: the newest.
    assert names(hull, "-n", "2") == ["fresh", "idle"]
    assert names(hull, "--last", "4") == mixed[:4]
    assert names(hull, "-n", "99") == mixed
    assert names(hull, "-l") == ["fresh"]
    assert names(hull, "--latest") == ["fresh"]
    assert short_ids(hull, "-lq") == [cid(hull, "fresh")[:12]]
    assert names(hull, "-n", "3", "-l") == mixed[:3]  # -n wins, as docker's
    # The limit counts what the filters let through.
    assert names(hull, "-n", "1", "-f", "status=exited") == ["bad"]
    assert names(hull, "-l", "-f", "label=app=batch") == ["bad"]
    assert names(hull, "-n", "5", "-f", "exited=0") == ["ok"]
    # 0 (like docker's default -1) is no limit: the running ones.
    assert names(hull, "-n", "0") == ["idle", "web"]


def test_before_and_since(mixed_shared):
    hull, mixed = mixed_shared
    assert names(hull, "-a", "-f", "before=web") == ["bad", "ok"]
    assert names(hull, "-a", "-f", "since=web") == ["fresh", "idle"]
    assert names(hull, "-f", "since=bad") == ["idle", "web"]
    assert names(hull, "-a", "-f", "since=ok", "-f", "before=idle") == ["web", "bad"]
    assert names(hull, "-a", "-f", f"before={cid(hull, 'bad')[:8]}") == ["ok"]
    r = hull("ps", "-f", "before=nosuch")
    assert r.returncode == 125 and r.stdout == ""
    assert r.stderr == "hull ps: no such container: nosuch\n"


def test_outputs_for_scripts(mixed_shared):
    hull, mixed = mixed_shared
    # -q: short IDs, one per line, newest first; --no-trunc: full IDs.
    r = hull("ps", "-aq", "-f", "label=app=web", check=True)
    assert r.stdout == "".join(cid(hull, n)[:12] + "\n" for n in ("idle", "web"))
    r = hull("ps", "-aq", "--no-trunc", "-f", "name=^web$", check=True)
    assert r.stdout == cid(hull, "web") + "\n"
    # Nothing matches: no output at all with -q, an empty array with json, a header alone.
    assert hull("ps", "-q", "-f", "name=nomatch", check=True).stdout == ""
    r = hull("ps", "--format", "json", "-f", "name=nomatch", check=True)
    assert json.loads(r.stdout) == []
    r = hull("ps", "-f", "name=nomatch", check=True)
    assert r.stdout.split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                                "PORTS", "NAMES"]
    # The table lists what the filters select.
    lines = hull("ps", "-f", "status=exited", check=True).stdout.splitlines()
    assert lines[0].startswith("CONTAINER ID")
    assert [l.split()[-1] for l in lines[1:]] == ["bad", "ok"]
    assert "Exited (3)" in lines[1] and "Exited (0)" in lines[2]
    (entry,) = hull.ps("-f", "exited=3", "-a")
    assert entry["Names"] == ["bad"] and entry["ExitCode"] == 3 and entry["State"] == "exited"


@pytest.mark.parametrize("flags, message", [
    (["-f", "foo=bar"], "invalid filter 'foo'"),
    (["--filter", "Colour=red"], "invalid filter 'colour'"),
    (["-f", "network=bridge"], "invalid filter 'network' (not supported by hull)"),
    (["-f", "status=up"], "invalid filter 'status=up'"),
    (["-f", "status=exited", "-f", "status=stopped"], "invalid filter 'status=stopped'"),
    (["-f", "health=ok"], "Unrecognised filter value for health: ok"),
    (["-f", "exited=three"], "invalid filter 'exited=three': expected an exit code"),
    (["-f", "status"], "bad format of filter 'status' (expected name=value)"),
])
def test_bad_filters_are_refused_on_one_line(hull, flags, message):
    hull("create", "--name", "c1", "busybox", "true", check=True)
    r = hull("ps", "-a", *flags)
    assert r.returncode == 125
    assert r.stdout == ""
    assert r.stderr == f"hull ps: {message}\n"


def test_bad_options(hull):
    r = hull("ps", "-n", "x")
    assert r.returncode == 125 and "-n/--last `x`" in r.stderr
    r = hull("ps", "-s")
    assert r.returncode == 125 and "not supported" in r.stderr
    assert "-f, --filter" in hull("ps", "--help", check=True).stdout


def test_ps_sees_a_freeze_made_outside_hull(hull):
    """The frozen check reads the freezer directory the runtime keeps in state.json: a freeze
    made by hand in the container's cgroup shows as paused, a thaw as running; states written
    by older runtimes are still answered, from the one-line `freezer` file beside cgroup.json
    (2026-12-05 to 12-06) and, without it, from cgroup.json itself (the cgroup set, which
    state.json records since 2026-12-06)."""
    hull.run_d("--name", "ice", "busybox", "sleep", "60")
    state_dir = f"{runtime_root(hull.root)}/{cid(hull, 'ice')}"
    # state.json: the state's line, then the runtime's copy of the config (when not a link).
    state_line, _, config_copy = open(f"{state_dir}/state.json").read().partition("\n")
    state = json.loads(state_line)
    line = state["freezer"]
    assert not os.path.exists(f"{state_dir}/freezer")
    kind, path = line.split()
    control = f"{path}/freezer.state" if kind == "v1" else f"{path}/cgroup.freeze"
    frozen, thawed = ("FROZEN", "THAWED") if kind == "v1" else ("1", "0")

    def freeze(value, state_name, what):
        with open(control, "w") as f:
            f.write(value)
        hull.wait_for(lambda: hull.ps()[0]["State"] == state_name, what=what)

    try:
        freeze(frozen, "paused", "paused")
        freeze(thawed, "running", "running")
        # An older state: no "freezer" in state.json, the line in a file of its own, and the
        # cgroup set in cgroup.json rather than in state.json.
        del state["freezer"]
        with open(f"{state_dir}/cgroup.json", "w") as f:
            json.dump(state.pop("cgroups"), f)
        with open(f"{state_dir}/state.json.tmp", "w") as f:
            f.write(json.dumps(state) + ("\n" + config_copy if config_copy else ""))
        os.rename(f"{state_dir}/state.json.tmp", f"{state_dir}/state.json")
        with open(f"{state_dir}/freezer", "w") as f:
            f.write(line + "\n")
        freeze(frozen, "paused", "paused (freezer file)")
        freeze(thawed, "running", "running (freezer file)")
        # Older still: neither, only cgroup.json.
        os.unlink(f"{state_dir}/freezer")
        freeze(frozen, "paused", "paused (cgroup.json)")
    finally:
        with open(control, "w") as f:
            f.write(thawed)
    assert hull.ps()[0]["State"] == "running"
