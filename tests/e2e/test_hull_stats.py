"""`hull stats`: docker's columns (MEM USAGE / LIMIT, MEM %, BLOCK I/O) from the cgroups."""
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
        "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "BLOCK I/O", "PIDS"]
    row = [l for l in table if " st64 " in l][0]
    assert re.search(r"\d+\.\d\d[KMG]iB / 64\.00MiB\s+\d+\.\d\d%\s+\d+(\.\d+)?[kMG]?B / "
                     r"\d+(\.\d+)?[kMG]?B\s+1$", row), row
    hull("rm", "-f", "st64", "stfree", check=True)
