"""Dual-stack networks (`hull network create --ipv6`): both subnets in the record and inspect,
containers with an IPv6 address and default route, names answered with AAAA records by
aardvark-dns, TCP over IPv6, published ports over IPv6 (kernel DNAT from the host's
own address on the network, and hairpin from a container), overlap refusals, and nothing left
(ip6tables rules included) once the network goes. Addresses: the test's own unique local
subnets only."""
import ipaddress
import json
import random
import socket
import subprocess

from hull_helpers import hull  # noqa: F401  (fixture)
from net_helpers import (bridge_exists, free_port, nothing_left, unique_bridge, unique_subnet,
                         wait_tcp)

HTTPD = ["busybox", "sh", "-c", "hostname > /tmp/hostname && busybox httpd -f -p 80 -h /tmp"]


def host_routes6():
    out = subprocess.run(["ip", "-6", "route", "show"], capture_output=True, text=True).stdout
    nets = []
    for l in out.splitlines():
        try:
            nets.append(ipaddress.ip_network(l.split()[0]))
        except ValueError:
            pass
    return nets


def unique_subnet6():
    """fdXX:XXXX:XXXX::/64 overlapping no host route (the host's own fd00::/64 included)."""
    taken = host_routes6()
    while True:
        n = ipaddress.ip_network("fd%02x:%04x:%04x::/64" % (
            random.randint(0x10, 0xff), random.randint(0, 0xffff), random.randint(0, 0xffff)))
        if not any(n.overlaps(t) for t in taken):
            return str(n)


def create_dual(hull, name, *flags):
    for _ in range(10):
        sub, sub6, br = unique_subnet(), unique_subnet6(), unique_bridge()
        r = hull("network", "create", "--ipv6", "--subnet", sub, "--subnet", sub6, "-o",
                 f"com.docker.network.bridge.name={br}", *flags, name)
        if r.returncode == 0:
            return sub, sub6, br
        assert "overlaps" in r.stderr, r.stderr
    raise AssertionError("no free subnet")


def gw6(sub6):
    return str(ipaddress.ip_network(sub6)[1])


def ip6tables_rules(needle):
    out = ""
    for table in ("filter", "nat"):
        out += subprocess.run(["ip6tables", "-w", "-t", table, "-S"], capture_output=True,
                              text=True).stdout
    return [l for l in out.splitlines() if needle in l]


def http_get6(host, port, path="/hostname", attempts=3):
    """One HTTP/1.0 request; a connection that stalls (seen once in CI, on a host loaded with
    a kernel compile besides the suite) is given up after 10 s and tried again, on a new
    connection, up to `attempts` times: a published port that does not work fails them all."""
    for attempt in range(attempts):
        try:
            with socket.create_connection((host, port), timeout=10) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
            return data.split(b"\r\n\r\n", 1)[-1].decode()
        except TimeoutError:
            if attempt == attempts - 1:
                raise


def test_dual_stack_network_names_and_ports(hull):
    sub, sub6, br = create_dual(hull, "dual")
    doc = json.loads(hull("network", "inspect", "dual", check=True).stdout)[0]
    assert doc["EnableIPv6"] is True
    assert doc["IPAM"]["Config"][1] == {"Subnet": sub6, "Gateway": gw6(sub6)}
    addrs = json.loads(subprocess.run(["ip", "-j", "addr", "show", "dev", br],
                                      capture_output=True, text=True).stdout)[0]["addr_info"]
    assert any(a["family"] == "inet6" and a["local"] == gw6(sub6) and a["prefixlen"] == 64
               for a in addrs), addrs
    assert any(sub6 in l and "MASQUERADE" in l for l in ip6tables_rules(br))

    port = free_port()
    web = hull.run_d("--name", "web6", "--network", "dual", "-p", f"{port}:80", *HTTPD)
    net = hull.inspect(web)["NetworkSettings"]["Networks"]["dual"]
    addr6 = net["GlobalIPv6Address"]
    assert ipaddress.ip_address(addr6) in ipaddress.ip_network(sub6)
    assert net["GlobalIPv6PrefixLen"] == 64 and net["IPv6Gateway"] == gw6(sub6)
    wait_tcp(addr6, 80)

    # From another container: AAAA for the name, TCP over IPv6 to its address, by name,
    # its own default route over IPv6, and /etc/hosts with both of its addresses.
    r = hull("run", "--rm", "--network", "dual", "busybox", "sh", "-c",
             "nslookup -type=AAAA web6; echo ==; "
             f"wget -qO- 'http://[{addr6}]/hostname'; echo ==; "
             f"wget -qO- http://web6/hostname; echo ==; "
             "ip -6 route show default; echo ==; cat /etc/hosts", timeout=90)
    assert r.returncode == 0, r.stderr
    aaaa, direct, ping, route, hosts = r.stdout.split("==\n")
    assert addr6 in aaaa, aaaa
    assert direct.strip() == web[:12]
    assert ping.strip() == web[:12]  # by name (whichever family busybox picks)
    assert f"via {gw6(sub6)}" in route
    own6 = [l.split()[0] for l in hosts.splitlines() if l.split() and ":" in l.split()[0]
            and l.split()[0] != "::1"]
    assert own6 and ipaddress.ip_address(own6[0]) in ipaddress.ip_network(sub6), hosts

    # The published port over IPv6: kernel DNAT from the host's own address on the network
    # (the gateway), and hairpin from a container through it.
    assert http_get6(gw6(sub6), port).strip() == web[:12]
    r = hull("run", "--rm", "--network", "dual", "busybox", "wget", "-qO-",
             f"http://[{gw6(sub6)}]:{port}/hostname", timeout=90)
    assert r.returncode == 0 and r.stdout.strip() == web[:12], r.stderr

    hull("rm", "-f", web, check=True)
    hull("network", "rm", "dual", check=True)
    assert not bridge_exists(br)
    assert ip6tables_rules(br) == [] and [l for l in ip6tables_rules(sub6)] == []
    assert not nothing_left(hull.root, sub, br)


def test_ipv6_create_refusals(hull):
    sub, sub6, br = create_dual(hull, "first")
    # The same IPv6 subnet again, a v6 subnet without --ipv6, a gateway outside it, a v6
    # subnet overlapping a host route: clear one-line errors, nothing made.
    other = unique_bridge()
    for flags, text in (
            (["--ipv6", "--subnet", sub6], "overlaps with network first"),
            (["--subnet", unique_subnet6()], "needs --ipv6"),
            (["--ipv6", "--subnet", "fd12:3456:789a::/64", "--gateway", "fd12:3456:789b::1"],
             "is not in --subnet"),
            (["--ipv6", "--subnet", "fd12:3456:789a::1/64"], "host bits set"),
            (["--ipv6", "--subnet", "::1/128"], "too small")):
        r = hull("network", "create", *flags, "-o", f"com.docker.network.bridge.name={other}",
                 "second")
        assert r.returncode != 0 and text in r.stderr, (flags, r.stderr)
        assert len(r.stderr.strip().splitlines()) <= 2, r.stderr
        assert not bridge_exists(other)
    routes = [n for n in host_routes6() if n.version == 6 and not n.is_link_local
              and not n.is_multicast and n.prefixlen > 0 and n.prefixlen <= 120]
    if routes:  # a route of the host's (the test only reads it, nothing is sent)
        r = hull("network", "create", "--ipv6", "--subnet", str(routes[0]), "-o",
                 f"com.docker.network.bridge.name={other}", "second")
        assert r.returncode != 0 and "overlaps with the host route" in r.stderr, r.stderr
    # --ipv6 alone: a random unique local /64.
    r = hull("network", "create", "--ipv6", "-o", f"com.docker.network.bridge.name={other}",
             "auto", check=True)
    doc = json.loads(hull("network", "inspect", "auto", check=True).stdout)[0]
    auto6 = ipaddress.ip_network(doc["IPAM"]["Config"][1]["Subnet"])
    assert auto6.prefixlen == 64 and auto6.subnet_of(ipaddress.ip_network("fd00::/8"))
    hull("network", "rm", "first", "auto", check=True)
    assert not bridge_exists(br) and not bridge_exists(other)
    assert ip6tables_rules(br) == [] and ip6tables_rules(other) == []


def test_ip6_and_ipv6_host_addresses_in_publish(hull):
    """--ip6 on run and network connect; -p [IPV6]:HOST:CONTAINER by kernel DNAT (the host's
    own address on the network: its IPv6 gateway); -p [::1]:... refused before anything is
    made, with the reason."""
    sub, sub6, br = create_dual(hull, "fix6")
    net6 = ipaddress.ip_network(sub6)
    want = str(net6[0x42])
    port = free_port()
    web = hull.run_d("--name", "fixed6", "--network", "fix6", "--ip6", want, "-p",
                     f"[{gw6(sub6)}]:{port}:80", *HTTPD)
    net = hull.inspect(web)["NetworkSettings"]["Networks"]["fix6"]
    assert net["GlobalIPv6Address"] == want
    assert net["IPAMConfig"] == {"IPv6Address": want}
    assert hull("port", "fixed6", check=True).stdout == f"80/tcp -> [{gw6(sub6)}]:{port}\n"
    wait_tcp(want, 80)
    assert http_get6(gw6(sub6), port).strip() == web[:12]

    # network connect --ip6 to a second dual-stack network.
    sub_b, sub6_b, br_b = create_dual(hull, "fix6b")
    want_b = str(ipaddress.ip_network(sub6_b)[0x43])
    hull("network", "connect", "--ip6", want_b, "fix6b", "fixed6", check=True)
    nets = hull.inspect(web)["NetworkSettings"]["Networks"]
    assert nets["fix6b"]["GlobalIPv6Address"] == want_b

    before = hull.container_ids()
    for args, text in (
            (["--network", "fix6", "-p", f"[::1]:{port + 1}:80"],
             "cannot take connections to ::1 (IPv6 has no route_localnet)"),
            (["--network", "fix6", "--ip6", str(ipaddress.ip_network(unique_subnet6())[5])],
             "not in network fix6's subnet"),
            (["--network", "fix6", "--ip6", want], "")):  # taken: host-local's message
        r = hull("run", "--rm", *args, "busybox", "true")
        assert r.returncode != 0, args
        assert text in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert hull.container_ids() == before
    # An IPv4-only network takes neither.
    sub4, br4 = unique_subnet(), unique_bridge()
    hull("network", "create", "--subnet", sub4, "-o", f"com.docker.network.bridge.name={br4}",
         "only4", check=True)
    r = hull("run", "--rm", "--network", "only4", "--ip6", want, "busybox", "true")
    assert r.returncode != 0 and "network only4 has no IPv6 (create it with --ipv6)" in r.stderr
    r = hull("run", "--rm", "--network", "only4", "-p", f"[{gw6(sub6)}]:{port + 2}:80",
             "busybox", "true")
    assert r.returncode != 0 and "network only4 has no IPv6" in r.stderr, r.stderr
    assert hull.container_ids() == before

    hull("rm", "-f", web, check=True)
    hull("network", "rm", "fix6", "fix6b", "only4", check=True)
    for b in (br, br_b, br4):
        assert not bridge_exists(b)
    assert not nothing_left(hull.root, sub, br)


def test_default_network_ipv6_from_the_config_file(hull):
    """docker's daemon.json `ipv6` and `fixed-cidr-v6`, in DATA_ROOT/config.json: the default
    network `bridge` is made dual-stack; bad values are refused naming the file and key."""
    import os
    cfg = os.path.join(hull.root, "config.json")
    for doc, text in (({"ipv6": "yes"}, "ipv6: expected true or false"),
                      ({"fixed-cidr-v6": unique_subnet6()}, 'fixed-cidr-v6 needs "ipv6": true'),
                      ({"ipv6": True, "fixed-cidr-v6": "fd00:1::1/64"}, "host bits set")):
        with open(cfg, "w") as f:
            json.dump(doc, f)
        r = hull("run", "--rm", "busybox", "true")
        assert r.returncode != 0 and text in r.stderr and cfg in r.stderr, r.stderr
        assert hull.container_ids() == []
    sub6 = unique_subnet6()
    with open(cfg, "w") as f:
        json.dump({"ipv6": True, "fixed-cidr-v6": sub6}, f)
    r = hull("run", "--rm", "busybox", "sh", "-c",
             "ip -6 -o addr show dev eth0 scope global; ip -6 route show default", timeout=90)
    assert r.returncode == 0, r.stderr
    addrs = [l.split()[3] for l in r.stdout.splitlines() if " inet6 " in l]
    assert addrs and ipaddress.ip_interface(addrs[0]).ip in ipaddress.ip_network(sub6), r.stdout
    assert f"via {gw6(sub6)}" in r.stdout
    doc = json.loads(hull("network", "inspect", "bridge", check=True).stdout)[0]
    assert doc["EnableIPv6"] is True
    assert doc["IPAM"]["Config"][1] == {"Subnet": sub6, "Gateway": gw6(sub6)}
    br = doc["Options"].get("com.docker.network.bridge.name") or \
        subprocess.run(["ip", "-o", "addr", "show", "to", gw6(sub6)], capture_output=True,
                       text=True).stdout.split()[1]
    hull("network", "rm", "-f", "bridge", check=True)
    assert not bridge_exists(br)
    assert ip6tables_rules(sub6) == []
