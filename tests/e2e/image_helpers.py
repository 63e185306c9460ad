"""Shared helpers for the image e2e tests: build OCI layouts with tarfile, run `hull` against a
private data root, start Debian's docker-registry (and an auth proxy in front of it)."""
import base64
import gzip
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse

from conftest import BUILD

HULL = os.path.join(BUILD, "hull")


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Hull:
    """`hull --data-root ROOT ...` with captured output."""

    def __init__(self, root):
        self.root = root

    def __call__(self, *args, check=False, timeout=120, input=None, env=None):
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run([HULL, "--data-root", self.root] + [str(a) for a in args],
                           capture_output=True, text=True, timeout=timeout, input=input, env=e)
        if check and r.returncode != 0:
            raise AssertionError(f"hull {' '.join(map(str, args))} failed ({r.returncode}): "
                                 f"{r.stderr}")
        return r

    def inspect(self, ref):
        r = self("image", "inspect", ref, check=True)
        return json.loads(r.stdout)[0]

    def names(self):
        r = self("images", "--format", "json", check=True)
        return sorted(n for img in json.loads(r.stdout) for n in img["RepoTags"])

    @property
    def store(self):
        return os.path.join(self.root, "images")

    def listdir(self, sub):
        p = os.path.join(self.store, sub)
        return sorted(os.listdir(p)) if os.path.isdir(p) else []


# ---- building layers ------------------------------------------------------------------------

def tar_bytes(add_entries):
    """A tar (pax) made by add_entries(tarfile) -> bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        add_entries(t)
    return buf.getvalue()


def add_file(t, name, data=b"", mode=0o644, xattrs=None, uid=0, gid=0):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.uid, info.gid = uid, gid
    info.mtime = 1700000000
    if xattrs:
        info.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in xattrs.items()}
    t.addfile(info, io.BytesIO(data))


def add_dir(t, name, mode=0o755):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = mode
    info.mtime = 1700000000
    t.addfile(info)


def add_link(t, name, target, hard=False):
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    info.mtime = 1700000000
    t.addfile(info)


def add_tree(t, root):
    """Add a directory tree (the busybox rootfs) with relative names."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            t.add(full, arcname=os.path.relpath(full, root), recursive=False)


def compress(data, kind):
    if kind == "gzip":
        return gzip.compress(data, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if kind == "zstd":
        z = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True)
        return z.stdout, "application/vnd.oci.image.layer.v1.tar+zstd"
    return data, "application/vnd.oci.image.layer.v1.tar"


def write_oci_layout(path, layers, tag="latest", config_extra=None, layout_extra=None):
    """An OCI image layout at `path` with `layers` = [(tar bytes, compression)]. Returns
    {"manifest": digest, "config": digest, "layers": [digests], "diff_ids": [...]}."""
    blobs = os.path.join(path, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data):
        d = sha256(data)
        with open(os.path.join(blobs, d[7:]), "wb") as f:
            f.write(data)
        return d

    descs, diff_ids = [], []
    for tar, kind in layers:
        diff_ids.append(sha256(tar))
        blob, mt = compress(tar, kind)
        descs.append({"mediaType": mt, "digest": put(blob), "size": len(blob)})
    config = {
        "architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"],
                   "WorkingDir": "/srv", "User": "0:0", "Labels": {"test": "yes"}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    config.update(config_extra or {})
    cbytes = json.dumps(config).encode()
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": put(cbytes), "size": len(cbytes)},
        "layers": descs,
    }
    mbytes = json.dumps(manifest).encode()
    mdigest = put(mbytes)
    index_path = os.path.join(path, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"].append({
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest,
        "size": len(mbytes), "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path, "w") as f:
        json.dump(index, f)
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return {"manifest": mdigest, "config": sha256(cbytes),
            "layers": [d["digest"] for d in descs], "diff_ids": diff_ids}


def feature_layers(busybox_rootfs):
    """Three layers exercising whiteouts, an opaque dir, a hardlink, a symlink and an xattr."""
    def base(t):
        add_tree(t, busybox_rootfs)
        add_dir(t, "srv")
        add_file(t, "etc/removed.txt", b"goes away\n")
        add_dir(t, "opq")
        add_file(t, "opq/a", b"a\n")
        add_file(t, "opq/b", b"b\n")
        add_dir(t, "data")
        add_file(t, "data/file1", b"hello hardlink\n", mode=0o640)
        add_link(t, "data/hard", "data/file1", hard=True)
        add_link(t, "data/link", "file1")
        add_link(t, "data/abs", "/etc/passwd")
        add_file(t, "data/xattr", b"x\n", xattrs={"user.hull": "value"})
        add_file(t, "data/setuid", b"#!/bin/sh\n", mode=0o4755, uid=12, gid=34)

    def upper(t):
        add_file(t, "etc/.wh.removed.txt")
        add_dir(t, "opq")
        add_file(t, "opq/.wh..wh..opq")
        add_file(t, "opq/c", b"c\n")
        add_file(t, "added.txt", b"layer two\n")

    def top(t):
        add_file(t, "srv/top.txt", b"layer three\n")

    return [(tar_bytes(base), "gzip"), (tar_bytes(upper), "zstd"), (tar_bytes(top), "none")]


# ---- registry -------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path="/v2/", timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers on 127.0.0.1:{port}")


class Registry:
    """docker-registry on 127.0.0.1 with a temporary config and storage."""

    def __init__(self, access_log=False):
        """access_log: the registry writes one line per request to self.log_path."""
        self.dir = tempfile.mkdtemp(prefix="hull-registry-")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.dir, "access.log")
        cfg = os.path.join(self.dir, "config.yml")
        with open(cfg, "w") as f:
            f.write(f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: {"false" if access_log else "true"}
storage:
  filesystem:
    rootdirectory: {self.dir}/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{self.port}
  secret: hull-test
""")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(["docker-registry", "serve", cfg],
                                         stdout=log if access_log else subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        try:
            wait_http(self.port)
        except Exception:
            self.stop()
            raise

    def push(self, layout, tag, repo, dest_tag=None):
        subprocess.run(["skopeo", "copy", "-q", "--dest-tls-verify=false",
                        f"oci:{layout}:{tag}", f"docker://{self.host}/{repo}:{dest_tag or tag}"],
                       check=True, capture_output=True, timeout=120)
        return f"{self.host}/{repo}:{dest_tag or tag}"

    def digest(self, ref):
        r = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
                           check=True, capture_output=True, text=True, timeout=60)
        return json.loads(r.stdout)["Digest"]

    def blob_path(self, digest):
        hexd = digest[7:]
        return os.path.join(self.dir, "data", "docker", "registry", "v2", "blobs", "sha256",
                            hexd[:2], hexd, "data")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class AuthProxy:
    """A tiny front for a registry: `bearer` mode issues tokens at /token (to user:password)
    and demands them on /v2/; `basic` mode demands basic credentials. Every method is relayed
    (pulls and pushes); in bearer mode writes (POST, PUT, PATCH, DELETE) need a token issued for
    a scope with `push`, which the challenge of a refused write asks for, as registries do.
    `self.scopes` records the scopes tokens were requested for."""

    TOKEN = "hull-test-token"

    def __init__(self, upstream_port, mode, user="alice", password="s3cret"):
        self.mode, self.user, self.password = mode, user, password
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.token_requests = 0
        self.scopes = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def deny(self, challenge):
                self.drain()
                body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
                self.send_response(401)
                self.send_header("WWW-Authenticate", challenge)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def drain(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def basic_ok(self):
                want = base64.b64encode(f"{proxy.user}:{proxy.password}".encode()).decode()
                return self.headers.get("Authorization", "") == f"Basic {want}"

            def token(self):
                proxy.token_requests += 1
                if not self.basic_ok():
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                scope = " ".join(query.get("scope", []))
                proxy.scopes.append(scope)
                token = proxy.TOKEN + ("-push" if ":push" in scope or ",push" in scope else "")
                body = json.dumps({"token": token}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def relay(self):
                write = self.command not in ("GET", "HEAD")
                if self.command == "GET" and self.path.startswith("/token"):
                    return self.token()
                if proxy.mode == "bearer":
                    auth = self.headers.get("Authorization")
                    ok = auth == f"Bearer {proxy.TOKEN}-push" or \
                        (not write and auth == f"Bearer {proxy.TOKEN}")
                    if not ok:
                        m = re.match(r"/v2/(.+?)/(blobs|manifests)/", self.path)
                        scope = (f',scope="repository:{m.group(1)}:'
                                 f'{"pull,push" if write else "pull"}"') if m else ""
                        return self.deny(f'Bearer realm="http://{proxy.host}/token",'
                                         f'service="hull-test"{scope}')
                elif not self.basic_ok():
                    return self.deny('Basic realm="hull-test"')
                body = self.drain()
                c = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                # the registry builds upload Locations from Host: they point back here
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() in ("accept", "range", "content-type", "content-range")}
                headers["Host"] = proxy.host
                c.request(self.command, self.path, body=body if write else None,
                          headers=headers)
                r = c.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() in ("content-type", "docker-content-digest", "location",
                                     "range", "docker-upload-uuid"):
                        self.send_header(k, v)
                self.send_header("Content-Length",
                                 r.getheader("Content-Length", "0") if self.command == "HEAD"
                                 else str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = relay

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
