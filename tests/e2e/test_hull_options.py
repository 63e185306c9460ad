"""Every `hull` command reads its options one way (src/util/options.c, OPTIONS_POSIX, docker's
rules): options before operands, `--` ends them, short clusters, --flag=true|false, and a
one-line usage error naming the flag with exit status 125."""
import pytest

from hull_helpers import hull  # noqa: F401  (fixture)

# (command words, a valid operand list to put after the bad option)
COMMANDS = [
    (["run"], ["busybox"]),
    (["create"], ["busybox"]),
    (["start"], ["c"]),
    (["stop"], ["c"]),
    (["restart"], ["c"]),
    (["kill"], ["c"]),
    (["rm"], ["c"]),
    (["wait"], ["c"]),
    (["pause"], ["c"]),
    (["top"], ["c"]),
    (["port"], ["c"]),
    (["cp"], ["c:/a", "/tmp/b"]),
    (["export"], ["c"]),
    (["rmi"], ["busybox"]),
    (["tag"], ["busybox", "x"]),
    (["save"], ["busybox"]),
    (["load"], []),
    (["history"], ["busybox"]),
    (["import"], ["-"]),
    (["image", "inspect"], ["busybox"]),
    (["image", "prune"], []),
    (["version"], []),
    (["system", "df"], []),
    (["system", "info"], []),
    (["system", "prune"], []),
    (["volume", "create"], []),
    (["volume", "ls"], []),
    (["volume", "rm"], ["v"]),
    (["volume", "inspect"], ["v"]),
    (["volume", "prune"], []),
    (["network", "ls"], []),
    (["network", "rm"], ["n"]),
    (["network", "inspect"], ["n"]),
    (["network", "prune"], []),
    (["network", "disconnect"], ["n", "c"]),
    (["healthcheck", "run"], ["c"]),
]


def usage_line(r):
    assert r.returncode == 125, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[1].startswith("See `hull "), r.stderr
    return lines[0]


@pytest.mark.parametrize("words,operands", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_unknown_options_are_one_line_errors(hull, words, operands):
    first = usage_line(hull(*words, "--no-such-flag", *operands))
    assert first == f"hull {' '.join(words)}: unknown option `--no-such-flag`"
    first = usage_line(hull(*words, "-Z", *operands))
    assert first == f"hull {' '.join(words)}: unknown option `-Z`"
    assert hull("ps", "-aq", check=True).stdout == ""


@pytest.mark.parametrize("args,message", [
    (["kill", "-s"], "hull kill: option `-s` needs a value"),
    (["stop", "--time"], "hull stop: option `--time` needs a value"),
    (["run", "--name"], "hull run: option `--name` needs a value"),
    (["run", "-e"], "hull run: option `-e` needs a value"),
    (["export", "-o"], "hull export: option `-o` needs a value"),
    (["volume", "inspect", "--format"], "hull volume inspect: option `--format` needs a value"),
    (["rm", "--force=maybe", "c"], "hull rm: option `--force`: expected true or false, got `maybe`"),
    (["run", "--rm=perhaps", "busybox"],
     "hull run: option `--rm`: expected true or false, got `perhaps`"),
    (["version", "--format", "yaml"], "hull version: --format `yaml`: expected json"),
    (["create", "-d", "busybox"], "hull create: unknown option `-d` (use `hull start`)"),
])
def test_option_values_are_checked(hull, args, message):
    assert usage_line(hull(*args)) == message


def test_options_end_at_the_image(hull):
    # What follows IMAGE is the command, even when it looks like hull's own options.
    r = hull("run", "--rm", "busybox", "echo", "--name", "x", "-d", "--rm")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "--name x -d --rm\n"
    assert hull("ps", "-aq", check=True).stdout == ""


def test_double_dash_clusters_and_flag_values(hull):
    # `--` ends the options: a volume may be named like nothing hull would take for a flag.
    assert hull("volume", "create", "--", "vol1", check=True).stdout == "vol1\n"
    assert hull("volume", "ls", "-q", check=True).stdout == "vol1\n"
    # An option after an operand is an operand (docker's rule for these commands).
    r = hull("volume", "rm", "vol1", "--force")
    assert r.returncode == 1
    assert "--force" in r.stderr and r.stdout == "vol1\n", (r.stdout, r.stderr)
    # --flag=false turns a flag off; short clusters read letter by letter.
    hull("create", "--name", "c1", "--rm=false", "--tty=false", "busybox", "true", check=True)
    r = hull("rm", "--force=false", "--volumes=false", "c1")
    assert r.returncode == 0 and r.stdout == "c1\n", r.stderr
    hull("create", "--name", "c2", "-v", "/anon", "busybox", "true", check=True)
    assert hull("volume", "ls", "-q", check=True).stdout.strip() != ""
    r = hull("rm", "-fv", "c2")
    assert r.returncode == 0 and r.stdout == "c2\n", r.stderr
    assert hull("volume", "ls", "-q", check=True).stdout == ""
    # `--format=json` and `--format json` are the same option.
    assert hull("version", "--format=json", check=True).stdout == \
        hull("version", "--format", "json", check=True).stdout
