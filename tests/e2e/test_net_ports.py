"""Published ports: -p from 127.0.0.1 and from a host address (kernel DNAT, no proxy process),
hairpin from another container, ranges, -P with the image's EXPOSE, `hull port`, and a port
conflict that fails clearly and leaves nothing."""
import os

import pytest

from hull_helpers import hull  # noqa: F401  (fixture)
from image_helpers import add_tree, tar_bytes, write_oci_layout
from net_helpers import (create_network, free_port, gateway, http_get, nothing_left, wait_tcp)

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
