"""The image store without a registry: the built-in busybox image, OCI layouts and archives,
layer contents on disk, images/inspect/rmi/prune, save, and hostile layers."""
import json
import os
import shutil
import stat
import subprocess
import tarfile

import pytest

from image_helpers import (Hull, add_file, add_link, add_dir, feature_layers, tar_bytes,
                           write_oci_layout)


@pytest.fixture
def hull(tmp_path):
    root = tmp_path / "data-root"
    yield Hull(str(root))
    # No mount or temporary work may outlive a test.
    with open("/proc/self/mountinfo") as f:
        assert str(root) not in f.read()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def feature_layout(busybox_rootfs, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("layout") / "featured")
    info = write_oci_layout(path, feature_layers(busybox_rootfs), tag="v1")
    return path, info


@pytest.fixture(scope="session")
def gzip_layout(busybox_rootfs, tmp_path_factory):
    """The same content without zstd (docker-archive can not carry zstd layers)."""
    path = str(tmp_path_factory.mktemp("layout") / "gz")
    layers = [(tar, "gzip" if kind == "zstd" else kind)
              for tar, kind in feature_layers(busybox_rootfs)]
    return path, write_oci_layout(path, layers, tag="v1")


def layer_dir(hull, digest):
    return os.path.join(hull.store, "layers", digest[7:], "diff")


def test_builtin_busybox_is_seeded_offline(hull):
    assert hull.names() == ["localhost/busybox:latest"]
    img = hull.inspect("busybox")
    assert img["RepoTags"] == ["localhost/busybox:latest"]
    assert img["Config"]["Cmd"] == ["sh"]
    (d,) = img["LayerDirs"]
    assert os.path.islink(os.path.join(d, "bin/sh"))
    assert os.readlink(os.path.join(d, "bin/sh")) == "/bin/busybox"
    assert os.stat(os.path.join(d, "tmp")).st_mode & 0o1777 == 0o1777
    # Same busybox, same digests: a second store seeds the identical image.
    other = Hull(hull.root + "-2")
    try:
        assert other.inspect("localhost/busybox")["Digest"] == img["Digest"]
    finally:
        shutil.rmtree(other.root)


def test_rmi_builtin_sticks_but_explicit_use_reseeds(hull):
    hull("rmi", "busybox", check=True)
    assert hull.names() == []
    assert hull.inspect("busybox")["RepoTags"] == ["localhost/busybox:latest"]


def test_pull_oci_layout_unpacks_every_feature(hull, feature_layout):
    path, info = feature_layout
    r = hull("pull", f"oci:{path}:v1", check=True)
    assert r.stdout.strip() == info["config"][7:]
    img = hull.inspect("localhost/featured:v1")
    assert img["Digest"] == info["manifest"]
    assert img["Layers"] == info["layers"]
    assert img["RootFS"]["Layers"] == info["diff_ids"]
    assert img["Config"]["WorkingDir"] == "/srv"
    base, upper, top = (layer_dir(hull, d) for d in info["layers"])
    assert img["LayerDirs"] == [base, upper, top]
    # Hardlink, symlinks, xattr, ownership and set-id bits in the base layer.
    a, b = os.stat(f"{base}/data/file1"), os.stat(f"{base}/data/hard")
    assert a.st_ino == b.st_ino and a.st_nlink == 2
    assert stat.S_IMODE(a.st_mode) == 0o640
    assert os.readlink(f"{base}/data/link") == "file1"
    assert os.readlink(f"{base}/data/abs") == "/etc/passwd"
    assert os.getxattr(f"{base}/data/xattr", "user.hull") == b"value"
    s = os.stat(f"{base}/data/setuid")
    assert (s.st_uid, s.st_gid, stat.S_IMODE(s.st_mode)) == (12, 34, 0o4755)
    # Whiteout and opaque directory in overlayfs form.
    w = os.lstat(f"{upper}/etc/removed.txt")
    assert stat.S_ISCHR(w.st_mode) and w.st_rdev == 0
    assert os.getxattr(f"{upper}/opq", "trusted.overlay.opaque") == b"y"
    assert not os.path.exists(f"{upper}/etc/.wh.removed.txt")
    assert not os.path.exists(f"{upper}/opq/.wh..wh..opq")
    assert open(f"{top}/srv/top.txt").read() == "layer three\n"


def test_overlay_of_layers_shows_the_image(hull, feature_layout, tmp_path):
    path, _ = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    dirs = hull.inspect("localhost/featured:v1")["LayerDirs"]
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=" + ":".join(reversed(dirs)), str(mnt)], check=True)
    try:
        assert not os.path.exists(mnt / "etc/removed.txt")
        assert sorted(os.listdir(mnt / "opq")) == ["c"]
        assert (mnt / "added.txt").read_text() == "layer two\n"
        assert (mnt / "srv/top.txt").read_text() == "layer three\n"
        assert os.path.exists(mnt / "bin/busybox")
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_layers_are_shared_and_second_pull_skips(hull, feature_layout):
    path, info = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    before = hull.listdir("layers")
    r = hull("pull", "--name", "localhost/again:1", f"oci:{path}:v1", check=True)
    assert "already present" in r.stderr
    assert hull.listdir("layers") == before
    assert hull.inspect("localhost/again:1")["Digest"] == info["manifest"]
    assert hull.listdir("tmp") == []


def test_load_docker_and_oci_archives_from_skopeo(hull, gzip_layout, tmp_path):
    path, info = gzip_layout
    darchive, oarchive = tmp_path / "d.tar", tmp_path / "o.tar"
    subprocess.run(["skopeo", "copy", "-q", f"oci:{path}:v1",
                    f"docker-archive:{darchive}:example.com/team/app:2"], check=True)
    subprocess.run(["skopeo", "copy", "-q", f"oci:{path}:v1", f"oci-archive:{oarchive}:v7"],
                   check=True)
    r = hull("load", "-i", darchive, check=True)
    assert r.stdout.strip() == "Loaded image: example.com/team/app:2"
    img = hull.inspect("example.com/team/app:2")
    assert img["Id"] == info["config"]
    assert img["RootFS"]["Layers"] == info["diff_ids"]
    upper = img["LayerDirs"][1]
    assert stat.S_ISCHR(os.lstat(f"{upper}/etc/removed.txt").st_mode)
    r = hull("load", "-i", oarchive, check=True)
    assert r.stdout.strip() == "Loaded image: localhost/o:v7"
    assert hull.inspect("localhost/o:v7")["Id"] == info["config"]
    # docker-archive: transport of pull works too.
    r = hull("pull", f"docker-archive:{darchive}", check=True)
    assert hull.listdir("tmp") == []


def test_save_round_trips_through_skopeo_and_load(hull, feature_layout, tmp_path):
    path, info = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    out = tmp_path / "saved.tar"
    hull("save", "-o", out, "localhost/featured:v1", check=True)
    r = subprocess.run(["skopeo", "inspect", "--raw", f"oci-archive:{out}"], capture_output=True,
                       text=True, check=True)
    manifest = json.loads(r.stdout)
    assert [l["digest"] for l in manifest["layers"]] == info["layers"]
    r = subprocess.run(["skopeo", "inspect", f"oci-archive:{out}"], capture_output=True,
                       text=True, check=True)
    assert json.loads(r.stdout)["Labels"] == {"test": "yes"}
    other = Hull(hull.root + "-load")
    try:
        r = other("load", "-i", out, check=True)
        assert "localhost/featured:v1" in r.stdout
        assert other.inspect("localhost/featured:v1")["Id"] == info["config"]
    finally:
        shutil.rmtree(other.root)
    # The docker-typed manifest of a docker-archive image is saved with OCI types.
    busy = tmp_path / "busy.tar"
    hull("save", "-o", busy, "busybox", check=True)
    subprocess.run(["skopeo", "inspect", f"oci-archive:{busy}"], check=True, capture_output=True)


def test_images_json_and_inspect_fields(hull, feature_layout):
    path, info = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    images = json.loads(hull("images", "--format", "json", check=True).stdout)
    featured = [i for i in images if "localhost/featured:v1" in i["RepoTags"]][0]
    assert featured["Id"] == info["config"]
    assert featured["RepoDigests"] == [f"localhost/featured@{info['manifest']}"]
    assert featured["Size"] > 0
    table = hull("images", check=True).stdout
    assert "localhost/featured" in table and info["config"][7:19] in table
    # Lookup by ID prefix and by digest.
    assert hull.inspect(info["config"][7:19])["Digest"] == info["manifest"]
    assert hull.inspect(f"localhost/featured@{info['manifest']}")["Id"] == info["config"]


def test_rmi_untags_then_deletes_and_frees_layers(hull, feature_layout):
    path, info = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    hull("pull", "--name", "localhost/second:1", f"oci:{path}:v1", check=True)
    r = hull("rmi", "localhost/second:1", check=True)
    assert r.stdout.strip() == "Untagged: localhost/second:1"
    assert info["layers"][0][7:] in hull.listdir("layers")
    r = hull("rmi", "localhost/featured:v1", check=True)
    assert f"Deleted: {info['config']}" in r.stdout
    for d in info["layers"]:
        assert d[7:] not in hull.listdir("layers")
        assert d[7:] not in hull.listdir("blobs/sha256")
    r = hull("rmi", "localhost/featured:v1")
    assert r.returncode == 1 and "image `localhost/featured:v1` not known" in r.stderr


def test_rmi_refuses_image_in_use_unless_forced(hull, feature_layout):
    path, info = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    # What the container layer does (image_store_add_user): a user record.
    users = os.path.join(hull.store, "users", info["manifest"][7:])
    os.makedirs(users)
    open(os.path.join(users, "c1"), "w").close()
    r = hull("rmi", "localhost/featured:v1")
    assert r.returncode == 1 and "in use by 1 container" in r.stderr
    r = hull("rmi", "-f", "localhost/featured:v1", check=True)
    assert "Untagged" in r.stdout and "Deleted" not in r.stdout
    hull("image", "prune", check=True)
    assert info["layers"][0][7:] in hull.listdir("layers")  # still used
    os.unlink(os.path.join(users, "c1"))
    r = hull("image", "prune", check=True)
    # docker's list of the images removed, then hull's summary; each removal is an event.
    assert r.stdout.startswith("Deleted Images:\ndeleted: " + info["config"] + "\n"), r.stdout
    assert "Removed 1 images" in r.stdout
    assert not os.path.exists(users)  # the empty users directory leaves with the image
    ev = hull("events", "--since", "0", "--until", "0s", "--filter", "type=image",
              "--format", "{{.Action}} {{.Actor.ID}}", check=True)
    assert "delete " + info["config"] in ev.stdout.splitlines(), ev.stdout
    assert info["layers"][0][7:] not in hull.listdir("layers")


def test_prune_removes_only_unreferenced(hull, feature_layout):
    path, info = feature_layout
    hull("pull", f"oci:{path}:v1", check=True)
    # Leftovers: a stray blob, a stray layer and crashed work in tmp/.
    stray = "0" * 64
    open(os.path.join(hull.store, "blobs", "sha256", stray), "w").close()
    os.makedirs(os.path.join(hull.store, "layers", stray, "diff"))
    os.makedirs(os.path.join(hull.store, "tmp", "layer-1-dead"))
    r = hull("image", "prune", check=True)
    assert "1 blobs, 1 layers" in r.stdout
    assert stray not in hull.listdir("blobs/sha256") and stray not in hull.listdir("layers")
    assert hull.listdir("tmp") == []
    for d in info["layers"]:
        assert d[7:] in hull.listdir("layers")
    assert sorted(hull.names()) == ["localhost/busybox:latest", "localhost/featured:v1"]


def error_lines(r):
    """Lines of an error report (progress lines do not count)."""
    return sum(1 for l in r.stderr.splitlines() if l.startswith("hull:"))


def hostile_layout(tmp_path, name, entries):
    path = str(tmp_path / name)
    write_oci_layout(path, [(tar_bytes(entries), "gzip")], tag="bad")
    return path


@pytest.mark.parametrize("case", ["dotdot", "symlink-dir", "hardlink-out", "abs-dotdot"])
def test_hostile_layers_are_rejected_and_leave_nothing(hull, tmp_path, case):
    victim = tmp_path / "victim"
    victim.mkdir()

    def entries(t):
        add_file(t, "ok.txt", b"fine\n")
        if case == "dotdot":
            add_file(t, f"../../../../../../..{victim}/pwned", b"x")
        elif case == "abs-dotdot":
            add_file(t, f"/a/../../../../../../../..{victim}/pwned", b"x")
        elif case == "symlink-dir":
            add_link(t, "escape", str(victim))
            add_file(t, "escape/pwned", b"x")
        else:
            add_link(t, "hard", f"../../../../../../..{victim}/../victim/x", hard=True)

    path = hostile_layout(tmp_path, "hostile", entries)
    hull("images", check=True)
    blobs_before = hull.listdir("blobs/sha256")
    layers_before = hull.listdir("layers")
    r = hull("pull", f"oci:{path}:bad")
    assert r.returncode == 1
    assert "escapes the layer root" in r.stderr or "goes through symlink" in r.stderr
    assert error_lines(r) == 1 and "oci:" in r.stderr
    assert os.listdir(victim) == []
    assert hull.listdir("blobs/sha256") == blobs_before
    assert hull.listdir("layers") == layers_before
    assert hull.listdir("tmp") == []
    assert hull.names() == ["localhost/busybox:latest"]


def test_corrupt_layout_blob_fails_with_digest_error(hull, tmp_path, busybox_rootfs):
    path = str(tmp_path / "corrupt")
    info = write_oci_layout(path, [(tar_bytes(lambda t: add_file(t, "a", b"1" * 1000)), "none")])
    blob = os.path.join(path, "blobs", "sha256", info["layers"][0][7:])
    data = bytearray(open(blob, "rb").read())
    data[600] ^= 0xFF
    open(blob, "wb").write(bytes(data))
    hull("images", check=True)
    before = hull.listdir("blobs/sha256")
    r = hull("pull", f"oci:{path}:latest")
    assert r.returncode == 1 and "digest mismatch" in r.stderr
    assert hull.listdir("blobs/sha256") == before and hull.listdir("tmp") == []


def test_errors_are_one_line_and_name_the_cause(hull, tmp_path):
    cases = [
        (["pull", "Bad/UPPER"], "invalid image reference `Bad/UPPER`"),
        (["image", "inspect", "nosuch"], "image `nosuch` not known"),
        (["rmi", "nosuch:1"], "image `nosuch:1` not known"),
        (["pull", f"oci:{tmp_path}/missing"], "missing`: No such file or directory"),
        (["load", "-i", f"{tmp_path}/missing.tar"], "missing.tar"),
    ]
    for args, text in cases:
        r = hull(*args)
        assert r.returncode == 1, args
        assert text in r.stderr, (args, r.stderr)
        assert error_lines(r) == 1, r.stderr
    r = hull("pull")
    assert r.returncode == 125


def test_unsupported_media_type_is_refused(hull, tmp_path):
    path = str(tmp_path / "weird")
    info = write_oci_layout(path, [(tar_bytes(lambda t: add_file(t, "a", b"1")), "none")])
    mpath = os.path.join(path, "blobs", "sha256", info["manifest"][7:])
    m = json.load(open(mpath))
    m["layers"][0]["mediaType"] = "application/vnd.example.weird"
    data = json.dumps(m).encode()
    import hashlib
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(path, "blobs", "sha256", d), "wb").write(data)
    idx = json.load(open(os.path.join(path, "index.json")))
    idx["manifests"][0].update(digest="sha256:" + d, size=len(data))
    json.dump(idx, open(os.path.join(path, "index.json"), "w"))
    r = hull("pull", f"oci:{path}:latest")
    assert r.returncode == 1 and "unsupported layer media type" in r.stderr


def test_every_command_has_help():
    for cmd in (["pull"], ["load"], ["save"], ["images"], ["rmi"], ["image", "inspect"],
                ["image", "prune"], ["login"], ["logout"], ["image"]):
        r = Hull("/nonexistent")(*cmd, "--help")
        assert r.returncode == 0 and "Usage: hull" in r.stdout, cmd
