"""Containers on networks: TCP by name and by alias on a user network (aardvark-dns), no reach
across networks (docker's isolation), --internal, connect/disconnect, /etc/hosts and
/etc/resolv.conf, inspect's NetworkSettings, and nothing left behind."""
import json

from hull_helpers import hull  # noqa: F401  (fixture)
from net_helpers import create_network, gateway, nothing_left, prefix, wait_tcp

HTTPD = ["busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]


def run_out(hull, *args, timeout=60):
    r = hull("run", "--rm", *args, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def test_name_alias_isolation(hull):
    sub_a, br_a = create_network(hull, "neta")
    sub_b, br_b = create_network(hull, "netb")
    web = hull.run_d("--name", "web", "--network", "neta", "--network-alias", "www", *HTTPD)
    ip = hull.inspect(web)["NetworkSettings"]["Networks"]["neta"]["IPAddress"]
    assert ip.startswith(prefix(sub_a))
    wait_tcp(ip, 80)
    # By name and by alias, from a container on the same network (TCP through the bridge).
    rc, out, err = run_out(hull, "--network", "neta", "busybox", "sh", "-c",
                           "wget -qO- http://web/hostname && wget -qO- http://www/hostname && "
                           "cat /etc/resolv.conf")
    assert rc == 0, err
    lines = out.split()
    assert lines[0] == lines[1] == web[:12]
    assert f"nameserver {gateway(sub_a)}" in out
    # A container on another network resolves nothing of neta's and cannot reach web's IP.
    rc, out, err = run_out(hull, "--network", "netb", "busybox", "sh", "-c",
                           f"nslookup web {gateway(sub_b)}; echo; nc -w 2 {ip} 80 </dev/null; "
                           "echo nc=$?")
    assert "nc=1" in out, out + err
    assert ip not in out.split("nc=")[0]
    # Connected to both, it reaches web: the rule is about networks, not containers.
    other = hull.run_d("--name", "both", "--network", "netb", "busybox", "sleep", "300")
    hull("network", "connect", "--alias", "bee", "neta", "both", check=True)
    doc = hull.inspect(other)["NetworkSettings"]["Networks"]
    assert set(doc) == {"neta", "netb"} and doc["neta"]["Aliases"] == ["bee"]
    r = hull("exec", other, "sh", "-c", "ip -o -4 addr; wget -qO- http://web/hostname")
    assert r.returncode == 0, r.stderr
    assert "eth1" in r.stdout and web[:12] in r.stdout
    # ... and web resolves it by its new alias.
    r = hull("exec", web, "nslookup", "bee", gateway(sub_a))
    assert doc["neta"]["IPAddress"] in r.stdout, r.stdout
    hull("network", "disconnect", "neta", "both", check=True)
    r = hull("exec", other, "ip", "-o", "-4", "addr")
    assert "eth1" not in r.stdout
    assert hull("network", "rm", "neta").returncode == 1  # web is still attached
    hull("rm", "-f", web, other, check=True)
    hull("network", "rm", "neta", "netb", check=True)
    assert not nothing_left(hull.root, sub_a, br_a)
    assert not nothing_left(hull.root, sub_b, br_b)


def test_internal_network_has_no_route_out(hull):
    sub_o, br_o = create_network(hull, "outer")
    sub_i, br_i = create_network(hull, "inner", "--internal")
    assert json.loads(hull("network", "inspect", "inner", check=True).stdout)[0]["Internal"]
    web = hull.run_d("--network", "outer", *HTTPD)
    ip = hull.inspect(web)["NetworkSettings"]["IPAddress"]
    wait_tcp(ip, 80)
    peer = hull.run_d("--name", "peer", "--network", "inner", *HTTPD)
    wait_tcp(hull.inspect(peer)["NetworkSettings"]["IPAddress"], 80)
    rc, out, err = run_out(hull, "--network", "inner", "busybox", "sh", "-c",
                           f"ip route; wget -qO- http://peer/hostname; echo; "
                           f"nc -w 2 {ip} 80 </dev/null; echo nc=$?")
    assert "default" not in out
    assert peer[:12] in out, out + err  # inside the network: fine
    assert "nc=1" in out and "unreachable" in err.lower()
    r = hull("run", "--rm", "--network", "inner", "-p", "80", "busybox", "true")
    assert r.returncode != 0 and "internal" in r.stderr
    hull("rm", "-f", web, peer, check=True)
    hull("network", "rm", "outer", "inner", check=True)
    assert not nothing_left(hull.root, sub_o, br_o)
    assert not nothing_left(hull.root, sub_i, br_i)


def test_default_bridge_etc_files_and_modes(hull):
    r = hull("run", "--rm", "--hostname", "box", "--add-host", "db.local:10.9.8.7",
             "--add-host", "gw:host-gateway", "--dns", "10.0.0.53", "--dns-search", "corp.example",
             "--dns-option", "ndots:2", "busybox", "sh", "-c",
             "cat /etc/hosts /etc/resolv.conf; ip -o -4 addr show eth0; ip route", check=True)
    net = json.loads(hull("network", "inspect", "bridge", check=True).stdout)[0]
    sub = net["IPAM"]["Config"][0]["Subnet"]
    gw = net["IPAM"]["Config"][0]["Gateway"]
    assert "10.9.8.7\tdb.local" in r.stdout and f"{gw}\tgw" in r.stdout
    assert "nameserver 10.0.0.53" in r.stdout and "search corp.example" in r.stdout
    assert "options ndots:2" in r.stdout
    assert f"inet {prefix(sub)}" in r.stdout and f"default via {gw}" in r.stdout
    own = [l for l in r.stdout.splitlines() if l.endswith("\tbox")]
    assert own and own[0].startswith(prefix(sub))
    # none: loopback only; host: the host's interfaces; container:C: C's namespace.
    r = hull("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link", check=True)
    assert [l.split(":")[1].strip() for l in r.stdout.splitlines()] == ["lo"]
    c = hull.run_d("--name", "nsowner", "busybox", "sleep", "300")
    ip = hull.inspect(c)["NetworkSettings"]["IPAddress"]
    r = hull("run", "--rm", "--network", "container:nsowner", "busybox", "ip", "-o", "-4",
             "addr", check=True)
    assert ip in r.stdout
    r = hull("run", "--rm", "--network", "none", "-p", "80", "busybox", "true")
    assert r.returncode == 125 and "port publishing" in r.stderr
    r = hull("run", "--rm", "--network", "nosuch", "busybox", "true")
    assert r.returncode == 125 and "network nosuch not found" in r.stderr
    r = hull("run", "--rm", "--network-alias", "x", "busybox", "true")
    assert r.returncode == 125 and "user defined networks" in r.stderr
    hull("rm", "-f", c, check=True)
    assert not hull("network", "inspect", "bridge", check=True).stdout.count('"Name": "nsowner"')


def test_static_ip(hull):
    sub, br = create_network(hull, "fixed")
    want = prefix(sub) + "77"
    c = hull.run_d("--network", "fixed", "--ip", want, "busybox", "sleep", "300")
    assert hull.inspect(c)["NetworkSettings"]["Networks"]["fixed"]["IPAddress"] == want
    r = hull("run", "--rm", "--network", "fixed", "--ip", want, "busybox", "true")
    assert r.returncode != 0
    r = hull("run", "--rm", "--network", "fixed", "--ip", "192.0.2.9", "busybox", "true")
    assert r.returncode != 0 and "not in network fixed's subnet" in r.stderr
    hull("rm", "-f", c, check=True)
    hull("network", "rm", "fixed", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_connect_before_start_and_restart_keeps_networks(hull):
    sub, br = create_network(hull, "later")
    c = hull("create", "--name", "late", "busybox", "sleep", "300", check=True).stdout.strip()
    hull("network", "connect", "--alias", "lately", "later", "late", check=True)
    r = hull("network", "connect", "later", "late")
    assert r.returncode == 1 and "already exists in network later" in r.stderr
    hull("start", c, check=True)
    nets = hull.inspect(c)["NetworkSettings"]["Networks"]
    assert set(nets) == {"bridge", "later"}
    assert nets["later"]["IPAddress"].startswith(prefix(sub))
    r = hull("run", "--rm", "--network", "later", "busybox", "nslookup", "lately", gateway(sub))
    assert nets["later"]["IPAddress"] in r.stdout
    # A restart tears the attachments down and makes them again.
    hull("restart", "-t", "1", c, check=True)
    nets = hull.inspect(c)["NetworkSettings"]["Networks"]
    assert nets["later"]["IPAddress"].startswith(prefix(sub)) and nets["bridge"]["IPAddress"]
    assert len(json.loads(hull("network", "inspect", "later", check=True).stdout)[0]
               ["Containers"]) == 1
    hull("rm", "-f", c, check=True)
    hull("network", "rm", "later", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_names_resolve_as_soon_as_a_start_returns(hull):
    # aardvark-dns makes every listener anew when it reloads (each container that joins or
    # leaves): hull returns only once the new listener has answered its own query for the
    # started name, so a lookup right after a start, from a container that itself just joined,
    # is never refused. Six starts: the network's aardvark-dns file outgrows 256 bytes (hull
    # once read at most that much of it and so skipped the wait).
    sub, br = create_network(hull, "quick")
    for i in range(6):
        hull.run_d("--network", "quick", "--name", f"q{i}", "busybox", "sleep", "300")
        r = hull("run", "--rm", "--network", "quick", "busybox", "nslookup", f"q{i}",
                 gateway(sub))
        assert r.returncode == 0 and "refused" not in r.stderr, (i, r.stdout, r.stderr)
        assert hull.inspect(f"q{i}")["NetworkSettings"]["Networks"]["quick"]["IPAddress"] \
            in r.stdout
    for i in range(6):
        hull("rm", "-f", f"q{i}", check=True)
    hull("network", "rm", "quick", check=True)
    assert not nothing_left(hull.root, sub, br)
