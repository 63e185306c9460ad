"""Helpers of the network tests: unique subnets and bridge names per test (the tests run in
parallel), waiting for servers, and a snapshot of every kernel and hull object a network leaves
(veths on its bridge, the bridge, iptables rules naming its subnet or bridge, hull-portmap's
nftables rules naming its subnet, IPAM reservations,
CNI cache entries, port reservations) to compare before and after."""
import json
import os
import random
import socket
import subprocess
import time

PORTS_DIR = "/run/hull-ports"


def host_routes():
    out = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True).stdout
    return [l.split()[0] for l in out.splitlines()]


def unique_subnet():
    """A 10.x.y.0/24 no host route covers (hull refuses overlaps anyway: retried by callers)."""
    taken = set(host_routes())
    while True:
        s = f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24"
        if s not in taken:
            return s


def unique_bridge():
    return "ht" + "".join(random.choice("0123456789abcdef") for _ in range(10))


def create_network(hull, name, *flags, subnet=None):
    """hull network create with a fresh subnet and bridge name; returns (subnet, bridge)."""
    for _ in range(10):
        sub = subnet or unique_subnet()
        br = unique_bridge()
        r = hull("network", "create", "--subnet", sub, "-o",
                 f"com.docker.network.bridge.name={br}", *flags, name)
        if r.returncode == 0:
            return sub, br
        assert "overlaps" in r.stderr, r.stderr
    raise AssertionError("no free subnet")


def gateway(subnet):
    return subnet.rsplit(".", 1)[0] + ".1"


def prefix(subnet):
    return subnet.rsplit(".", 1)[0] + "."


def wait_tcp(host, port, timeout=120):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError as e:
            last = e
            time.sleep(0.05)
    raise AssertionError(f"{host}:{port} not reachable: {last}")


def wait_listening(hull, pid, port, timeout=120):
    """Wait until a TCP socket listens on `port` in the network namespace of process `pid`,
    without connecting to it (iperf3's server takes a probe connection for a failed test)."""
    def listening():
        for f in ("tcp", "tcp6"):
            try:
                with open(f"/proc/{pid}/net/{f}") as fh:
                    for line in fh.readlines()[1:]:
                        local, state = line.split()[1], line.split()[3]
                        if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                            return True
            except FileNotFoundError:
                pass
        return False
    hull.wait_for(listening, timeout=timeout, what=f"a listener on port {port}")


def http_get(host, port, path="/hostname", timeout=5):
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[-1].decode()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def iptables_rules(*needles):
    """Rules of iptables and ip6tables (dual-stack networks) naming one of `needles`."""
    out = ""
    for binary in ("iptables", "ip6tables"):
        for table in ("filter", "nat"):
            out += subprocess.run([binary, "-w", "-t", table, "-S"], capture_output=True,
                                  text=True).stdout
    return sorted(l for l in out.splitlines() if any(n and n in l for n in needles))


def portmap_rules(*needles):
    """hull-portmap's rules (table inet hull_portmap) naming one of `needles`."""
    out = subprocess.run(["nft", "list", "chain", "inet", "hull_portmap", "hostports"],
                         capture_output=True, text=True).stdout
    return sorted(l.strip() for l in out.splitlines() if any(n and n in l for n in needles))


def links():
    out = subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def veths_on(bridge):
    return sorted(l["ifname"] for l in links() if l.get("master") == bridge)


def bridge_exists(bridge):
    return os.path.exists(f"/sys/class/net/{bridge}")


def snapshot(root, subnet, bridge):
    """Everything a network with `subnet` on `bridge` may leave behind."""
    ipam = os.path.join(root, "networks", "ipam")
    reservations = []
    if os.path.isdir(ipam):
        for net in os.listdir(ipam):
            for f in os.listdir(os.path.join(ipam, net)):
                if f[0].isdigit():
                    reservations.append(f"{net}/{f}")
    cache = os.path.join(root, "networks", "cache")
    ports = []
    if os.path.isdir(PORTS_DIR):
        for f in os.listdir(PORTS_DIR):
            try:
                with open(os.path.join(PORTS_DIR, f)) as fh:
                    if root in fh.read():
                        ports.append(f)
            except FileNotFoundError:
                pass
    return {
        "veths": veths_on(bridge),
        "bridge": bridge_exists(bridge),
        "iptables": iptables_rules(prefix(subnet), bridge),
        "nft": portmap_rules(prefix(subnet)),
        "ipam": sorted(reservations),
        "cache": sorted(os.listdir(cache)) if os.path.isdir(cache) else [],
        "ports": sorted(ports),
    }


def nothing_left(root, subnet, bridge):
    s = snapshot(root, subnet, bridge)
    return {k: v for k, v in s.items() if v}
