"""Egress allow-lists (--egress-allow CIDR, --egress-tcp-port N): nftables rules inside the
container's network namespace. The allowed destination is a listener this test starts on the
gateway address of another network it made; DNS to the container's resolver works; anything
else is dropped and logged (`hull logs --egress`); from inside, `nft` and `iptables` (the host's
binaries, reached by chroot) cannot change the rules: the container has no CAP_NET_ADMIN."""
import socket
import subprocess
import threading

import pytest

from hull_helpers import hull  # noqa: F401  (fixture)
from net_helpers import create_network, gateway, nothing_left



def fetch(hull, c, url, check=False):
    """A TCP exchange from the container with busybox nc (url: http://IP:PORT/); the
    listener answers `ok-PORT`. (busybox-static's wget crashes on some replies here.)"""
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    return hull("exec", c, "sh", "-c", f"echo hi | nc -w 3 {host} {port}", check=check)


class Listener:
    """A TCP server on ADDR:0 answering `ok-PORT` to the first bytes it gets."""

    def __init__(self, addr):
        self.sock = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                try:
                    c.recv(4096)
                    c.sendall(f"ok-{self.port}".encode())
                except OSError:
                    pass

    def close(self):
        self.sock.close()


@pytest.fixture
def listeners():
    made = []

    def make(addr):
        lst = Listener(addr)
        made.append(lst)
        return lst
    yield make
    for lst in made:
        lst.close()


def rules_in(pid):
    r = subprocess.run(["nsenter", f"--net=/proc/{pid}/ns/net", "nft", "list", "table", "inet",
                        "hull_egress"], capture_output=True, text=True)
    return r.returncode, r.stdout


def test_egress_allow_list_allows_logs_and_is_locked(hull, listeners):
    sub, br = create_network(hull, "egin")
    osub, obr = create_network(hull, "egout")
    allowed_ip = gateway(osub)
    ok = listeners(allowed_ip)         # the allowed CIDR, the allowed port
    other_port = listeners(allowed_ip)  # the allowed CIDR, another port
    other_net = listeners(gateway(sub))  # another destination, the allowed port number space
    peer = hull.run_d("--name", "egpeer", "--network", "egin", "busybox", "sleep", "3600")
    c = hull.run_d("--name", "egc", "--network", "egin", "--egress-allow", f"{allowed_ip}/32",
                   "--egress-tcp-port", ok.port, "-v", "/:/host:ro", "busybox", "sleep", "3600")
    hc = hull.inspect(c)["HostConfig"]
    assert hc["EgressAllow"] == [f"{allowed_ip}/32"]
    assert hc["EgressTcpPorts"] == [ok.port]
    pid = hull.inspect(c)["State"]["Pid"]
    rc, before = rules_in(pid)
    assert rc == 0 and "policy drop" in before and 'hull-egress-denied: ' in before

    # Allowed: the CIDR on the port.
    r = fetch(hull, c, f"http://{allowed_ip}:{ok.port}/", check=True)
    assert r.stdout == f"ok-{ok.port}"
    # DNS to the network's resolver (aardvark-dns on the gateway) answers the peer's name.
    r = hull("exec", c, "nslookup", "egpeer", check=True)
    assert hull.inspect(peer)["NetworkSettings"]["Networks"]["egin"]["IPAddress"] in r.stdout
    # Denied: another port of the allowed address, another address, the peer container.
    for url in (f"http://{allowed_ip}:{other_port.port}/", f"http://{gateway(sub)}:{other_net.port}/"):
        r = fetch(hull, c, url)
        assert r.returncode != 0, url
    # The same requests from the peer (no allow-list) get through: the drops are the rules'.
    r = fetch(hull, peer, f"http://{allowed_ip}:{other_port.port}/", check=True)
    assert r.stdout == f"ok-{other_port.port}"

    # The drops are logged with the prefix, naming the destination.
    def logged():
        out = hull("logs", "--egress", c, check=True).stdout
        return (f"DST={allowed_ip} PROTO=TCP" in out and f"DPT={other_port.port}" in out and
                f"DPT={other_net.port}" in out) and out
    out = hull.wait_for(logged, timeout=20, what="egress drops in hull logs --egress")
    assert all(l.split(" ", 1)[1].startswith("hull-egress-denied: ") for l in out.splitlines())
    assert f"DPT={ok.port}" not in out
    last = hull("logs", "--egress", "--tail", "1", c, check=True).stdout
    assert len(last.splitlines()) == 1 and last in out

    # From inside, the rules cannot be changed (no CAP_NET_ADMIN).
    for cmd in (["nft", "flush", "ruleset"], ["nft", "delete", "table", "inet", "hull_egress"],
                ["iptables", "-P", "OUTPUT", "ACCEPT"], ["iptables-legacy", "-F"]):
        r = hull("exec", c, "chroot", "/host", *cmd)
        assert r.returncode != 0, (cmd, r.stdout, r.stderr)
        assert ("ermission denied" in r.stderr or "not permitted" in r.stderr or
                "ermission denied" in r.stdout), (cmd, r.stderr)
    rc, after = rules_in(pid)
    assert rc == 0 and after == before
    r = fetch(hull, c, f"http://{allowed_ip}:{other_port.port}/")
    assert r.returncode != 0

    hull("rm", "-f", c, peer, check=True)
    hull("network", "rm", "egin", "egout", check=True)
    assert not nothing_left(hull.root, sub, br)
    assert not nothing_left(hull.root, osub, obr)


def test_egress_cidr_without_ports_and_ports_without_cidr(hull, listeners):
    sub, br = create_network(hull, "egnp")
    osub, obr = create_network(hull, "egnp2")
    a, b = listeners(gateway(osub)), listeners(gateway(sub))
    # A CIDR alone: any port of it.
    c = hull.run_d("--network", "egnp", "--egress-allow", osub, "busybox", "sleep", "3600")
    assert fetch(hull, c, f"http://{gateway(osub)}:{a.port}/", check=True).stdout == \
        f"ok-{a.port}"
    assert fetch(hull, c, f"http://{gateway(sub)}:{b.port}/").returncode != 0
    # A port alone: that TCP port anywhere.
    d = hull.run_d("--network", "egnp", "--egress-tcp-port", b.port, "busybox", "sleep", "3600")
    assert fetch(hull, d, f"http://{gateway(sub)}:{b.port}/", check=True).stdout == \
        f"ok-{b.port}"
    assert fetch(hull, d, f"http://{gateway(osub)}:{a.port}/").returncode != 0
    hull("rm", "-f", c, d, check=True)
    hull("network", "rm", "egnp", "egnp2", check=True)
    assert not nothing_left(hull.root, sub, br)


def test_egress_bad_input_is_refused(hull):
    for flags, msg in (
            (["--egress-allow", "10.0.0.1/33"], "--egress-allow 10.0.0.1/33"),
            (["--egress-allow", "10.0.0.1/24"], "host bits set"),
            (["--egress-allow", "nope"], "--egress-allow nope"),
            (["--egress-tcp-port", "0"], "--egress-tcp-port 0: not a port number"),
            (["--egress-tcp-port", "70000"], "not a port number"),
            (["--network", "none", "--egress-allow", "10.0.0.0/8"], "need a bridge network"),
            (["--network", "host", "--egress-tcp-port", "80"], "need a bridge network")):
        r = hull("run", "--rm", "--name", "bad", *flags, "busybox", "true")
        assert r.returncode == 125, (flags, r.stderr)
        assert msg in r.stderr, (flags, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
    assert hull("ps", "-a", "-q", check=True).stdout.strip() == ""


def test_egress_allow_list_with_ipv6_cidrs(hull, listeners):
    """IPv6 CIDRs in the allow-list (ip6 daddr rules) on a dual-stack network: the allowed
    /128 on the allowed port passes, another port and another IPv6 address are dropped and
    logged with their IPv6 destination; IPv4 still works as before; a CIDR with host bits set is
    refused naming the block meant."""
    from test_net_ipv6 import create_dual, gw6
    sub, sub6, br = create_dual(hull, "eg6in")
    osub, osub6, obr = create_dual(hull, "eg6out")
    allowed6 = gw6(osub6)
    ok = listeners(allowed6)
    other_port = listeners(allowed6)
    other_net = listeners(gw6(sub6))
    ok4 = listeners(gateway(osub))
    r = hull("run", "--rm", "--network", "eg6in", "--egress-allow", f"{allowed6}/64",
             "busybox", "true")
    assert r.returncode != 0 and "host bits set (did you mean " in r.stderr, r.stderr
    c = hull.run_d("--name", "eg6c", "--network", "eg6in", "--egress-allow", allowed6,
                   "--egress-allow", gateway(osub), "--egress-tcp-port", ok.port,
                   "--egress-tcp-port", ok4.port, "busybox", "sleep", "3600")
    assert hull.inspect(c)["HostConfig"]["EgressAllow"] == [f"{allowed6}/128",
                                                            f"{gateway(osub)}/32"]
    rc, rules = rules_in(hull.inspect(c)["State"]["Pid"])
    assert rc == 0 and f"ip6 daddr {allowed6}" in rules, rules

    def nc(host, port):
        return hull("exec", c, "sh", "-c", f"echo hi | nc -w 3 {host} {port}")
    r = nc(allowed6, ok.port)
    assert r.returncode == 0 and r.stdout == f"ok-{ok.port}", r.stderr
    r = nc(gateway(osub), ok4.port)
    assert r.returncode == 0 and r.stdout == f"ok-{ok4.port}", r.stderr
    assert nc(allowed6, other_port.port).returncode != 0
    assert nc(gw6(sub6), other_net.port).returncode != 0

    def logged():
        out = hull("logs", "--egress", c, check=True).stdout
        return (f"DST={allowed6} PROTO=TCP" in out and f"DPT={other_port.port}" in out and
                f"DST={gw6(sub6)} PROTO=TCP" in out and f"DPT={other_net.port}" in out) and out
    out = hull.wait_for(logged, timeout=20, what="IPv6 egress drops in hull logs --egress")
    assert f"DPT={ok.port}" not in out and f"DPT={ok4.port}" not in out

    hull("rm", "-f", c, check=True)
    hull("network", "rm", "eg6in", "eg6out", check=True)
    assert not nothing_left(hull.root, sub, br)
    assert not nothing_left(hull.root, osub, obr)
