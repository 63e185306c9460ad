"""`hull attach` and detached interactive containers (-dit, -di): the monitor keeps the
container's stdin open and serves its attach socket (in the run directory); clients relay stdio, resize the pty, detach
with the key sequence, get the exit code; several at once; stalled ones are dropped; restarts."""
import fcntl
import os
import select
import signal
import socket
import struct
import subprocess
import termios
import time

from hull_helpers import attach_socket, hull, runtime_root, RUNTIME_RUN_DIR  # noqa: F401


class PtyClient:
    """`hull attach` (or any hull command) on a fresh pty of its own, as its controlling
    terminal: resizing the master sends it SIGWINCH, as a terminal emulator would."""

    def __init__(self, hull, *args, rows=30, cols=100):
        self.master, slave = os.openpty()
        self.resize(rows, cols, fd=slave)

        def become_controlling():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(hull.cmd(*args), env=hull.env, stdin=slave, stdout=slave,
                                     stderr=slave, start_new_session=True,
                                     preexec_fn=become_controlling)
        os.close(slave)
        self.seen = b""

    def resize(self, rows, cols, fd=None):
        fcntl.ioctl(self.master if fd is None else fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", rows, cols, 0, 0))

    def write(self, data):
        os.write(self.master, data)

    def read_until(self, needle, timeout=60):
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {needle!r}; got {self.seen!r}"
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:  # EIO: every slave fd is closed
                    chunk = b""
                if not chunk:
                    assert needle in self.seen, f"EOF before {needle!r}; got {self.seen!r}"
                self.seen += chunk
        return self.seen

    def wait(self, timeout=60):
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.drain()

    def drain(self):
        while select.select([self.master], [], [], 0)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.seen += chunk

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)


class PipeClient:
    """`hull attach` with pipes for stdin/stdout/stderr (no terminal)."""

    def __init__(self, hull, *args):
        self.proc = hull.popen(*args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        self.seen = b""

    def write(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def read_until(self, needle, timeout=60):
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {needle!r}; got {self.seen!r}"
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 4096)
                assert chunk, f"EOF before {needle!r}; got {self.seen!r}"
                self.seen += chunk
        return self.seen

    def finish(self, timeout=60):
        """Close stdin, return (exit status, rest of stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, self.seen + out, err

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def client_count(hull, ref):
    """Connected attach clients: the monitor's sockets besides the listening one (fd 6)."""
    mon = hull.state(ref)["MonitorPid"]
    fds = os.listdir(f"/proc/{mon}/fd")
    return sum(1 for fd in fds
               if fd != "6" and os.readlink(f"/proc/{mon}/fd/{fd}").startswith("socket:"))


def socket_path(hull, ref):
    return attach_socket(hull.root, hull.inspect(ref)["Id"])


def test_dit_shell_keeps_running_and_attach_returns_its_exit_code(hull):
    hull.run_d("-it", "--name", "box", "busybox", "sh")
    # No client yet: the pty never reports end of input, the shell waits (docker's `-dit`).
    # (Watching for something that must not happen: a slow machine only makes it pass.)
    time.sleep(0.5)
    assert hull.state("box")["Status"] == "running"
    path = socket_path(hull, "box")
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    c = PtyClient(hull, "attach", "box")
    try:
        # The split marker is not in the echo of what was typed, only in the output.
        c.write(b"echo mar''ker; exit 3\r")
        c.read_until(b"marker\r\n")
        assert c.wait() == 3
    finally:
        c.close()
    st = hull.state("box")
    assert st["Status"] == "exited" and st["ExitCode"] == 3
    assert not os.path.exists(path)
    # What was typed and printed went to the log as well.
    assert "marker" in hull.logs("box").stdout


def test_detach_keys_leave_the_container_running_and_reattach_works(hull):
    hull.run_d("-it", "--name", "stay", "busybox", "sh")
    c = PtyClient(hull, "attach", "stay")
    try:
        c.write(b"echo one-$((40+2))\r")
        c.read_until(b"one-42")
        c.write(b"\x10\x11")  # ctrl-p ctrl-q
        assert c.wait() == 1
        assert b"read escape sequence" in c.seen
    finally:
        c.close()
    assert hull.state("stay")["Status"] == "running"
    # Again, with other keys; the first ctrl-a (a broken sequence) reaches the shell.
    c = PtyClient(hull, "attach", "--detach-keys", "ctrl-a,x", "stay")
    try:
        c.write(b"echo two-$((40+3))\r")
        c.read_until(b"two-43")
        c.write(b"\x01\x01x")
        assert c.wait() == 1
        assert b"read escape sequence" in c.seen
    finally:
        c.close()
    assert hull.state("stay")["Status"] == "running"
    c = PtyClient(hull, "attach", "stay")
    try:
        c.write(b"\x15exit 0\r")  # ctrl-u first: an empty line whatever was typed before
        assert c.wait() == 0
    finally:
        c.close()
    assert hull.state("stay")["ExitCode"] == 0


def test_di_cat_relays_lines_to_the_client_and_the_log(hull):
    hull.run_d("-i", "--name", "cat", "busybox", "cat")
    time.sleep(0.3)  # must not end meanwhile (a slow machine only makes this pass)
    assert hull.state("cat")["Status"] == "running"  # stdin held open by the monitor
    c = PipeClient(hull, "attach", "cat")
    try:
        c.write(b"first line\n")
        c.read_until(b"first line\n")
        c.write(b"second line\n")
        c.read_until(b"second line\n")
        # End of our input closes the container's stdin: cat exits 0, so does attach.
        code, out, err = c.finish()
    finally:
        c.close()
    assert code == 0, err
    assert out == b"first line\nsecond line\n"
    assert hull.logs("cat").stdout == "first line\nsecond line\n"
    assert hull.state("cat")["ExitCode"] == 0


def test_without_i_a_detached_cat_ends_at_once_and_attach_has_no_stdin(hull):
    # docker: `run -d busybox cat` reads /dev/null.
    hull.run_d("--name", "nostdin", "busybox", "cat")
    assert hull("wait", "nostdin", check=True).stdout == "0\n"
    # -dt without -i: the shell waits on its pty; attach relays output but sends no input.
    hull.run_d("-t", "--name", "ttyonly", "busybox", "sh", "-c",
               "trap 'echo bye; exit 9' TERM; echo ready; while :; do sleep 0.05; done")
    p = hull.popen("attach", "ttyonly", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    try:
        hull.wait_for(lambda: "ready" in hull.logs("ttyonly").stdout, what="ready")
        hull.wait_for(lambda: client_count(hull, "ttyonly") == 1, what="attach to connect")
        hull("kill", "-s", "TERM", "ttyonly", check=True)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 9, err
    assert b"bye" in out


def test_two_clients_at_once(hull):
    hull.run_d("-i", "--name", "duo", "busybox", "sh")
    a = PipeClient(hull, "attach", "duo")
    b = PipeClient(hull, "attach", "--no-stdin", "duo")
    try:
        # Until b is connected it misses output: ping until it sees one.
        deadline = time.monotonic() + 60
        n = 0
        while b"ping" not in b.seen:
            assert time.monotonic() < deadline, "second client never saw output"
            n += 1
            a.write(b"echo ping-%d\n" % n)
            if select.select([b.proc.stdout], [], [], 0.2)[0]:
                b.seen += os.read(b.proc.stdout.fileno(), 4096)
        a.write(b"echo both-$((6*7)); echo to-err >&2\n")
        a.read_until(b"both-42")
        b.read_until(b"both-42")
        a.write(b"exit 5\n")
        code_a, _, err_a = a.finish()
        code_b, _, err_b = b.finish()
    finally:
        a.close()
        b.close()
    assert (code_a, code_b) == (5, 5)
    assert b"to-err" in err_a and b"to-err" in err_b


def test_attach_refuses_a_container_that_is_not_running(hull):
    hull("create", "--name", "fresh", "-i", "busybox", "cat", check=True)
    r = hull("attach", "fresh")
    assert r.returncode == 1
    assert r.stderr == "hull: cannot attach to a stopped container, start it first\n"
    hull.run_d("--name", "done", "busybox", "true")
    hull("wait", "done", check=True)
    r = hull("attach", "done")
    assert (r.returncode, r.stderr.count("\n")) == (1, 1)
    assert "cannot attach to a stopped container" in r.stderr
    hull.run_d("--name", "frozen", "busybox", "sleep", "30")
    hull("pause", "frozen", check=True)
    r = hull("attach", "frozen")
    assert r.returncode == 1
    assert r.stderr == "hull: cannot attach to a paused container, unpause it first\n"
    hull("unpause", "frozen", check=True)
    r = hull("attach", "nosuch")
    assert r.returncode == 1 and r.stderr == "hull: no such container: nosuch\n"
    # A terminal container wants a terminal (docker's check), unless stdin stays out of it.
    hull.run_d("-it", "--name", "needtty", "busybox", "sh")
    r = hull("attach", "needtty", input="")
    assert r.returncode == 1 and r.stderr == "hull: the input device is not a TTY\n"
    r = hull("attach", "--detach-keys", "ctrl-1", "needtty")
    assert r.returncode == 125 and "unknown key `ctrl-1`" in r.stderr


def test_window_size_follows_the_client_terminal(hull):
    hull.run_d("-it", "--name", "sizes", "busybox", "sh")
    c = PtyClient(hull, "attach", "sizes", rows=30, cols=100)
    try:
        c.write(b"stty size\r")
        c.read_until(b"30 100\r\n")
        c.resize(41, 123)  # the kernel sends SIGWINCH to hull attach
        deadline = time.monotonic() + 60
        while b"41 123\r\n" not in c.seen:
            assert time.monotonic() < deadline, f"size not propagated: {c.seen!r}"
            c.write(b"stty size\r")
            time.sleep(0.1)
            c.drain()
        c.write(b"exit\r")
        assert c.wait() == 0
    finally:
        c.close()


def test_create_i_then_start_then_attach(hull):
    hull("create", "-it", "--name", "later", "busybox", "sh", check=True)
    assert hull("start", "later", check=True).stdout == "later\n"
    c = PtyClient(hull, "attach", "later")
    try:
        c.write(b"echo started-$((1+1)); exit 4\r")
        c.read_until(b"started-2")
        assert c.wait() == 4
    finally:
        c.close()
    # `start -a -i`: attached in-process, hull's stdin feeds the container.
    hull("create", "-i", "--name", "piped", "busybox", "sh", check=True)
    r = hull("start", "-a", "-i", "piped", input="echo via-$((2+2))\nexit 6\n")
    assert (r.returncode, r.stdout) == (6, "via-4\n")
    # And `start` (detached) of a -i container: the stdin pipe is held for attach again.
    hull("start", "piped", check=True)
    c = PipeClient(hull, "attach", "piped")
    try:
        c.write(b"echo again\n")
        c.read_until(b"again\n")
        code, _, _ = c.finish()
    finally:
        c.close()
    assert code == 0


def test_exec_is_unaffected(hull):
    hull.run_d("-it", "--name", "ex", "busybox", "sh")
    r = hull("exec", "ex", "echo", "from-exec", check=True)
    assert r.stdout == "from-exec\n"
    c = PtyClient(hull, "exec", "-it", "ex", "sh")
    try:
        c.write(b"echo in-$((3*3)); exit 2\r")
        c.read_until(b"in-9")
        assert c.wait() == 2
    finally:
        c.close()
    assert hull.state("ex")["Status"] == "running"


def test_restart_gives_the_new_run_a_new_stdin(hull):
    hull.run_d("-i", "--restart", "always", "--name", "phoenix", "busybox", "sh")
    a = PipeClient(hull, "attach", "phoenix")
    try:
        a.write(b"echo gen-one\n")
        a.read_until(b"gen-one\n")
        a.write(b"exit 7\n")
        # The old run's clients get its exit code and are disconnected.
        assert a.proc.wait(timeout=60) == 7
    finally:
        a.close()
    hull.wait_for(lambda: hull.state("phoenix")["Status"] == "running"
                  and hull.inspect("phoenix")["RestartCount"] == 1, what="restarted")
    b = PipeClient(hull, "attach", "phoenix")
    try:
        b.write(b"echo gen-two\n")
        b.read_until(b"gen-two\n")
        # A client of the last run gets the final exit (sh ignores TERM as PID 1: KILL).
        assert hull("stop", "-t", "1", "phoenix").returncode == 0
        code, _, _ = b.finish()
    finally:
        b.close()
    assert code == 137
    assert "gen-one\ngen-two\n" in hull.logs("phoenix").stdout


def test_attach_to_an_attached_run(hull):
    runner = hull.popen("run", "-i", "--name", "fg", "busybox", "cat", stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    b = None

    def socket_ready():
        # A run that ended cannot make its socket: fail now, with its message.
        assert runner.poll() is None, f"hull run -i ended ({runner.returncode}): " \
            f"{runner.stderr.read().decode(errors='replace')}"
        return hull("inspect", "fg").returncode == 0 and os.path.exists(socket_path(hull, "fg"))
    try:
        hull.wait_for(socket_ready, what="socket")
        b = PipeClient(hull, "attach", "fg")
        deadline = time.monotonic() + 60
        n = 0
        while b"ping" not in b.seen:
            assert time.monotonic() < deadline, "client never saw output"
            n += 1
            runner.stdin.write(b"ping-%d\n" % n)
            runner.stdin.flush()
            if select.select([b.proc.stdout], [], [], 0.2)[0]:
                b.seen += os.read(b.proc.stdout.fileno(), 4096)
        # Both stdins feed cat; the client's end of input ends it.
        b.write(b"from-client\n")
        b.read_until(b"from-client\n")
        code, _, _ = b.finish()
        out, _ = runner.communicate(timeout=60)
    finally:
        if b:
            b.close()
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    assert code == 0 and runner.returncode == 0
    assert b"from-client\n" in out


def test_a_stalled_client_is_dropped_and_the_log_goes_on(hull):
    hull.run_d("-i", "--name", "flood", "busybox", "sh", "-c",
               "read go; i=0; while [ $i -lt 30000 ]; do echo line-$i; i=$((i+1)); done")
    # This client's stdout is a pipe nobody reads: it stops reading the socket.
    stalled = hull.popen("attach", "flood", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        hull.wait_for(lambda: client_count(hull, "flood") == 1, what="client connected")
        stalled.stdin.write(b"go\n")
        stalled.stdin.flush()
        # A client that blocked the relay would block the container: wait would time out.
        r = hull("wait", "flood", timeout=180)
        assert r.stdout == "0\n"
        lines = hull.logs("flood").stdout.splitlines()
        assert lines == [f"line-{i}" for i in range(30000)]
    finally:
        stalled.kill()
        stalled.communicate()


def test_rm_f_with_clients_attached_leaves_nothing(hull):
    hull.run_d("-it", "--name", "gone", "busybox", "sh")
    c = PtyClient(hull, "attach", "gone")
    d = PipeClient(hull, "attach", "--no-stdin", "gone")
    try:
        c.write(b"echo attached-$((5*5))\r")
        c.read_until(b"attached-25")
        path = socket_path(hull, "gone")
        assert hull("rm", "-f", "gone").returncode == 0
        assert c.wait() == 137
        code, _, _ = d.finish()
        assert code == 137
        assert not os.path.exists(path)
    finally:
        c.close()
        d.close()
    # The fixture checks that no process, mount or state is left behind.


def test_monitor_with_attach_stays_small(hull):
    hull.run_d("-it", "--name", "small", "busybox", "sh")
    c = PtyClient(hull, "attach", "small")
    try:
        c.write(b"echo hi-$((1+1))\r")
        c.read_until(b"hi-2")
        c.write(b"\x10\x11")
        assert c.wait() == 1
    finally:
        c.close()
    mon = hull.state("small")["MonitorPid"]
    with open(f"/proc/{mon}/status") as f:
        rss = int(next(l for l in f if l.startswith("VmRSS")).split()[1])
    assert rss < 1024, f"monitor RSS after an attach {rss} KiB"


def test_signals_are_proxied_unless_disabled(hull):
    hull.run_d("--name", "sig", "busybox", "sh", "-c",
               "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 4' TERM; echo ready; "
               "while :; do sleep 0.05; done")
    hull.wait_for(lambda: "ready" in hull.logs("sig").stdout, what="ready")
    # --sig-proxy=false: a signal ends the client, the container runs on.
    p = hull.popen("attach", "--sig-proxy=false", "sig", stdout=subprocess.PIPE)
    try:
        hull.wait_for(lambda: client_count(hull, "sig") == 1, what="client connected")
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if p.poll() is None:
            p.kill()
        p.communicate()
    assert hull.state("sig")["Status"] == "running"
    c = PipeClient(hull, "attach", "sig")
    try:
        hull.wait_for(lambda: client_count(hull, "sig") == 1, what="client connected")
        c.proc.send_signal(signal.SIGUSR1)
        c.read_until(b"got-usr1\n")
        c.proc.send_signal(signal.SIGTERM)
        code, out, _ = c.finish()
    finally:
        c.close()
    assert code == 4 and b"got-term\n" in out


def test_a_ninth_client_is_refused(hull):
    hull.run_d("-i", "--name", "crowd", "busybox", "cat")
    clients = [PipeClient(hull, "attach", "--no-stdin", "crowd") for _ in range(8)]
    try:
        hull.wait_for(lambda: client_count(hull, "crowd") == 8, what="8 clients")
        r = hull("attach", "--no-stdin", "crowd")
        assert r.returncode == 1
        assert r.stderr == "hull: container crowd: too many clients attached (at most 8)\n"
        # One leaves, another may come.
        clients.pop().close()
        hull.wait_for(lambda: client_count(hull, "crowd") == 7, what="7 clients")
        last = PipeClient(hull, "attach", "crowd")
        clients.append(last)
        last.write(b"for-everyone\n")
        for c in clients:
            c.read_until(b"for-everyone\n")
        code, _, _ = last.finish()  # end of its input ends cat
        assert code == 0
        for c in clients[:-1]:
            assert c.finish()[0] == 0
    finally:
        for c in clients:
            c.close()


def test_frames_still_flow_after_the_container_closed_its_stdin(hull):
    hull.run_d("-i", "--name", "shut", "busybox", "sh", "-c",
               "exec 0<&-; trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.05; done")
    hull.wait_for(lambda: "ready" in hull.logs("shut").stdout, what="ready")
    c = PipeClient(hull, "attach", "shut")
    try:
        hull.wait_for(lambda: client_count(hull, "shut") == 1, what="client connected")
        c.write(b"nobody reads this\n")  # the monitor's write fails: input dropped
        time.sleep(0.2)  # give it the chance to (if it has not, the test proves less, no more)
        c.proc.send_signal(signal.SIGUSR1)
        c.read_until(b"got-usr1\n")
    finally:
        c.close()


def test_run_it_on_a_terminal_detaches_with_the_keys_and_misses_no_output(hull):
    # The program prints at once: attached before it starts, the terminal sees its first line.
    c = PtyClient(hull, "run", "-it", "--name", "fgtty", "busybox", "sh", "-c",
                  "echo first-$((40+2)); exec sh")
    try:
        c.read_until(b"first-42")
        c.write(b"echo typed-$((40+3))\r")
        c.read_until(b"typed-43")
        c.write(b"\x10\x11")  # ctrl-p ctrl-q: docker's `run -it` returns 0, silently
        assert c.wait() == 0
        assert b"read escape sequence" not in c.seen
    finally:
        c.close()
    assert hull.state("fgtty")["Status"] == "running"
    c = PtyClient(hull, "attach", "fgtty")
    try:
        c.write(b"\x15exit 4\r")
        assert c.wait() == 4
    finally:
        c.close()
    assert hull.state("fgtty")["ExitCode"] == 4
    assert "first-42" in hull.logs("fgtty").stdout


def test_run_it_rm_returns_the_exit_code_once_the_container_is_gone(hull):
    c = PtyClient(hull, "run", "-it", "--rm", "--detach-keys", "ctrl-a,x", "--name", "gone1",
                  "busybox", "sh")
    try:
        c.write(b"echo in-$((40+5))\r")
        c.read_until(b"in-45")
        c.write(b"\x01\x01exit 6\r")  # a broken sequence reaches the shell (ctrl-a is harmless)
        assert c.wait() == 6
    finally:
        c.close()
    assert hull("inspect", "gone1").returncode != 0
    r = hull("run", "-it", "--detach-keys", "ctrl-", "busybox", "true")
    # docker's usage error: the reason, then where the help is.
    assert r.returncode == 125 and "--detach-keys" in r.stderr.splitlines()[0]


def test_the_socket_is_in_the_run_directory_and_each_run_makes_its_own(hull):
    cid = hull.run_d("-i", "--name", "where", "busybox", "cat")
    path = attach_socket(hull.root, cid)
    if runtime_root(hull.root).startswith(RUNTIME_RUN_DIR + "/"):
        # Per boot, on a tmpfs: nothing in the container directory on the data root.
        assert path.startswith(RUNTIME_RUN_DIR + "/")
        assert not os.path.exists(os.path.join(hull.containers_dir, cid, "attach.sock"))
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    first = os.stat(path).st_ino
    hull("restart", "-t", "5", "where", check=True)
    hull.wait_for(lambda: os.path.exists(path) and os.stat(path).st_ino != first,
                  what="the new run's socket")
    c = PipeClient(hull, "attach", "where")
    try:
        c.write(b"after-restart\n")
        c.read_until(b"after-restart\n")
        code, _, _ = c.finish()
        assert code == 0
    finally:
        c.close()
    hull.wait_for(lambda: not os.path.exists(path), what="the socket removed at the exit")


def test_a_killed_monitors_socket_goes_with_the_container(hull):
    cid = hull.run_d("--name", "orphan", "busybox", "sleep", "1000")
    path = attach_socket(hull.root, cid)
    assert os.path.exists(path)
    os.kill(hull.state("orphan")["MonitorPid"], signal.SIGKILL)
    hull.wait_for(lambda: "(unmonitored)" in hull("ps", check=True).stdout, what="unmonitored")
    assert os.path.exists(path)  # stale: nobody listens
    hull("rm", "-f", "orphan", check=True)
    assert not os.path.exists(path)
    # The fixture checks that no socket is left in the run directory.


def test_attach_reaches_a_monitor_listening_in_the_container_directory(hull):
    """A run started by a hull from before the socket moved listens on DIR/attach.sock."""
    cid = hull.run_d("--name", "old", "busybox", "sleep", "1000")
    new = attach_socket(hull.root, cid)
    old = os.path.join(hull.containers_dir, cid, "attach.sock")
    if new == old:
        return  # the runtime's state is in the data root: the socket is there anyway
    os.unlink(new)  # the real monitor keeps listening, unreachable: as for an older monitor
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    dfd = os.open(os.path.dirname(old), os.O_RDONLY | os.O_DIRECTORY)
    try:
        srv.bind(f"/proc/self/fd/{dfd}/attach.sock")  # sun_path is short: as hull does
        srv.listen(1)
        p = hull.popen("attach", "--no-stdin", "old", stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        conn.send(b"o" + b"from-the-old-place\n")
        conn.send(b"x" + struct.pack("=i", 7))
        out, err = p.communicate(timeout=60)
        conn.close()
        assert p.returncode == 7, err
        assert out == b"from-the-old-place\n"
    finally:
        srv.close()
        os.close(dfd)
        if os.path.exists(old):
            os.unlink(old)
