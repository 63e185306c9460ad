"""The README's `hull-runtime` walk-through, run exactly as written, so it cannot rot.

The commands are taken from README.md (the first ```sh block under "## Using hull-runtime") and
run by `sh -e` in a scratch directory where `build/` is the build under test and `tests/` this
checkout's tests. They use the runtime's default --root (/run/hull) and fixed ids, so they run
in a private mount namespace with a tmpfs on /run/hull, and one at a time on this machine (a
lock): their default cgroups (/hull/demo, /hull/c1) are the host's."""
import fcntl
import os
import re
import subprocess

from cgroup_helpers import dirs_named
from conftest import BUILD, TOP

README = os.path.join(TOP, "README.md")
LOCK = "/run/lock/hull-test-readme.lock"


def readme_block(heading):
    """The lines of the first ```sh block after `heading` in README.md."""
    with open(README) as f:
        text = f.read()
    section = text.split(heading + "\n", 1)[1]
    m = re.search(r"^```sh\n(.*?)^```$", section, re.S | re.M)
    assert m, f"no ```sh block under {heading!r} in README.md"
    return m.group(1)


def test_readme_hull_runtime_walkthrough_runs_as_written(tmp_path):
    script = readme_block("## Using hull-runtime")
    # What the walk-through is about; if these go, this test should be looked at again.
    for step in ("spec --bundle mybundle", "run --bundle mybundle demo", "create --bundle mybundle c1",
                 "start c1", "state c1", "kill c1 KILL", "delete c1"):
        assert f"build/hull-runtime {step}" in script, step
    os.symlink(BUILD, tmp_path / "build")
    os.symlink(os.path.join(TOP, "tests"), tmp_path / "tests")
    (tmp_path / "walkthrough.sh").write_text(script)
    ids = ("demo", "c1")
    cleanup = "; ".join(f"build/hull-runtime delete --force {i} >/dev/null 2>&1" for i in ids)
    driver = ("mount -t tmpfs -o mode=0700 hull-test-readme /run/hull || exit 99\n"
              f"trap '{cleanup}' EXIT\n"
              "set -ex\n"
              ". ./walkthrough.sh\n")
    os.makedirs("/run/hull", exist_ok=True)
    os.makedirs(os.path.dirname(LOCK), exist_ok=True)
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        r = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", driver],
                           cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=300)
        left = [d for i in ids for d in dirs_named(f"/hull/{i}")]
    assert r.returncode == 0, f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    # `state c1` after `start` showed it running; the loop then saw it stop after TERM.
    assert '"status": "running"' in r.stdout and '"id": "c1"' in r.stdout, r.stdout
    assert "+ build/hull-runtime delete c1" in r.stderr, r.stderr
    assert left == [], f"cgroups left behind: {left}"
