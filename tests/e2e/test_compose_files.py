"""hull compose reading files: discovery, override merge, interpolation from the environment,
.env and --env-file, profiles, `config` (YAML, --services, --hash), `validate`, and one-line
errors naming file:line and the key path. No containers are started here."""
import os
import subprocess

import pytest

from hull_helpers import hull  # noqa: F401  (fixture)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def compose(hull, cwd, *args, env=None):
    e = dict(hull.env)
    e.update(env or {})
    return subprocess.run(hull.cmd("compose", *args), cwd=cwd, capture_output=True, text=True,
                          env=e, timeout=60, stdin=subprocess.DEVNULL)


EVERY_KEY = """
version: "3.8"
name: allkeys
x-base: &base
  restart: unless-stopped
services:
  web:
    <<: *base
    image: busybox
    build:
      context: ./ctx
      dockerfile: Containerfile
      args: [A=1]
      target: final
    command: httpd -f -p 8080
    entrypoint: ["/bin/sh", "-c"]
    environment:
      FROM_ENV: ${FROM_ENV}
      DEFAULTED: ${NOPE:-fallback}
      DOTENV: $DOTENV_VAR
    env_file: [web.env]
    ports:
      - "8080:8080"
      - target: 9090
        published: "19090"
        protocol: udp
    expose: ["8080"]
    volumes:
      - ./html:/www:ro
      - data:/data
      - type: tmpfs
        target: /cache
        tmpfs: {size: 1m}
    networks:
      front:
        aliases: [www]
        ipv4_address: 172.28.5.10
    depends_on:
      db:
        condition: service_healthy
        restart: true
      init:
        condition: service_completed_successfully
    healthcheck:
      test: ["CMD", "wget", "-q", "-O-", "localhost:8080"]
      interval: 10s
      timeout: 2s
      retries: 5
      start_period: 1s
    deploy:
      replicas: 2
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 100}
        reservations: {memory: 16M}
      restart_policy: {condition: on-failure, max_attempts: 3}
    secrets:
      - source: token
        target: api-token
        mode: 0400
    configs:
      - source: conf
        target: /etc/app.conf
    read_only: true
    cap_add: [NET_BIND_SERVICE]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    user: "1000:1000"
    working_dir: /www
    hostname: web
    labels: {com.example.tier: front}
    logging:
      driver: json-file
      options: {max-size: 10m, max-file: "3"}
    stop_signal: SIGINT
    stop_grace_period: 5s
    init: true
    tmpfs: [/run]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 512
    sysctls: [net.core.somaxconn=1024]
    devices: ["/dev/null:/dev/xnull"]
    extra_hosts: ["db.local:10.0.0.2"]
    dns: [1.1.1.1]
    profiles: [web]
    container_name: the-web
  db:
    image: busybox
    healthcheck:
      test: true
      disable: false
  init:
    image: busybox
    network_mode: none
    scale: 1
networks:
  front:
    driver: bridge
    internal: false
    ipam:
      config:
        - subnet: 172.28.0.0/16
  outside:
    external: true
volumes:
  data:
    driver: local
    driver_opts: {type: none, o: bind, device: /srv/data}
  ext:
    external: true
secrets:
  token: {file: ./token.txt}
configs:
  conf: {file: ./app.conf}
"""


def test_every_key_resolves(hull, tmp_path):
    write(tmp_path / "compose.yaml", EVERY_KEY)
    write(tmp_path / "web.env", "FROM_FILE=yes\n")
    write(tmp_path / ".env", "DOTENV_VAR=from-dotenv\n")
    r = compose(hull, tmp_path, "--profile", "web", "config", "--format", "json",
                env={"FROM_ENV": "from-process"})
    assert r.returncode == 0, r.stderr
    assert "unknown key" not in r.stderr
    import json
    doc = json.loads(r.stdout)
    assert doc["name"] == "allkeys"
    web = doc["services"]["web"]
    assert web["environment"] == {"FROM_ENV": "from-process", "DEFAULTED": "fallback",
                                  "DOTENV": "from-dotenv", "FROM_FILE": "yes"}
    assert web["restart"] == "unless-stopped"
    assert web["command"] == ["httpd", "-f", "-p", "8080"]
    assert web["build"]["context"] == str(tmp_path / "ctx")
    assert web["ports"][1] == {"target": 9090, "published": "19090", "protocol": "udp",
                               "mode": "ingress"}
    assert web["volumes"][0] == {"type": "bind", "source": str(tmp_path / "html"),
                                 "target": "/www", "read_only": True,
                                 "bind": {"create_host_path": True}}
    assert web["volumes"][2]["tmpfs"] == {"size": 1 << 20}
    assert web["networks"]["front"] == {"aliases": ["www"], "ipv4_address": "172.28.5.10"}
    assert web["depends_on"]["db"] == {"condition": "service_healthy", "required": True,
                                       "restart": True}
    assert web["healthcheck"]["interval"] == "10s"
    assert web["deploy"]["resources"]["limits"] == {"cpus": "0.5", "memory": 64 << 20,
                                                    "pids": 100}
    assert web["secrets"] == [{"source": "token", "target": "/run/secrets/api-token",
                               "mode": 0o400}]
    assert web["ulimits"]["nproc"] == {"soft": 512, "hard": 512}
    assert web["stop_grace_period"] == "5s"
    assert doc["networks"]["front"]["name"] == "allkeys_front"
    assert doc["networks"]["outside"]["name"] == "outside"
    assert doc["volumes"]["data"]["name"] == "allkeys_data"
    assert doc["secrets"]["token"]["file"] == str(tmp_path / "token.txt")
    # without the profile, web is not part of the project
    r = compose(hull, tmp_path, "config", "--services", env={"FROM_ENV": "x"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["db", "init"]


def test_yaml_output_and_hash_are_stable(hull, tmp_path):
    write(tmp_path / "compose.yaml", EVERY_KEY)
    write(tmp_path / "web.env", "FROM_FILE=yes\n")
    args = ("--profile", "web", "config")
    first = compose(hull, tmp_path, *args, env={"FROM_ENV": "a"})
    again = compose(hull, tmp_path, *args, env={"FROM_ENV": "a"})
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    assert "name: allkeys" in first.stdout and "  web:\n" in first.stdout
    h1 = compose(hull, tmp_path, "--profile", "web", "config", "--hash", "web",
                 env={"FROM_ENV": "a"}).stdout.split()
    h2 = compose(hull, tmp_path, "--profile", "web", "config", "--hash", "web",
                 env={"FROM_ENV": "b"}).stdout.split()
    assert h1[0] == "web" and len(h1[1]) == 64
    assert h1[1] != h2[1]
    db1 = compose(hull, tmp_path, "config", "--hash", "db", env={"FROM_ENV": "a"}).stdout
    db2 = compose(hull, tmp_path, "config", "--hash", "db", env={"FROM_ENV": "b"}).stdout
    assert db1 == db2


def test_discovery_override_and_env_file(hull, tmp_path):
    sub = tmp_path / "My_Project"
    (sub / "deeper").mkdir(parents=True)
    write(sub / "docker-compose.yml",
          "services:\n  app:\n    image: busybox\n    environment: [A=base, B=base]\n"
          "    ports: ['80:80']\n")
    write(sub / "docker-compose.override.yml",
          "services:\n  app:\n    environment: ['B=${TAG:-none}']\n    ports: ['81:81']\n")
    write(tmp_path / "custom.env", "TAG=from-env-file\n")
    r = compose(hull, sub / "deeper", "--env-file", str(tmp_path / "custom.env"), "config",
                "--format", "json")
    assert r.returncode == 0, r.stderr
    import json
    doc = json.loads(r.stdout)
    assert doc["name"] == "my_project"
    app = doc["services"]["app"]
    assert app["environment"] == {"A": "base", "B": "from-env-file"}
    assert [p["target"] for p in app["ports"]] == [80, 81]
    r = compose(hull, tmp_path / "My_Project", "-p", "other", "config", "--format", "json")
    assert json.loads(r.stdout)["name"] == "other"
    # -f replaces discovery; later files override earlier ones
    write(tmp_path / "a.yaml", "services:\n  x:\n    image: busybox\n    command: [a]\n")
    write(tmp_path / "b.yaml", "services:\n  x:\n    command: [b]\n")
    r = compose(hull, tmp_path, "-f", "a.yaml", "-f", "b.yaml", "config", "--format", "json")
    assert json.loads(r.stdout)["services"]["x"]["command"] == ["b"]


@pytest.mark.parametrize("text,expect", [
    ("services:\n  web:\n    image: busybox\n    read_only: perhaps\n",
     "compose.yaml:4: services.web.read_only: must be a boolean, not string"),
    ("services:\n  web:\n    image: busybox\n    ports:\n      - 'abc:80'\n",
     "compose.yaml:5: services.web.ports[0]: invalid host port 'abc'"),
    ("services:\n  web:\n    image: ${MISSING:?set MISSING first}\n",
     "compose.yaml:3: services.web.image: required variable MISSING is missing a value: "
     "set MISSING first"),
    ("services:\n  web:\n    image: busybox\n    command: echo $\n",
     "compose.yaml:4: services.web.command: invalid interpolation format"),
    ("services:\n  web:\n    image: busybox\n  web:\n    image: x\n",
     "compose.yaml:4:3: duplicate key 'web'"),
    ("services:\n  web:\n    image: busybox\n   bad indent: [\n",
     "compose.yaml:4"),
    ("services:\n  a:\n    image: busybox\n    depends_on: [b]\n"
     "  b:\n    image: busybox\n    depends_on: [a]\n",
     "dependency cycle: a -> b -> a"),
    ("services:\n  web:\n    image: busybox\n    depends_on: [nope]\n",
     "service 'web' depends on unknown service 'nope'"),
])
def test_bad_files_give_one_line_errors(hull, tmp_path, text, expect):
    write(tmp_path / "compose.yaml", text)
    for verb in ("validate", "config", "up"):
        r = compose(hull, tmp_path, verb, *(["-d"] if verb == "up" else []))
        assert r.returncode == 1, r.stderr
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, r.stderr
        assert expect in lines[0], lines[0]
        assert lines[0].startswith("hull: ")
    assert hull.container_ids() == []


def test_unknown_keys_warn_and_validate_passes(hull, tmp_path):
    write(tmp_path / "compose.yaml",
          "version: '2'\nservices:\n  web:\n    image: busybox\n    colour: blue\n"
          "    x-mine: ok\nx-top: 1\nweird: 2\n")
    r = compose(hull, tmp_path, "validate")
    assert r.returncode == 0
    assert "compose.yaml:5: unknown key services.web.colour (ignored)" in r.stderr
    assert "unknown key weird" in r.stderr
    assert "x-mine" not in r.stderr and "x-top" not in r.stderr and "version" not in r.stderr


def test_no_file_found(hull, tmp_path):
    r = compose(hull, tmp_path, "config")
    assert r.returncode == 1
    assert "no configuration file provided" in r.stderr


TOPO = """
name = "t1"
[services.web]
image = "busybox"
command = ["sleep", "1"]
memory = "64M"
"""


@pytest.mark.parametrize("extra,expect", [
    ('[[services.web.depends_on]]\nservice = "x"\n',
     "Service 'web' depends on unknown service 'x'"),
    ('networks = ["n"]\n', "Service 'web' references unknown network 'n'"),
    ('volumes = ["/abs:/y"]\n', "Service 'web' uses absolute host-path volume mount '/abs'; "
                                "topology configs must reference a named volume instead"),
    ('volumes = ["v:/y"]\n', "Service 'web' references unknown volume 'v'"),
    ('cpus = "x"\n', "t.toml:7: services.web: must be a number (cpus), not string"),
    ('pids = 1.5e\n', "t.toml:7:8: invalid float exponent"),
])
def test_topology_errors(hull, tmp_path, extra, expect):
    write(tmp_path / "t.toml", TOPO + extra)
    r = compose(hull, tmp_path, "-f", "t.toml", "validate")
    assert r.returncode == 1
    assert expect in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_topology_name_and_services_required(hull, tmp_path):
    write(tmp_path / "t.toml", 'name = ""\n' + TOPO.split("\n", 2)[2])
    r = compose(hull, tmp_path, "-f", "t.toml", "validate")
    assert "Topology name cannot be empty" in r.stderr
    write(tmp_path / "t.toml", 'name = "x"\n')
    r = compose(hull, tmp_path, "-f", "t.toml", "validate")
    assert "Topology must have at least one service" in r.stderr
