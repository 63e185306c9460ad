"""Networks do not outlive what owns them: `hull system prune` removes the networks no container
is attached to (docker's "Deleted Networks:"), and a bridge whose data root was deleted without
`hull network rm` is removed, with its rules, by the next hull that creates or prunes networks
(each bridge carries its owner in its ifalias)."""
import json
import os
import shutil
import subprocess

from hull_helpers import HullCli, hull, network_bridges, network_leftovers  # noqa: F401

from net_helpers import bridge_exists, create_network, iptables_rules, nothing_left


def test_system_prune_removes_unused_networks(hull):
    unused_sub, unused_br = create_network(hull, "unused")
    used_sub, used_br = create_network(hull, "used")
    hull.run_d("--name", "holder", "--network", "used", "busybox", "sleep", "300")
    r = hull("system", "prune", "-f", check=True)
    lines = r.stdout.splitlines()
    assert "Deleted Networks:" in lines, r.stdout
    listed = lines[lines.index("Deleted Networks:") + 1:]
    assert "unused" in listed and "used" not in listed and "bridge" not in listed
    assert not bridge_exists(unused_br)
    left = nothing_left(hull.root, unused_sub, unused_br)
    assert not [k for k in left if k not in ("cache", "ipam")], left  # those are "used"'s
    assert all(e.startswith("used") for k in ("cache", "ipam") for e in left.get(k, [])), left
    assert bridge_exists(used_br)
    names = [l.split()[1] for l in hull("network", "ls", check=True).stdout.splitlines()[1:]]
    assert sorted(names) == ["bridge", "used"]
    # Once its container is gone, the next prune takes it (nothing printed when nothing goes).
    hull("rm", "-f", "holder", check=True)
    r = hull("system", "prune", "-f", check=True)
    assert "Deleted Networks:\nused\n" in r.stdout
    assert not bridge_exists(used_br)
    assert not nothing_left(hull.root, used_sub, used_br)
    r = hull("network", "prune", "-f", check=True)
    assert "Deleted Networks:" not in r.stdout


def test_bridge_of_a_deleted_data_root_is_removed(hull, tmp_path):
    gone = HullCli(str(tmp_path / "gone-root"))
    try:
        subnet, br = create_network(gone, "lost")
        gone("network", "inspect", "bridge", check=True)  # the default network too
        bridges = network_bridges(gone.root)
        assert br in bridges and len(bridges) == 2, bridges
        tag = open(f"/sys/class/net/{br}/ifalias").read().split()
        assert tag[0] == "hull-network" and tag[2] == subnet and tag[3] == "lost"
        assert tag[4] == os.path.realpath(gone.root)
        # The data root goes without `network rm`: its bridges and NAT rules stay for now.
        shutil.rmtree(gone.root)
        assert all(bridge_exists(b) for b in bridges)
        assert iptables_rules(br)
        # Any other data root's network create (or prune) removes them.
        other_sub, other_br = create_network(hull, "other")
        assert network_leftovers(bridges) == {}, network_leftovers(bridges)
        assert not nothing_left(gone.root, subnet, br)
        assert bridge_exists(other_br)
    finally:
        if os.path.isdir(gone.root):
            gone("network", "prune", "-f")
            gone("network", "rm", "-f", "bridge")
            shutil.rmtree(gone.root, ignore_errors=True)


def test_bridge_of_a_live_data_root_is_kept(hull, tmp_path):
    """A bridge whose record still exists is never taken for an orphan, and a record with
    another id (a network re-created under the same name) is not its owner."""
    subnet, br = create_network(hull, "kept")
    r = HullCli(str(tmp_path / "elsewhere"))
    try:
        r("network", "prune", "-f", check=True)
        assert bridge_exists(br)
        conf = os.path.join(hull.root, "networks", "kept.conflist")
        doc = json.load(open(conf))
        doc["hull"]["id"] = "0" * 64
        with open(conf, "w") as f:
            json.dump(doc, f)
        r("network", "prune", "-f", check=True)
        assert not bridge_exists(br)
        assert not iptables_rules(br)
    finally:
        shutil.rmtree(r.root, ignore_errors=True)
    hull("network", "rm", "-f", "kept")  # the record only, its bridge is gone
    out = subprocess.run(["ip", "link", "show", br], capture_output=True, text=True)
    assert out.returncode != 0
