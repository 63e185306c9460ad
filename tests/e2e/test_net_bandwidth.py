"""--network-ingress-rate / --network-egress-rate: the CNI bandwidth plugin's tc shaping holds
the rates within 15% (iperf3: the host's binary, bind-mounted into the container), and its ifb
device goes with the container."""
import json
import subprocess

from hull_helpers import hull  # noqa: F401  (fixture)
from net_helpers import create_network, links, nothing_left, wait_listening

HOST_BINARIES = ["-v", "/usr:/usr:ro", "-v", "/lib:/lib:ro", "-v", "/lib64:/lib64:ro"]


def received_mbits(ip, port, reverse):
    args = ["iperf3", "-J", "-c", ip, "-p", str(port), "-t", "4", "-O", "1"] + (
        ["-R"] if reverse else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    doc = json.loads(r.stdout or "{}")
    assert r.returncode == 0 and "error" not in doc, r.stdout[-500:] + r.stderr
    return doc["end"]["sum_received"]["bits_per_second"] / 1e6


def test_rates_hold_within_15_percent(hull):
    sub, br = create_network(hull, "shaped")
    c = hull.run_d("--network", "shaped", "--network-ingress-rate", "20m",
                   "--network-egress-rate", "10m", *HOST_BINARIES, "busybox", "sh", "-c",
                   "/usr/bin/iperf3 -s -p 5201 & exec /usr/bin/iperf3 -s -p 5202")
    ip = hull.inspect(c)["NetworkSettings"]["IPAddress"]
    assert hull.inspect(c)["HostConfig"]["NetworkIngressRate"] == 20000000
    # One server per direction, each used once, and no probe connection: an iperf3 3.12 server
    # still finishing a test answers the next one "the server is busy", and can reset a test's
    # control connection after a probe.
    pid = hull.inspect(c)["State"]["Pid"]
    wait_listening(hull, pid, 5201)
    wait_listening(hull, pid, 5202)
    ingress = received_mbits(ip, 5201, reverse=False)  # host -> container
    egress = received_mbits(ip, 5202, reverse=True)  # container -> host
    assert abs(ingress - 20) <= 3, ingress
    assert abs(egress - 10) <= 1.5, egress
    assert any(l["ifname"].startswith("bwp") for l in links())
    hull("rm", "-f", c, check=True)
    assert not any(l["ifname"].startswith("bwp") for l in links())
    r = hull("run", "--rm", "--network-ingress-rate", "fast", "busybox", "true")
    assert r.returncode == 125 and "--network-ingress-rate `fast`" in r.stderr
    hull("network", "rm", "shaped", check=True)
    assert not nothing_left(hull.root, sub, br)
