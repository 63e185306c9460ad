"""hull compose with networks: services reach each other by service name, network alias and
container name over the stack's `<project>_<net>` networks; published ports answer on
127.0.0.1; replicas all answer to the service name; driver_opts reach the network; a changed
network is recreated with the containers on it (docker compose's way); `down` removes the networks and leaves no veth, bridge, iptables rule or IPAM reservation."""
import json
import random
import subprocess
import time

from hull_helpers import hull, leftovers  # noqa: F401  (fixture)
from net_helpers import free_port, nothing_left, unique_subnet


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
    return "cn" + "".join(random.choice("0123456789abcdef") for _ in range(8))


def bridge_of(hull, network):
    r = hull("network", "inspect", network)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)[0]["Options"]["com.docker.network.bridge.name"]


def exec_until(hull, container, script, want, timeout=60):
    """Run `script` in the container until its output holds `want` (servers start async)."""
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        r = subprocess.run(hull.cmd("exec", container, "sh", "-c", script), capture_output=True,
                           text=True, env=hull.env, timeout=30, stdin=subprocess.DEVNULL)
        out = r.stdout + r.stderr
        if want in out:
            return out
        time.sleep(0.2)
    raise AssertionError(f"{container}: {script!r} never printed {want!r}: {out}")


# A one-connection-at-a-time TCP server that answers with a marker.
SERVER = 'while true; do echo srv-here | nc -l -p 7000; done'

STACK = """
name: {project}
services:
  srv:
    image: busybox
    command: ["sh", "-c", "{server}"]
    stop_grace_period: 1s
    networks:
      back:
        aliases: [backend]
    ports:
      - "127.0.0.1:{port}:7000"
    expose: [7001, "7002/udp"]
  cli:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    networks: [back]
networks:
  back:
    ipam:
      config:
        - subnet: {subnet}
"""


def up_with_subnet(hull, tmp_path, text, **kw):
    """Write and `up` the file with a fresh subnet (retried when another test took it)."""
    for _ in range(10):
        subnet = unique_subnet()
        write(tmp_path / "compose.yaml", text.format(subnet=subnet, **kw))
        r = compose(hull, tmp_path, "up", "-d", check=False)
        if r.returncode == 0:
            return subnet, r
        assert "overlaps" in r.stderr, r.stderr
    raise AssertionError("no free subnet")


def test_name_alias_published_port_and_down(hull, tmp_path):
    p = project()
    port = free_port()
    subnet, r = up_with_subnet(hull, tmp_path, STACK, project=p, server=SERVER, port=port)
    try:
        check_name_alias_port(hull, tmp_path, p, port, subnet, r)
    finally:
        write(tmp_path / "compose.yaml", STACK.format(project=p, server=SERVER, port=port,
                                                      subnet=subnet))
        compose(hull, tmp_path, "down", "-t", "1", check=False)


def check_name_alias_port(hull, tmp_path, p, port, subnet, r):
    assert f"Network {p}_back  Created" in r.stderr
    net = hull("network", "inspect", f"{p}_back")
    info = json.loads(net.stdout)[0]
    assert info["Labels"]["com.docker.compose.project"] == p
    assert info["Labels"]["com.docker.compose.network"] == "back"
    assert info["IPAM"]["Config"][0]["Subnet"] == subnet
    bridge = bridge_of(hull, f"{p}_back")
    cli = f"{p}-cli-1"
    srv = hull.inspect(f"{p}-srv-1")
    assert set(srv["Config"]["ExposedPorts"]) == {"7000/tcp", "7001/tcp", "7002/udp"}
    ports = srv["NetworkSettings"]["Ports"]  # exposed, not published: null (docker's)
    assert ports["7001/tcp"] is None and ports["7002/udp"] is None and ports["7000/tcp"]
    # by service name, by alias, by container name
    for name in ("srv", "backend", f"{p}-srv-1"):
        exec_until(hull, cli, f"nc {name} 7000 </dev/null", "srv-here")
    # the published port, from the host
    import socket
    deadline = time.monotonic() + 120
    got = b""
    while time.monotonic() < deadline and b"srv-here" not in got:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                got = s.recv(100)
        except OSError:
            time.sleep(0.1)
    assert b"srv-here" in got
    r = compose(hull, tmp_path, "down", "-t", "1")
    assert f"Network {p}_back  Removed" in r.stderr
    assert hull("network", "inspect", f"{p}_back").returncode != 0
    assert nothing_left(hull.root, subnet, bridge) == {}
    assert leftovers(hull.root) == {}


REPLICAS = """
name: {project}
services:
  web:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    deploy: {{replicas: 3}}
    ports: ["7000"]
  probe:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
networks:
  default:
    ipam:
      config:
        - subnet: {subnet}
"""


def test_replicas_resolve_by_service_name_on_default_network(hull, tmp_path):
    p = project()
    subnet, r = up_with_subnet(hull, tmp_path, REPLICAS, project=p)
    try:
        check_replicas(hull, tmp_path, p, subnet, r)
    finally:
        compose(hull, tmp_path, "down", "-t", "1", check=False)


def check_replicas(hull, tmp_path, p, subnet, r):
    assert f"Network {p}_default  Created" in r.stderr
    bridge = bridge_of(hull, f"{p}_default")
    addrs = set()
    for n in (1, 2, 3):
        c = hull.inspect(f"{p}-web-{n}")
        addrs.add(c["NetworkSettings"]["Networks"][f"{p}_default"]["IPAddress"])
    assert len(addrs) == 3
    prefix = subnet.rsplit(".", 1)[0] + "."
    assert all(a.startswith(prefix) for a in addrs)
    deadline = time.monotonic() + 60
    seen = set()
    while time.monotonic() < deadline and seen != addrs:
        out = subprocess.run(hull.cmd("exec", f"{p}-probe-1", "nslookup", "web"),
                             capture_output=True, text=True, env=hull.env, timeout=30).stdout
        seen = {l.split()[-1] for l in out.splitlines()[2:] if l.startswith("Address")}
    assert seen == addrs
    compose(hull, tmp_path, "down", "-t", "1")
    assert nothing_left(hull.root, subnet, bridge) == {}
    assert leftovers(hull.root) == {}


def test_external_network_must_exist(hull, tmp_path):
    p = project()
    write(tmp_path / "compose.yaml", f"""
name: {p}
services:
  a:
    image: busybox
    command: ["true"]
    networks: [outside]
networks:
  outside:
    external: true
    name: {p}-missing
""")
    r = compose(hull, tmp_path, "up", "-d", check=False)
    assert r.returncode != 0
    assert f"network {p}-missing declared as external, but could not be found" in r.stderr
    assert hull.ps("-a") == []


CHANGING = """
name: {project}
services:
  a:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    networks: [back]
  b:
    image: busybox
    command: ["sh", "-c", "{server}"]
    stop_grace_period: 1s
    networks: [back]
  c:
    image: busybox
    command: ["sleep", "1000"]
    stop_grace_period: 1s
    networks: [front]
networks:
  back:
    driver_opts:
      com.docker.network.bridge.name: {bridge}
      com.docker.network.driver.mtu: "{mtu}"
      io.example.note: "{note}"
    ipam:
      config:
        - subnet: {subnet}
  front:
    ipam:
      config:
        - subnet: {front}
"""


def eth0_of(hull, container):
    r = subprocess.run(hull.cmd("exec", container, "sh", "-c",
                                "cat /sys/class/net/eth0/mtu; ip -4 -o addr show eth0"),
                       capture_output=True, text=True, env=hull.env, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    mtu, addr = r.stdout.splitlines()
    return int(mtu), addr.split()[3].split("/")[0]


def test_driver_opts_and_changed_network_recreated(hull, tmp_path):
    p = project()
    bridge = "hb" + p[2:10]
    kw = dict(project=p, bridge=bridge, note="one", server=SERVER)
    subnet = front = None
    try:
        for _ in range(10):
            subnet, front = unique_subnet(), unique_subnet()
            if subnet == front:
                continue
            write(tmp_path / "compose.yaml", CHANGING.format(subnet=subnet, front=front,
                                                             mtu=1400, **kw))
            r = compose(hull, tmp_path, "up", "-d", check=False)
            if r.returncode == 0:
                break
            assert "overlaps" in r.stderr, r.stderr
        assert r.returncode == 0, r.stderr
        # driver_opts: the bridge's name and the MTU the containers see; all in Options
        assert bridge_of(hull, f"{p}_back") == bridge
        info = json.loads(hull("network", "inspect", f"{p}_back").stdout)[0]
        assert info["Options"]["io.example.note"] == "one"
        assert info["Options"]["com.docker.network.driver.mtu"] == "1400"
        assert eth0_of(hull, f"{p}-a-1")[0] == 1400
        before = {s: hull.inspect(f"{p}-{s}-1")["Id"] for s in "abc"}
        # unchanged: nothing happens
        r = compose(hull, tmp_path, "up", "-d")
        assert "Removed" not in r.stderr and "Created" not in r.stderr, r.stderr
        # a changed definition: plan says so; up stops, disconnects and recreates
        write(tmp_path / "compose.yaml", CHANGING.format(subnet=subnet, front=front, mtu=1300,
                                                         **kw))
        plan = compose(hull, tmp_path, "plan").stdout
        assert f'network {p}_back' in plan and 'option "driver_opts" has changed' in plan, plan
        assert f"recreate  {p}-a-1" in plan and f"keep      {p}-c-1" in plan, plan
        r = compose(hull, tmp_path, "up", "-d")
        err = r.stderr
        assert f"Container {p}-a-1  Stopped" in err and f"Container {p}-b-1  Stopped" in err, err
        assert err.index(f"Network {p}_back  Removed") < err.index(f"Network {p}_back  Created")
        after = {s: hull.inspect(f"{p}-{s}-1")["Id"] for s in "abc"}
        assert after["a"] != before["a"] and after["b"] != before["b"]
        assert after["c"] == before["c"]
        assert eth0_of(hull, f"{p}-a-1")[0] == 1300
        info = json.loads(hull("network", "inspect", f"{p}_back").stdout)[0]
        assert info["Options"]["com.docker.network.driver.mtu"] == "1300"
        # a reaches b by name on the new network
        assert eth0_of(hull, f"{p}-b-1")[0] == 1300
        exec_until(hull, f"{p}-a-1", "nc b 7000 </dev/null", "srv-here")
        # another option (a note only hull records) is a change too
        write(tmp_path / "compose.yaml", CHANGING.format(subnet=subnet, front=front, mtu=1300,
                                                         project=p, bridge=bridge, note="two",
                                                         server=SERVER))
        r = compose(hull, tmp_path, "up", "-d")
        assert f"Network {p}_back  Created" in r.stderr
        assert hull.inspect(f"{p}-c-1")["Id"] == before["c"]
        # a bad MTU: one line naming the option, nothing half-made
        write(tmp_path / "compose.yaml", CHANGING.format(subnet=subnet, front=front, mtu="huge",
                                                         **kw))
        r = compose(hull, tmp_path, "down", "-t", "1")
        r = compose(hull, tmp_path, "up", "-d", check=False)
        assert r.returncode != 0 and "com.docker.network.driver.mtu" in r.stderr, r.stderr
    finally:
        compose(hull, tmp_path, "down", "-t", "1", check=False)
    assert hull("network", "inspect", f"{p}_back").returncode != 0
    if subnet:
        assert nothing_left(hull.root, subnet, bridge) == {}
    assert leftovers(hull.root) == {}
