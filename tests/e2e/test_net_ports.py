"""Published ports: -p from 127.0.0.1 and from a host address (kernel DNAT, no proxy process),
hairpin from another container, ranges, -P with the image's EXPOSE, `hull port`, and a port
conflict that fails clearly and leaves nothing."""
import json
import os
import random
import subprocess

import pytest

from conftest import BUILD
from hull_helpers import hull  # noqa: F401  (fixture)
from image_helpers import add_tree, tar_bytes, write_oci_layout
from net_helpers import (create_network, free_port, gateway, http_get, iptables_rules, nothing_left,
                         portmap_rules, prefix, unique_subnet, wait_tcp)

HTTPD = ["busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]


def test_publish_loopback_host_address_and_hairpin(hull):
    sub, br = create_network(hull, "pub")
    p1, p2 = free_port(), free_port()
    c = hull.run_d("--network", "pub", "-p", f"127.0.0.1:{p1}:80", "-p", f"{p2}:80/tcp", *HTTPD)
    out = hull("port", c, check=True).stdout.splitlines()
    assert sorted(out) == sorted([f"80/tcp -> 127.0.0.1:{p1}", f"80/tcp -> 0.0.0.0:{p2}"])
    assert hull("port", c, "80/tcp", check=True).stdout.split() == [f"127.0.0.1:{p1}",
                                                                      f"0.0.0.0:{p2}"]
    wait_tcp("127.0.0.1", p1)
    assert http_get("127.0.0.1", p1).strip() == c[:12]
    # The host's own address on the network this test made.
    assert http_get(gateway(sub), p2).strip() == c[:12]
    # Only 127.0.0.1 for p1.
    with pytest.raises(OSError):
        http_get(gateway(sub), p1, timeout=2)
    # No user-space proxy: nothing listens on the host ports, the kernel DNATs.
    ss = os.popen(f"ss -Hltn 'sport = :{p2}'").read()
    assert ss.strip() == ""
    # Hairpin: another container on the same network through the host address.
    r = hull("run", "--rm", "--network", "pub", "busybox", "wget", "-qO-",
             f"http://{gateway(sub)}:{p2}/hostname", check=True)
    assert r.stdout.strip() == c[:12]
    hull("rm", "-f", c, check=True)
    with pytest.raises(OSError):
        http_get("127.0.0.1", p1, timeout=2)
    hull("network", "rm", "pub", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_port_conflict_is_clear_and_leaves_nothing(hull):
    sub, br = create_network(hull, "conf")
    port = free_port()
    c = hull.run_d("--network", "conf", "-p", f"{port}:80", *HTTPD)
    before = nothing_left(hull.root, sub, br)
    r = hull("run", "-d", "--name", "second", "--network", "conf", "-p", f"127.0.0.1:{port}:80",
             *HTTPD)
    assert r.returncode != 0
    assert f"Bind for 127.0.0.1:{port} failed: port is already allocated" in r.stderr
    assert nothing_left(hull.root, sub, br) == before
    assert hull.inspect("second")["State"]["Running"] is False
    hull("rm", "-f", "second", check=True)
    # A port another program listens on is refused too.
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        r = hull("run", "--rm", "--network", "conf", "-p", f"127.0.0.1:{busy}:80", "busybox", "true")
        assert r.returncode != 0 and "already allocated" in r.stderr
    r = hull("run", "--rm", "-p", "99999:80", "busybox", "true")
    assert r.returncode == 125 and "invalid host port" in r.stderr
    r = hull("run", "--rm", "-p", "80/sctp", "busybox", "true")
    assert r.returncode == 125 and "invalid protocol" in r.stderr
    hull("rm", "-f", c, check=True)
    hull("network", "rm", "conf", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_publish_all_and_ranges(hull, busybox_rootfs, tmp_path):
    layout = str(tmp_path / "exposed")
    write_oci_layout(layout, [(tar_bytes(lambda t: add_tree(t, busybox_rootfs)), "gzip")],
                     tag="v1", config_extra={"config": {
                         "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["httpd", "-f", "-p", "80", "-h", "/etc"],
                         "ExposedPorts": {"80/tcp": {}, "81/tcp": {}}}})
    hull("pull", f"oci:{layout}:v1", check=True)
    sub, br = create_network(hull, "pall")
    c = hull.run_d("--network", "pall", "-P", "localhost/exposed:v1")
    ports = hull.inspect(c)["NetworkSettings"]["Ports"]
    assert set(ports) == {"80/tcp", "81/tcp"}
    hp = int(ports["80/tcp"][0]["HostPort"])
    assert hp > 0 and hp != int(ports["81/tcp"][0]["HostPort"])
    wait_tcp("127.0.0.1", hp)
    assert http_get("127.0.0.1", hp).strip() == c[:12]
    # A range: two host ports onto two container ports.
    base = free_port()
    while True:
        try:
            import socket
            with socket.socket() as s:
                s.bind(("127.0.0.1", base + 1))
            break
        except OSError:
            base = free_port()
    d = hull.run_d("--network", "pall", "-p", f"127.0.0.1:{base}-{base + 1}:80-81",
                   "busybox", "sh", "-c", "httpd -p 80 -h /etc; httpd -f -p 81 -h /etc")
    wait_tcp("127.0.0.1", base)
    wait_tcp("127.0.0.1", base + 1)
    assert http_get("127.0.0.1", base + 1).strip() == d[:12]
    hull("rm", "-f", c, d, check=True)
    hull("network", "rm", "pall", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_expose_adds_ports_that_publish_all_publishes(hull):
    sub, br = create_network(hull, "expo")
    c = hull.run_d("--network", "expo", "-P", "--expose", "8080", "--expose", "9000-9001/udp",
                   "busybox", "httpd", "-f", "-p", "8080", "-h", "/etc")
    doc = hull.inspect(c)
    assert set(doc["Config"]["ExposedPorts"]) == {"8080/tcp", "9000/udp", "9001/udp"}
    ports = doc["NetworkSettings"]["Ports"]
    assert set(ports) == {"8080/tcp", "9000/udp", "9001/udp"}
    hp = int(ports["8080/tcp"][0]["HostPort"])
    out = hull("port", c, "8080", check=True).stdout.split()
    assert f"0.0.0.0:{hp}" in out
    wait_tcp("127.0.0.1", hp)
    assert http_get("127.0.0.1", hp).strip() == c[:12]
    # Exposed without -P: recorded, listed as null (docker's), not published.
    d = hull.run_d("--network", "expo", "--expose", "7000", "busybox", "sleep", "600")
    doc = hull.inspect(d)
    assert set(doc["Config"]["ExposedPorts"]) == {"7000/tcp"}
    assert doc["NetworkSettings"]["Ports"] == {"7000/tcp": None}
    assert hull("port", d, check=True).stdout == ""
    ps = hull("ps", "--format", "{{.Names}} {{.Ports}}", check=True).stdout.splitlines()
    assert f"{doc['Name'].lstrip('/')} 7000/tcp" in ps, ps
    # Bad values: refused before anything is made, naming the flag and the reason.
    for bad, why in (("0", "invalid port"), ("70000", "invalid port"), ("80/sctp", "invalid protocol"),
                     ("90-80", "invalid port")):
        r = hull("run", "-d", "--name", "badexpose", "--network", "expo", "--expose", bad,
                 "busybox", "true")
        assert r.returncode == 125 and f"--expose {bad}: {why}" in r.stderr, (bad, r.stderr)
        assert hull("ps", "-aq", "--filter", "name=badexpose", check=True).stdout == ""
    hull("rm", "-f", c, d, check=True)
    hull("network", "rm", "expo", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_debian_portmap_in_a_conflist_still_works(hull):
    """Networks made before hull-portmap (and conflists edited by hand) chain Debian's portmap:
    hull runs whatever the conflist names."""
    sub, br = create_network(hull, "oldpm")
    path = os.path.join(hull.root, "networks", "oldpm.conflist")
    conf = json.load(open(path))
    for p in conf["plugins"]:
        if p["type"] == "hull-portmap":
            p["type"] = "portmap"
    with open(path, "w") as f:
        json.dump(conf, f)
    port = free_port()
    c = hull.run_d("--network", "oldpm", "-p", f"127.0.0.1:{port}:80", *HTTPD)
    wait_tcp("127.0.0.1", port)
    assert http_get("127.0.0.1", port).strip() == c[:12]
    assert not portmap_rules(prefix(sub))  # Debian's portmap wrote iptables rules instead
    assert iptables_rules(hull.inspect(c)["NetworkSettings"]["IPAddress"] + ":80")
    hull("rm", "-f", c, check=True)
    hull("network", "rm", "oldpm", check=True)
    assert not nothing_left(hull.root, sub, br)


def run_plugin(build, command, conf, cid="cafe" * 16, ifname="eth0"):
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_IFNAME": ifname,
           "CNI_NETNS": "", "CNI_PATH": "/usr/lib/cni", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    return subprocess.run([os.path.join(build, "hull-portmap")], input=json.dumps(conf),
                          capture_output=True, text=True, env=env)


def test_hull_portmap_is_a_cni_plugin(hull):
    """hull-portmap on its own, as any CNI runtime runs it: VERSION, ADD with a previous result,
    CHECK, DEL (idempotent), and CNI error objects for bad input."""
    build = BUILD
    r = run_plugin(build, "VERSION", {})
    assert r.returncode == 0 and "1.0.0" in json.loads(r.stdout)["supportedVersions"]
    sub = unique_subnet()
    ip = sub.rsplit(".", 1)[0] + ".7"
    port = free_port()
    prev = {"cniVersion": "1.0.0",
            # A host interface that does not exist: route_localnet is set on nothing real.
            "interfaces": [{"name": "hpm-none0"}, {"name": "eth0", "sandbox": "/proc/1/ns/net"}],
            "ips": [{"address": ip + "/24", "interface": 1}]}
    conf = {"cniVersion": "1.0.0", "name": "plugtest", "type": "hull-portmap",
            "runtimeConfig": {"portMappings": [
                {"hostPort": port, "containerPort": 80, "protocol": "tcp",
                 "hostIP": "127.0.0.1"},
                {"hostPort": port, "containerPort": 53, "protocol": "udp"}]},
            "prevResult": prev}
    cid = "".join(random.choice("0123456789abcdef") for _ in range(64))
    try:
        r = run_plugin(build, "ADD", conf, cid)
        assert r.returncode == 0, r.stdout + r.stderr
        assert json.loads(r.stdout)["ips"] == prev["ips"]  # the result passes through
        rules = portmap_rules(f"{cid} eth0")
        assert len(rules) == 4, rules  # per mapping: the masquerade mark and the DNAT
        assert any(f"tcp dport {port} dnat ip to {ip}:80" in l for l in rules), rules
        assert any(f"udp dport {port} dnat ip to {ip}:53" in l for l in rules), rules
        assert run_plugin(build, "CHECK", conf, cid).returncode == 0
        # Another attachment of the same container (eth1) is separate.
        assert run_plugin(build, "CHECK", conf, cid, "eth1").returncode == 1
    finally:
        r = run_plugin(build, "DEL", conf, cid)
    assert r.returncode == 0, r.stdout
    assert portmap_rules(cid) == []
    assert run_plugin(build, "DEL", conf, cid).returncode == 0  # DEL twice: fine
    r = run_plugin(build, "CHECK", conf, cid)
    assert r.returncode == 1 and json.loads(r.stdout)["msg"].startswith("CHECK")
    # Bad input: a CNI error object on stdout, exit status 1.
    bad = dict(conf, runtimeConfig={"portMappings": [{"hostPort": 70000, "containerPort": 80}]})
    r = run_plugin(build, "ADD", bad, cid)
    err = json.loads(r.stdout)
    assert r.returncode == 1 and err["code"] == 7
    assert "portMappings[0].hostPort" in err["details"]
    r = run_plugin(build, "ADD", {k: v for k, v in conf.items() if k != "prevResult"}, cid)
    assert r.returncode == 1 and "prevResult" in json.loads(r.stdout)["details"]
    r = subprocess.run([os.path.join(build, "hull-portmap")], input="{", capture_output=True,
                       text=True, env={"CNI_COMMAND": "ADD"})
    assert r.returncode == 1 and json.loads(r.stdout)["code"] == 6
    assert portmap_rules(cid) == []


def test_udp_flow_from_before_the_publish_reaches_the_container(hull):
    """A UDP client that keeps sending to a host port before it is published (a WireGuard or
    DNS client) has a conntrack entry made without the DNAT; publishing the port forgets it, so
    the client's next datagram reaches the container instead of the host's closed port."""
    import socket
    sub, br = create_network(hull, "udpct")
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.sendto(b"before\n", ("127.0.0.1", port))  # the flow's conntrack entry, no DNAT
        receiver = ("import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
                    "s.bind(('0.0.0.0', 9999))\n"
                    "while True: print(s.recv(100).decode(), flush=True)")
        c = hull.run_d("--network", "udpct", "-p", f"127.0.0.1:{port}:9999/udp",
                       "-v", "/usr:/usr:ro", "-v", "/lib:/lib:ro", "-v", "/lib64:/lib64:ro",
                       "busybox", "/usr/bin/python3", "-c", receiver)
        pid = hull.inspect(c)["State"]["Pid"]

        def listening():
            with open(f"/proc/{pid}/net/udp") as fh:
                return any(int(l.split()[1].rsplit(":", 1)[1], 16) == 9999
                           for l in fh.readlines()[1:])
        hull.wait_for(listening, what="the receiver's UDP socket")

        def arrived():
            s.sendto(b"hello-from-the-flow\n", ("127.0.0.1", port))  # the same source port
            return "hello-from-the-flow" in hull("logs", c).stdout
        hull.wait_for(arrived, timeout=60, interval=0.1,
                      what="the flow's datagram in the container")
    hull("rm", "-f", c, check=True)
    hull("network", "rm", "udpct", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_reservations_live_outside_the_runtime_state_root(hull):
    """Reservations are in /run/hull-ports, not in hull-runtime's default root /run/hull, where
    `hull-runtime list` showed their directory as a container "ports"; one an older hull left
    in /run/hull/ports still holds its port while its owner lives."""
    sub, br = create_network(hull, "rsv")
    port, old_port = free_port(), free_port()
    c = hull.run_d("--network", "rsv", "-p", f"127.0.0.1:{port}:80", *HTTPD)
    assert f"tcp-{port}-127.0.0.1" in os.listdir("/run/hull-ports")
    listed = subprocess.run([os.path.join(BUILD, "hull-runtime"), "list", "--format", "json"],
                            capture_output=True, text=True, check=True).stdout
    assert "ports" not in [e["id"] for e in json.loads(listed or "[]")]
    # An older hull's reservation, owned by this (live) test process.
    with open("/proc/self/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/sys/kernel/random/boot_id") as f:
        boot = f.read().strip()
    legacy = "/run/hull/ports"
    made = not os.path.isdir(legacy)
    os.makedirs(legacy, exist_ok=True)
    name = os.path.join(legacy, f"tcp-{old_port}-0.0.0.0")
    try:
        with open(name, "w") as f:
            json.dump({"pid": os.getpid(), "startTime": start, "bootId": boot,
                       "owner": "older hull"}, f)
        r = hull("run", "--rm", "--network", "rsv", "-p", f"127.0.0.1:{old_port}:80", "busybox",
                 "true")
        assert r.returncode != 0
        assert f"Bind for 127.0.0.1:{old_port} failed: port is already allocated" in r.stderr
    finally:
        os.unlink(name)
        if made:
            os.rmdir(legacy)
    # Released from both places: the port is free again once the container goes.
    hull("rm", "-f", c, check=True)
    assert f"tcp-{port}-127.0.0.1" not in os.listdir("/run/hull-ports")
    hull("network", "rm", "rsv", check=True)
    assert not nothing_left(hull.root, sub, br)
