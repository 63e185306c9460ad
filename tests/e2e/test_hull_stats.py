"""`hull stats`: docker's columns (MEM USAGE / LIMIT, MEM %, NET I/O, BLOCK I/O) from the cgroups
and the container's network namespace."""
import json
import re

from hull_helpers import hull  # noqa: F401  (fixture)


def host_memory():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def test_stats_limit_percent_and_block_io(hull):
    hull.run_d("--name", "st64", "-m", "64m", "busybox", "sleep", "1000")
    hull.run_d("--name", "stfree", "busybox", "sleep", "1000")
    stats = {s["Name"]: s for s in
             json.loads(hull("stats", "--no-stream", "--format", "json", check=True).stdout)}
    lim = stats["st64"]
    assert lim["MemLimit"] == 64 << 20
    assert 0 < lim["MemUsage"] < 64 << 20
    assert abs(lim["MemPercent"] - 100.0 * lim["MemUsage"] / lim["MemLimit"]) < 1e-6
    assert lim["BlockRead"] >= 0 and lim["BlockWrite"] >= 0
    assert stats["stfree"]["MemLimit"] == host_memory()
    table = hull("stats", "--no-stream", check=True).stdout.splitlines()
    assert re.split(r"\s{2,}", table[0].strip()) == [
        "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O",
        "PIDS"]
    row = [l for l in table if " st64 " in l][0]
    io = r"\d+(\.\d+)?[kMG]?B / \d+(\.\d+)?[kMG]?B"
    assert re.search(r"\d+\.\d\d[KMG]iB / 64\.00MiB\s+\d+\.\d\d%\s+" + io + r"\s+" + io +
                     r"\s+1$", row), row
    hull("rm", "-f", "st64", "stfree", check=True)


def test_stats_net_io_counts_the_container_interfaces(hull):
    """Bytes a container sends and receives over its own interface show in NET I/O; lo does not
    count, and a container on the host's network reports none (docker's figures)."""
    # The listener takes one connection after another: a send whose data the receiver lost
    # (nc's close can race its last segments into a reset) is simply sent again.
    hull.run_d("--name", "strecv", "busybox", "sh", "-c",
               "while :; do nc -l -p 9000 >> /tmp/got; done")
    hull.run_d("--name", "stsend", "busybox", "sleep", "1000")
    hull.run_d("--name", "sthost", "--network", "host", "busybox", "sleep", "1000")

    def net(name):
        rows = json.loads(hull("stats", "--no-stream", "--format", "json", name,
                               check=True).stdout)
        return rows[0]["NetRx"], rows[0]["NetTx"]

    # Traffic on lo does not count.
    srx0, stx0 = net("stsend")
    # (busybox httpd listens before it returns; wget is retried all the same)
    hull("exec", "stsend", "sh", "-c",
         "mkdir -p /tmp/www && head -c 300000 /dev/zero > /tmp/www/f && "
         "httpd -p 127.0.0.1:9001 -h /tmp/www && for i in $(seq 100); do "
         "wget -q -O /tmp/lo http://127.0.0.1:9001/f && break; sleep 0.1; done; "
         "test $(wc -c < /tmp/lo) -eq 300000", check=True, timeout=120)
    srx1, stx1 = net("stsend")
    assert stx1 - stx0 < 20000 and srx1 - srx0 < 20000, (stx0, stx1, srx0, srx1)
    # TCP to the other container (retried until its listener is up): what arrived there was
    # sent by one and received by the other.
    ip = hull.inspect("strecv")["NetworkSettings"]["IPAddress"]
    rrx0, _ = net("strecv")
    def send_until_received():
        # Refused until the listener is up; sent again until something arrived.
        hull("exec", "stsend", "sh", "-c", f"head -c 300000 /dev/zero | nc {ip} 9000",
             timeout=120)
        return hull("exec", "strecv", "sh", "-c",
                    "test -s /tmp/got && wc -c < /tmp/got").stdout.strip()

    got = int(hull.wait_for(send_until_received, what="bytes received"))
    srx2, stx2 = net("stsend")
    rrx2, _ = net("strecv")
    assert got > 0
    assert stx2 - stx1 >= got and rrx2 - rrx0 >= got, (got, stx1, stx2, rrx0, rrx2)
    assert net("sthost") == (0, 0)
    out = hull("stats", "--no-stream", "--format", "{{.Name}} {{.NetIO}}", "stsend",
               check=True).stdout
    assert re.fullmatch(r"stsend \d+(\.\d+)?[kMG]?B / \d+(\.\d+)?[kMG]?B\n", out), out
    hull("rm", "-f", "strecv", "stsend", "sthost", check=True)
