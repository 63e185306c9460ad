"""hull network create/ls/inspect/rm/prune: records, docker's output and JSON shape, subnets from
the pools and overlap refusals, in-use refusal, and nothing left once a network goes."""
import json
import os
import subprocess

from hull_helpers import hull  # noqa: F401  (fixture)

from net_helpers import (bridge_exists, create_network, gateway, iptables_rules, nothing_left,
                         unique_bridge, unique_subnet)


def test_create_ls_inspect_rm(hull):
    subnet, br = create_network(hull, "front", "--label", "tier=web")
    assert bridge_exists(br)
    ls = hull("network", "ls", check=True).stdout.splitlines()
    assert ls[0].split() == ["NETWORK", "ID", "NAME", "DRIVER", "SCOPE"]
    names = [l.split()[1] for l in ls[1:]]
    assert "front" in names and "bridge" in names
    q = hull("network", "ls", "-q", "-f", "label=tier=web", check=True).stdout.split()
    assert len(q) == 1 and len(q[0]) == 12
    assert hull("network", "ls", "-q", "-f", "name=nomatch", check=True).stdout == ""
    doc = json.loads(hull("network", "inspect", "front", check=True).stdout)[0]
    assert doc["Name"] == "front" and doc["Driver"] == "bridge" and doc["Scope"] == "local"
    assert doc["Id"].startswith(q[0]) and len(doc["Id"]) == 64
    assert doc["IPAM"]["Config"] == [{"Subnet": subnet, "Gateway": gateway(subnet)}]
    assert doc["Labels"] == {"tier": "web"} and doc["Internal"] is False
    assert doc["Options"]["com.docker.network.bridge.name"] == br
    assert doc["Containers"] == {}
    # docker's -f/--format on network inspect: a template per network.
    out = hull("network", "inspect", "-f", "{{.Name}} {{(index .IPAM.Config 0).Subnet}}", "front",
               check=True).stdout
    assert out == f"front {subnet}\n"
    r = hull("network", "inspect", "--format", "{{.Name", "front")
    assert r.returncode == 125 and "--format" in r.stderr
    # The conflist is a plain CNI 1.0 network configuration list.
    conf = json.load(open(os.path.join(hull.root, "networks", "front.conflist")))
    assert conf["cniVersion"] == "1.0.0" and conf["name"] == "front"
    assert [p["type"] for p in conf["plugins"]] == ["bridge", "hull-portmap", "bandwidth"]
    assert conf["plugins"][0]["ipam"]["dataDir"].startswith(hull.root)
    r = hull("network", "create", "--subnet", subnet, "front")
    assert r.returncode != 0 and "already exists" in r.stderr
    assert hull("network", "rm", "front", check=True).stdout.strip() == "front"
    assert not bridge_exists(br)
    assert not nothing_left(hull.root, subnet, br)


def test_pool_subnets_and_overlaps(hull, tmp_path):
    # A private pool (hull's config file) keeps this test away from other tests' subnets.
    sub, _ = create_network(hull, "probe")
    base = sub.rsplit(".", 2)[0]  # 10.x
    hull("network", "rm", "probe", check=True)
    os.makedirs(hull.root, exist_ok=True)
    with open(os.path.join(hull.root, "config.json"), "w") as f:
        json.dump({"default-address-pools": [{"base": f"{base}.0.0/16", "size": 26}]}, f)
    bridges = []
    subs = []
    for name in ("p1", "p2"):
        br = unique_bridge()
        bridges.append(br)
        hull("network", "create", "-o", f"com.docker.network.bridge.name={br}", name,
             check=True)
        subs.append(json.loads(hull("network", "inspect", name, check=True).stdout)[0]
                    ["IPAM"]["Config"][0]["Subnet"])
    assert subs[0] != subs[1]
    assert all(s.startswith(base + ".") and s.endswith("/26") for s in subs)
    # An explicit subnet overlapping p1 is refused, naming both.
    r = hull("network", "create", "--subnet", subs[0].rsplit("/")[0] + "/24", "p3")
    assert r.returncode != 0
    assert "overlaps with network p1" in r.stderr and subs[0] in r.stderr
    # ... and one overlapping a host route (of a bridge this test makes).
    own_sub = unique_subnet()
    own_br = unique_bridge()
    subprocess.run(["ip", "link", "add", own_br, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", gateway(own_sub) + "/24", "dev", own_br], check=True)
        subprocess.run(["ip", "link", "set", own_br, "up"], check=True)
        r = hull("network", "create", "--subnet", own_sub, "p4")
        assert r.returncode != 0
        assert f"overlaps with the host route {own_sub} dev {own_br}" in r.stderr, r.stderr
    finally:
        subprocess.run(["ip", "link", "del", own_br])
    for bad, msg in ((["--subnet", "10.1.2.0/33"], "CIDR"), (["--gateway", "10.0.0.1"], "need"),
                     (["--driver", "macvlan"], "bridge"), (["-o", "bogus=1"], "expected")):
        r = hull("network", "create", *bad, "bad")
        assert r.returncode == 125 and msg in r.stderr, r.stderr
    assert hull("network", "prune", "-f", check=True).stdout.split()[2:] == ["p1", "p2"]
    for br in bridges:
        assert not bridge_exists(br)


def test_rm_refused_while_in_use(hull):
    subnet, br = create_network(hull, "busy")
    cid = hull.run_d("--network", "busy", "busybox", "sleep", "100")
    r = hull("network", "rm", "busy")
    assert r.returncode == 1 and "has active endpoints" in r.stderr
    r = hull("network", "rm", "bridge")
    assert r.returncode == 1 and "pre-defined" in r.stderr
    doc = json.loads(hull("network", "inspect", "busy", check=True).stdout)[0]
    assert list(doc["Containers"]) == [cid]
    assert doc["Containers"][cid]["IPv4Address"].startswith(subnet.rsplit(".", 1)[0])
    # prune skips it too
    hull("network", "prune", "-f", check=True)
    assert bridge_exists(br)
    hull("rm", "-f", cid, check=True)
    hull("network", "rm", "busy", check=True)
    assert not nothing_left(hull.root, subnet, br)
    assert not iptables_rules(br)
