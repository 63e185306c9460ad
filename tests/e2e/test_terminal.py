"""Terminals: a pty from the container's own devpts, handed over --console-socket exactly as runc
does (what conmon and containerd's shim receive), and the attached relay under a real pty."""
import json
import os
import re
import select
import shlex
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import wait_exit, wait_for
from test_exec import start_detached


class ConsoleReceiver:
    """What conmon / containerd's shim do: listen on a unix socket, accept the runtime's
    connection, receive the pty master with SCM_RIGHTS."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "console.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(1)
        self.sock.settimeout(30)

    def receive(self):
        conn, _ = self.sock.accept()
        with conn:
            msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 1)
        assert len(fds) == 1
        return msg, fds[0]

    def close(self):
        self.sock.close()


@pytest.fixture
def receiver(tmp_path):
    r = ConsoleReceiver(str(tmp_path))
    yield r
    r.close()


def read_until(fd, needle, timeout=60):
    out = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in out:
        left = deadline - time.monotonic()
        assert left > 0, f"timed out waiting for {needle!r}; got {out!r}"
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out.decode(errors="replace")


def wait_stopped(runtime, cid, timeout=60):
    wait_for(lambda: runtime.state(cid)["status"] == "stopped", timeout=timeout,
             what=f"{cid} to stop")


def test_create_sends_pty_master_over_console_socket(runtime, bundle, receiver):
    cfg = bundle.config
    cfg["process"]["terminal"] = True
    cfg["process"]["args"] = ["sh"]
    cfg["process"]["consoleSize"] = {"height": 33, "width": 111}
    bundle.write()
    r = runtime("create", "--console-socket", receiver.path, "-b", bundle.path, "tty1")
    assert r.returncode == 0, r.stderr
    name, master = receiver.receive()
    try:
        assert name == b"/dev/ptmx"  # runc's payload: the name of the sent file
        assert runtime("start", "tty1").returncode == 0
        os.write(master, b"stty size; tty; ls -l /dev/console; echo mark-$((6*7))\n")
        out = read_until(master, "mark-42\r\n")
        assert "33 111" in out
        assert "/dev/pts/0" in out  # the container's own devpts instance numbers from 0
        assert "136," in out  # /dev/console is the pty slave (a bind mount, as runc)
        os.write(master, b"exit 7\n")
        wait_stopped(runtime, "tty1")
    finally:
        os.close(master)
    assert runtime("delete", "tty1").returncode == 0


def test_exec_tty_with_console_socket(runtime, bundle, receiver, tmp_path):
    start_detached(runtime, bundle, "tty2")
    proc = {
        "terminal": True,
        "consoleSize": {"height": 24, "width": 80},
        "user": {"uid": 1000, "gid": 1000},
        "args": ["sh"],
        "env": ["PATH=/bin:/usr/bin", "TERM=xterm"],
        "cwd": "/",
    }
    path = tmp_path / "process.json"
    path.write_text(json.dumps(proc))
    pid_file = tmp_path / "exec.pid"
    with tempfile.TemporaryFile() as err:
        # containerd's order of flags.
        r = subprocess.run(runtime.cmd("exec", "--process", path, "--console-socket",
                                       receiver.path, "--detach", "--pid-file", pid_file, "tty2"),
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                           timeout=30)
        err.seek(0)
        assert r.returncode == 0, err.read()
    _, master = receiver.receive()
    try:
        os.write(master, b"stty size; id -u; ls -ln $(tty); echo done-$((1+1))\n")
        out = read_until(master, "done-2\r\n")
        assert "24 80" in out
        assert "\n1000\r" in out
        # The exec'd user owns its terminal.
        assert " 1000 " in out.split("ls -ln")[-1]
        os.write(master, b"exit\n")
        assert wait_exit(int(pid_file.read_text()), timeout=60)
    finally:
        os.close(master)


def test_terminal_flag_rules(runtime, bundle, receiver):
    bundle.config["process"]["terminal"] = True
    bundle.write()
    r = runtime("create", "-b", bundle.path, "bad1")
    assert r.returncode != 0
    assert "console-socket" in r.stderr
    assert runtime.ids() == []
    bundle.config["process"]["terminal"] = False
    bundle.write()
    r = runtime("create", "--console-socket", receiver.path, "-b", bundle.path, "bad2")
    assert r.returncode != 0
    assert "process.terminal is false" in r.stderr
    assert runtime.ids() == []
    r = runtime("create", "--console-socket", "/nonexistent/sock", "-b", bundle.path, "bad3")
    assert r.returncode != 0
    assert runtime.ids() == []


def script(command, timeout=120):
    """Run `command` on a fresh pty (util-linux script): what a user's terminal looks like."""
    return subprocess.run(["script", "-qefc", command, "/dev/null"], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def test_attached_run_with_pty_returns_exit_code(runtime, bundle):
    cfg = bundle.config
    cfg["process"]["terminal"] = True
    cfg["process"]["args"] = ["sh", "-c", "tty; [ -t 0 ] && echo stdin-is-a-tty; exit 7"]
    bundle.write()
    cmd = " ".join(shlex.quote(a) for a in runtime.cmd("run", "-b", bundle.path, "tty3"))
    r = script(f"stty -g; {cmd}; rc=$?; stty -g; exit $rc")
    assert r.returncode == 7, r.stdout + r.stderr
    assert "/dev/pts/0" in r.stdout
    assert "stdin-is-a-tty" in r.stdout
    # The user's terminal settings are restored after the raw-mode relay. (script(1) writes
    # an end-of-file character into the pty when its own stdin ends; once the terminal is back
    # in cooked mode it can be echoed, e.g. "^@", in front of the second `stty -g`.)
    settings = re.findall(r"[0-9a-f]+(?::[0-9a-f]+){20,}", r.stdout)
    assert len(settings) == 2 and settings[0] == settings[1], r.stdout
    assert runtime.ids() == []  # an attached run deletes its container, as runc's


def test_attached_exec_with_pty(runtime, bundle):
    start_detached(runtime, bundle, "tty4")
    cmd = " ".join(shlex.quote(a) for a in runtime.cmd("exec", "-t", "tty4", "sh", "-c",
                                                       "tty; exit 5"))
    r = script(cmd)
    assert r.returncode == 5, r.stdout + r.stderr
    assert "/dev/pts/" in r.stdout
    # Without a terminal of our own, the relay still works from pipes.
    r = runtime("exec", "-t", "tty4", "sh", "-c", "read x; echo got-$x; exit 4", input="abc\n")
    assert r.returncode == 4, r.stderr
    assert "got-abc" in r.stdout
