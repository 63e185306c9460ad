"""hull sandbox run --isolation vm: the command runs in hull's microVM (docs/vm.md) with the
context passed in and the workspace's changes out, and the result has the same fields as a
container sandbox's. TCG boots are slow on a loaded host: no test assumes how long one takes."""
import json
import os
import shutil

import pytest

from hull_helpers import hull, mounts_under, processes_mentioning  # noqa: F401

RUN_DIR = "/run/hull-sandbox"

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                                reason="qemu not installed")


def run(h, *args):
    r = h("sandbox", "run", "--json", *args, timeout=900)
    assert r.stdout, f"rc={r.returncode} stderr={r.stderr}"
    res = json.loads(r.stdout)
    assert r.returncode == res["exit_code"]
    sid = res["id"]
    # Nothing left: no qemu or launcher, no mount, no bundle.
    h.wait_for(lambda: not processes_mentioning(sid), timeout=120, what="qemu and launcher gone")
    assert not mounts_under(os.path.join(RUN_DIR, sid))
    assert not os.path.exists(os.path.join(RUN_DIR, sid))
    return res


@pytest.fixture
def context(tmp_path):
    d = tmp_path / "ctx"
    d.mkdir()
    (d / "a.txt").write_text("from the host\n")
    return d


def test_vm_run_context_in_changes_out(hull, context, tmp_path):
    out = tmp_path / "out"
    res = run(hull, "--isolation", "vm", "--context", context, "--output", out, "--timeout",
              "10m", "--", "sh", "-c",
              "cat a.txt; pwd; uname -r; echo new > b.txt; echo more >> a.txt; exit 4")
    lines = res["stdout"]["data"].splitlines()
    assert lines[0] == "from the host" and lines[1] == "/workspace"
    assert res["exit_code"] == 4 and not res["timed_out"]
    assert res["changes"] == {"created": ["b.txt"], "changed": ["a.txt"], "deleted": []}
    assert (out / "changes" / "b.txt").read_text() == "new\n"
    assert (out / "changes" / "a.txt").read_text() == "from the host\nmore\n"
    assert json.loads((out / "result.json").read_text())["id"] == res["id"]
    # The host's context is untouched.
    assert (context / "a.txt").read_text() == "from the host\n"
    # Same result fields as a container sandbox; the attestation tells the two apart.
    ctr = run(hull, "--context", context, "--", "sh", "-c", "exit 4")
    assert set(res) == set(ctr)
    assert set(res["attestation"]) == set(ctr["attestation"])
    assert res["attestation"]["context_tree_sha256"] == ctr["attestation"]["context_tree_sha256"]
    assert res["attestation"]["config_sha256"] != ctr["attestation"]["config_sha256"]


def test_vm_timeout_kills_the_vm(hull):
    # However fast the guest boots, `sleep 100000` outlives the timeout.
    res = run(hull, "--isolation", "vm", "--timeout", "3s", "--", "sleep", "100000")
    assert res["timed_out"] and res["signal"] == "Killed"


def test_vm_refuses_what_it_cannot_do(hull):
    for flags in (("--network", "egress"), ("--notify",), ("--health-tcp", "80"),
                  ("--seccomp-trace", "/tmp/x")):
        r = hull("sandbox", "run", "--isolation", "vm", *flags, "--", "true")
        assert r.returncode != 0 and "--isolation vm" in r.stderr, flags
    r = hull("sandbox", "create", "--isolation", "vm", f"v{os.getpid()}")
    assert r.returncode != 0 and "sessions run as containers only" in r.stderr


def test_kill9_during_a_vm_run_is_repaired(hull):
    """The launcher no longer keeps hull's owner lock: the next command repairs at once."""
    import signal
    import subprocess

    p = hull.popen("sandbox", "run", "--isolation", "vm", "--timeout", "30m", "--", "sleep",
                   "100000", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sid = None
    try:
        def vm_running():
            for e in os.listdir(RUN_DIR):
                if e.endswith(".lock"):
                    try:
                        with open(os.path.join(RUN_DIR, e)) as f:
                            doc = json.load(f)
                    except (OSError, ValueError):
                        continue
                    if doc.get("data_root") == hull.root and any(
                            "qemu" in c for _, c in processes_mentioning(doc["id"])):
                        return doc["id"]
            return None
        sid = hull.wait_for(vm_running, timeout=300, what="qemu of the sandbox")
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=60)
        assert os.path.isdir(os.path.join(RUN_DIR, sid))
        hull("sandbox", "ls", check=True)
        assert not os.path.exists(os.path.join(RUN_DIR, sid))
        assert not os.path.exists(os.path.join(RUN_DIR, sid + ".lock"))
        hull.wait_for(lambda: not processes_mentioning(sid), timeout=120,
                      what="qemu and launcher gone")
        assert not mounts_under(os.path.join(RUN_DIR, sid))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        if sid:
            for pid, _ in processes_mentioning(sid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
