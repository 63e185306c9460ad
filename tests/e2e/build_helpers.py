"""Shared pieces of the `hull build` / `hull commit` / `hull image bootstrap` tests.

`localhost/debian:bookworm` is made once with mmdebstrap (with gcc and libc6-dev, so stages
can compile) and kept as an OCI archive in a cache directory outside the per-test data roots
($HULL_TEST_IMAGE_CACHE, default /var/tmp/hull-test-images). A file lock makes parallel pytest
workers (xdist) share one bootstrap: the first one makes it, the others wait and load it. The
archive's name carries the package set, so a change of the set makes a new one."""
import fcntl
import os
import subprocess

from conftest import BUILD

HULL = os.path.join(BUILD, "hull")
CACHE = os.environ.get("HULL_TEST_IMAGE_CACHE", "/var/tmp/hull-test-images")
DEBIAN_NAME = "localhost/debian:bookworm"
DEBIAN_INCLUDE = "gcc,libc6-dev"
# Fixed, so that bootstraps are reproducible (docs/build.md).
SOURCE_DATE_EPOCH = "1700000000"


def debian_archive():
    """Path of the cached OCI archive of localhost/debian:bookworm, made when missing."""
    os.makedirs(CACHE, exist_ok=True)
    archive = os.path.join(CACHE, "debian-bookworm-" + DEBIAN_INCLUDE.replace(",", "-") + ".tar")
    with open(os.path.join(CACHE, "debian.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(archive):
            return archive
        root = os.path.join(CACHE, "bootstrap-root")
        env = dict(os.environ, SOURCE_DATE_EPOCH=SOURCE_DATE_EPOCH)
        r = subprocess.run([HULL, "--data-root", root, "image", "bootstrap", "--quiet",
                            "--include", DEBIAN_INCLUDE, "bookworm", DEBIAN_NAME],
                           capture_output=True, text=True, env=env, timeout=3600)
        assert r.returncode == 0, f"bootstrap failed: {r.stderr}"
        r = subprocess.run([HULL, "--data-root", root, "save", "-o", archive + ".tmp",
                            DEBIAN_NAME], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, f"save failed: {r.stderr}"
        os.rename(archive + ".tmp", archive)
        subprocess.run(["rm", "-rf", root])
        return archive


def load_debian(hull, archive):
    r = hull("load", "-i", archive, timeout=600)
    assert r.returncode == 0, r.stderr
    hull("image", "inspect", DEBIAN_NAME, check=True)


def write(path, text, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
