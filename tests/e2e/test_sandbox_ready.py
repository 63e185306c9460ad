"""hull sandbox run --health-tcp / --notify / --watchdog: readiness of a service in a sandbox
(docs/sandbox.md, "Readiness"). The services are busybox `nc -l` and a static C program that
speaks sd_notify; nothing outside the sandbox is contacted."""
import json
import os
import shutil
import subprocess

import pytest

from hull_helpers import hull, mounts_under  # noqa: F401

RUN_DIR = "/run/hull-sandbox"

NOTIFY_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void say(const char *msg)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path) { fprintf(stderr, "no NOTIFY_SOCKET\n"); exit(2); }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    strncpy(sa.sun_path, path, sizeof sa.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("sendto"); exit(3);
    }
    close(fd);
    printf("sent %s\n", msg);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "ready";
    printf("socket %s usec %s\n", getenv("NOTIFY_SOCKET"),
           getenv("WATCHDOG_USEC") ? getenv("WATCHDOG_USEC") : "-");
    say("STATUS=starting");
    say("READY=1\nSTATUS=serving");
    if (strcmp(mode, "ready") == 0)
        return 0;
    if (strcmp(mode, "trigger") == 0) {
        say("WATCHDOG=trigger");
        pause();
    }
    /* watchdog: a few keep-alives, then silence until the watchdog kills us */
    for (int i = 0; i < 5; i++) {
        say("WATCHDOG=1");
        usleep(100000);
    }
    printf("silent\n");
    fflush(stdout);
    pause();
    return 0;
}
"""


@pytest.fixture(scope="module")
def notify_prog(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the static test program")
    d = tmp_path_factory.mktemp("notify")
    (d / "n.c").write_text(NOTIFY_C)
    ctx = d / "ctx"
    ctx.mkdir()
    subprocess.run(["gcc", "-static", "-O1", "-o", str(ctx / "notify"), str(d / "n.c")],
                   check=True)
    return ctx


def run(h, *args):
    r = h("sandbox", "run", "--json", *args, timeout=180)
    assert r.stdout, f"rc={r.returncode} stderr={r.stderr}"
    res = json.loads(r.stdout)
    assert not os.path.exists(os.path.join(RUN_DIR, res["id"]))
    assert not mounts_under(os.path.join(RUN_DIR, res["id"]))
    return res


def test_health_tcp(hull):
    # The service serves one connection: hull's probe. It ends only once probed.
    res = run(hull, "--health-tcp", "8080", "--timeout", "2m", "--", "sh", "-c",
              "nc -l -p 8080 </dev/null >/dev/null; echo served")
    assert res["exit_code"] == 0 and res["stdout"]["data"] == "served\n"
    rd = res["readiness"]
    assert rd["ready"] and rd["by"] == "tcp" and rd["ready_ms"] > 0
    assert not rd["watchdog_expired"]


def test_health_tcp_never_ready(hull):
    res = run(hull, "--health-tcp", "8081", "--", "sh", "-c", "echo no listener")
    assert res["exit_code"] == 0
    assert res["readiness"] == {"by": None, "ready": False, "ready_ms": None,
                                "watchdog_expired": False, "status": None}


def test_notify_ready_and_status(hull, notify_prog):
    res = run(hull, "--context", notify_prog, "--notify", "--", "./notify", "ready")
    assert res["exit_code"] == 0, res["stderr"]
    assert "socket /.hull/notify.sock usec -" in res["stdout"]["data"]
    rd = res["readiness"]
    assert rd["ready"] and rd["by"] == "notify" and rd["status"] == "serving"
    # Without --notify there is no socket.
    res = run(hull, "--context", notify_prog, "--", "./notify", "ready")
    assert res["exit_code"] == 2 and "no NOTIFY_SOCKET" in res["stderr"]["data"]
    assert "readiness" not in res


def test_watchdog_kills_a_silent_service(hull, notify_prog):
    res = run(hull, "--context", notify_prog, "--notify", "--watchdog", "5s", "--timeout",
              "5m", "--", "./notify", "watchdog")
    assert "usec 5000000" in res["stdout"]["data"]
    assert res["stdout"]["data"].count("sent WATCHDOG=1") == 5
    assert "silent" in res["stdout"]["data"]
    assert res["readiness"]["ready"] and res["readiness"]["watchdog_expired"]
    assert res["signal"] == "Killed" and not res["timed_out"]


def test_watchdog_trigger(hull, notify_prog):
    res = run(hull, "--context", notify_prog, "--notify", "--timeout", "5m", "--",
              "./notify", "trigger")
    assert res["readiness"]["watchdog_expired"] and res["signal"] == "Killed"
    assert not res["timed_out"]


def test_readiness_flags_refused_where_they_do_not_apply(hull):
    r = hull("sandbox", "run", "--watchdog", "1s", "--", "true")
    assert r.returncode != 0 and "--watchdog needs --notify" in r.stderr
    r = hull("sandbox", "run", "--health-tcp", "70000", "--", "true")
    assert r.returncode == 125 and "--health-tcp" in r.stderr
    r = hull("sandbox", "create", "--notify", f"n{os.getpid()}")
    assert r.returncode != 0 and "apply to `hull sandbox run`" in r.stderr
