"""Run the cgroup v2 end-to-end tests (test_cgroup_v2.py) inside a microVM whose init mounts only
cgroup2, in one guest boot.

The CI hosts are hybrid (cgroup v1 + v2); the guest is a pure unified-hierarchy system. The
guest's root is the host's / shared read-only (9p) under a tmpfs overlay, so the same build, the
same Python and the same tests run in it without any preparation. Those tests skip on the hybrid
host, so this wrapper insists that the inner run passed and that at least MIN_PASSED of them
passed: an inner run where everything skipped fails here. test_cgroups.py is written for the
hybrid layout (v1 controller files) and is not run in the guest. Skipped inside the VM itself
(HULL_IN_VM)."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, TOP

VM_RUN = os.path.join(BUILD, "tests", "helpers", "vm-run")
SUITE_TIMEOUT = 1500
V2_TESTS = os.path.join(TOP, "tests", "e2e", "test_cgroup_v2.py")
# Every test of test_cgroup_v2.py: none may skip or fail in the guest.
MIN_PASSED = 10


def inner_counts(output):
    """{"passed": n, "failed": n, ...} from pytest's summary line."""
    lines = [l for l in output.splitlines() if re.search(r"\d+ (passed|failed|error)", l)]
    if not lines:
        return {}
    return {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", lines[-1])}


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu not installed")
@pytest.mark.skipif(os.environ.get("HULL_IN_VM") == "1", reason="already inside the VM")
def test_vm_cgroup_v2_suite_in_pure_cgroup2_guest():
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root",
           "HULL_IN_VM=1", f"HULL_BUILD={BUILD}", "LANG=C.UTF-8"]
    for key in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if key in os.environ:
            env.append(f"{key}={os.environ[key]}")
    script = ("test \"$(stat -f -c %T /sys/fs/cgroup)\" = cgroup2fs || "
              "{ echo 'guest /sys/fs/cgroup is not cgroup2' >&2; exit 99; }\n"
              'exec /usr/bin/python3 -m pytest -q -p no:cacheprovider -rfEs "$@"\n')
    # 2 vCPUs, 2 GiB: the guest runs pytest and containers; writes land in its tmpfs overlay
    cmd = [VM_RUN, "--cpus", "2", "--memory", "2048", "--cwd", TOP]
    for e in env:
        cmd += ["--env", e]
    r = subprocess.run(cmd + ["/", "/bin/sh", "-c", script, "sh", V2_TESTS],
                       capture_output=True, text=True, timeout=SUITE_TIMEOUT)
    report = f"stdout:\n{r.stdout[-6000:]}\nstderr:\n{r.stderr[-4000:]}"
    assert r.returncode == 0, report
    counts = inner_counts(r.stdout)
    assert counts.get("failed", 0) == 0 and counts.get("error", 0) == 0 and \
        counts.get("errors", 0) == 0, report
    assert counts.get("passed", 0) >= MIN_PASSED, f"only {counts} in the guest\n{report}"
