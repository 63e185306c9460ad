"""Helpers shared by the security e2e tests (test_security_*.py)."""
import json
import os
import shutil
import subprocess
import tempfile

from conftest import BUILD, RUNTIME

BATTERY = os.path.join(BUILD, "tests", "helpers", "escape-battery")

# A tmpfs at /tmp: the hardened spec mounts the rootfs read-only.
TMP_MOUNT = {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "nodev", "mode=1777", "size=16m"]}


def spec_config(tmp_path, *extra):
    """The config `hull-runtime spec` writes (the hardened default), as a dict."""
    d = tmp_path / ("spec-" + "-".join(a.strip("-") for a in extra) if extra else "spec")
    d.mkdir(exist_ok=True)
    if not (d / "config.json").exists():
        subprocess.run([RUNTIME, "spec", "-b", str(d)] + list(extra), check=True)
    with open(d / "config.json") as f:
        return json.load(f)


def hardened(bundle, tmp_path, args, *extra):
    """Configure `bundle` with the default spec running `args`, the battery installed."""
    cfg = spec_config(tmp_path, *extra)
    cfg["process"]["args"] = args
    cfg["mounts"].append(dict(TMP_MOUNT))
    shutil.copy(BATTERY, os.path.join(bundle.rootfs, "bin", "escape-battery"))
    bundle.write(cfg)
    return cfg


def run(runtime, bundle, cid, timeout=30):
    """`run` the bundle attached, delete it, return the CompletedProcess of run."""
    r = runtime("run", "-b", bundle.path, cid, timeout=timeout)
    runtime("delete", "-f", cid)
    return r


def results(stdout):
    """Parse the battery's "<name> <result>" lines."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = parts[1]
    return out


def status_fields(text):
    out = {}
    for line in text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def create(runtime, bundle, cid, *extra, pass_fds=()):
    """`create` with no pipe the created container could keep open (a captured stdout would
    block until the container exits). Returns (returncode, stderr text)."""
    with tempfile.TemporaryFile("w+") as log:
        r = subprocess.run(runtime.cmd(*extra, "create", "-b", bundle.path, cid),
                           stdin=subprocess.DEVNULL, stdout=log, stderr=log, timeout=60,
                           pass_fds=pass_fds)
        log.seek(0)
        return r.returncode, log.read()
