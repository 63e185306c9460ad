"""krunclient and the VM library end to end: real QEMU microVMs (TCG on these hosts).

Each boot costs a few seconds under TCG, so every test boots at most once and failure paths that
can be decided before qemu starts do not boot at all. Every krunclient/qemu process a test
starts is killed and reaped in teardown, and the test fails if a qemu outlives its launcher."""
import http.server
import os
import platform
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest

from vm_procs import alive, children, wait_for
from conftest import BUILD, wait_exit

KRUNCLIENT = os.path.join(BUILD, "krunclient")
VM_RUN = os.path.join(BUILD, "tests", "helpers", "vm-run")
BOOT_TIMEOUT = 120

pytestmark = pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                                reason="qemu-system-x86_64 not installed (scripts/install-deps)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_app(root, script):
    path = os.path.join(root, "bin", "app")
    if os.path.lexists(path):
        os.unlink(path)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)


@pytest.fixture(scope="module")
def vm_rootfs(busybox_rootfs, tmp_path_factory):
    """The busybox rootfs plus glibc's getent (to resolve names the way glibc programs do)."""
    root = str(tmp_path_factory.mktemp("vmroot") / "rootfs")
    subprocess.run(["cp", "-a", busybox_rootfs, root], check=True)
    for f in ("/usr/bin/getent", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"):
        if os.path.exists(f):
            os.makedirs(root + os.path.dirname(f), exist_ok=True)
            shutil.copy(f, root + f)
    return root


@pytest.fixture
def app_root(vm_rootfs, tmp_path):
    root = str(tmp_path / "rootfs")
    subprocess.run(["cp", "-a", vm_rootfs, root], check=True)
    return root


class Launched:
    """Processes started by a test; teardown kills them and checks no qemu survived."""

    def __init__(self):
        self.procs = []
        self.qemus = set()

    def popen(self, cmd, env=None, **kw):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, **kw)
        self.procs.append(p)
        return p

    def run(self, cmd, env=None, timeout=BOOT_TIMEOUT):
        p = self.popen(cmd, env=env)
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err

    def note_qemu(self, p):
        for c in children(p.pid):
            self.qemus.add(c)

    def cleanup(self):
        for p in self.procs:
            self.qemus.update(children(p.pid))
            if p.poll() is None:
                p.kill()
            p.communicate()
        for q in self.qemus:
            wait_exit(q, timeout=30)
        left = [q for q in self.qemus if alive(q)]
        for q in left:
            os.kill(q, signal.SIGKILL)
        assert not left, f"qemu processes outlived their launcher: {left}"


@pytest.fixture
def launched():
    l = Launched()
    yield l
    l.cleanup()


def env_with(**kw):
    env = dict(os.environ)
    env.pop("HOST", None)
    env.pop("INTERNAL_SECRET", None)
    env.update(kw)
    return env


@pytest.mark.parametrize("code", [3, 42])
def test_vm_exit_code_passthrough(app_root, launched, code):
    write_app(app_root, f"exit {code}\n")
    rc, out, err = launched.run([KRUNCLIENT, app_root, str(free_port())], env=env_with())
    assert rc == code, err


def test_vm_guest_view_is_isolated_and_exit_0(app_root, launched):
    """Its own kernel, only cgroup2 mounted, a root that is writable but private to the VM.
    --timings reports the host times, qemu's CPU time and the guest init's phases in order."""
    write_app(app_root, "uname -r\ngrep cgroup /proc/mounts | cut -d' ' -f2,3\n"
                        "echo changed > /etc/hostname && cat /etc/hostname\nexit 0\n")
    rc, out, err = launched.run([KRUNCLIENT, "--timings", app_root, str(free_port())],
                                env=env_with())
    assert rc == 0, err
    assert err.count("\n") == 1 and err.startswith("krunclient: accel="), err
    fields = dict(f.split("=", 1) for f in err.split("guest_ms:")[0].split()[1:])
    assert 0 < float(fields["started"]) <= float(fields["exited"]) <= float(fields["stopped"])
    assert float(fields["qemu_cpu_at_start"]) > 0, err
    phases = [f.split("=") for f in err.split("guest_ms:")[1].split()]
    assert [k for k, _ in phases] == ["init", "modules", "ports", "root", "net", "exec"], err
    ms = [int(v) for _, v in phases]
    assert ms == sorted(ms) and ms[0] > 0, err
    lines = out.splitlines()
    assert lines[0] and lines[0] != platform.release(), out
    assert lines[1:-1] == ["/sys/fs/cgroup cgroup2"], out
    assert lines[-1] == "changed"
    with open(os.path.join(app_root, "etc", "hostname")) as f:
        assert f.read() == "hull\n", "the guest wrote through to the host's root filesystem"


def test_vm_args_and_env_with_spaces_and_equals(app_root, launched):
    script = 'for a in "$@"; do echo "arg[$a]"; done; echo "FOO[$FOO]"; echo "EQ[$EQ]"; pwd'
    rc, out, err = launched.run([VM_RUN, "--env", "FOO=a b  c", "--env", "EQ=x=y==z",
                                 "--env", "PATH=/bin:/usr/bin", "--cwd", "/tmp", app_root,
                                 "/bin/sh", "-c", script, "sh", "a b", "c=d", " lead", ""])
    assert rc == 0, err
    assert out.splitlines() == ["arg[a b]", "arg[c=d]", "arg[ lead]", "arg[]",
                                "FOO[a b  c]", "EQ[x=y==z]", "/tmp"]


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello-from-host\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_vm_host_and_secret_propagated_and_internal_host_resolves(app_root, launched):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hello)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        port = server.server_address[1]
        write_app(app_root, f"""echo "HOST=$HOST"
echo "SECRET=$INTERNAL_SECRET"
getent hosts internal.$HOST
printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc internal.$HOST {port} | tail -n 1
""")
        env = env_with(HOST="yesterday.localhost", INTERNAL_SECRET="s3cr=t with space")
        rc, out, err = launched.run([KRUNCLIENT, app_root, str(free_port())], env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0] == "HOST=yesterday.localhost"
    assert lines[1] == "SECRET=s3cr=t with space"
    assert lines[2].split() == ["10.0.2.2", "internal.yesterday.localhost"]
    assert lines[3] == "hello-from-host"


def wait_ready(p, timeout=BOOT_TIMEOUT):
    """Block until the app printed its `ready` line (stdout is relayed from the guest)."""
    deadline = time.time() + timeout
    line = p.stdout.readline()
    if line.strip() != "ready":
        p.wait(timeout=60)
        assert False, (line, p.returncode, p.stderr.read())
    assert time.time() < deadline


def test_vm_httpd_answers_on_mapped_port(app_root, launched):
    port = free_port()
    write_app(app_root, "mkdir -p /www && echo hello-from-vm > /www/index.html\n"
                        "echo ready\nexec httpd -f -p 80 -h /www\n")
    p = launched.popen([KRUNCLIENT, app_root, str(port)], env=env_with())
    wait_ready(p)
    body, deadline = None, time.time() + 120
    while body is None and time.time() < deadline:
        try:
            body = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
        except OSError:
            time.sleep(0.2)
    assert body == b"hello-from-vm\n"
    p.send_signal(signal.SIGINT)  # forwarded like TERM: httpd dies of it inside the guest
    assert p.wait(timeout=30) == 130


def boot_file_maps(qemu):
    """[(Size KiB, Rss KiB)] of qemu's mappings of the memfd copies of the kernel and initramfs."""
    found, current = [], None
    with open(f"/proc/{qemu}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0]:
                current = [0, 0] if "/memfd:hull-vm-boot" in line else None
                if current is not None:
                    found.append(current)
            elif current is not None and fields[0] in ("Size:", "Rss:"):
                current[0 if fields[0] == "Size:" else 1] = int(fields[1])
    return found


def test_vm_sigterm_stops_program_with_143_and_no_qemu_left(app_root, launched):
    """Also: once the program runs, the kernel and initramfs copies qemu keeps mapped are freed
    (their mappings hold no resident pages), and the translation cache is capped."""
    write_app(app_root, "echo ready\nexec sleep 1000\n")
    p = launched.popen([KRUNCLIENT, app_root, str(free_port())], env=env_with())
    wait_ready(p)
    qemus = children(p.pid)
    assert len(qemus) == 1
    with open(f"/proc/{qemus[0]}/cmdline") as f:
        args = f.read().split("\0")
    assert args[args.index("-accel") + 1] in ("kvm", "tcg,tb-size=16"), args
    maps = boot_file_maps(qemus[0])
    assert any(size > 10 * 1024 for size, _ in maps), f"no memfd copy of the kernel: {maps}"
    wait_for(lambda: sum(rss for _, rss in boot_file_maps(qemus[0])) < 1024, 60,
             "the kernel and initramfs copies to be freed (under 1 MiB resident)")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=30) == 143
    assert not alive(qemus[0]), "qemu survived krunclient"


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))


def test_vm_memory_freed_in_the_guest_returns_to_the_host(app_root, launched):
    """Free page reporting: 160 MiB the program fills and then frees (a tmpfs file) leave qemu's
    resident memory once the guest reports them free (virtio-balloon, never inflated)."""
    write_app(app_root, "trap 'rm -f /dev/shm/fill; echo freed' HUP\n"
                        "dd if=/dev/zero of=/dev/shm/fill bs=1M count=160 2>/dev/null\n"
                        "echo ready\nwhile :; do sleep 1; done\n")
    p = launched.popen([KRUNCLIENT, app_root, str(free_port())], env=env_with())
    wait_ready(p)
    qemus = children(p.pid)
    assert len(qemus) == 1
    with open(f"/proc/{qemus[0]}/cmdline") as f:
        assert "virtio-balloon-device,free-page-reporting=on" in f.read().split("\0")
    filled = vm_rss_kib(qemus[0])
    assert filled > 160 * 1024, f"qemu RSS {filled} KiB with 160 MiB filled in the guest"
    p.send_signal(signal.SIGHUP)
    assert p.stdout.readline().strip() == "freed"
    wait_for(lambda: vm_rss_kib(qemus[0]) < filled - 128 * 1024, 120,
             f"qemu's RSS to fall by 128 MiB from {filled} KiB once the guest freed 160 MiB")
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 143


def test_vm_sigterm_during_boot_is_clean(app_root, launched, tmp_path):
    """A TERM that arrives before the program runs is delivered once it does: 143, no qemu.
    It is sent when the guest kernel starts init, still before the program runs; the stop
    timeout (after which krunclient stops the VM) is raised so that the rest of a boot on a
    loaded machine without KVM fits in it."""
    write_app(app_root, "exec sleep 1000\n")
    console = tmp_path / "console.log"
    # The rest of the boot must fit in the stop timeout: generous, for a loaded machine.
    p = launched.popen([KRUNCLIENT, "--console-log", str(console), "--stop-timeout",
                        str(BOOT_TIMEOUT), app_root, str(free_port())], env=env_with())
    wait_for(lambda: children(p.pid), 60, "qemu to be spawned")
    qemus = children(p.pid)
    assert qemus, p.communicate()
    wait_for(lambda: console.exists() and "Run /init" in console.read_text(errors="replace"),
             BOOT_TIMEOUT, "the guest kernel to start init")
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=BOOT_TIMEOUT)
    assert rc == 143, (p.communicate(), console.read_text(errors="replace")[-3000:])
    assert not alive(qemus[0])


def test_vm_killed_launcher_takes_qemu_along(app_root, launched):
    write_app(app_root, "echo ready\nexec sleep 1000\n")
    p = launched.popen([KRUNCLIENT, app_root, str(free_port())], env=env_with())
    wait_ready(p)
    qemus = children(p.pid)
    assert len(qemus) == 1
    p.kill()
    p.wait()
    wait_for(lambda: not alive(qemus[0]), 60, "qemu to die with its SIGKILLed launcher")


def test_vm_program_not_found_is_127(app_root, launched):
    rc, out, err = launched.run([VM_RUN, app_root, "/no/such/program"])
    assert rc == 127
    assert "/no/such/program" in err


def test_vm_missing_root_is_66(tmp_path, launched):
    rc, out, err = launched.run([KRUNCLIENT, str(tmp_path / "nope"), str(free_port())],
                                env=env_with())
    assert rc == 66
    assert err.count("\n") == 1 and "root filesystem" in err and "nope" in err


def test_vm_root_without_app_is_66(tmp_path, launched):
    rc, out, err = launched.run([KRUNCLIENT, str(tmp_path), str(free_port())], env=env_with())
    assert rc == 66
    assert "/bin/app" in err


def test_vm_busy_port_is_98(app_root, launched):
    write_app(app_root, "exit 0\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        rc, out, err = launched.run([KRUNCLIENT, app_root, str(port)], env=env_with())
    assert rc == 98
    assert err.count("\n") == 1 and str(port) in err and "in use" in err


def test_vm_bad_kernel_path_is_69(app_root, tmp_path, launched):
    write_app(app_root, "exit 0\n")
    rc, out, err = launched.run([KRUNCLIENT, "--kernel", str(tmp_path / "vmlinux"), app_root,
                                 str(free_port())], env=env_with())
    assert rc == 69
    assert err.count("\n") == 1 and "guest kernel" in err


def test_vm_garbage_kernel_is_69_from_qemu(app_root, tmp_path, launched):
    kernel = tmp_path / "vmlinux"
    kernel.write_bytes(b"not a kernel\n" * 100)
    write_app(app_root, "exit 0\n")
    rc, out, err = launched.run([KRUNCLIENT, "--kernel", str(kernel), app_root,
                                 str(free_port())], env=env_with())
    assert rc == 69
    assert err.count("\n") == 1 and "qemu" in err


def test_vm_missing_qemu_is_69(app_root, tmp_path, launched):
    write_app(app_root, "exit 0\n")
    rc, out, err = launched.run([KRUNCLIENT, "--qemu", str(tmp_path / "qemu"), app_root,
                                 str(free_port())], env=env_with())
    assert rc == 69
    assert "qemu" in err


@pytest.mark.parametrize("args", [[], ["only-root"], ["/", "0"], ["/", "65536"], ["/", "8o"],
                                  ["--accel", "xen", "/", "80"]])
def test_vm_usage_errors_are_2(args, launched):
    rc, out, err = launched.run([KRUNCLIENT] + args, env=env_with())
    assert rc == 2, err


def test_vm_invalid_host_is_2(app_root, launched):
    rc, out, err = launched.run([KRUNCLIENT, app_root, str(free_port())],
                                env=env_with(HOST="bad host\n1.2.3.4 evil"))
    assert rc == 2
    assert "HOST" in err


def test_vm_help_documents_exit_codes(launched):
    rc, out, err = launched.run([KRUNCLIENT, "--help"])
    assert rc == 0
    for code in ("66", "69", "70", "98", "143"):
        assert code in out
