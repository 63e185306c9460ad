"""Shared helpers for the `hull` container e2e tests (test_hull_*.py): a private data root per
test, and a teardown that removes every container, then asserts that no monitor process, mount
or runtime state was left behind (and cleans up by force if one was)."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from conftest import BUILD, wait_exit, wait_for

HULL = os.path.join(BUILD, "hull")


class HullCli:
    """`hull --data-root ROOT ...`; restarts back off 50ms, 100ms, ... (HULL_RESTART_BACKOFF_MS)."""

    def __init__(self, root):
        self.root = root
        self.env = dict(os.environ, HULL_RESTART_BACKOFF_MS="50")

    def cmd(self, *args):
        return [HULL, "--data-root", self.root] + [str(a) for a in args]

    def __call__(self, *args, check=False, timeout=180, input=None, env=None):
        e = dict(self.env)
        e.update(env or {})
        io = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
        r = subprocess.run(self.cmd(*args), capture_output=True, text=True, timeout=timeout,
                           env=e, **io)
        if check and r.returncode != 0:
            raise AssertionError(f"hull {' '.join(map(str, args))} failed ({r.returncode}): "
                                 f"{r.stderr}")
        return r

    def popen(self, *args, **kw):
        return subprocess.Popen(self.cmd(*args), env=self.env, **kw)

    def inspect(self, ref):
        return json.loads(self("inspect", "--type", "container", ref, check=True).stdout)[0]

    def state(self, ref):
        return self.inspect(ref)["State"]

    def ps(self, *flags):
        return json.loads(self("ps", "--format", "json", *flags, check=True).stdout)

    def run_d(self, *args):
        r = self("run", "-d", *args, check=True)
        return r.stdout.strip()

    def wait_for(self, predicate, timeout=120, interval=0.02, what="condition"):
        return wait_for(predicate, timeout=timeout, interval=interval, what=what)

    def logs(self, ref, *flags):
        return self("logs", *flags, ref, check=True)

    @property
    def containers_dir(self):
        return os.path.join(self.root, "containers")

    def container_ids(self):
        d = self.containers_dir
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


def processes_mentioning(text):
    """Live (non-zombie) processes whose command line contains `text`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if text in cmd and st not in ("Z", "X"):
            found.append((int(pid), cmd))
    return found


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [l.split()[4] for l in f if l.split()[4].startswith(path)]


RUNTIME_RUN_DIR = "/run/hull-containers"


def runtime_root(root):
    """Where hull keeps the runtime's state of `root`'s containers (container/store.h): the run
    directory's <dev>-<ino> of the data root, or ROOT/runtime while that holds a state."""
    legacy = os.path.join(root, "runtime")
    if os.path.isdir(legacy):
        return legacy
    st = os.stat(root)
    return f"{RUNTIME_RUN_DIR}/{st.st_dev:x}-{st.st_ino:x}"


def attach_socket(root, cid):
    """Where a run of container `cid` listens for `hull attach` (container/attach.h): in the
    run directory's .attach/, named by the id, when the runtime's state is there; else
    DIR/attach.sock."""
    rt = runtime_root(root)
    if rt.startswith(RUNTIME_RUN_DIR + "/"):
        return os.path.join(rt, ".attach", cid)
    return os.path.join(root, "containers", cid, "attach.sock")


def leftovers(root):
    """What a data root may not hold once every container is removed."""
    out = {}
    procs = processes_mentioning(root)
    if procs:
        out["processes"] = procs
    mounts = mounts_under(root)
    if mounts:
        out["mounts"] = mounts
    for sub in ("containers", "runtime", "names"):
        p = runtime_root(root) if sub == "runtime" else os.path.join(root, sub)
        # Dot entries are shared caches (the runtime's .seccomp-cache), not per container.
        entries = sorted(e for e in os.listdir(p) if not e.startswith(".")) if os.path.isdir(p) else []
        if entries:
            out[sub] = entries
    attach = os.path.join(runtime_root(root), ".attach")
    if os.path.isdir(attach) and os.listdir(attach):
        out["attach sockets"] = sorted(os.listdir(attach))
    users = os.path.join(root, "images", "users")
    if os.path.isdir(users):
        used = [u for u in os.listdir(users) if os.listdir(os.path.join(users, u))]
        if used:
            out["image users"] = used
    return out


def network_bridges(root):
    """The bridge devices of a data root's networks: those its records name, and those the
    kernel says it owns (the owner tag hull writes into a bridge's ifalias)."""
    found = set()
    nets = os.path.join(root, "networks")
    if os.path.isdir(nets):
        for f in os.listdir(nets):
            if f.endswith(".conflist"):
                try:
                    with open(os.path.join(nets, f)) as fh:
                        found.add(json.load(fh)["hull"]["bridge"])
                except (OSError, ValueError, KeyError):
                    pass
    real = os.path.realpath(root)
    for dev in os.listdir("/sys/class/net"):
        try:
            with open(f"/sys/class/net/{dev}/ifalias") as fh:
                tag = fh.read().strip()
        except OSError:
            continue
        if tag.startswith("hull-network ") and tag.split(" ", 4)[4:] == [real]:
            found.add(dev)
    return sorted(found)


def network_leftovers(bridges):
    """What the given bridges left: the devices, veths still enslaved to them, and nftables
    rules (iptables-nft's too) naming them."""
    if not bridges:
        return {}
    out = {}
    alive = [b for b in bridges if os.path.exists(f"/sys/class/net/{b}")]
    if alive:
        out["bridges"] = alive
    veths = []
    for dev in os.listdir("/sys/class/net"):
        try:  # another test's device may go between the listing and the read
            master = os.readlink(os.path.join("/sys/class/net", dev, "master"))
        except OSError:
            continue
        if os.path.basename(master) in bridges:
            veths.append(dev)
    if veths:
        out["veths"] = sorted(veths)
    ruleset = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    rules = [l.strip() for l in ruleset.splitlines()
             if any(f'"{b}"' in l or f" {b} " in l for b in bridges)]
    if rules:
        out["nft rules"] = rules
    return out


def force_clean(root):
    procs = processes_mentioning(root)
    for pid, _ in procs:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid, _ in procs:
        wait_exit(pid, timeout=10)
    for m in sorted(mounts_under(root), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], capture_output=True)


def private_hull(root, seeded_data_root):
    """A HullCli on a private copy of the seeded data root at `root`; after the `yield`, whatever
    it holds is removed through hull and the test fails if anything is left."""
    subprocess.run(["cp", "-a", seeded_data_root, root], check=True, timeout=60)
    h = HullCli(root)
    yield h
    # Remove whatever the test left, through hull itself, then check nothing leaked.
    r = h("ps", "-aq", "--no-trunc")
    ids = r.stdout.split() if r.returncode == 0 else []
    if ids:
        h("rm", "-f", "-v", *ids, timeout=180)
    # Monitors of --rm containers may still be finishing their clean-up (their attachments
    # too: a network with one cannot be removed yet).
    deadline = time.monotonic() + 30
    left = leftovers(root)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = leftovers(root)
    # The test's networks (and the default one) and their bridge devices: none may outlive
    # the data root.
    bridges = network_bridges(root)
    if os.path.isdir(os.path.join(root, "networks")):
        h("network", "prune", "-f", timeout=180)
        h("network", "rm", "-f", "bridge", timeout=180)
    net_left = network_leftovers(bridges)
    if net_left:
        left["network"] = net_left
    if left:
        force_clean(root)
    # The data root's directory in the run directory (per boot, on a tmpfs) goes with it.
    rt = runtime_root(root)
    if rt.startswith(RUNTIME_RUN_DIR + "/"):
        shutil.rmtree(rt, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    if "network" in left:
        # The bridges' owner (this data root) is gone now: any hull's prune removes them.
        HullCli(root + "-sweep")("network", "prune", "-f", timeout=180)
        shutil.rmtree(root + "-sweep", ignore_errors=True)
    assert not left, f"left behind: {left}"


@pytest.fixture
def hull(tmp_path, seeded_data_root):
    yield from private_hull(str(tmp_path / "data-root"), seeded_data_root)


@pytest.fixture(scope="module")
def module_hull(tmp_path_factory, seeded_data_root):
    """One data root for a module's tests that only read what a module fixture made."""
    yield from private_hull(str(tmp_path_factory.mktemp("module") / "data-root"),
                            seeded_data_root)


def static_probe_program(tmp_path):
    """A static C program in tmp_path/ctx/prog (the seccomp trace tests): prints its pid, and
    with an argument calls uname(2), a syscall a trace without it has not seen."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the static test program")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    src = tmp_path / "p.c"
    src.write_text(
        '#include <errno.h>\n#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n'
        '#include <sys/utsname.h>\n'
        'int main(int argc, char **argv) {\n'
        '  printf("pid %d\\n", (int)getpid());\n'
        '  if (argc > 1) { struct utsname u; int r = uname(&u);\n'
        '    printf("uname %d %s\\n", r, r ? strerror(errno) : u.sysname); }\n'
        '  return 0; }\n')
    subprocess.run(["gcc", "-static", "-O1", "-o", str(ctx / "prog"), str(src)], check=True)
    return ctx
