"""`hull tag` + `hull push` to Debian's docker-registry on 127.0.0.1: what hull pushed is what
skopeo and podman read, `hull pull` of it into an empty store runs; blobs the repository has
are skipped, blobs of the image's other repositories are mounted, --chunk-size uploads in PATCH
chunks; failures are one line and a non-zero exit."""
import json
import math
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from hull_helpers import hull  # noqa: F401  (fixture: a private data root, cleaned up)
from image_helpers import AuthProxy, Hull, Registry, free_port

pytestmark = pytest.mark.skipif(shutil.which("docker-registry") is None or
                                shutil.which("skopeo") is None or shutil.which("podman") is None,
                                reason="needs docker-registry, skopeo and podman")


@pytest.fixture
def registry():
    reg = Registry(access_log=True)
    yield reg
    reg.stop()


@pytest.fixture
def store(tmp_path):
    h = Hull(str(tmp_path / "pusher"))
    yield h
    shutil.rmtree(h.root, ignore_errors=True)


def requests(registry, method, path_part):
    with open(registry.log_path) as f:
        return [line for line in f if f'"{method} ' in line and path_part in line]


def push(store, *args):
    r = store("push", *args, check=True)
    m = re.fullmatch(r"(\S+): digest: (sha256:[0-9a-f]{64}) size: (\d+)\n", r.stdout)
    assert m, r.stdout
    return m, r.stderr


def test_push_round_trip(store, registry, hull, tmp_path):
    ref = f"{registry.host}/hull/bb:1"
    store("tag", "busybox", ref, check=True)
    local = store.inspect(ref)
    m, err = push(store, ref)
    assert m.group(1) == "1" and m.group(2) == local["Digest"]
    assert f"The push refers to repository [{registry.host}/hull/bb]" in err
    assert err.count("Copied blob") == 2  # config and the one layer
    # skopeo reads the manifest hull put, byte for byte (same digest).
    info = json.loads(subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"], check=True,
        capture_output=True, text=True, timeout=60).stdout)
    assert info["Digest"] == local["Digest"] and info["RepoTags"] == ["1"]
    assert info["Layers"] == [layer["digest"] for layer in
                              json.loads(subprocess.run(
                                  ["skopeo", "inspect", "--raw", "--tls-verify=false",
                                   f"docker://{ref}"], check=True, capture_output=True,
                                  text=True, timeout=60).stdout)["layers"]]
    # podman, with its own storage (and a short runroot: podman wants < 50 characters), pulls
    # it and sees hull's image ID.
    runroot = tempfile.mkdtemp(prefix="hull-pod-", dir="/tmp")
    pod = ["podman", "--root", str(tmp_path / "podman-root"), "--runroot", runroot,
           "--storage-driver", "vfs"]
    try:
        r = subprocess.run(pod + ["pull", "-q", "--tls-verify=false", ref],
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == local["Id"][7:]
        r = subprocess.run(pod + ["image", "inspect", "--format", "{{.Digest}}", ref],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and r.stdout.strip() == local["Digest"], r.stderr
    finally:
        subprocess.run(pod + ["rmi", "-af"], capture_output=True, timeout=120)
        shutil.rmtree(runroot, ignore_errors=True)
    # An empty store pulls what hull pushed and runs it.
    assert hull.container_ids() == []
    r = hull("pull", ref, check=True)
    assert r.stdout.strip() == local["Id"][7:]
    r = hull("run", "--rm", ref, "echo", "pushed and pulled", check=True)
    assert r.stdout == "pushed and pulled\n"


def test_push_skips_mounts_and_chunks(store, registry):
    first = f"{registry.host}/one/app:1"
    store("tag", "busybox", first, check=True)
    push(store, first)
    # Pushing again: the repository has every blob (HEAD), nothing is uploaded.
    before = len(requests(registry, "PUT", "/blobs/uploads/"))
    _, err = push(store, first)
    assert err.count("already present") == 2 and "Copied blob" not in err
    assert len(requests(registry, "PUT", "/blobs/uploads/")) == before
    # Another repository of the same registry: the blobs are mounted from the first one.
    second = f"{registry.host}/two/app:2"
    store("tag", "busybox", second, check=True)
    _, err = push(store, second)
    assert err.count("Mounted blob") == 2 and "Copied blob" not in err
    assert len(requests(registry, "POST", "/v2/two/app/blobs/uploads/?mount=")) == 2
    assert registry.digest(second) == registry.digest(first)


def test_push_chunked_upload(registry, tmp_path):
    store = Hull(str(tmp_path / "chunks"))
    ref = f"{registry.host}/chunked/app:c"
    store("tag", "busybox", ref, check=True)
    m, err = push(store, "--chunk-size", "262144", ref)
    patches = requests(registry, "PATCH", "/v2/chunked/app/blobs/uploads/")
    manifest = json.loads(subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{ref}"], check=True,
        capture_output=True, text=True, timeout=60).stdout)
    size = manifest["layers"][0]["size"]
    # the config (a few hundred bytes) goes in one PUT; the layer in ceil(size / chunk) PATCHes
    assert len(patches) == math.ceil(size / 262144) > 1
    assert m.group(2) == registry.digest(ref)
    shutil.rmtree(store.root, ignore_errors=True)


def test_push_failures(store, registry):
    r = store("push", f"{registry.host}/no/such:1")
    assert r.returncode == 1 and "not known" in r.stderr and r.stdout == ""
    ref = f"127.0.0.1:{free_port()}/nobody/home:1"
    store("tag", "busybox", ref, check=True)
    r = store("push", ref)
    assert r.returncode == 1 and "unreachable" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 2  # "The push refers to..." and the error
    r = store("push", "--tls-verify=maybe", ref)
    assert r.returncode == 125 and "--tls-verify" in r.stderr
    r = store("push")
    assert r.returncode == 125
    r = store("tag", "busybox", f"{registry.host}/x@sha256:" + "0" * 64)
    assert r.returncode == 1 and "digest" in r.stderr


def test_push_with_bearer_token_auth(store, registry, tmp_path):
    """The same auth as pulls: a refused write's challenge asks for pull,push, the token server
    is asked for that scope with the `hull login` credentials."""
    proxy = AuthProxy(registry.port, "bearer")
    try:
        authfile = str(tmp_path / "auth.json")
        ref = f"{proxy.host}/auth/app:1"
        store("tag", "busybox", ref, check=True)
        r = store("push", "--authfile", authfile, ref)
        assert r.returncode == 1 and "token server refused" in r.stderr
        store("login", "--authfile", authfile, "-u", "alice", "--password-stdin", proxy.host,
              input="s3cret\n", check=True)
        m, err = push(store, "--authfile", authfile, ref)
        assert "repository:auth/app:pull,push" in proxy.scopes
        assert registry.digest(f"{registry.host}/auth/app:1") == m.group(2)
        # and a pull through the proxy with the same credentials reads it back
        fresh = Hull(str(tmp_path / "fresh"))
        fresh("pull", "--authfile", authfile, ref, check=True)
        assert fresh.inspect(ref)["Digest"] == m.group(2)
        shutil.rmtree(fresh.root, ignore_errors=True)
    finally:
        proxy.stop()
