"""`hull run` attached: output, exit codes (docker's 125/126/127), --rm, image config applied,
flags that shape the container (env, workdir, user, entrypoint, hostname, read-only, caps,
init), and refusal of what this build cannot do yet."""
import json
import os
import subprocess

import pytest

from hull_helpers import hull, runtime_root  # noqa: F401  (fixture)
from image_helpers import add_tree, tar_bytes, write_oci_layout


def test_run_relays_stdout_stderr_and_exit_code(hull):
    r = hull("run", "--rm", "busybox", "sh", "-c", "echo out; echo err >&2; exit 7")
    assert r.returncode == 7
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"


def test_run_default_command_and_stdin(hull):
    # The image's Cmd is ["sh"]: with -i it reads the script from our stdin.
    r = hull("run", "--rm", "-i", "busybox", input="echo from-stdin; exit 4\n")
    assert r.returncode == 4, r.stderr
    assert r.stdout == "from-stdin\n"


def test_attached_run_is_logged(hull):
    r = hull("run", "--name", "att", "busybox", "sh", "-c", "echo one; echo two >&2")
    assert r.returncode == 0
    logs = hull("logs", "att", check=True)
    assert logs.stdout == "one\n" and logs.stderr == "two\n"
    st = hull.state("att")
    assert st["Status"] == "exited" and st["ExitCode"] == 0


def test_rm_leaves_nothing(hull):
    r = hull("run", "--rm", "-v", "/data", "busybox", "sh", "-c", "echo x > /data/f")
    assert r.returncode == 0, r.stderr
    assert hull.container_ids() == []
    assert hull("volume", "ls", "-q", check=True).stdout == ""
    with open("/proc/self/mountinfo") as f:
        assert hull.root not in f.read()


@pytest.mark.parametrize("args,code,message", [
    (["--bogus", "busybox"], 125, "unknown option `--bogus`"),
    (["--name"], 125, "needs a value"),
    ([], 125, "expected an IMAGE"),
    (["--pull", "never", "nosuch-image"], 125, "image `nosuch-image` not known"),
    (["--name", "bad/name", "busybox"], 125, "invalid container name"),
    (["-v", "relative:x", "busybox"], 125, "must be absolute"),
    (["--restart", "sometimes", "busybox"], 125, "invalid restart policy"),
    (["--rm", "--restart", "always", "busybox"], 125, "conflicting options"),
    (["--cap-add", "CAP_NOPE", "busybox", "true"], 125, "unknown capability `CAP_NOPE`"),
    (["-u", "nobody-here", "busybox", "true"], 125, "unable to find user `nobody-here`"),
    (["--stop-signal", "SIGNOPE", "busybox"], 125, "unknown signal `SIGNOPE`"),
    (["--network", "nosuch", "busybox"], 125, "network nosuch not found"),
    (["--runtime", "kata", "busybox"], 125, "expected native or vm"),
    (["busybox", "/no/such/binary"], 127, "/no/such/binary"),
    (["busybox", "nosuchcommand"], 127, "executable file not found"),
    (["busybox", "/etc/passwd"], 126, "/etc/passwd"),
])
def test_errors_are_one_line_with_docker_exit_codes(hull, args, code, message):
    r = hull("run", "--rm", *args)
    assert r.returncode == code, r.stderr
    first = r.stderr.splitlines()[0]
    assert message in first, r.stderr
    assert first.startswith("hull")
    assert hull.container_ids() == []


def test_failed_start_keeps_container_without_rm(hull):
    r = hull("run", "--name", "broken", "busybox", "nosuchcommand")
    assert r.returncode == 127
    assert hull.state("broken")["Status"] in ("created", "exited")
    assert hull("rm", "broken").returncode == 0


def test_name_is_unique(hull):
    hull("create", "--name", "dup", "busybox", check=True)
    r = hull("create", "--name", "dup", "busybox")
    assert r.returncode == 125
    assert "already in use" in r.stderr
    assert len(hull.container_ids()) == 1


def test_flags_shape_the_container(hull, tmp_path):
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=1\nOVERRIDE=file\n")
    script = ('echo "$FROM_FILE $OVERRIDE $HOSTNAME $PASSED"; pwd; id -u; id -g; hostname; '
              'cat /etc/hostname; grep -c . /etc/hosts')
    r = hull("run", "--rm", "--env-file", env_file, "-e", "OVERRIDE=flag", "-e", "PASSED",
             "-w", "/work/dir", "-u", "1:2", "-h", "myhost", "busybox", "sh", "-c", script,
             env={"PASSED": "from-hull"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["1 flag myhost from-hull", "/work/dir", "1", "2",
                                     "myhost", "myhost", "3"]


def test_user_by_name_gets_groups_from_the_image(hull):
    r = hull("run", "--rm", "-u", "daemon", "busybox", "sh", "-c", "id -u; id -g")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1"]


def test_entrypoint_override(hull):
    r = hull("run", "--rm", "--entrypoint", "echo", "busybox", "a", "b")
    assert r.stdout == "a b\n"


def test_read_only_root(hull):
    r = hull("run", "--rm", "--read-only", "--tmpfs", "/scratch", "busybox", "sh", "-c",
             "touch /x 2>/dev/null && echo root-writable; touch /scratch/ok && echo tmpfs-ok")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "tmpfs-ok\n"


def test_hardened_defaults_and_cap_flags(hull):
    cmd = "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; cat /proc/kcore 2>&1 | head -c 0"
    r = hull("run", "--rm", "busybox", "sh", "-c", cmd)
    lines = dict(l.split(":\t") for l in r.stdout.splitlines())
    assert lines["NoNewPrivs"] == "1"
    # CAP_AUDIT_WRITE (29), CAP_KILL (5), CAP_NET_BIND_SERVICE (10)
    assert int(lines["CapEff"], 16) == (1 << 29) | (1 << 5) | (1 << 10)
    r = hull("run", "--rm", "--cap-drop", "ALL", "--cap-add", "chown", "--security-opt",
             "no-new-privileges=false", "busybox", "sh", "-c", cmd)
    lines = dict(l.split(":\t") for l in r.stdout.splitlines())
    assert int(lines["CapEff"], 16) == 1 << 0
    assert lines["NoNewPrivs"] == "0"


def test_network_none_and_host(hull):
    none = hull("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net")
    assert none.stdout.split() == ["lo"]
    # The default is docker's: the default bridge network.
    default = hull("run", "--rm", "busybox", "ls", "/sys/class/net").stdout.split()
    assert default == ["eth0", "lo"]
    # Other tests add, remove and re-add (same name) veths meanwhile, so only interfaces that no
    # test touches are compared; a bridge made here proves the view is the host's.
    probe = "hulltest%d" % (os.getpid() % 100000)
    subprocess.run(["ip", "link", "add", probe, "type", "bridge"], check=True)
    try:
        host = hull("run", "--rm", "--network", "host", "busybox", "ls", "/sys/class/net")
        stable = {n for n in os.listdir("/sys/class/net")
                  if not n.startswith(("hull", "veth", "cni", "podman"))}
    finally:
        subprocess.run(["ip", "link", "del", probe], check=False)
    seen = set(host.stdout.split())
    assert probe in seen and "lo" in seen, seen
    assert stable <= seen, (stable, seen)


def test_init_reaps_and_forwards(hull):
    # Without --init the shell is PID 1; with it hull-init is, and the command is its child.
    r = hull("run", "--rm", "--init", "busybox", "sh", "-c", "echo $$; cat /proc/1/cmdline")
    assert r.returncode == 0, r.stderr
    pid, init_cmd = r.stdout.split("\n", 1)
    assert pid != "1"
    assert init_cmd.startswith("/dev/init")


def test_memory_limit_is_enforced(hull):
    hog = 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived'
    r = hull("run", "--rm", "-m", "32m", "busybox", "sh", "-c", hog)
    assert r.returncode == 137 and "survived" not in r.stdout
    r = hull("run", "--rm", "-m", "256m", "busybox", "sh", "-c", hog)
    assert r.returncode == 0 and r.stdout == "survived\n", r.stderr


def test_pids_limit_and_cpus(hull):
    r = hull("run", "--rm", "--pids-limit", "4", "busybox", "sh", "-c",
             "for i in 1 2 3 4 5 6; do sleep 1 & done; wait")
    assert "can't fork" in r.stderr
    quota = ("cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || "
             "cut -d' ' -f1 /sys/fs/cgroup/cpu.max")
    r = hull("run", "--rm", "--cpus", "0.5", "busybox", "sh", "-c", quota)
    assert r.stdout.strip() == "50000", r.stderr
    assert hull("run", "--rm", "-m", "1k", "busybox").returncode == 125


def test_seccomp_default_unconfined_and_file(hull, tmp_path):
    status = "grep '^Seccomp:' /proc/self/status"
    assert hull("run", "--rm", "busybox", "sh", "-c", status).stdout.split()[1] == "2"
    r = hull("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c", status)
    assert r.stdout.split()[1] == "0"
    profile = tmp_path / "deny-mkdir.json"
    profile.write_text(json.dumps({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}))
    r = hull("run", "--rm", "--security-opt", f"seccomp={profile}", "busybox", "mkdir", "/tmp/d")
    assert r.returncode == 1 and "Operation not permitted" in r.stderr
    r = hull("run", "--rm", "--security-opt", f"seccomp={tmp_path}/missing.json", "busybox")
    assert r.returncode == 125 and "seccomp=" in r.stderr


def test_landlock_default_policy(hull, tmp_path):
    r = hull("run", "--rm", "--security-opt", "landlock=default", "-v", f"{tmp_path}:/vol",
             "busybox", "sh", "-c",
             "touch /x 2>&1; touch /tmp/y && echo tmp-ok; touch /vol/z && echo vol-ok")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["touch: /x: Permission denied", "tmp-ok", "vol-ok"]


def test_tty(hull):
    r = hull("run", "--rm", "-t", "busybox", "sh", "-c", "tty; echo done")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "/dev/pts/0\ndone\n"  # the pty's \r\n, read as text
    r = hull("run", "--rm", "-i", "-t", "busybox", "sh", "-c", "read x; echo got $x; exit 6",
             input="abc\n")
    assert r.returncode == 6 and "got abc" in r.stdout


def test_runtime_vm(hull):
    r = hull("run", "--rm", "--runtime", "vm", "busybox", "sh", "-c",
             "echo in $(uname -r); exit 4", timeout=120)
    assert r.returncode == 4, r.stderr
    assert r.stdout.startswith("in ")
    for bad, message in ((["-v", "/x"], "volumes"), (["-t"], "--tty"), (["-m", "64m"], "--memory")):
        r = hull("run", "--rm", "--runtime", "vm", *bad, "busybox", "true")
        assert r.returncode == 125 and message in r.stderr.splitlines()[0]


def test_image_config_is_applied(hull, busybox_rootfs, tmp_path):
    layout = str(tmp_path / "layout")
    write_oci_layout(layout, [(tar_bytes(lambda t: add_tree(t, busybox_rootfs)), "plain")],
                     tag="cfg", config_extra={"config": {
                         "Entrypoint": ["sh", "-c"],
                         "Cmd": ["echo \"$GREETING from $(pwd) as $(id -u)\"; ls -d /vol"],
                         "Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"],
                         "WorkingDir": "/srv/app", "User": "1", "StopSignal": "SIGUSR1",
                         "Volumes": {"/vol": {}}}})
    hull("pull", f"oci:{layout}:cfg", check=True)
    r = hull("run", "--name", "cfg", "localhost/layout:cfg")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello from /srv/app as 1\n/vol\n"
    doc = hull.inspect("cfg")
    assert doc["Config"]["StopSignal"] == "SIGUSR1"
    assert doc["Path"] == "sh" and doc["Args"][0] == "-c"
    (m,) = doc["Mounts"]
    assert m["Type"] == "volume" and m["Destination"] == "/vol"
    # -e overrides the image's Env; a CMD replaces Cmd but keeps the Entrypoint.
    r = hull("run", "--rm", "-e", "GREETING=hi", "localhost/layout:cfg", "echo $GREETING")
    assert r.stdout == "hi\n"
    hull("rm", "-v", "cfg", check=True)
    assert hull("volume", "ls", "-q", check=True).stdout == ""


def test_runtime_config_copy_is_the_text_hull_wrote(hull):
    """The runtime's copy of the config (in the runtime root, on a tmpfs: another file system
    than the bundle's, so after the state's line in state.json) is the text hull wrote to
    bundle/config.json, not encoded again; exec, which reads the copy, works; a rewrite of the
    bundle's file (by rename) leaves the copy as it was. (Where the runtime root is in the data
    root, the copy is a hard link: test_hull_runtime_root.py.)"""
    cid = hull.run_d("--network", "none", "busybox", "sleep", "60")
    bundle_cfg = f"{hull.root}/containers/{cid}/bundle/config.json"
    state_file = f"{runtime_root(hull.root)}/{cid}/state.json"
    assert not os.path.exists(f"{runtime_root(hull.root)}/{cid}/config.json")

    def copy_text():
        return open(state_file).read().partition("\n")[2]
    before = copy_text()
    assert before == open(bundle_cfg).read()
    json.loads(before)
    r = hull("exec", cid, "echo", "in")
    assert r.returncode == 0 and r.stdout == "in\n", r.stderr
    with open(bundle_cfg + ".tmp", "w") as f:
        f.write("{}")
    os.rename(bundle_cfg + ".tmp", bundle_cfg)
    assert copy_text() == before
    hull("rm", "-f", cid, check=True)


def test_image_users_directory_outlives_its_last_container(hull):
    """The image's users directory stays (empty) when its last container goes, so the next
    container only adds its own entry; it counts no user."""
    hull("run", "--rm", "--network", "none", "busybox", "true", check=True)
    users = os.path.join(hull.root, "images", "users")
    dirs = os.listdir(users)
    assert dirs and all(os.listdir(os.path.join(users, d)) == [] for d in dirs), dirs
    hull("run", "--rm", "--network", "none", "busybox", "true", check=True)
    assert sorted(os.listdir(users)) == sorted(dirs)


def test_etc_mount_points_come_from_a_shared_init_layer(hull):
    """The files hull bind-mounts over /etc (hostname, hosts, resolv.conf) that the image lacks
    come from a shared lower layer (init/...): the container's upper directory gets
    no copy of /etc, and the layer is made once for every container of such an image."""
    a = hull.run_d("--network", "none", "busybox", "sleep", "60")
    b = hull.run_d("--network", "none", "busybox", "sleep", "60")
    for cid in (a, b):
        upper = f"{hull.root}/containers/{cid}/storage/upper"
        assert os.listdir(upper) == [], os.listdir(upper)
        r = hull("exec", cid, "sh", "-c", "cat /etc/hostname; ls /etc")
        assert r.stdout.split()[0] == cid[:12], r.stdout
        assert {"hostname", "hosts", "resolv.conf", "passwd"} <= set(r.stdout.split()[1:])
    inits = os.listdir(f"{hull.root}/init")
    assert len(inits) == 1 and not inits[0].startswith("."), inits
    files = sorted(os.listdir(f"{hull.root}/init/{inits[0]}/etc"))
    assert files == ["hostname", "hosts", "resolv.conf"]
    # The image's own /etc files are still there and writable (a copy-up then, as ever).
    r = hull("exec", a, "sh", "-c", "echo x >> /etc/passwd && tail -1 /etc/passwd")
    assert r.returncode == 0 and r.stdout == "x\n", r.stderr
    assert len(hull("ps", "-aq", check=True).stdout.split()) == 2
    hull("rm", "-f", a, b, check=True)


def test_a_run_without_output_makes_no_log_file_and_logs_f_waits_for_it(hull):
    """container.log is created at the first line of output: `true` leaves none (`logs` prints
    nothing), and `logs -f` started before the first line sees it once it comes."""
    hull("run", "--name", "quiet", "--network", "none", "busybox", "true", check=True)
    quiet = hull.inspect("quiet")["Id"]
    assert not os.path.exists(f"{hull.containers_dir}/{quiet}/container.log")
    r = hull("logs", "quiet", check=True)
    assert r.stdout == "" and r.stderr == ""
    cid = hull.run_d("--network", "none", "busybox", "sh", "-c",
                     "while [ ! -e /tmp/go ]; do sleep 0.05; done; echo late")
    log = f"{hull.containers_dir}/{cid}/container.log"
    follower = hull.popen("logs", "-f", cid, stdout=subprocess.PIPE, text=True)
    try:
        assert not os.path.exists(log)
        hull("exec", cid, "touch", "/tmp/go", check=True)
        assert follower.stdout.readline() == "late\n"
        assert follower.wait(timeout=120) == 0
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    assert os.path.exists(log)
    hull("rm", "-f", "quiet", cid, check=True)
