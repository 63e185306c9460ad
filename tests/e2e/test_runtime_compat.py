"""Configs other tools generate, run as runc and crun run them: HOME from the container's
/etc/passwd, hooks that inherit the runtime's environment, linux.devices outside /dev, the
host's `/` refused as root.path, kernel.hostname sysctls refused, delete --force of a frozen
container, stdio pipes chowned to the process user, create/run --config."""
import json
import os
import subprocess
import uuid

from test_cgroups import cgroup_mounts, controller_dir, dirs_named, run_detached


def run_out(runtime, bundle, cid, *extra):
    r = runtime("run", *extra, "-b", bundle.path, cid)
    runtime("delete", "-f", cid)
    return r


def test_home_comes_from_etc_passwd_for_run_and_exec(runtime, bundle):
    with open(os.path.join(bundle.rootfs, "etc", "passwd"), "a") as f:
        f.write("svc:x:1234:1234:service:/srv/svc:/bin/sh\n")
    bundle.config["process"]["env"] = ["PATH=/bin:/usr/bin"]
    bundle.config["process"]["args"] = ["sh", "-c", "echo $HOME"]
    bundle.write()
    assert run_out(runtime, bundle, "home0").stdout == "/root\n"
    bundle.config["process"]["user"] = {"uid": 1234, "gid": 1234}
    bundle.write()
    assert run_out(runtime, bundle, "home1").stdout == "/srv/svc\n"
    bundle.config["process"]["user"] = {"uid": 4321, "gid": 4321}   # no passwd entry
    bundle.write()
    assert run_out(runtime, bundle, "home2").stdout == "/\n"
    # An explicit HOME wins.
    bundle.config["process"]["env"].append("HOME=/elsewhere")
    bundle.write()
    assert run_out(runtime, bundle, "home3").stdout == "/elsewhere\n"
    # exec: the same lookup for the exec'd process's user.
    bundle.config["process"]["env"] = ["PATH=/bin:/usr/bin"]
    bundle.config["process"]["user"] = {"uid": 0, "gid": 0}
    bundle.config["process"]["args"] = ["sleep", "60"]
    bundle.write()
    run_detached(runtime, bundle, "home4")
    r = runtime("exec", "--user", "1234:1234", "home4", "sh", "-c", "echo $HOME")
    assert r.stdout == "/srv/svc\n", r.stderr
    r = runtime("exec", "home4", "sh", "-c", "echo $HOME")
    assert r.stdout == "/root\n", r.stderr
    runtime("delete", "-f", "home4")


def test_home_lookup_in_a_long_passwd(runtime, bundle):
    """/etc/passwd is read through a fixed buffer: entries across its edges, after a line
    longer than it (no entry), and on a last line without a newline are all found."""
    path = os.path.join(bundle.rootfs, "etc", "passwd")
    with open(path, "a") as f:
        for i in range(400):  # ~16 KiB: several buffers
            f.write(f"user{i}:x:{20000 + i}:{20000 + i}:filler entry {i}:/home/user{i}:/bin/sh\n")
        f.write("long:x:30001:30001:" + "g" * 10000 + ":/home/long:/bin/sh\n")
        f.write("after:x:30002:30002::/home/after:/bin/sh\n")
        f.write("last:x:30003:30003::/home/last:/bin/sh")  # no newline
    bundle.config["process"]["env"] = ["PATH=/bin:/usr/bin"]
    bundle.config["process"]["args"] = ["sh", "-c", "echo $HOME"]
    for uid, home in ((20000, "/home/user0"), (20399, "/home/user399"), (20123, "/home/user123"),
                      (30001, "/"), (30002, "/home/after"), (30003, "/home/last"), (0, "/root")):
        bundle.config["process"]["user"] = {"uid": uid, "gid": uid}
        bundle.write()
        r = run_out(runtime, bundle, f"homel{uid}")
        assert r.stdout == home + "\n", (uid, r.stderr)


def create_runtime_hook(bundle, tmp_path, script):
    """Give the bundle one createRuntime hook: a shell script of `script`. Returns its path."""
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\n{script}\n")
    hook.chmod(0o755)
    bundle.config["hooks"] = {"createRuntime": [{"path": str(hook)}]}
    bundle.write()
    return hook


def test_hook_that_exits_before_reading_its_state_does_not_kill_the_runtime(runtime, bundle,
                                                                             tmp_path):
    """A hook need not read the state on its stdin, and may have closed it before the runtime
    writes it: the write's SIGPIPE (pending while create blocks signals) must not kill the
    runtime once create restores its signal mask. strace holds every write back for 0.2 s, so
    the hook has closed its stdin when the runtime's write comes: deterministic."""
    done = tmp_path / "hook-ran"
    create_runtime_hook(bundle, tmp_path, f"exec 0<&-\n: > {done}")
    cmd = ["strace", "-qq", "-o", "/dev/null", "-e", "trace=write",
           "-e", "inject=write:delay_enter=200000"] + runtime.cmd("create", "-b", bundle.path,
                                                                  "hookpipe")
    # Files, not pipes: the created container process keeps the runtime's stdio open.
    with open(tmp_path / "err", "w+") as err:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                           timeout=60)
        err.seek(0)
        msg = err.read()
    runtime("delete", "-f", "hookpipe")
    assert r.returncode == 0, (r.returncode, msg)
    assert done.exists()


def test_hook_without_env_inherits_the_runtimes_environment(runtime, bundle, tmp_path):
    out = tmp_path / "hook-env"
    hook = create_runtime_hook(bundle, tmp_path, f"echo \"$HULL_HOOK_PROBE\" > {out}")
    r = runtime("run", "-b", bundle.path, "hookenv", env=dict(os.environ, HULL_HOOK_PROBE="seen"))
    runtime("delete", "-f", "hookenv")
    assert r.returncode == 0, r.stderr
    assert out.read_text() == "seen\n"
    # With an env list the hook gets exactly that.
    bundle.config["hooks"] = {"createRuntime": [{"path": str(hook), "env": ["X=1"]}]}
    bundle.write()
    r = runtime("run", "-b", bundle.path, "hookenv2", env=dict(os.environ, HULL_HOOK_PROBE="seen"))
    runtime("delete", "-f", "hookenv2")
    assert r.returncode == 0, r.stderr
    assert out.read_text() == "\n"


def test_linux_devices_outside_dev_are_created_where_they_say(runtime, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/opt/devs/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o620}]
    bundle.config["process"]["args"] = ["sh", "-c", "stat -c '%F %t:%T %a' /opt/devs/mynull && "
                                                    "echo x > /opt/devs/mynull && echo wrote"]
    bundle.write()
    r = run_out(runtime, bundle, "devout")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["character special file 1:3 620", "wrote"]


def test_root_path_that_is_the_hosts_root_is_refused_at_parse_time(runtime, bundle):
    bundle.config["root"]["path"] = "/"
    bundle.write()
    r = runtime("create", "-b", bundle.path, "hostroot")
    assert r.returncode != 0
    assert r.stderr.strip().endswith(
        "config.json: root.path: `/` is the host's root directory `/`; a container needs its "
        "own root filesystem"), r.stderr
    os.symlink("/", os.path.join(bundle.path, "hostlink"))
    bundle.config["root"]["path"] = "hostlink"
    bundle.write()
    r = runtime("create", "-b", bundle.path, "hostroot")
    assert "is the host's root directory" in r.stderr
    assert runtime.ids() == []


def test_hostname_and_domainname_sysctls_are_refused(runtime, bundle):
    for key in ("kernel.hostname", "kernel.domainname"):
        bundle.config["linux"]["sysctl"] = {key: "x"}
        bundle.config["linux"]["namespaces"].append({"type": "uts"}) \
            if {"type": "uts"} not in bundle.config["linux"]["namespaces"] else None
        bundle.write()
        r = runtime("create", "-b", bundle.path, "sysctlhost")
        assert r.returncode != 0
        field = key.split(".")[1]
        assert (f"config.json: linux.sysctl.{key}: not allowed: it conflicts with the "
                f"`{field}` field") in r.stderr, r.stderr


def alive(pid):
    """A live (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_delete_force_of_a_frozen_container_thaws_and_kills_it(runtime, bundle):
    cgpath = f"/hulltest-{uuid.uuid4().hex[:8]}/frozen"
    bundle.config["process"]["args"] = ["sleep", "600"]
    bundle.config["linux"]["cgroupsPath"] = cgpath
    bundle.write()
    pid = run_detached(runtime, bundle, "frozen")
    # Frozen behind the runtime's back, in every freezer there is.
    froze = 0
    v1 = controller_dir("freezer")
    if v1 and os.path.isdir(v1 + cgpath):
        with open(v1 + cgpath + "/freezer.state", "w") as f:
            f.write("FROZEN")
        froze += 1
    for m in cgroup_mounts():
        if os.path.exists(m + cgpath + "/cgroup.freeze"):
            with open(m + cgpath + "/cgroup.freeze", "w") as f:
                f.write("1")
            froze += 1
    assert froze
    r = runtime("delete", "--force", "frozen", timeout=30)
    assert r.returncode == 0, r.stderr
    assert not alive(pid)
    assert runtime.ids() == [] and dirs_named(cgpath) == []
    for m in cgroup_mounts():
        if os.path.isdir(m + os.path.dirname(cgpath)):
            os.rmdir(m + os.path.dirname(cgpath))


def test_stdio_pipes_are_chowned_to_the_process_user(runtime, bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.config["process"]["args"] = ["sh", "-c", "echo reopened > /proc/self/fd/1"]
    bundle.write()
    r = subprocess.run(runtime.cmd("run", "-b", bundle.path, "pipes"), capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=60)
    runtime("delete", "-f", "pipes")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "reopened\n"


def test_create_and_run_accept_a_config_file(runtime, bundle):
    alt = dict(bundle.config)
    alt["process"] = dict(alt["process"], args=["echo", "from-alt"])
    with open(os.path.join(bundle.path, "alt.json"), "w") as f:
        json.dump(alt, f)
    r = run_out(runtime, bundle, "altcfg", "--config", "alt.json")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "from-alt\n"
    r = runtime("create", "-f", os.path.join(bundle.path, "alt.json"), "-b", bundle.path, "alt2")
    assert r.returncode == 0, r.stderr
    runtime("delete", "-f", "alt2")
    r = runtime("create", "--config", "missing.json", "-b", bundle.path, "alt3")
    assert r.returncode != 0 and "missing.json" in r.stderr


# ---- process.scheduler, process.ioPriority, linux.memoryPolicy --------------------------

def stat_fields(text):
    """/proc/PID/stat fields after the command name: index 0 is field 3 (state)."""
    return text.rsplit(")", 1)[1].split()


def test_scheduler_batch_with_nice(runtime, bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 5}
    bundle.config["process"]["args"] = ["cat", "/proc/self/stat"]
    bundle.write()
    r = run_out(runtime, bundle, "schedbatch")
    assert r.returncode == 0, r.stderr
    f = stat_fields(r.stdout)
    assert f[19 - 3] == "5" and f[41 - 3] == "3", r.stdout   # nice, policy SCHED_BATCH


def test_scheduler_fifo_gets_an_rt_budget_under_hulls_parent(runtime, bundle):
    """SCHED_FIFO in a container needs an rt budget in its cpu cgroup, which the kernel only
    grants when the parents (hull's own /hulltest-…) have one: hull gives it, as runc does."""
    parent = f"/hulltest-{uuid.uuid4().hex[:8]}"
    bundle.config["linux"]["cgroupsPath"] = parent + "/rt"
    bundle.config["linux"]["resources"] = {"cpu": {"realtimeRuntime": 20000,
                                                   "realtimePeriod": 1000000}}
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_FIFO", "priority": 10}
    bundle.config["process"]["args"] = ["cat", "/proc/self/stat"]
    bundle.write()
    try:
        r = run_out(runtime, bundle, "schedfifo")
    finally:
        for m in cgroup_mounts():
            if os.path.isdir(m + parent):
                os.rmdir(m + parent)
    assert r.returncode == 0, r.stderr
    f = stat_fields(r.stdout)
    assert f[40 - 3] == "10" and f[41 - 3] == "1", r.stdout   # rt_priority, SCHED_FIFO


def test_scheduler_deadline(runtime, bundle):
    bundle.config["process"]["scheduler"] = {"policy": "SCHED_DEADLINE", "runtime": 1000000,
                                             "deadline": 10000000, "period": 10000000}
    bundle.config["process"]["args"] = ["cat", "/proc/self/stat"]
    bundle.write()
    r = run_out(runtime, bundle, "scheddl")
    assert r.returncode == 0, r.stderr
    assert stat_fields(r.stdout)[41 - 3] == "6", r.stdout        # SCHED_DEADLINE


def test_bad_scheduler_io_priority_and_memory_policy_are_refused(runtime, bundle):
    cases = [
        ({"process": {"scheduler": {"policy": "SCHED_DEADLINE", "runtime": 100,
                                    "deadline": 1000, "period": 1000}}},
         "process.scheduler.runtime: SCHED_DEADLINE needs a runtime of at least 1024 ns"),
        ({"process": {"scheduler": {"policy": "SCHED_DEADLINE", "runtime": 20000,
                                    "deadline": 10000}}},
         "process.scheduler.deadline: 10000 is below the runtime 20000"),
        ({"process": {"scheduler": {"policy": "SCHED_OTHER", "priority": 3}}},
         "process.scheduler.priority: only SCHED_FIFO and SCHED_RR take a priority"),
        ({"process": {"scheduler": {"policy": "SCHED_RR", "priority": 100}}},
         "process.scheduler.priority: 100 is outside 1..99 (SCHED_RR)"),
        ({"process": {"scheduler": {"policy": "SCHED_BATCH", "runtime": 5}}},
         "process.scheduler: runtime, deadline and period are only for SCHED_DEADLINE"),
        ({"process": {"scheduler": {"policy": "SCHED_NOPE"}}},
         "process.scheduler.policy: unknown policy `SCHED_NOPE`"),
        ({"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 8}}},
         "process.ioPriority.priority: 8 is outside 0..7"),
        ({"process": {"ioPriority": {"class": "IOPRIO_CLASS_X"}}},
         "process.ioPriority.class: unknown class `IOPRIO_CLASS_X`"),
        ({"linux": {"memoryPolicy": {"mode": "MPOL_DEFAULT", "nodes": "0"}}},
         "linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes"),
        ({"linux": {"memoryPolicy": {"mode": "MPOL_BIND"}}},
         "linux.memoryPolicy.nodes: MPOL_BIND needs nodes"),
        ({"linux": {"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0-x"}}},
         "linux.memoryPolicy.nodes: `0-x` is not a node list like 0-3,7"),
        ({"linux": {"memoryPolicy": {"mode": "MPOL_INTERLEAVE", "nodes": "0",
                                     "flags": ["MPOL_F_RELATIVE_NODES",
                                               "MPOL_F_STATIC_NODES"]}}},
         "linux.memoryPolicy.flags: MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES exclude "
         "each other"),
    ]
    base = json.loads(json.dumps(bundle.config))
    for extra, message in cases:
        cfg = json.loads(json.dumps(base))
        for section, fields in extra.items():
            cfg[section].update(fields)
        bundle.write(cfg)
        r = runtime("create", "-b", bundle.path, "badsched")
        assert r.returncode != 0, message
        assert r.stderr.strip().endswith("config.json: " + message), r.stderr
    assert runtime.ids() == []


def test_io_priority(runtime, bundle):
    bundle.config["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    bundle.config["process"]["args"] = ["ionice", "-p", "1"]
    bundle.write()
    r = run_out(runtime, bundle, "ioprio")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "best-effort: prio 6", r.stdout


def test_memory_policy_bind(runtime, bundle):
    bundle.config["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}
    bundle.config["process"]["args"] = ["cat", "/proc/self/numa_maps"]
    bundle.write()
    r = run_out(runtime, bundle, "mpol")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines and all(l.split()[1] == "bind:0" for l in lines), r.stdout


def test_config_without_a_mount_namespace_runs_in_the_runtimes_filesystem(runtime, bundle,
                                                                          tmp_path):
    """runc runs it: no root filesystem is built, the process sees the runtime's files."""
    marker = tmp_path / "host-file"
    marker.write_text("host side\n")
    bundle.config["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts")]
    bundle.config["process"]["args"] = ["/bin/sh", "-c", f"cat {marker}; echo pid $$"]
    bundle.write()
    r = run_out(runtime, bundle, "nomntns")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "host side\npid 1\n"
    assert "no mount namespace" in r.stderr          # mounts were configured: said, not done
