"""hull sandbox --network egress: the sandbox reaches only what its allow-list allows. The peers
are TCP servers the test binds on the gateway address of a network the test creates (a host
address on the test's own bridge); nothing else is contacted."""
import json
import os
import socket
import threading

import pytest

from hull_helpers import hull, mounts_under  # noqa: F401

RUN_DIR = "/run/hull-sandbox"


class Server:
    """A TCP server on (addr, port 0) that greets each connection with `hello-NAME`."""

    def __init__(self, addr, name):
        self.sock = socket.socket()
        self.sock.bind((addr, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.name = name
        self.accepted = 0
        self.stop = False
        self.t = threading.Thread(target=self.serve, daemon=True)
        self.t.start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            c.sendall(f"hello-{self.name}\n".encode())
            c.close()

    def close(self):
        self.stop = True
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.t.join(timeout=30)


@pytest.fixture
def net(hull):
    name = f"sbxeg{os.getpid()}"
    hull("network", "create", name, check=True)
    gw = json.loads(hull("network", "inspect", name, check=True).stdout)[0]["IPAM"]["Config"][0][
        "Gateway"]
    a, b = Server(gw, "a"), Server(gw, "b")
    try:
        yield name, gw, a, b
    finally:
        a.close()
        b.close()
        # Nothing of a sandbox stays attached: the network can go.
        hull("network", "rm", name, check=True)


def run(h, *args):
    r = h("sandbox", "run", "--json", *args, timeout=180)
    assert r.stdout, f"rc={r.returncode} stderr={r.stderr}"
    res = json.loads(r.stdout)
    assert not os.path.exists(os.path.join(RUN_DIR, res["id"]))
    assert not mounts_under(os.path.join(RUN_DIR, res["id"]))
    return res


def probe(gw, *ports, dropped=()):
    """A shell script trying each port once; prints the greeting or `refused PORT`. A port in
    `dropped` is expected to be dropped (its SYN is never answered): nc gives up after 1 s
    there, and the drop is proven by the test's other checks (no accept, the denied log);
    allowed ports get 30 s to answer on a loaded machine."""
    return "; ".join(f"nc -w {1 if p in dropped else 30} {gw} {p} </dev/null || echo refused {p}"
                     for p in ports)


def test_allow_list_cidr_and_port(hull, net):
    name, gw, a, b = net
    res = run(hull, "--network", "egress", "--egress-network", name, "--egress-allow", gw,
              "--egress-tcp-port", a.port, "--", "sh", "-c",
              probe(gw, a.port, b.port, dropped={b.port}))
    assert res["exit_code"] == 0
    assert res["stdout"]["data"] == f"hello-a\nrefused {b.port}\n"
    assert a.accepted == 1 and b.accepted == 0
    denied = res["egress_denied"]
    assert denied and all(f"DST={gw}" in d and f"DPT={b.port}" in d for d in denied)


def test_cidr_without_ports_and_ports_without_cidr(hull, net):
    name, gw, a, b = net
    res = run(hull, "--network", "egress", "--egress-network", name, "--egress-allow", gw,
              "--", "sh", "-c", probe(gw, a.port, b.port))
    assert res["stdout"]["data"] == "hello-a\nhello-b\n" and res["egress_denied"] == []
    res = run(hull, "--network", "egress", "--egress-network", name, "--egress-tcp-port", b.port,
              "--", "sh", "-c", probe(gw, a.port, b.port, dropped={a.port}))
    assert res["stdout"]["data"] == f"refused {a.port}\nhello-b\n"
    # An empty allow-list: nothing leaves.
    res = run(hull, "--network", "egress", "--egress-network", name, "--", "sh", "-c",
              probe(gw, a.port, dropped={a.port}))
    assert res["stdout"]["data"] == f"refused {a.port}\n"
    assert a.accepted == 1 and b.accepted == 2


def test_rules_locked_from_inside_and_attested(hull, net):
    name, gw, a, b = net
    base = ("--network", "egress", "--egress-network", name, "--egress-allow", gw,
            "--egress-tcp-port", a.port)
    # No capabilities: the sandbox cannot open its own firewall.
    res = run(hull, *base, "--", "sh", "-c",
              f"ip link set eth0 down 2>&1; ip addr flush dev eth0 2>&1; "
              f"{probe(gw, b.port, dropped={b.port})}")
    assert f"refused {b.port}" in res["stdout"]["data"]
    assert b.accepted == 0
    one = run(hull, *base, "--", "true")["attestation"]["config_sha256"]
    two = run(hull, *base, "--", "true")["attestation"]["config_sha256"]
    other = run(hull, "--network", "egress", "--egress-network", name, "--egress-allow", gw,
                "--egress-tcp-port", b.port, "--", "true")["attestation"]["config_sha256"]
    assert one == two != other


def test_session_with_egress(hull, net):
    name, gw, a, b = net
    sname = f"eg{os.getpid()}"
    hull("sandbox", "create", "--network", "egress", "--egress-network", name,
         "--egress-allow", gw, "--egress-tcp-port", a.port, sname, check=True)
    try:
        r = hull("sandbox", "exec", sname, "--", "sh", "-c",
                 probe(gw, a.port, b.port, dropped={b.port}), timeout=120)
        assert r.stdout == f"hello-a\nrefused {b.port}\n"
    finally:
        hull("sandbox", "rm", sname, check=True)
    assert a.accepted == 1 and b.accepted == 0


def ours(h):
    """Bundle owner locks under RUN_DIR that belong to this test's data root."""
    out = []
    for e in os.listdir(RUN_DIR) if os.path.isdir(RUN_DIR) else []:
        if e.startswith("sbx-") and e.endswith(".lock"):
            try:
                with open(os.path.join(RUN_DIR, e)) as f:
                    if json.load(f).get("data_root") == h.root:
                        out.append(e)
            except (OSError, ValueError):
                pass
    return out


def test_bad_allow_lists(hull):
    r = hull("sandbox", "run", "--network", "egress", "--egress-allow", "10.0.0.1/24", "--",
             "true")
    assert r.returncode != 0 and "host bits set" in r.stderr and len(r.stderr.splitlines()) == 1
    r = hull("sandbox", "run", "--network", "egress", "--egress-tcp-port", "70000", "--", "true")
    assert r.returncode != 0 and "70000" in r.stderr
    r = hull("sandbox", "run", "--network", "egress", "--egress-network", "nonesuch", "--",
             "true")
    assert r.returncode != 0 and "nonesuch" in r.stderr and len(r.stderr.splitlines()) == 1
    # Nothing half-made: no bundle, lock or runtime state of these runs is left.
    assert ours(hull) == []
    rt = os.path.join(hull.root, "sandbox", "runtime")
    assert not [e for e in (os.listdir(rt) if os.path.isdir(rt) else []) if not e.startswith(".")]
