"""Helpers shared by the cgroup e2e tests (test_cgroups.py on this hybrid host, test_cgroup_v2.py
on a pure cgroup2 host): where the hierarchies are, unique cgroup paths, detached containers."""
import os
import subprocess
import tempfile
import uuid

# A container script prefix: wait until the test creates /tmp/go in the rootfs.
WAIT_GO = "while [ ! -e /tmp/go ]; do sleep 0.02; done; "


def cgroup_mounts():
    """Every mounted cgroup hierarchy (v1 and v2) of this host."""
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if right.split()[0] in ("cgroup", "cgroup2"):
                mounts.append(left.split()[4])
    return mounts


def controller_dir(controller):
    """The mount point of the v1 hierarchy of `controller` (None when there is none)."""
    for m in cgroup_mounts():
        if os.path.basename(m) == controller:
            return m
    return None


def dirs_named(path):
    """Directories of cgroup `path` that exist in any hierarchy."""
    return [m + path for m in cgroup_mounts() if os.path.isdir(m + path)]


def read(path):
    with open(path) as f:
        return f.read().strip()


def keyed(path):
    """A flat-keyed cgroup file (`key value` lines) as a dict."""
    return {k: v for k, v in (l.split(" ", 1) for l in read(path).splitlines())}


def unique_path(cid):
    """A cgroupsPath no other test (or concurrent run of the suite) uses."""
    return f"/hulltest-{uuid.uuid4().hex[:8]}/{cid}"


def with_resources(bundle, args, resources, cgroups_path=None, **linux):
    """Configure `bundle` to run `args` with `linux.resources` (and other linux fields)."""
    bundle.config["process"]["args"] = args
    bundle.config["linux"]["resources"] = resources
    if cgroups_path:
        bundle.config["linux"]["cgroupsPath"] = cgroups_path
    bundle.config["linux"].update(linux)
    bundle.write()


def go(bundle):
    """Release a container waiting in WAIT_GO."""
    open(os.path.join(bundle.rootfs, "tmp", "go"), "w").close()


def detached(runtime, *args):
    """`run -d`: the container keeps the runtime's stdio, so give it files, not pipes."""
    with tempfile.TemporaryFile("w+") as err:
        r = subprocess.run(runtime.cmd(*args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err, timeout=60)
        err.seek(0)
        return subprocess.CompletedProcess(r.args, r.returncode, "", err.read())


def run_detached(runtime, bundle, cid):
    r = detached(runtime, "run", "-d", "-b", bundle.path, cid)
    assert r.returncode == 0, r.stderr
    return runtime.state(cid)["pid"]


def delete(runtime, cid):
    r = runtime("delete", "--force", cid)
    assert r.returncode == 0, r.stderr
