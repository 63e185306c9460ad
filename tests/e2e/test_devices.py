"""Devices are denied by default: a node shipped in an image (the host's kernel log, /dev/mem, a
loop device, the host's disk) cannot be opened in a default `hull run` container; `--device`
gives one node with the asked permissions, `--privileged` gives every host device (docker's
semantics)."""
import json
import os
import shutil
import tempfile

from conftest import Bundle, default_config
from device_util import add_hostile, denied_everywhere
from hull_helpers import hull  # noqa: F401 (fixture)
from image_helpers import add_tree, tar_bytes, write_oci_layout
from security_util import BATTERY, results, spec_config


def hostile_image(hull, busybox_rootfs, tmp_path):
    """busybox + the escape battery + /hostile/{kmsg,mem,loop,disk}; returns its name."""
    root = tmp_path / "img"
    shutil.copytree(busybox_rootfs, root, symlinks=True)
    shutil.copy(BATTERY, root / "bin" / "escape-battery")

    def layer(t):
        add_tree(t, str(root))
        add_hostile(t)

    layout = str(tmp_path / "layout")
    write_oci_layout(layout, [(tar_bytes(layer), "plain")], tag="hostile")
    hull("pull", f"oci:{layout}:hostile", check=True)
    return "localhost/layout:hostile"


def battery(hull, image, *flags, directory="/hostile"):
    r = hull("run", "--rm", *flags, image, "/bin/escape-battery", "devices", directory)
    assert r.returncode == 0, r.stderr
    return results(r.stdout)


def test_default_hull_run_denies_device_nodes_from_the_image(hull, busybox_rootfs, tmp_path):
    image = hostile_image(hull, busybox_rootfs, tmp_path)
    assert battery(hull, image) == denied_everywhere()
    # The standard allow list still works: null, zero, full, random, urandom, tty, ptmx.
    r = hull("run", "--rm", image, "sh", "-c",
             "echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom "
             "| wc -c && head -c 4 /dev/random | wc -c && ! echo x > /dev/full")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["4", "4", "4"]
    # The generated config says it: deny all first, then the allow list.
    cid = hull("create", image, "true", check=True).stdout.strip()
    with open(os.path.join(hull.containers_dir, cid, "bundle", "config.json")) as f:
        rules = json.load(f)["linux"]["resources"]["devices"]
    assert rules[0] == {"allow": False, "access": "rwm"}
    allowed = {(d.get("type"), d.get("major"), d.get("minor")) for d in rules[1:] if d["allow"]}
    assert {("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9), ("c", 5, 0),
            ("c", 5, 1), ("c", 5, 2), ("c", 136, None)} <= allowed
    assert ("c", 1, 11) not in allowed and not any(d[0] == "b" and d[1] for d in allowed)


def test_device_flag_gives_the_node_with_its_permissions(hull, busybox_rootfs, tmp_path):
    image = hostile_image(hull, busybox_rootfs, tmp_path)
    got = battery(hull, image, "--device", "/dev/fuse:/granted/fuse",
                  "--device", "/dev/net/tun:/granted/tun:r", directory="/granted")
    assert got == {"dev_fuse_read": "OK", "dev_fuse_write": "OK",
                   "dev_tun_read": "OK", "dev_tun_write": "EPERM"}
    # The rule is about the device, not the path: the image's own node of a granted loop
    # device opens read-only too, nothing else does.
    if os.path.exists("/dev/loop0"):
        got = battery(hull, image, "--device", "/dev/loop0:/granted/loop:r")
        assert got == dict(denied_everywhere(), dev_loop_read="OK")
    # HOST alone: the same path in the container, rwm; the node keeps the host's numbers.
    r = hull("run", "--rm", "--device", "/dev/fuse", image, "stat", "-c", "%F %t:%T %a",
             "/dev/fuse")
    assert r.returncode == 0, r.stderr
    st = os.stat("/dev/fuse")
    assert r.stdout.split() == ["character", "special", "file",
                                "%x:%x" % (os.major(st.st_rdev), os.minor(st.st_rdev)),
                                "%o" % (st.st_mode & 0o777)]


def test_device_flag_errors_name_the_flag_and_create_nothing(hull, busybox_rootfs, tmp_path):
    image = hostile_image(hull, busybox_rootfs, tmp_path)
    (tmp_path / "empty").mkdir()
    for flag, message in (("/dev/no-such-device", "--device `/dev/no-such-device`: No such file"),
                          (str(tmp_path / "empty"), "no device node in the directory"),
                          ("/etc/passwd", "--device `/etc/passwd`: not a device node"),
                          ("/dev/fuse:/x:rwx", "invalid permissions `rwx`"),
                          ("dev/fuse", "the host path `dev/fuse` must be absolute"),
                          ("/dev/fuse:x", "the container path `x` must be absolute")):
        r = hull("run", "--rm", "--device", flag, image, "true")
        assert r.returncode == 125, (flag, r.stderr)
        assert message in r.stderr, (flag, r.stderr)
    assert hull("ps", "-aq", check=True).stdout == ""


def test_privileged_has_every_capability_device_and_no_filters(hull, busybox_rootfs, tmp_path):
    image = hostile_image(hull, busybox_rootfs, tmp_path)
    got = battery(hull, image, "--privileged")
    assert got["dev_kmsg_write"] == "OK" and got["dev_loop_read"] in ("OK", "ENXIO"), got
    r = hull("run", "--rm", "--privileged", image, "sh", "-c",
             "grep -E '^(CapEff|CapBnd|Seccomp):' /proc/self/status; "
             "test -c /dev/fuse && echo fuse-node; "
             "grep -E ' /(sys|proc/kcore|proc/sys) ' /proc/self/mountinfo")
    assert r.returncode == 0, r.stderr
    with open("/proc/self/status") as f:
        host_bnd = [l.split()[1] for l in f if l.startswith("CapBnd:")][0]
    fields = dict(l.split(":\t") for l in r.stdout.splitlines() if ":\t" in l)
    assert fields["CapEff"] == host_bnd and fields["CapBnd"] == host_bnd, r.stdout
    assert fields["Seccomp"] == "0", r.stdout
    assert "fuse-node" in r.stdout
    mounts = [l for l in r.stdout.splitlines() if " - " in l]
    sys_mount = [l for l in mounts if l.split()[4] == "/sys"]
    assert sys_mount and " rw," in sys_mount[0], r.stdout          # /sys read-write
    assert not [l for l in mounts if l.split()[4] in ("/proc/kcore", "/proc/sys")], r.stdout
    # docker ignores a seccomp profile for privileged containers; hull drops its Landlock
    # policy as well.
    script = "mkdir -p /root && touch /root/written && echo wrote"
    r = hull("run", "--rm", "--security-opt", "landlock=default", image, "sh", "-c", script)
    assert "wrote" not in r.stdout, r.stdout
    r = hull("run", "--rm", "--privileged", "--security-opt", "landlock=default",
             "--security-opt", "seccomp=unconfined", image, "sh", "-c", script)
    assert r.returncode == 0 and "wrote" in r.stdout, r.stderr


def test_host_nodes_bound_into_a_user_namespace_are_nosuid_noexec(runtime, bundle, tmp_path):
    """mknod is refused in a user namespace, so the default nodes and linux.devices are bind
    mounts of the host's nodes: like runc, hull mounts them nosuid,noexec."""
    cfg = spec_config(tmp_path)
    cfg["process"]["args"] = ["sh", "-c", "grep -E ' /dev/(null|fuse|urandom) ' "
                                          "/proc/self/mountinfo"]
    cfg["linux"]["namespaces"].append({"type": "user"})
    cfg["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    cfg["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
    cfg["linux"]["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}]
    # The mapped root must be able to reach the rootfs: pytest's tmp dirs are private to root.
    work = tempfile.mkdtemp(prefix="hull-userns-dev-", dir="/tmp")
    try:
        os.chmod(work, 0o755)
        shutil.copytree(bundle.path, os.path.join(work, "b"), symlinks=True)
        moved = Bundle(os.path.join(work, "b"))
        moved.write(cfg)
        r = runtime("run", "-b", moved.path, "usernsdev")
        runtime("delete", "-f", "usernsdev")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert {l.split()[4] for l in lines} == {"/dev/null", "/dev/fuse", "/dev/urandom"}, r.stdout
    for line in lines:
        opts = line.split()[5].split(",")
        assert "nosuid" in opts and "noexec" in opts, line


def test_default_nodes_replace_what_the_image_put_in_its_own_dev(runtime, bundle):
    """Without a tmpfs on /dev the default nodes go into the image's /dev: a file the image put
    at /dev/null (or /dev/ptmx) is replaced by the runtime's node (the unlink runc makes too). A
    fresh tmpfs on /dev (the default config) holds nothing to replace: there the node is made at
    once; both give the same /dev."""
    dev = os.path.join(bundle.rootfs, "dev")
    os.makedirs(dev, exist_ok=True)
    for name in ("null", "ptmx"):
        p = os.path.join(dev, name)
        if os.path.lexists(p):
            os.unlink(p)
        with open(p, "w") as f:
            f.write("from the image\n")
    script = "stat -c '%F %t:%T' /dev/null /dev/zero; readlink /dev/ptmx; echo x > /dev/null"
    for own_dev in (False, True):
        cfg = default_config(["sh", "-c", script])
        if not own_dev:
            cfg["mounts"] = [m for m in cfg["mounts"] if m["destination"] != "/dev"]
        bundle.write(cfg)
        r = runtime("run", "-b", bundle.path, "imgdev")
        runtime("delete", "-f", "imgdev")
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines() == ["character special file 1:3",
                                         "character special file 1:5", "pts/ptmx"], r.stdout
