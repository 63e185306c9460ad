"""Shared pieces of hull's side-by-side benchmarks: the static measuring launcher, a busybox
bundle with the hardened default config, the runtimes to compare, and median/ratio printing."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HULL = os.path.join(TOP, "build", "hull-runtime")


def ensure_hugetlb():
    """crun 1.8 refuses a hybrid cgroup host without a v1 hugetlb hierarchy: mount one."""
    if os.path.ismount("/sys/fs/cgroup/hugetlb") or not os.path.isdir("/sys/fs/cgroup/unified"):
        return
    os.makedirs("/sys/fs/cgroup/hugetlb", exist_ok=True)
    if subprocess.run(["mount", "-t", "cgroup", "-o", "hugetlb", "cgroup",
                       "/sys/fs/cgroup/hugetlb"]).returncode == 0:
        print("note: mounted the v1 hugetlb hierarchy for crun 1.8", file=sys.stderr)


def runtimes(hull=HULL, peers=("crun", "runc")):
    found = {"hull-runtime": hull}
    for name in peers:
        path = shutil.which(name)
        if path:
            found[name] = path
        else:
            print(f"note: {name} not installed; skipped", file=sys.stderr)
    return found


class Workdir:
    """A temporary directory with the measuring launcher and a busybox bundle whose config is
    `hull-runtime spec` (hardened) running `args`; removed on exit."""

    def __init__(self, args=("/bin/true",), hull=HULL):
        self.path = tempfile.mkdtemp(prefix="hull-bench-")
        self.launcher = os.path.join(self.path, "measure")
        subprocess.run(["cc", "-O2", "-static", "-o", self.launcher,
                        os.path.join(TOP, "bench", "measure.c")], check=True)
        self.bundle = os.path.join(self.path, "bundle")
        os.makedirs(self.bundle)
        subprocess.run([os.path.join(TOP, "tests", "fixtures", "make-busybox-rootfs"),
                        os.path.join(self.bundle, "rootfs")], check=True)
        subprocess.run([hull, "spec", "-b", self.bundle], check=True)
        cfg = json.load(open(os.path.join(self.bundle, "config.json")))
        cfg["process"]["args"] = list(args)
        cfg["ociVersion"] = "1.0.2"  # crun 1.8 rejects newer versions
        json.dump(cfg, open(os.path.join(self.bundle, "config.json"), "w"))

    def root(self, name):
        return os.path.join(self.path, "root-" + name)

    def measure(self, cmd):
        """(wall ms, cpu ms, peak RSS KiB) of one command, through the static launcher."""
        log = os.path.join(self.path, "command.log")
        p = subprocess.run([self.launcher] + cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, env=dict(os.environ, MEASURE_LOG=log))
        wall, cpu, rss, code = p.stdout.split()
        if int(code) != 0:
            tail = open(log).read().strip().split("\n")[-1] if os.path.exists(log) else ""
            raise SystemExit(f"{' '.join(cmd)} failed ({code}): {tail}")
        return float(wall), float(cpu), int(rss)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def report(results, columns, title):
    """results: {runtime: [tuple per sample]}; prints medians and ratios against crun/runc."""
    print(f"{title}")
    print(f"{'runtime':14} " + " ".join(f"{c:>10}" for c in columns))
    med = {}
    for name, rows in results.items():
        med[name] = [statistics.median(c) for c in zip(*rows)]
        print(f"{name:14} " + " ".join(f"{v:10.2f}" for v in med[name]))
    for ref in ("crun", "runc", "hull-before"):
        if ref in med and "hull-runtime" in med:
            h, r = med["hull-runtime"], med[ref]
            print(f"hull/{ref}: " + "  ".join(f"{c} {hv / rv:.2f}x" if rv else f"{c} n/a"
                                             for c, hv, rv in zip(columns, h, r)))
    return med


def remove_workdir(path, timeout=30):
    """rm -rf of a benchmark's temporary directory, after the processes that still use it are
    gone (podman's conmon starts `podman container cleanup` after a container dies, which can
    mount the store's overlay again after `podman system reset`) and its mounts are undone."""
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = False
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    busy = path.encode() in f.read()
            except OSError:
                continue
            if busy:
                break
        if not busy:
            break
        time.sleep(0.2)
    with open("/proc/self/mountinfo") as f:
        mounts = [line.split()[4] for line in f]
    for mp in reversed(mounts):
        if mp == path or mp.startswith(path + "/"):
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
    # hull keeps the runtime's state of a data root's containers in a per-boot run directory
    # named by the data root's device and inode (container/store.h): that of every hull data
    # root in the work directory (itself or a directory right below it) goes with it.
    try:
        candidates = [path] + [os.path.join(path, e) for e in os.listdir(path)]
    except OSError:
        candidates = []
    for d in candidates:
        if os.path.isdir(os.path.join(d, "containers")) and os.path.isdir(os.path.join(d, "images")):
            st = os.stat(d)
            shutil.rmtree(f"/run/hull-containers/{st.st_dev:x}-{st.st_ino:x}",
                          ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
