"""Pulling from Debian's docker-registry on 127.0.0.1: by tag and digest, multi-platform
indexes, skipping present layers, concurrent pulls, corrupt blobs, token and basic auth."""
import hashlib
import json
import os
import shutil
import stat
import subprocess

import pytest

from image_helpers import (AuthProxy, Hull, Registry, add_file, feature_layers, free_port,
                           tar_bytes, write_oci_layout)

pytestmark = pytest.mark.skipif(shutil.which("docker-registry") is None or
                                shutil.which("skopeo") is None,
                                reason="needs docker-registry and skopeo")


@pytest.fixture(scope="module")
def registry():
    reg = Registry()
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def pushed(registry, busybox_rootfs, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("reg-layout") / "layout")
    info = write_oci_layout(path, feature_layers(busybox_rootfs), tag="v1")
    info["ref"] = registry.push(path, "v1", "test/featured")
    info["manifest"] = registry.digest(info["ref"])  # skopeo re-serialises the manifest
    return info


@pytest.fixture
def hull(tmp_path):
    h = Hull(str(tmp_path / "root"))
    yield h
    ids = h("ps", "-aq").stdout.split()
    if ids:
        h("rm", "-f", *ids)
    if os.path.isdir(os.path.join(h.root, "networks")):  # the default network's bridge
        h("network", "rm", "-f", "bridge")
    shutil.rmtree(h.root, ignore_errors=True)


def test_pull_by_tag_unpacks_the_image(hull, pushed):
    r = hull("pull", pushed["ref"], check=True)
    assert r.stdout.strip() == pushed["config"][7:]
    img = hull.inspect(pushed["ref"])
    assert img["Digest"] == pushed["manifest"]
    assert img["RepoDigests"] == [f"{pushed['ref'].rsplit(':', 1)[0]}@{pushed['manifest']}"]
    base, upper, top = img["LayerDirs"]
    assert stat.S_ISCHR(os.lstat(f"{upper}/etc/removed.txt").st_mode)
    assert os.getxattr(f"{upper}/opq", "trusted.overlay.opaque") == b"y"
    assert os.path.exists(f"{base}/etc/removed.txt")
    assert os.stat(f"{base}/data/file1").st_ino == os.stat(f"{base}/data/hard").st_ino
    assert os.getxattr(f"{base}/data/xattr", "user.hull") == b"value"
    assert open(f"{top}/srv/top.txt").read() == "layer three\n"


def test_pull_by_digest_and_second_pull_skips_layers(hull, pushed):
    repo = pushed["ref"].rsplit(":", 1)[0]
    r = hull("pull", f"{repo}@{pushed['manifest']}", check=True)
    assert "Copied blob" in r.stderr
    assert hull.inspect(pushed["manifest"])["Id"] == pushed["config"]
    r = hull("pull", pushed["ref"], check=True)
    assert "Copied blob" not in r.stderr and r.stderr.count("already present") == 3


def test_index_resolves_platform(hull, registry, tmp_path):
    path = str(tmp_path / "multi")
    amd = write_oci_layout(path, [(tar_bytes(lambda t: add_file(t, "arch", b"amd64")), "gzip")],
                           tag="amd")
    arm = write_oci_layout(path, [(tar_bytes(lambda t: add_file(t, "arch", b"arm64")), "gzip")],
                           tag="arm", config_extra={"architecture": "arm64"})
    blobs = os.path.join(path, "blobs", "sha256")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": []}
    for info, arch in ((arm, "arm64"), (amd, "amd64")):
        size = os.path.getsize(os.path.join(blobs, info["manifest"][7:]))
        index["manifests"].append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": info["manifest"], "size": size,
            "platform": {"os": "linux", "architecture": arch}})
    data = json.dumps(index).encode()
    digest = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, digest), "wb").write(data)
    top = json.load(open(os.path.join(path, "index.json")))
    top["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                             "digest": "sha256:" + digest, "size": len(data),
                             "annotations": {"org.opencontainers.image.ref.name": "multi"}})
    json.dump(top, open(os.path.join(path, "index.json"), "w"))
    subprocess.run(["skopeo", "copy", "-q", "--all", "--dest-tls-verify=false",
                    f"oci:{path}:multi", f"docker://{registry.host}/test/multi:1"], check=True)
    ref = f"{registry.host}/test/multi:1"
    hull("pull", ref, check=True)
    (d,) = hull.inspect(ref)["LayerDirs"]
    assert open(os.path.join(d, "arch")).read() == "amd64"
    hull("pull", "--platform", "linux/arm64", "--name", "localhost/arm:1", ref, check=True)
    assert hull.inspect("localhost/arm:1")["Architecture"] == "arm64"
    r = hull("pull", "--platform", "linux/s390x", ref)
    assert r.returncode == 1 and "no image for platform linux/s390x" in r.stderr


def test_concurrent_pulls_do_the_work_once(hull, pushed):
    procs = [subprocess.Popen(["build/hull" if False else os.path.join(
        os.environ.get("HULL_BUILD", "build"), "hull"), "--data-root", hull.root, "pull",
        pushed["ref"]], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    copied = sum(err.count("Copied blob") for _, err in outs)
    assert copied == 3, outs  # each layer transferred by exactly one of the two
    assert len([d for d in hull.listdir("layers")]) == 4  # 3 + built-in busybox
    assert hull.listdir("tmp") == []
    assert hull.inspect(pushed["ref"])["Digest"] == pushed["manifest"]


def test_corrupt_registry_blob_fails_and_leaves_no_trace(hull, registry, tmp_path):
    path = str(tmp_path / "corrupt")
    payload = os.urandom(4096).hex().encode()
    info = write_oci_layout(path, [(tar_bytes(lambda t: add_file(t, "f", payload)), "gzip")])
    ref = registry.push(path, "latest", "test/corrupt")
    blob = registry.blob_path(info["layers"][0])
    data = bytearray(open(blob, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(blob, "wb").write(bytes(data))
    hull("images", check=True)
    blobs, layers = hull.listdir("blobs/sha256"), hull.listdir("layers")
    r = hull("pull", ref)
    assert r.returncode == 1
    assert "digest mismatch" in r.stderr and ref in r.stderr
    assert hull.listdir("blobs/sha256") == blobs and hull.listdir("layers") == layers
    assert hull.listdir("tmp") == [] and hull.names() == ["localhost/busybox:latest"]


def test_registry_errors(hull, registry, pushed):
    port = free_port()
    r = hull("pull", f"127.0.0.1:{port}/nothing:1")
    assert r.returncode == 1 and f"registry `127.0.0.1:{port}` unreachable" in r.stderr
    r = hull("pull", f"{registry.host}/test/featured:nosuchtag")
    assert r.returncode == 1 and "not found" in r.stderr and "nosuchtag" in r.stderr
    r = hull("pull", f"{registry.host}/test/nosuchrepo:1")
    assert r.returncode == 1 and "not found" in r.stderr
    # A non-local host is never tried over plain HTTP without --insecure.
    r = hull("pull", "--jobs", "2", "hull-test.invalid:5000/x:1")
    assert r.returncode == 1 and "unreachable" in r.stderr


def test_bearer_token_auth_with_login(hull, registry, pushed, tmp_path):
    proxy = AuthProxy(registry.port, "bearer")
    try:
        ref = pushed["ref"].replace(registry.host, proxy.host)
        authfile = str(tmp_path / "auth.json")
        r = hull("pull", "--authfile", authfile, ref)
        assert r.returncode == 1 and "token server refused" in r.stderr
        r = hull("login", "--authfile", authfile, "-u", "alice", "--password-stdin", proxy.host,
                 input="wrong\n")
        assert r.returncode == 1
        r = hull("login", "--authfile", authfile, "-u", "alice", "--password-stdin", proxy.host,
                 input="s3cret\n", check=True)
        assert stat.S_IMODE(os.stat(authfile).st_mode) == 0o600
        assert proxy.host in json.load(open(authfile))["auths"]
        hull("pull", "--authfile", authfile, ref, check=True)
        assert hull.inspect(ref)["Digest"] == pushed["manifest"]
        hull("logout", "--authfile", authfile, proxy.host, check=True)
        assert json.load(open(authfile))["auths"] == {}
    finally:
        proxy.stop()


def test_basic_auth_from_docker_config(hull, registry, pushed, tmp_path):
    proxy = AuthProxy(registry.port, "basic")
    try:
        ref = pushed["ref"].replace(registry.host, proxy.host)
        r = hull("pull", ref, env={"HOME": str(tmp_path), "HULL_AUTH_FILE": ""})
        assert r.returncode == 1 and "unauthorized" in r.stderr or "authentication" in r.stderr
        os.makedirs(tmp_path / ".docker")
        import base64
        cred = base64.b64encode(b"alice:s3cret").decode()
        json.dump({"auths": {proxy.host: {"auth": cred}}},
                  open(tmp_path / ".docker" / "config.json", "w"))
        hull("pull", ref, env={"HOME": str(tmp_path)}, check=True)
    finally:
        proxy.stop()


def test_run_pulls_a_missing_image_like_docker(hull, pushed, registry):
    # --pull never: a clear one-line error, exit 125, nothing fetched.
    r = hull("run", "--rm", "--pull", "never", pushed["ref"], "true")
    assert r.returncode == 125 and r.stderr.strip().endswith("not known")
    assert len(r.stderr.strip().splitlines()) == 1
    # missing (the default): pulled first, progress on stderr, stdout is the container's.
    r = hull("run", "--rm", pushed["ref"], "cat", "/srv/top.txt")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "layer three\n"
    assert f"Unable to find image '{pushed['ref']}' locally" in r.stderr
    # Present now: no pull at all.
    r = hull("run", "--rm", pushed["ref"], "true")
    assert r.returncode == 0 and r.stderr == ""
    # always: pulls again (every layer already there), then runs.
    r = hull("run", "--rm", "--pull", "always", pushed["ref"], "true")
    assert r.returncode == 0 and "already present" in r.stderr
    # -d prints only the ID on stdout even when it pulled.
    hull("rmi", pushed["ref"], check=True)
    r = hull("run", "-d", pushed["ref"], "sleep", "30")
    assert r.returncode == 0, r.stderr
    cid = r.stdout.strip()
    assert len(cid) == 64 and "\n" not in cid
    hull("rm", "-f", cid, check=True)
    # A reference no registry has: the pull's error, exit 125.
    r = hull("run", "--rm", f"{registry.host}/no/such:tag", "true")
    assert r.returncode == 125 and "no/such" in r.stderr
    assert hull("run", "--rm", "--pull", "sometimes", pushed["ref"]).returncode == 125


def test_second_pull_asks_once_and_remembers_plain_http(hull, tmp_path):
    """A re-pull with every layer present makes one request (the tag's manifest): the scheme
    of the host is remembered (no HTTPS attempt, no GET /v2/), a digest the store has is not
    asked for, and a remembered scheme that stopped working is chosen afresh."""
    reg = Registry(access_log=True)
    try:
        path = str(tmp_path / "small")
        write_oci_layout(path, [(tar_bytes(lambda t: add_file(t, "f", b"one")), "gzip")],
                         tag="v1")
        ref = reg.push(path, "v1", "test/once")
        digest = reg.digest(ref)
        hull("pull", ref, check=True)
        assert open(os.path.join(hull.root, "images", "registries", reg.host)).read() == "http\n"

        def requests():
            with open(reg.log_path) as f:
                return [line.split('"')[1] for line in f if '"GET ' in line or '"HEAD ' in line]

        before = len(requests())
        r = hull("pull", ref, check=True)
        assert "already present" in r.stderr
        assert requests()[before:] == ["GET /v2/test/once/manifests/v1 HTTP/1.1"]
        # By a digest the store has: nothing to ask.
        before = len(requests())
        hull("pull", f"{ref.rsplit(':', 1)[0]}@{digest}", check=True)
        assert requests()[before:] == []
        # A wrong memory (this registry speaks no TLS): a fresh choice, then the pull.
        with open(os.path.join(hull.root, "images", "registries", reg.host), "w") as f:
            f.write("https\n")
        before = len(requests())
        hull("pull", ref, check=True)
        assert requests()[before:] == ["GET /v2/ HTTP/1.1", "GET /v2/test/once/manifests/v1 HTTP/1.1"]
        assert open(os.path.join(hull.root, "images", "registries", reg.host)).read() == "http\n"
    finally:
        reg.stop()
