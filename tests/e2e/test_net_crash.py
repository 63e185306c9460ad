"""Crashes: hull killed with SIGKILL in the middle of a network set-up (a CNI plugin made slow
on purpose), then `hull rm -f` and `hull network prune` leave no veth, bridge, iptables rule,
IPAM reservation, cache entry or port reservation; a crashed monitor's attachments are
reconciled by the next hull command."""
import os
import signal
import stat
import subprocess

from hull_helpers import hull  # noqa: F401  (fixture)
from net_helpers import (create_network, free_port, iptables_rules, nothing_left, snapshot,
                         veths_on)


def slow_plugins(tmp_path, slow):
    """A CNI_PATH whose `slow` plugin never finishes (it marks that it was reached); the others
    run the real ones (hull's own, hull-portmap, are found after this directory)."""
    d = tmp_path / "cni"
    d.mkdir()
    for p in set(os.listdir("/usr/lib/cni")) | {slow}:
        w = d / p
        if p == slow:
            w.write_text(f"#!/bin/sh\ntouch {d}/reached\nsleep 600\n")
        else:
            w.write_text(f"#!/bin/sh\nexec /usr/lib/cni/{p} \"$@\"\n")
        w.chmod(w.stat().st_mode | stat.S_IEXEC)
    return d


def test_kill9_mid_setup_then_rm_and_prune_leave_nothing(hull, tmp_path):
    sub, br = create_network(hull, "crash")
    cni = slow_plugins(tmp_path, "hull-portmap")
    port = free_port()
    env = dict(hull.env, HULL_CNI_PATH=str(cni))
    p = subprocess.Popen(hull.cmd("run", "--name", "victim", "--network", "crash", "-p",
                                  f"127.0.0.1:{port}:80", "busybox", "sleep", "600"),
                         env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    hull.wait_for(lambda: os.path.exists(cni / "reached"), timeout=60, what="hull-portmap ADD")
    # Mid-setup: bridge (veth, IPAM) done, hull-portmap running.
    s = snapshot(hull.root, sub, br)
    assert s["veths"] and s["ipam"] and s["cache"] and s["ports"], s
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    r = hull("rm", "-f", "victim", timeout=120)
    assert r.returncode == 0, r.stderr
    r = hull("network", "prune", "-f", timeout=120)
    assert "crash" in r.stdout
    left = nothing_left(hull.root, sub, br)
    assert not left, left


def test_crashed_monitor_is_reconciled_by_next_command(hull):
    sub, br = create_network(hull, "recon")
    c = hull.run_d("--name", "orphan", "--network", "recon", "busybox", "sleep", "600")
    st = hull.inspect(c)["State"]
    ip = hull.inspect(c)["NetworkSettings"]["IPAddress"]
    assert veths_on(br)
    # Everything of the run dies at once, as in a power cut: nobody runs DEL.
    os.kill(st["MonitorPid"], signal.SIGKILL)
    os.kill(st["Pid"], signal.SIGKILL)
    hull.wait_for(lambda: not veths_on(br), what="the netns to go")
    assert snapshot(hull.root, sub, br)["ipam"]  # still reserved: nobody ran DEL yet
    # The next network command reconciles.
    hull("network", "ls", check=True)
    s = snapshot(hull.root, sub, br)
    assert not s["ipam"] and not s["cache"], s
    assert not iptables_rules(ip + "/"), iptables_rules(ip + "/")
    hull("rm", "-f", c, check=True)
    hull("network", "rm", "recon", check=True)
    assert not nothing_left(hull.root, sub, br)
