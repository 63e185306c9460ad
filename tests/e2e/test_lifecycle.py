"""hull-runtime lifecycle end to end: real containers from a busybox bundle."""
import json
import os
import signal
import subprocess

import pytest

from conftest import RUNTIME, default_config, mounts_mentioning, wait_exit, wait_for


def run_in(runtime, bundle, args, cid="c1", extra=(), **kw):
    bundle.config["process"]["args"] = args
    bundle.write()
    return runtime("run", "--rm", "-b", bundle.path, *extra, cid, **kw)


def test_echo_output(runtime, bundle):
    r = run_in(runtime, bundle, ["echo", "hello", "world"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello world\n"
    assert runtime.ids() == []


@pytest.mark.parametrize("code", [0, 3, 42, 255])
def test_exit_code_passthrough(runtime, bundle, code):
    r = run_in(runtime, bundle, ["sh", "-c", f"exit {code}"])
    assert r.returncode == code, r.stderr


def test_signal_exit_code(runtime, bundle):
    # PID 1 ignores signals it has no handler for when they come from inside its namespace, so
    # the KILL comes from the host, as `kill` of the runtime would send it.
    bundle.config["process"]["args"] = ["sh", "-c", "echo up; sleep 30"]
    bundle.write()
    p = subprocess.Popen(runtime.cmd("run", "--rm", "-b", bundle.path, "c1"), stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline() == "up\n"
    assert runtime("kill", "c1", "KILL").returncode == 0
    assert p.wait(timeout=60) == 128 + 9


def test_signal_exit_code_without_pid_namespace(runtime, bundle):
    bundle.config["linux"]["namespaces"] = [
        n for n in bundle.config["linux"]["namespaces"] if n["type"] != "pid"]
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["type"] != "proc"]
    r = run_in(runtime, bundle, ["sh", "-c", "kill -SEGV $$"])
    assert r.returncode == 128 + 11


def test_program_is_pid1(runtime, bundle):
    r = run_in(runtime, bundle, ["sh", "-c", "echo $$; ps -o pid,comm"])
    lines = r.stdout.strip().split("\n")
    assert lines[0] == "1"
    # sh execs its last command: ps is PID 1 and alone, no runtime helper process inside.
    assert [l.split() for l in lines[2:]] == [["1", "ps"]], r.stdout


def test_hostname_and_domainname(runtime, bundle):
    bundle.config["hostname"] = "box-one"
    bundle.config["domainname"] = "example.test"
    r = run_in(runtime, bundle, ["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"])
    assert r.stdout.split() == ["box-one", "example.test"]
    assert os.uname().nodename != "box-one"


def test_proc_and_dev_contents(runtime, bundle):
    r = run_in(runtime, bundle, ["sh", "-c",
                                 "ls /dev; echo ---; ls -l /dev/null /dev/ptmx /dev/fd; echo ---;"
                                 " cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -c '^[0-9]'"])
    devs, longlist, proc = r.stdout.split("---\n")
    for name in ("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue",
                 "ptmx", "fd", "stdin", "stdout", "stderr"):
        assert name in devs.split(), (name, devs)
    assert "crw-rw-rw-" in longlist and "1,   3" in longlist
    assert "/dev/ptmx -> pts/ptmx" in longlist
    assert "/dev/fd -> /proc/self/fd" in longlist
    cmdline, count = proc.strip().split("\n")
    assert cmdline.startswith("sh -c")
    # A private /proc: only the container's processes are visible.
    assert int(count) <= 4


def test_extra_device_node(runtime, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600,
         "uid": 7, "gid": 8}]
    r = run_in(runtime, bundle, ["sh", "-c", "stat -c '%t:%T %a %u:%g' /dev/mynull; echo x > /dev/mynull"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1:3 600 7:8"


def test_bind_mount_ro_and_rw(runtime, bundle, tmp_path):
    ro_dir = tmp_path / "ro"
    rw_dir = tmp_path / "rw"
    ro_dir.mkdir()
    rw_dir.mkdir()
    (ro_dir / "data").write_text("from host\n")
    bundle.config["mounts"] += [
        {"destination": "/mnt/ro", "type": "bind", "source": str(ro_dir), "options": ["rbind", "ro"]},
        {"destination": "/mnt/rw", "type": "bind", "source": str(rw_dir), "options": ["bind", "rw"]},
    ]
    r = run_in(runtime, bundle, ["sh", "-c",
                                 "cat /mnt/ro/data; touch /mnt/ro/x 2>/dev/null && echo ro-writable;"
                                 " echo written > /mnt/rw/out; echo done"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from host\ndone\n"
    assert (rw_dir / "out").read_text() == "written\n"
    assert not (ro_dir / "x").exists()


def test_bind_mount_file(runtime, bundle, tmp_path):
    f = tmp_path / "hosts"
    f.write_text("127.0.0.1 special\n")
    bundle.config["mounts"].append(
        {"destination": "/etc/hosts", "type": "bind", "source": str(f), "options": ["bind", "ro"]})
    r = run_in(runtime, bundle, ["cat", "/etc/hosts"])
    assert r.stdout == "127.0.0.1 special\n"


def test_tmpfs_size_and_options(runtime, bundle):
    bundle.config["mounts"].append(
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["size=2m", "mode=1777", "nosuid", "nodev"]})
    r = run_in(runtime, bundle, ["sh", "-c",
                                 "grep ' /scratch ' /proc/mounts; stat -c %a /scratch;"
                                 " dd if=/dev/zero of=/scratch/f bs=1k count=4096 2>&1 | grep -o 'No space left on device'"])
    mount_line, mode, dd = r.stdout.strip().split("\n")
    assert "size=2048k" in mount_line and "nosuid" in mount_line and "nodev" in mount_line
    assert mode == "1777"
    assert "No space left on device" in dd


def test_readonly_root(runtime, bundle):
    bundle.config["root"]["readonly"] = True
    r = run_in(runtime, bundle, ["sh", "-c", "touch /x 2>&1; echo ok > /dev/shm/y && cat /dev/shm/y"])
    assert "Read-only file system" in r.stdout
    assert r.stdout.strip().endswith("ok")


def test_env_cwd_user(runtime, bundle):
    bundle.config["process"]["env"] = ["PATH=/bin", "FOO=bar baz", "EMPTY="]
    bundle.config["process"]["cwd"] = "/tmp/work/dir"
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6],
                                        "umask": 0o077}
    r = run_in(runtime, bundle, ["sh", "-c", "echo $FOO; pwd; id -u; id -g; id -G; umask; env | grep -c ."])
    assert r.returncode == 0, r.stderr
    foo, cwd, uid, gid, groups, umask, nenv = r.stdout.strip().split("\n")
    assert (foo, cwd, uid, gid, umask) == ("bar baz", "/tmp/work/dir", "1000", "1001", "0077")
    assert set(groups.split()) == {"1001", "5", "6"}


def test_rlimits_and_oom_score(runtime, bundle):
    bundle.config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1024}]
    bundle.config["process"]["oomScoreAdj"] = 500
    r = run_in(runtime, bundle, ["sh", "-c", "ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj"])
    assert r.stdout.split() == ["512", "1024", "500"]


def test_rlimit_above_hard_is_clear_error(runtime, bundle):
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        pytest.skip("the caller's hard nofile limit is unlimited: nothing to exceed")
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": hard + 1, "hard": hard + 1}]
    r = run_in(runtime, bundle, ["true"])
    # With CAP_SYS_RESOURCE raising works; without it the error must say why.
    if r.returncode != 0:
        assert "RLIMIT_NOFILE" in r.stderr and "CAP_SYS_RESOURCE" in r.stderr
        assert runtime.ids() == []


def test_sysctl(runtime, bundle):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "123456789"}
    r = run_in(runtime, bundle, ["sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax"])
    assert r.stdout.split() == ["1", "123456789"]


def test_capabilities_in_status(runtime, bundle):
    caps = ["CAP_KILL", "CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {
        "bounding": caps, "effective": caps, "permitted": caps, "inheritable": [], "ambient": []}
    bundle.config["process"]["noNewPrivileges"] = True
    r = run_in(runtime, bundle, ["grep", "-E", "^(CapEff|CapBnd|CapInh|NoNewPrivs)", "/proc/self/status"])
    st = dict(l.split(":\t") for l in r.stdout.strip().split("\n"))
    expected = (1 << 5) | (1 << 10)
    assert int(st["CapEff"], 16) == expected
    assert int(st["CapBnd"], 16) == expected
    assert int(st["CapInh"], 16) == 0
    assert st["NoNewPrivs"] == "1"


def test_unknown_capability_warns_and_runs(runtime, bundle):
    bundle.config["process"]["capabilities"] = {"bounding": ["CAP_KILL", "CAP_NOT_A_REAL_ONE"]}
    r = run_in(runtime, bundle, ["true"])
    assert r.returncode == 0
    assert "unknown capability `CAP_NOT_A_REAL_ONE`" in r.stderr


def test_ambient_not_inheritable_warns_once(runtime, bundle):
    """`crun spec` lists its capabilities in ambient but not in inheritable: the kernel would
    refuse them at exec, so they are dropped from ambient, named on one warning line."""
    caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    bundle.config["process"]["capabilities"] = {
        "bounding": caps, "effective": caps, "permitted": caps, "inheritable": [], "ambient": caps}
    r = run_in(runtime, bundle, ["grep", "-E", "^Cap(Eff|Amb)", "/proc/self/status"])
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stderr.splitlines() if "ambient" in l]
    assert lines == ["hull-runtime: warning: process.capabilities.ambient: CAP_KILL, "
                     "CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE are not in both permitted and "
                     "inheritable; ignored"], r.stderr
    st = dict(l.split(":\t") for l in r.stdout.strip().split("\n"))
    assert int(st["CapAmb"], 16) == 0
    assert int(st["CapEff"], 16) == (1 << 5) | (1 << 10) | (1 << 29)
    # One alone is named in the singular.
    bundle.config["process"]["capabilities"]["inheritable"] = ["CAP_KILL", "CAP_AUDIT_WRITE"]
    r = run_in(runtime, bundle, ["grep", "^CapAmb", "/proc/self/status"])
    assert "ambient: CAP_NET_BIND_SERVICE is not in both permitted and inheritable" in r.stderr
    assert int(r.stdout.split()[1], 16) == (1 << 5) | (1 << 29)


def test_join_network_namespace_by_path(runtime, bundle):
    name = f"hulltest{os.getpid()}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "add", "hullva0", "type", "veth", "peer", "name", "hullvb0"],
                       check=True)
        ns = [n for n in bundle.config["linux"]["namespaces"] if n["type"] != "network"]
        ns.append({"type": "network", "path": f"/run/netns/{name}"})
        bundle.config["linux"]["namespaces"] = ns
        r = run_in(runtime, bundle, ["sh", "-c", "cat /proc/net/dev /sys/class/net/lo/flags"])
        assert r.returncode == 0, r.stderr
        assert "hullva0" in r.stdout and "hullvb0" in r.stdout
        # A namespace the container joins is not ours to change: its lo stays down.
        assert int(r.stdout.split()[-1], 16) & 1 == 0
    finally:
        subprocess.run(["ip", "netns", "delete", name])


def test_new_network_namespace_has_only_lo(runtime, bundle):
    r = run_in(runtime, bundle, ["cat", "/proc/net/dev"])
    ifaces = [l.split(":")[0].strip() for l in r.stdout.split("\n")[2:] if ":" in l]
    assert ifaces == ["lo"]


def test_new_network_namespace_has_loopback_up(runtime, bundle):
    # As runc and crun: localhost works in a fresh network namespace.
    script = ("cat /sys/class/net/lo/flags; httpd -p 127.0.0.1:8080 -h /etc; "
              "wget -q -O - http://127.0.0.1:8080/passwd")
    r = run_in(runtime, bundle, ["sh", "-c", script])
    assert r.returncode == 0, r.stderr
    flags, body = r.stdout.split(None, 1)
    assert int(flags, 16) & 1 == 1
    assert body.startswith("root:")


def test_time_namespace_offsets(runtime, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 365, "nanosecs": 0}}
    r = run_in(runtime, bundle, ["cat", "/proc/uptime"])
    assert r.returncode == 0, r.stderr
    assert float(r.stdout.split()[0]) > 86400 * 365


def test_lifecycle_statuses(runtime, bundle):
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    r = runtime("create", "-b", bundle.path, "--pid-file", os.path.join(bundle.path, "pid"), "c1")
    assert r.returncode == 0, r.stderr
    st = runtime.state("c1")
    assert st["status"] == "created" and st["id"] == "c1"
    assert st["bundle"] == bundle.path and st["ociVersion"] == "1.2.0"
    pid = st["pid"]
    assert int(open(os.path.join(bundle.path, "pid")).read()) == pid
    # The process exists but has not run the program yet.
    assert open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0].endswith(b"hull-runtime")
    assert runtime("start", "c1").returncode == 0
    st = runtime.state("c1")
    assert st["status"] == "running" and st["pid"] == pid
    # start returns once the process may go on to its execve (as runc's does), not after it.
    wait_for(lambda: open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")[0] == b"sleep",
             what="the container's execve of sleep")
    r = runtime("start", "c1")
    assert r.returncode == 1 and "cannot start a container that is running" in r.stderr
    r = runtime("delete", "c1")
    assert r.returncode == 1 and "not stopped: running" in r.stderr
    assert runtime("kill", "c1", "KILL").returncode == 0
    wait_for(lambda: runtime.state("c1")["status"] == "stopped", what="stopped")
    st = runtime.state("c1")
    assert st["status"] == "stopped" and st["pid"] == 0
    r = runtime("kill", "c1")
    assert r.returncode == 1 and "is not running" in r.stderr
    assert runtime("delete", "c1").returncode == 0
    assert runtime.ids() == []
    r = runtime("state", "c1")
    assert r.returncode == 1 and "does not exist" in r.stderr


def test_delete_created_container(runtime, bundle):
    assert runtime("create", "-b", bundle.path, "c1").returncode == 0
    pid = runtime.state("c1")["pid"]
    r = runtime("delete", "c1")
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split(")")[1][:3]


def test_kill_signal_forms(runtime, bundle, tmp_path):
    # The program says when its traps are set (a file in the bundle dir, bound in), and where
    # the signal took it (its exit code, in another file).
    bundle.config["mounts"].append({"destination": "/out", "type": "bind",
                                    "source": str(tmp_path), "options": ["bind", "rw"]})
    bundle.config["process"]["args"] = [
        "sh", "-c", "trap 'echo 7 > /out/$ID.exit; exit 7' USR1; "
        "trap 'echo 8 > /out/$ID.exit; exit 8' TERM; touch /out/$ID.ready; "
        "while :; do sleep 0.05; done"]
    for cid, sig, code in (("k1", "USR1", "7"), ("k2", "SIGUSR1", "7"), ("k3", "10", "7"),
                           ("k4", None, "8")):
        bundle.config["process"]["env"] = default_config()["process"]["env"] + [f"ID={cid}"]
        bundle.write()
        assert runtime("run", "-d", "-b", bundle.path, cid).returncode == 0
        wait_for((tmp_path / f"{cid}.ready").exists, what=f"{cid}'s traps")
        args = ["kill", cid] + ([sig] if sig else [])
        r = runtime(*args)
        assert r.returncode == 0, r.stderr
        # The shell's `>` creates the file before `echo` writes to it: wait for the line.
        exit_file = tmp_path / f"{cid}.exit"
        wait_for(lambda: exit_file.exists() and exit_file.read_text().endswith("\n"),
                 what=f"{cid} to take the signal")
        assert exit_file.read_text() == code + "\n", (cid, sig)
    r = runtime("kill", "k1", "NOTASIGNAL")
    assert r.returncode == 1 and "unknown signal" in r.stderr


def test_delete_force_running(runtime, bundle):
    bundle.config["process"]["args"] = ["sleep", "60"]
    bundle.write()
    assert runtime("run", "-d", "-b", bundle.path, "c1").returncode == 0
    pid = runtime.state("c1")["pid"]
    r = runtime("delete", "--force", "c1")
    assert r.returncode == 0, r.stderr
    assert runtime.ids() == []
    assert wait_exit(pid)


def test_run_forwards_signals(runtime, bundle):
    bundle.config["process"]["args"] = ["sh", "-c", "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done"]
    bundle.write()
    p = subprocess.Popen(runtime.cmd("run", "--rm", "-b", bundle.path, "c1"), stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline() == "ready\n"
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=60)
    assert out == "got-term\n"
    assert p.returncode == 3


def test_run_leaves_a_container_made_again_under_its_id_alone(runtime, bundle):
    # An attached run whose container was deleted from outside, and a new one created under
    # the same id before the run got to its own delete: that delete must not take the new one.
    bundle.config["process"]["args"] = ["sleep", "1000"]
    bundle.write()
    p = subprocess.Popen(runtime.cmd("run", "-b", bundle.path, "c1"), stdout=subprocess.DEVNULL)
    try:
        wait_for(lambda: runtime("state", "c1").returncode == 0
                 and runtime.state("c1")["status"] == "running", what="c1 running")
        p.send_signal(signal.SIGSTOP)  # the run cannot reap or delete until it continues
        r = runtime("delete", "--force", "c1")
        assert r.returncode == 0, r.stderr
        r = runtime("create", "-b", bundle.path, "c1")
        assert r.returncode == 0, r.stderr
        new_pid = runtime.state("c1")["pid"]
        p.send_signal(signal.SIGCONT)
        assert p.wait(timeout=60) == 128 + signal.SIGKILL
        st = runtime.state("c1")
        assert (st["status"], st["pid"]) == ("created", new_pid)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait()


def test_run_stdin_passthrough(runtime, bundle):
    r = run_in(runtime, bundle, ["sh", "-c", "read line; echo got:$line"], input="abc\n")
    assert r.stdout == "got:abc\n"


def test_list_formats(runtime, bundle):
    bundle.config["process"]["args"] = ["sleep", "30"]
    bundle.write()
    for cid in ("la", "lb"):
        assert runtime("create", "-b", bundle.path, cid).returncode == 0
    runtime("start", "lb")
    r = runtime("list")
    lines = r.stdout.strip().split("\n")
    assert lines[0].split()[:4] == ["ID", "PID", "STATUS", "BUNDLE"]
    rows = {l.split()[0]: l.split() for l in lines[1:]}
    assert rows["la"][2] == "created" and rows["lb"][2] == "running"
    r = runtime("list", "--format", "json")
    data = json.loads(r.stdout)
    assert {d["id"]: d["status"] for d in data} == {"la": "created", "lb": "running"}
    assert runtime("list", "-q").stdout.split() == ["la", "lb"]
    r = runtime("list", "--format", "yaml")
    assert r.returncode == 1 and "--format" in r.stderr


def test_list_empty(runtime):
    r = runtime("list", "--format", "json")
    assert r.returncode == 0 and json.loads(r.stdout) == []


def test_duplicate_id(runtime, bundle):
    assert runtime("create", "-b", bundle.path, "dup").returncode == 0
    r = runtime("create", "-b", bundle.path, "dup")
    assert r.returncode == 1 and "container `dup` already exists" in r.stderr
    assert runtime.state("dup")["status"] == "created"


def test_spec_is_runnable(runtime, bundle, tmp_path):
    os.unlink(os.path.join(bundle.path, "config.json"))
    r = runtime("spec", "-b", bundle.path)
    assert r.returncode == 0, r.stderr
    spec = json.load(open(os.path.join(bundle.path, "config.json")))
    assert spec["process"]["capabilities"].get("inheritable", []) == []
    assert spec["process"]["noNewPrivileges"] is True
    spec["process"]["args"] = ["sh", "-c", "touch /x 2>/dev/null || echo ro; wc -c < /proc/interrupts; echo ok"]
    bundle.write(spec)
    r = runtime("run", "--rm", "-b", bundle.path, "spec1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["ro", "0", "ok"]
    r = runtime("spec", "-b", bundle.path)
    assert r.returncode == 1 and "exists" in r.stderr


def test_features_document(runtime):
    r = runtime("features")
    f = json.loads(r.stdout)
    assert f["ociVersionMin"] == "1.0.0"
    assert "createRuntime" in f["hooks"]
    assert "rbind" in f["mountOptions"]
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    assert set(f["linux"]["namespaces"]) >= {"pid", "network", "mount", "user", "time"}


def test_usage_errors(runtime):
    for args in (["frobnicate"], ["create", "--bogus", "x"], ["delete"], ["kill"],
                 ["state", "a", "b"], ["--log-format", "xml", "list"]):
        r = runtime(*args)
        assert r.returncode == 1, args
        assert r.stderr.strip(), args


def test_help_and_version(runtime):
    r = runtime("--help")
    assert r.returncode == 0 and "create" in r.stdout and "--root" in r.stdout
    for cmd in ("create", "start", "run", "state", "kill", "delete", "list", "spec", "features"):
        r = runtime(cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith("Usage: hull-runtime " + cmd), cmd
    r = runtime("--version")
    assert r.returncode == 0 and r.stdout.startswith("hull-runtime version ")


def test_json_log(runtime, bundle, tmp_path):
    log = tmp_path / "log.json"
    r = subprocess.run([RUNTIME, "--root", runtime.root, "--log", str(log), "--log-format", "json",
                        "state", "nope"], capture_output=True, text=True)
    assert r.returncode == 1
    entry = json.loads(log.read_text().strip().split("\n")[-1])
    assert entry["level"] == "error" and "does not exist" in entry["msg"] and entry["time"]


def test_no_leftover_mounts_after_run(runtime, bundle):
    before = len(mounts_mentioning(bundle.path))
    r = run_in(runtime, bundle, ["true"])
    assert r.returncode == 0
    assert len(mounts_mentioning(bundle.path)) == before == 0


def test_attached_run_deletes_unless_keep(runtime, bundle):
    assert runtime("run", "-b", bundle.path, "gone").returncode == 0
    assert runtime.ids() == []
    assert runtime("run", "--keep", "-b", bundle.path, "kept").returncode == 0
    assert runtime.state("kept")["status"] == "stopped"
    r = runtime("run", "--keep", "--rm", "-b", bundle.path, "both")
    assert r.returncode == 1 and "contradict" in r.stderr
