"""Many containers started at once on one network: distinct addresses, every one resolves every
other by name, and everything goes when they do."""
import concurrent.futures
import re

from hull_helpers import hull  # noqa: F401  (fixture)
from net_helpers import create_network, gateway, nothing_left

COUNT = 20


def test_parallel_starts_get_distinct_addresses_and_resolve(hull):
    sub, br = create_network(hull, "many")
    names = [f"m{i}" for i in range(COUNT)]

    def start(n):
        return hull("run", "-d", "--name", n, "--network", "many", "busybox", "sleep", "600",
                    timeout=300)

    with concurrent.futures.ThreadPoolExecutor(COUNT) as ex:
        results = list(ex.map(start, names))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    ips = {n: hull.inspect(n)["NetworkSettings"]["Networks"]["many"]["IPAddress"] for n in names}
    assert len(set(ips.values())) == COUNT
    script = "; ".join(f"nslookup {n} {gateway(sub)} | tail -n +3" for n in names)

    def resolve(n):
        return n, hull("exec", n, "sh", "-c", script, timeout=300)

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        for n, r in ex.map(resolve, names):
            assert r.returncode == 0, r.stderr
            seen = set(re.findall(r"Address: (\d+\.\d+\.\d+\.\d+)", r.stdout))
            assert seen == set(ips.values()), (n, r.stdout)
    with concurrent.futures.ThreadPoolExecutor(COUNT) as ex:
        assert all(r.returncode == 0 for r in ex.map(lambda n: hull("rm", "-f", n, timeout=300),
                                                     names))
    hull("network", "rm", "many", check=True)
    assert not nothing_left(hull.root, sub, br)
