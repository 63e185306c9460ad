"""Many detached containers started and removed concurrently: every one starts, every one is
removed, and nothing (monitor, container process, mount, runtime state, name, image user) is
left behind."""
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from hull_helpers import hull, leftovers  # noqa: F401  (fixture)

N = 50


def test_fifty_detached_containers_in_parallel(hull):
    hull("images", check=True)  # seed the store once, outside the race
    names = [f"par{i}" for i in range(N)]

    def start(name):
        return hull("run", "-d", "--name", name, "busybox", "sleep", "60")

    with ThreadPoolExecutor(max_workers=N) as pool:
        results = list(pool.map(start, names))
    failed = [(r.returncode, r.stderr) for r in results if r.returncode != 0]
    assert not failed, failed[:3]
    ids = {r.stdout.strip() for r in results}
    assert len(ids) == N
    running = hull.ps()
    assert sorted(e["Names"][0] for e in running) == sorted(names)
    pids = [e["Pid"] for e in running]
    assert all(os.path.exists(f"/proc/{p}") for p in pids)

    with ThreadPoolExecutor(max_workers=N) as pool:
        removed = list(pool.map(lambda n: hull("rm", "-f", n), names))
    failed = [(r.returncode, r.stderr) for r in removed if r.returncode != 0]
    assert not failed, failed[:3]
    assert hull.ps("-a") == []
    assert leftovers(hull.root) == {}
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                assert f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except FileNotFoundError:
            pass
