"""Run the cgroup end-to-end tests inside a microVM whose init mounts only cgroup2.

The CI hosts are hybrid (cgroup v1 + v2); the guest is a pure unified-hierarchy system. The
guest's root is the host's / shared read-only (9p) under a tmpfs overlay, so the same build, the
same Python and the same tests run in it without any preparation. Skipped when there are no
tests/e2e/test_cgroup*.py files yet, and inside the VM itself (HULL_IN_VM)."""
import glob
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, TOP

VM_RUN = os.path.join(BUILD, "tests", "helpers", "vm-run")
SUITE_TIMEOUT = 1500


def cgroup_tests():
    return sorted(glob.glob(os.path.join(TOP, "tests", "e2e", "test_cgroup*.py")))


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu not installed")
@pytest.mark.skipif(os.environ.get("HULL_IN_VM") == "1", reason="already inside the VM")
@pytest.mark.skipif(not cgroup_tests(), reason="no tests/e2e/test_cgroup*.py yet")
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
    r = subprocess.run(cmd + ["/", "/bin/sh", "-c", script, "sh"] + cgroup_tests(),
                       capture_output=True, text=True, timeout=SUITE_TIMEOUT)
    assert r.returncode == 0, f"stdout:\n{r.stdout[-4000:]}\nstderr:\n{r.stderr[-4000:]}"
