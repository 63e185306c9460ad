"""docker's Go-template --format on real containers, images and volumes: `inspect -f` with
several fields, functions, range/if, `.Name` with its leading slash; `ps`, `images`, `stats` and
`volume ls --format` with docker's placeholders and `table` headers; an unknown field is one
line naming it and a non-zero exit, as docker's."""
import re

from hull_helpers import hull  # noqa: F401  (fixture)


def out(hull, *args):
    r = hull(*args, check=True)
    assert r.stderr == ""
    return r.stdout


def test_inspect_templates(hull):
    hull.run_d("--name", "fmtweb", "-l", "app=web", "-l", "tier=front", "-e", "A=1",
               "-v", "fmtdata:/data", "busybox", "sleep", "60")
    doc = hull.inspect("fmtweb")
    pid = doc["State"]["Pid"]
    # The example: every field of the template is rendered.
    assert out(hull, "inspect", "-f", "{{.State.Status}} {{.State.Pid}}",
               "fmtweb") == f"running {pid}\n"
    assert out(hull, "inspect", "--format", "{{.Name}}", "fmtweb") == "/fmtweb\n"
    assert doc["Name"] == "/fmtweb"
    assert out(hull, "inspect", "-f", "{{json .Config.Labels}}", "fmtweb") in (
        '{"app":"web","tier":"front"}\n', '{"tier":"front","app":"web"}\n')
    assert out(hull, "inspect", "-f", '{{index .Config.Labels "tier"}}', "fmtweb") == "front\n"
    assert out(hull, "inspect", "-f",
               '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}',
               "fmtweb") == "app=web;tier=front;\n"
    assert out(hull, "inspect", "-f", "{{range .Mounts}}{{.Name}}:{{.Destination}}{{end}}",
               "fmtweb") == "fmtdata:/data\n"
    assert out(hull, "inspect", "-f",
               "{{if .State.Running}}up{{else}}down{{end}} {{upper .State.Status}} "
               "{{join .Config.Cmd \",\"}} {{printf \"%05d\" 42}} {{len .Config.Cmd}}",
               "fmtweb") == "up RUNNING sleep,60 00042 2\n"
    assert "A=1" in out(hull, "inspect", "-f", "{{range .Config.Env}}{{println .}}{{end}}",
                        "fmtweb").splitlines()
    # One line per NAME; images and volumes too.
    hull("create", "--name", "fmtcold", "busybox", "true", check=True)
    assert out(hull, "inspect", "-f", "{{.Name}}={{.State.Status}}", "fmtweb",
               "fmtcold") == "/fmtweb=running\n/fmtcold=created\n"
    assert out(hull, "inspect", "-f", "{{.Name}} {{.Driver}}", "fmtdata") == "fmtdata local\n"
    img = out(hull, "inspect", "-f", "{{.Id}}", "busybox").strip()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", img)
    assert out(hull, "image", "inspect", "-f", "{{.Id}} {{json .RepoTags}}",
               "busybox") == f'{img} ["localhost/busybox:latest"]\n'
    r = hull("image", "inspect", "--format", "{{.Nope}}", "busybox")
    assert r.returncode == 1 and 'map has no entry for key "Nope"' in r.stderr


def test_template_errors(hull):
    hull.run_d("--name", "fmterr", "busybox", "sleep", "60")
    r = hull("inspect", "-f", "{{.State.Status}} {{.Foo}}", "fmterr")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == ('hull: template: :1:20: executing "" at <.Foo>: map has no '
                                'entry for key "Foo"')
    r = hull("inspect", "-f", "{{.State.Nope.X}}", "fmterr")
    assert r.returncode == 1 and '<.State.Nope.X>: map has no entry for key "Nope"' in r.stderr
    r = hull("inspect", "-f", "{{if .Name}}", "fmterr")
    assert r.returncode == 125 and "template: :1: unexpected EOF" in r.stderr
    r = hull("inspect", "-f", "{{nosuch .Name}}", "fmterr")
    assert r.returncode == 125 and 'function "nosuch" not defined' in r.stderr
    hull("volume", "create", "fmtvol", check=True)
    for args in (["ps"], ["images"], ["volume", "ls"], ["stats", "--no-stream"]):
        r = hull(*args, "--format", "{{.Nope}}")
        assert r.returncode == 1, args
        assert 'map has no entry for key "Nope"' in r.stderr, args
        assert len(r.stderr.strip().splitlines()) == 1, args


def test_ps_format(hull):
    hull.run_d("--name", "fmtps", "-l", "app=web", "-l", "tier=front", "busybox", "sleep", "60")
    hull("create", "--name", "fmtnew", "busybox", "echo", *"a very long command line".split(),
         check=True)
    full = hull.inspect("fmtps")["Id"]
    assert out(hull, "ps", "--format", "{{.ID}} {{.Names}} {{.State}}").splitlines() == [
        f"{full[:12]} fmtps running"]
    assert out(hull, "ps", "--no-trunc", "--format", "{{.ID}}") == full + "\n"
    lines = out(hull, "ps", "-a", "--format",
                '{{.Names}}|{{.Image}}|{{.Command}}|{{.Labels}}|{{.Label "tier"}}|{{.Status}}'
                ).splitlines()
    assert lines[0] == 'fmtnew|busybox|"echo a very long co…"|||Created'
    assert lines[1].startswith('fmtps|busybox|"sleep 60"|app=web,tier=front|front|Up ')
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+",
                        out(hull, "ps", "--format", "{{.CreatedAt}}").strip())
    assert out(hull, "ps", "--format", "{{.RunningFor}}").strip().endswith("ago")
    # table: docker's headers, aligned as docker's tabwriter (width >= 10, 3 blanks between).
    table = out(hull, "ps", "-a", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.State}}")
    rows = table.splitlines()
    assert rows[0] == "CONTAINER ID   NAMES     STATE"
    assert rows[1] == f"{hull.inspect('fmtnew')['Id'][:12]}   fmtnew    created"
    assert rows[2] == f"{full[:12]}   fmtps     running"
    # an empty listing still prints the header, as docker's
    empty = out(hull, "ps", "-f", "name=nothing-matches", "--format", "table {{.Names}}")
    assert empty == "NAMES\n"


def test_images_volumes_stats_format(hull):
    lines = out(hull, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}")
    repo_tag, short, size = lines.splitlines()[0].split(" ")
    assert repo_tag == "localhost/busybox:latest"
    assert re.fullmatch(r"[0-9a-f]{12}", short)
    assert re.fullmatch(r"[0-9.]+[kMG]?B", size)
    table = out(hull, "images", "--format", "table {{.Repository}}\\t{{.Tag}}").splitlines()
    assert table[0].split() == ["REPOSITORY", "TAG"]
    assert table[1].split() == ["localhost/busybox", "latest"]

    hull("volume", "create", "fmtv1", check=True)
    vols = out(hull, "volume", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}} {{.Mountpoint}}")
    assert vols == f"fmtv1 local local {hull.root}/volumes/fmtv1/_data\n"
    assert out(hull, "volume", "inspect", "-f", "{{.Name}}:{{.Driver}}", "fmtv1") == \
        "fmtv1:local\n"
    assert out(hull, "volume", "ls", "--format", "table {{.Name}}\\t{{.Driver}}"
               ).splitlines() == ["VOLUME NAME   DRIVER", "fmtv1         local"]

    hull.run_d("--name", "fmtstats", "busybox", "sleep", "60")
    stats = out(hull, "stats", "--no-stream", "--format",
                "{{.Name}} {{.ID}} {{.CPUPerc}} {{.MemUsage}} {{.MemPerc}} {{.PIDs}}")
    name, sid, cpu, mem, slash, limit, memperc, pids = stats.split()
    assert name == "fmtstats" and sid == hull.inspect("fmtstats")["Id"][:12]
    assert cpu.endswith("%") and memperc.endswith("%") and slash == "/" and pids == "1"
    assert re.fullmatch(r"[0-9.]+[KMG]iB", mem) and re.fullmatch(r"[0-9.]+[KMG]iB", limit)
    hull.run_d("--name", "fmtlimited", "--memory", "64m", "busybox", "sleep", "60")
    limited = out(hull, "stats", "--no-stream", "--format", "{{.MemUsage}}", "fmtlimited")
    assert limited.strip().endswith(" / 64.00MiB"), limited
    header = out(hull, "stats", "--no-stream", "--format",
                 "table {{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}").splitlines()[0]
    assert re.fullmatch(r"NAME {6,}CPU %     MEM USAGE / LIMIT", header)
