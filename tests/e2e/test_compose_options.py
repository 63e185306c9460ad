"""hull compose service options applied through `hull run`'s paths, as the container sees them:
sysctls (/proc/sys), ulimits (ulimit -n/-Hn/-u), extra_hosts (/etc/hosts), dns, dns_search and
dns_opt (/etc/resolv.conf); `hull run --sysctl/--ulimit` and their docker-worded refusals;
`compose port`; the verbs' options (docker's POSIX convention) and their usage errors."""
import json
import random
import shutil
import subprocess

import pytest

from hull_helpers import hull, leftovers  # noqa: F401  (fixture)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def compose(hull, cwd, *args, check=True, timeout=180):
    r = subprocess.run(hull.cmd("compose", *args), cwd=cwd, capture_output=True, text=True,
                       env=hull.env, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"compose {args} failed ({r.returncode}): {r.stderr}")
    return r


def project():
    return "co" + "".join(random.choice("0123456789abcdef") for _ in range(8))


def run_in(hull, container, script):
    r = subprocess.run(hull.cmd("exec", container, "sh", "-c", script), capture_output=True,
                       text=True, env=hull.env, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    return r.stdout


STACK = """
name: {project}
services:
  a:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    sysctls:
      net.ipv4.ip_unprivileged_port_start: "77"
      kernel.shmmni: 999
    ulimits:
      nofile: {{soft: 200, hard: 300}}
      nproc: 50
    extra_hosts:
      - "db.test:10.1.2.3"
      - "cache.test=10.1.2.4"
    dns: [10.9.9.53]
    dns_search: [corp.test, lab.test]
    dns_opt: ["ndots:3"]
    ports: ["127.0.0.1::8080", "127.0.0.1::53/udp"]
  b:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
"""


def test_sysctls_ulimits_hosts_dns_and_port(hull, tmp_path):
    p = project()
    write(tmp_path / "compose.yaml", STACK.format(project=p))
    r = compose(hull, tmp_path, "up", "-d")
    try:
        assert "not applied" not in r.stderr, r.stderr
        c = f"{p}-a-1"
        out = run_in(hull, c, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start "
                              "/proc/sys/kernel/shmmni; ulimit -n; ulimit -Hn; ulimit -u")
        assert out.split() == ["77", "999", "200", "300", "50"]
        hosts = run_in(hull, c, "cat /etc/hosts").splitlines()
        assert "10.1.2.3\tdb.test" in hosts and "10.1.2.4\tcache.test" in hosts, hosts
        resolv = run_in(hull, c, "cat /etc/resolv.conf").splitlines()
        assert "search corp.test lab.test" in resolv, resolv
        assert "options ndots:3" in resolv, resolv
        assert "nameserver 10.9.9.53" in resolv, resolv
        # the other service keeps the defaults
        out = run_in(hull, f"{p}-b-1", "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; "
                                       "ulimit -n; grep -c db.test /etc/hosts || true")
        assert out.split() == ["1024", "1024", "0"]
        # port: the published address of a private port, as `hull port` sees it
        pub = compose(hull, tmp_path, "port", "a", "8080").stdout.strip()
        assert pub == hull("port", c, "8080/tcp", check=True).stdout.splitlines()[0]
        assert pub.startswith("127.0.0.1:") and int(pub.split(":")[1]) > 0
        udp = compose(hull, tmp_path, "port", "--protocol", "udp", "a", "53").stdout.strip()
        assert udp.startswith("127.0.0.1:") and udp != pub
        r = compose(hull, tmp_path, "port", "a", "9999", check=False)
        assert r.returncode == 1 and f"no port 9999/tcp for container {c}" in r.stderr
        r = compose(hull, tmp_path, "port", "--index", "2", "a", "8080", check=False)
        assert r.returncode == 1 and 'service "a" is not running container #2' in r.stderr
        r = compose(hull, tmp_path, "port", "a", check=False)
        assert r.returncode == 125 and "requires exactly 2 arg(s)" in r.stderr
        # ps: docker compose v2's columns, the published ports as docker prints them
        lines = compose(hull, tmp_path, "ps").stdout.splitlines()
        assert lines[0].split() == ["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS",
                                    "PORTS"], lines
        row_a = next(line for line in lines if line.startswith(c + " "))
        assert f"{pub}->8080/tcp" in row_a and f"{udp}->53/udp" in row_a, row_a
        assert " Up " in row_a and '"' in row_a
        # hull ps shows the same PORTS cell, between STATUS and NAMES as docker ps does
        ps = hull("ps", check=True).stdout.splitlines()
        assert ps[0].split()[-3:] == ["STATUS", "PORTS", "NAMES"], ps[0]
        row = next(line for line in ps if line.endswith(" " + c))
        assert f"{pub}->8080/tcp" in row, row
    finally:
        compose(hull, tmp_path, "down", "-t", "1", check=False)
    assert leftovers(hull.root) == {}


@pytest.mark.parametrize("key,value,expect", [
    ("sysctls", "{kernel.hostname: x}", "service a: sysctls: sysctl 'kernel.hostname=x' is not "
                                        "allowed"),
    ("ulimits", "{nofile: {soft: 5, hard: 3}}", "service a: ulimits.nofile: ulimit soft limit "
                                                "must be less than or equal to hard limit: 5 > 3"),
    ("ulimits", "{bogus: 1}", "service a: ulimits.bogus: invalid ulimit type: bogus"),
])
def test_bad_limits_refused_naming_the_service(hull, tmp_path, key, value, expect):
    p = project()
    write(tmp_path / "compose.yaml", f"""
name: {p}
services:
  a:
    image: busybox
    command: ["true"]
    {key}: {value}
""")
    r = compose(hull, tmp_path, "up", "-d", check=False)
    try:
        assert r.returncode != 0 and expect in r.stderr, r.stderr
        assert hull.ps("-a") == []
    finally:
        compose(hull, tmp_path, "down", check=False)


def test_hull_run_sysctl_and_ulimit(hull):
    r = hull("run", "--rm", "--sysctl", "net.ipv4.ip_unprivileged_port_start=99",
             "--sysctl", "fs.mqueue.msg_max=20", "--ulimit", "nofile=123:456",
             "--ulimit", "nofile=124:457", "--ulimit", "core=0", "busybox", "sh", "-c",
             "cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/fs/mqueue/msg_max; "
             "ulimit -n; ulimit -Hn; ulimit -c", check=True)
    assert r.stdout.split() == ["99", "20", "124", "457", "0"]
    for flag, value, msg in [
            ("--sysctl", "kernel.hostname=x", "sysctl 'kernel.hostname=x' is not allowed"),
            ("--sysctl", "vm.swappiness=1", "sysctl 'vm.swappiness=1' is not allowed"),
            ("--sysctl", "net.ipv4.ip_forward", "sysctl 'net.ipv4.ip_forward' is not allowed"),
            ("--ulimit", "nofile", "invalid ulimit argument: nofile"),
            ("--ulimit", "bogus=1", "invalid ulimit type: bogus"),
            ("--ulimit", "nofile=x", "invalid ulimit soft value x"),
            ("--ulimit", "nofile=1:y", "invalid ulimit hard value y"),
            ("--ulimit", "nofile=5:3", "ulimit soft limit must be less than or equal to hard "
                                       "limit: 5 > 3")]:
        r = hull("run", "--rm", flag, value, "busybox", "true")
        assert r.returncode == 125, r.stderr
        assert r.stderr.splitlines()[0] == (
            f'hull run: invalid argument "{value}" for "{flag}" flag: {msg}'), r.stderr
    assert hull.ps("-a") == []


USAGE = """
name: {project}
services:
  a:
    image: busybox
    command: ["true"]
"""


@pytest.mark.parametrize("args,expect", [
    (["up", "--bogus"], "hull compose up: unknown flag: --bogus"),
    (["up", "-dx"], "hull compose up: unknown shorthand flag: 'x' in -dx"),
    (["up", "--scale", "a"], 'hull compose up: invalid --scale option "a". Should be SERVICE=NUM'),
    (["up", "--wait-timeout", "soon"], 'hull compose up: invalid argument "soon" for '
                                       '"--wait-timeout" flag'),
    (["up", "--force-recreate", "--no-recreate"], "hull compose up: --force-recreate and "
                                                  "--no-recreate are incompatible"),
    (["down", "--rmi", "some"], 'hull compose down: invalid value for --rmi: "some"'),
    (["down", "-t"], "hull compose down: flag needs an argument: 't' in -t"),
    (["logs", "--tail"], "hull compose logs: flag needs an argument: --tail"),
    (["config", "--format", "toml"], 'hull compose config: unsupported format "toml"'),
    (["ps", "--format", "xml"], 'hull compose ps: unsupported format "xml"'),
    (["exec", "a"], "hull compose exec: requires at least 2 arg(s), only received 1"),
    (["run"], "hull compose run: requires at least 1 arg(s), only received 0"),
    (["up", "--detach=maybe"], 'hull compose up: invalid argument "maybe" for "--detach" flag: '
                               'strconv.ParseBool: parsing "maybe": invalid syntax'),
    (["stop", "--signal", "KILL"], "hull compose stop: unknown flag: --signal"),
    (["pull", "--nope"], "hull compose pull: unknown flag: --nope"),
    (["push", "--nope"], "hull compose push: unknown flag: --nope"),
    (["--nope", "ps"], "hull compose: unknown flag: --nope"),
    (["-f"], "hull compose: flag needs an argument: 'f' in -f"),
])
def test_usage_errors_one_line_exit_125(hull, tmp_path, args, expect):
    write(tmp_path / "compose.yaml", USAGE.format(project=project()))
    r = compose(hull, tmp_path, *args, check=False)
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert r.stderr.splitlines()[0].startswith(expect), r.stderr
    assert hull.ps("-a") == []


def test_verb_help_and_posix_options(hull, tmp_path):
    p = project()
    write(tmp_path / "compose.yaml", USAGE.format(project=p).replace('["true"]',
                                                                      '["sleep", "1000"]'))
    for verb in ("push", "port", "up", "down", "exec", "logs"):
        r = compose(hull, tmp_path, verb, "--help")
        assert r.stdout.startswith(f"Usage: hull compose {verb}"), r.stdout
    try:
        # --flag=value, clustered short flags and --flag=false as docker's pflag reads them
        compose(hull, tmp_path, "--project-name=" + p, "up", "--detach=true", "--wait")
        assert compose(hull, tmp_path, "ps", "-aq").stdout.strip() != ""
        assert compose(hull, tmp_path, "ps", "--services").stdout.split() == ["a"]
        out = compose(hull, tmp_path, "exec", "-e", "X=1", "a", "sh", "-c", "echo $X").stdout
        assert out == "1\n"
        # options end at the first operand: the command's own flags are its own
        out = compose(hull, tmp_path, "exec", "a", "echo", "-e", "--help").stdout
        assert out == "--help\n"
    finally:
        compose(hull, tmp_path, "down", "-t", "1", check=False)
    assert hull.ps("-a") == []


def image_digest(hull, ref):
    return json.loads(hull("image", "inspect", ref, check=True).stdout)[0]["Digest"]


@pytest.mark.skipif(shutil.which("docker-registry") is None or shutil.which("skopeo") is None,
                    reason="needs docker-registry and skopeo")
def test_push_services_with_build_and_image(hull, tmp_path):
    from image_helpers import Registry
    reg = Registry()
    try:
        p = project()
        app, also = f"{reg.host}/hull/{p}-app:1", f"{reg.host}/hull/{p}-also:1"
        (tmp_path / "ctx").mkdir()
        write(tmp_path / "ctx" / "Dockerfile", "FROM busybox\n")
        write(tmp_path / "compose.yaml", f"""
name: {p}
services:
  app:
    build: ./ctx
    image: {app}
  also:
    build: ./ctx
    image: {also}
    depends_on: [app]
  plain:
    image: busybox
  built_only:
    build: ./ctx
""")
        # the images as `compose build` would leave them (hull build is not what is tested)
        hull("tag", "busybox", app, check=True)
        hull("tag", "busybox", also, check=True)
        r = compose(hull, tmp_path, "push", "also")
        assert f"Service also  Pushing {also}" in r.stderr and "app" not in r.stderr, r.stderr
        assert reg.digest(also) == image_digest(hull, also)
        r = compose(hull, tmp_path, "push", "--include-deps", "also")
        assert f"Service app  Pushing {app}" in r.stderr, r.stderr
        assert reg.digest(app) == image_digest(hull, app)
        # every service: only those with build and image; busybox and built_only are skipped
        r = compose(hull, tmp_path, "push", "-q")
        assert r.stdout == "" and "Pushing" not in r.stderr, (r.stdout, r.stderr)
        # a failed push names the image and stops (services go in name order: also, app);
        # --ignore-push-failures goes on, exit 0
        hull("rmi", also, check=True)
        r = compose(hull, tmp_path, "push", check=False)
        assert r.returncode != 0 and also in r.stderr, r.stderr
        assert "Pushing " + app not in r.stderr
        r = compose(hull, tmp_path, "push", "--ignore-push-failures")
        assert f"Service app  Pushing {app}" in r.stderr, r.stderr
        r = compose(hull, tmp_path, "push", "nosuch", check=False)
        assert r.returncode != 0 and "no such service: nosuch" in r.stderr
    finally:
        reg.stop()
