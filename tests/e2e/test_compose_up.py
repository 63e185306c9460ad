"""hull compose running stacks: dependency order with health-gated and completion-gated starts,
docker compose's labels and names, change detection (only the changed service and its
dependants get new containers), replicas and --scale, orphans, `plan`, `ps`, `logs`, `exec`,
`hull up`/`hull down`, the nucleus example topology, and `down` leaving nothing behind."""
import json
import subprocess
import time

from hull_helpers import hull, leftovers  # noqa: F401  (fixture)
from net_helpers import free_port, nothing_left, unique_subnet


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def compose(hull, cwd, *args, check=True, timeout=120):
    r = subprocess.run(hull.cmd("compose", *args), cwd=cwd, capture_output=True, text=True,
                       env=hull.env, timeout=timeout, stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"compose {args} failed ({r.returncode}): {r.stderr}")
    return r


def ids(hull, project):
    out = {}
    for c in hull.ps("-a"):
        for name in c["Names"]:
            if name.startswith(project + "-"):
                out[name] = c["Id"]
    return out


STACK = """
name: {project}
services:
  db:
    image: busybox
    command: sh -c "sleep 1; touch /tmp/ready; exec sleep 1000"
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 200ms
      retries: 50
    environment: {{VERSION: "{db_version}"}}
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    depends_on:
      db: {{condition: service_healthy}}
      migrate: {{condition: service_completed_successfully}}
    labels: {{tier: front}}
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated"]
  other:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    environment: {{V: "{other_version}"}}
"""


def test_up_order_labels_change_detection_down(hull, tmp_path):
    project = f"cd{tmp_path.name[-6:].lower().replace('_', '')}"
    f = tmp_path / "compose.yaml"
    write(f, STACK.format(project=project, db_version=1, other_version=1))
    r = compose(hull, tmp_path, "up", "-d")
    # web started only once db was healthy and migrate had exited 0
    err = r.stderr
    assert err.index(f"{project}-db-1  Healthy") < err.index(f"{project}-web-1  Started")
    assert err.index(f"{project}-migrate-1  Exited") < err.index(f"{project}-web-1  Started")
    web = hull.inspect(f"{project}-web-1")
    db = hull.inspect(f"{project}-db-1")
    assert db["State"]["Health"]["Status"] == "healthy"
    labels = web["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == project
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert labels["com.docker.compose.oneoff"] == "False"
    assert labels["tier"] == "front"
    assert "db:service_healthy:false" in labels["com.docker.compose.depends_on"]
    want_hash = compose(hull, tmp_path, "config", "--hash", "web").stdout.split()[1]
    assert labels["com.docker.compose.config-hash"] == want_hash
    assert hull.inspect(f"{project}-migrate-1")["State"]["ExitCode"] == 0
    before = ids(hull, project)
    assert set(before) == {f"{project}-{s}-1" for s in ("db", "web", "migrate", "other")}

    # nothing changed: nothing recreated
    plan = compose(hull, tmp_path, "plan").stdout
    assert "recreate" not in plan and "create " not in plan
    compose(hull, tmp_path, "up", "-d")
    assert ids(hull, project) == before

    # change db: db and its dependant web are recreated, other and migrate keep their ids
    write(f, STACK.format(project=project, db_version=2, other_version=1))
    plan = compose(hull, tmp_path, "plan").stdout
    assert f"recreate  {project}-db-1" in plan and "configuration changed" in plan
    assert f"recreate  {project}-web-1" in plan and "depends on db" in plan
    assert f"keep      {project}-other-1" in plan
    compose(hull, tmp_path, "up", "-d")
    after = ids(hull, project)
    assert after[f"{project}-other-1"] == before[f"{project}-other-1"]
    assert after[f"{project}-db-1"] != before[f"{project}-db-1"]
    assert after[f"{project}-web-1"] != before[f"{project}-web-1"]

    # change other: only other
    write(f, STACK.format(project=project, db_version=2, other_version=2))
    compose(hull, tmp_path, "up", "-d")
    again = ids(hull, project)
    assert again[f"{project}-other-1"] != after[f"{project}-other-1"]
    for s in ("db", "web"):
        assert again[f"{project}-{s}-1"] == after[f"{project}-{s}-1"]

    ps = compose(hull, tmp_path, "ps").stdout
    assert f"{project}-db-1" in ps and "healthy" in ps
    assert f"{project}-migrate-1" not in ps
    assert f"{project}-migrate-1" in compose(hull, tmp_path, "ps", "-a").stdout
    logs = compose(hull, tmp_path, "logs", "migrate").stdout
    assert f"{project}-migrate-1 | migrated" in logs
    r = compose(hull, tmp_path, "exec", "web", "cat", "/proc/1/cmdline")
    assert "sleep" in r.stdout
    assert project in compose(hull, tmp_path, "ls").stdout

    r = compose(hull, tmp_path, "down", "-t", "1")
    assert ids(hull, project) == {}
    assert leftovers(hull.root) == {}


def test_failed_dependency_names_the_service(hull, tmp_path):
    write(tmp_path / "compose.yaml",
          "name: failing\nservices:\n  init:\n    image: busybox\n    command: [sh, -c, 'exit 3']\n"
          "  app:\n    image: busybox\n    command: [sleep, '100']\n    depends_on:\n"
          "      init: {condition: service_completed_successfully}\n")
    r = compose(hull, tmp_path, "up", "-d", check=False)
    assert r.returncode == 1
    assert "service \"init\" didn't complete successfully: exit 3" in r.stderr
    assert "failing-app-1" not in ids(hull, "failing")
    compose(hull, tmp_path, "down")
    assert ids(hull, "failing") == {}


def test_replicas_scale_and_orphans(hull, tmp_path):
    f = tmp_path / "compose.yaml"
    write(f, "name: reps\nservices:\n  w:\n    image: busybox\n    command: [sleep, '1000']\n"
             "    stop_grace_period: 1s\n    deploy: {replicas: 3}\n"
             "  extra:\n    image: busybox\n    command: [sleep, '1000']\n"
             "    stop_grace_period: 1s\n")
    compose(hull, tmp_path, "up", "-d")
    names = set(ids(hull, "reps"))
    assert names == {"reps-w-1", "reps-w-2", "reps-w-3", "reps-extra-1"}
    for n in ("reps-w-1", "reps-w-2", "reps-w-3"):
        assert hull.state(n)["Running"]
    compose(hull, tmp_path, "up", "-d", "--scale", "w=1")
    assert set(ids(hull, "reps")) == {"reps-w-1", "reps-extra-1"}
    # extra leaves the file: an orphan, kept until --remove-orphans
    write(f, "name: reps\nservices:\n  w:\n    image: busybox\n    command: [sleep, '1000']\n"
             "    stop_grace_period: 1s\n")
    plan = compose(hull, tmp_path, "plan").stdout
    assert "orphan" in plan
    compose(hull, tmp_path, "up", "-d", "--scale", "w=1")
    assert "reps-extra-1" in ids(hull, "reps")
    compose(hull, tmp_path, "up", "-d", "--scale", "w=1", "--remove-orphans")
    assert set(ids(hull, "reps")) == {"reps-w-1"}
    r = subprocess.run(hull.cmd("down", "-t", "1"), cwd=tmp_path, capture_output=True,
                       text=True, env=hull.env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert ids(hull, "reps") == {}


def test_short_forms_and_wait(hull, tmp_path):
    write(tmp_path / "compose.yaml",
          "name: shorty\nservices:\n  s:\n    image: busybox\n"
          "    command: sh -c 'sleep 0.5; touch /ok; exec sleep 1000'\n"
          "    stop_grace_period: 1s\n"
          "    healthcheck: {test: test -f /ok, interval: 100ms, retries: 100}\n")
    r = subprocess.run(hull.cmd("up", "-d", "--wait", "--wait-timeout", "60"), cwd=tmp_path,
                       capture_output=True, text=True, env=hull.env, timeout=90)
    assert r.returncode == 0, r.stderr
    assert hull.inspect("shorty-s-1")["State"]["Health"]["Status"] == "healthy"
    r = subprocess.run(hull.cmd("down"), cwd=tmp_path, capture_output=True, text=True,
                       env=hull.env, timeout=90)
    assert r.returncode == 0, r.stderr
    assert ids(hull, "shorty") == {}


NUCLEUS = """
name = "myapp"

[networks.internal]
subnet = "{subnet}"

[volumes.db-data]
volume_type = "persistent"
path = "{data}"
owner = "70:70"

[volumes.scratch]
volume_type = "ephemeral"
size = "16M"

[services.postgres]
image = "busybox"
command = ["sh", "-c", "echo row > /var/lib/postgresql/data/table; touch /tmp/up; while true; do echo pg-answers | nc -l -p 5432; done"]
memory = "128M"
cpus = 2.0
networks = ["internal"]
volumes = ["db-data:/var/lib/postgresql/data", "scratch:/scratch"]
health_check = "test -f /tmp/up"
health_interval = 1

[services.web]
image = "busybox"
command = ["sleep", "1000"]
memory = "64M"
cpus = 1.0
networks = ["internal"]
port_forwards = ["{port}:8443"]
egress_allow = ["{subnet}"]

[[services.web.depends_on]]
service = "postgres"
condition = "healthy"
"""


def test_nucleus_topology(hull, tmp_path):
    data = tmp_path / "db"
    data.mkdir()
    port = free_port()
    for _ in range(10):
        subnet = unique_subnet()
        write(tmp_path / "topology.toml", NUCLEUS.format(data=data, subnet=subnet, port=port))
        r = compose(hull, tmp_path, "-f", "topology.toml", "up", "-d", check=False)
        if r.returncode == 0 or "overlaps" not in r.stderr:
            break
    try:
        assert r.returncode == 0, r.stderr
        assert r.stderr.index("myapp-postgres-1  Healthy") < r.stderr.index("myapp-web-1  Started")
        pg = hull.inspect("myapp-postgres-1")
        assert pg["State"]["Health"]["Status"] == "healthy"
        assert pg["HostConfig"]["Memory"] == 128 << 20
        assert pg["HostConfig"]["PidsLimit"] == 512
        mounts = {m["Destination"]: m for m in pg["Mounts"]}
        assert "/var/lib/postgresql/data" in mounts
        web = hull.inspect("myapp-web-1")
        assert web["State"]["Running"]
        assert web["HostConfig"]["EgressAllow"] == [subnet]
        assert web["HostConfig"]["PortBindings"]["8443/tcp"][0]["HostPort"] == str(port)
        net = json.loads(hull("network", "inspect", "myapp_internal").stdout)[0]
        assert net["IPAM"]["Config"][0]["Subnet"] == subnet
        bridge = net["Options"]["com.docker.network.bridge.name"]
        # web reaches the database by its service name (inside the egress allow-list)
        deadline = time.monotonic() + 60
        out = ""
        while time.monotonic() < deadline and "pg-answers" not in out:
            out = subprocess.run(hull.cmd("exec", "myapp-web-1", "sh", "-c",
                                          "nc postgres 5432 </dev/null"), capture_output=True,
                                 text=True, env=hull.env, timeout=30).stdout
        assert "pg-answers" in out
    finally:
        compose(hull, tmp_path, "-f", "topology.toml", "down", "-v", "-t", "1")
    assert ids(hull, "myapp") == {}
    assert nothing_left(hull.root, subnet, bridge) == {}
    assert leftovers(hull.root) == {}


def test_secrets_on_tmpfs_owned_by_service_user(hull, tmp_path):
    write(tmp_path / "token.txt", "s3cr3t-token-value")
    write(tmp_path / "compose.yaml",
          "name: secs\nservices:\n  app:\n    image: busybox\n    user: '1000:1000'\n"
          "    command: [sleep, '1000']\n    stop_grace_period: 1s\n"
          "    secrets: [token, {source: fromenv, target: /etc/other, mode: 0440}]\n"
          "    configs: [{source: conf, target: /etc/app.conf}]\n"
          "secrets:\n  token: {file: ./token.txt}\n  fromenv: {environment: SECRET_FROM_ENV}\n"
          "configs:\n  conf: {content: hello}\n")
    env = dict(hull.env, SECRET_FROM_ENV="env-secret-value")
    r = subprocess.run(hull.cmd("compose", "up", "-d"), cwd=tmp_path, capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = hull("exec", "secs-app-1", "sh", "-c",
               "stat -c '%a %u %g' /run/secrets/token /etc/other /etc/app.conf; "
               "cat /run/secrets/token; echo; cat /etc/other; echo; "
               "grep ' /run/secrets/token ' /proc/self/mountinfo", check=True).stdout
    lines = out.splitlines()
    assert lines[0:3] == ["400 1000 1000", "440 1000 1000", "444 1000 1000"]
    assert lines[3] == "s3cr3t-token-value" and lines[4] == "env-secret-value"
    assert " ro," in lines[5] and "tmpfs" in lines[5]
    # never in inspect output, the container's record or its logs
    assert "s3cr3t" not in hull("inspect", "secs-app-1", check=True).stdout
    for dirpath, _, files in __import__("os").walk(hull.containers_dir):
        for name in files:
            p = __import__("os").path.join(dirpath, name)
            try:
                with open(p, "rb") as f:
                    assert b"s3cr3t" not in f.read(), p
            except OSError:
                pass
    compose(hull, tmp_path, "down")
    assert ids(hull, "secs") == {}
    assert not __import__("os").path.exists(__import__("os").path.join(hull.root, "secrets"))


def test_run_one_off(hull, tmp_path):
    write(tmp_path / "compose.yaml",
          "name: oneoff\nservices:\n  dep:\n    image: busybox\n    command: [sleep, '1000']\n"
          "    stop_grace_period: 1s\n"
          "  job:\n    image: busybox\n    command: [echo, default]\n"
          "    environment: {FROM: file}\n    depends_on: [dep]\n")
    r = compose(hull, tmp_path, "run", "--rm", "-e", "EXTRA=1", "job", "sh", "-c",
                "echo $FROM $EXTRA; exit 4", check=False)
    assert r.returncode == 4, r.stderr
    assert r.stdout.strip() == "file 1"
    # the dependency was brought up; the one-off container is gone (--rm)
    assert set(ids(hull, "oneoff")) == {"oneoff-dep-1"}
    r = compose(hull, tmp_path, "run", "-d", "--no-deps", "--name", "oneoff-manual", "job")
    assert "oneoff-manual" in r.stdout
    labels = hull.inspect("oneoff-manual")["Config"]["Labels"]
    assert labels["com.docker.compose.oneoff"] == "True"
    # one-off containers are not the service's replicas
    assert "oneoff-manual" not in compose(hull, tmp_path, "ps", "-a").stdout
    hull("rm", "-f", "oneoff-manual", check=True)
    compose(hull, tmp_path, "down", "-t", "1")
    assert ids(hull, "oneoff") == {}


def test_kill_9_of_up_then_down_leaves_nothing(hull, tmp_path):
    from hull_helpers import processes_mentioning
    import os
    import signal
    write(tmp_path / "compose.yaml",
          "name: killed\nservices:\n  slow:\n    image: busybox\n    command: [sleep, '1000']\n"
          "    stop_grace_period: 1s\n"
          "    healthcheck: {test: 'false', interval: 100ms, retries: 100000}\n"
          "  a:\n    image: busybox\n    command: [sleep, '1000']\n"
          "    depends_on: {slow: {condition: service_healthy}}\n"
          "  b:\n    image: busybox\n    command: [sleep, '1000']\n"
          "    depends_on: {slow: {condition: service_healthy}}\n")
    p = subprocess.Popen(hull.cmd("compose", "up", "-d"), cwd=tmp_path, env=hull.env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = ""
    while "Waiting" not in seen:
        line = p.stderr.readline()
        assert line, f"up ended early: {seen}"
        seen += line
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    # its workers die with it: nothing goes on creating containers for a command that is gone
    hull.wait_for(lambda: not [x for x in processes_mentioning(hull.root) if " compose " in x[1]],
                  what="the killed up's workers to exit")
    assert set(ids(hull, "killed")) == {"killed-slow-1"}
    compose(hull, tmp_path, "down", "-t", "1")
    assert ids(hull, "killed") == {}
    assert leftovers(hull.root) == {}
