/* One health probe: the test command run inside the container through libhull's exec, its
 * output captured, its timeout enforced, its result recorded (see health.h). */
#include "container/event_emit.h"
#include "container/health.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/monitor_io.h"
#include "container/status.h"
#include "runtime/exec.h"
#include "util/cleanup.h"
#include "util/time.h"

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Start argv in the container with stdin on /dev/null and stdout + stderr on out_w; the
 * process is our child. Our own fds 0-2 are lent to it for the exec and restored. */
static int spawn_in_container(container_store *cs, container_record *r, char **argv, int out_w,
                              pid_t *pid, hull_err **err)
{
    cleanup_close int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0)
        return hull_error(err, errno, "open /dev/null");
    int saved[3];
    for (int fd = 0; fd < 3; fd++)
        saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    dup2(null, 0);
    dup2(out_w, 1);
    dup2(out_w, 2);
    struct exec_opts eo = {
        .id = r->id,
        .args = argv,
        .tty_set = true,
        .detach = true,
        .no_new_privs = !json_is_false(
            json_object_get(json_object_get(r->doc, "HostConfig"), "NoNewPrivileges")),
        .pid_out = pid,
    };
    const struct runtime_opts *ro = &cs->runtime;
    int code = 0;
    int rc = runtime_exec(ro, &eo, &code, err);
    for (int fd = 0; fd < 3; fd++) {
        if (saved[fd] >= 0) {
            dup2(saved[fd], fd);
            close(saved[fd]);
        } else {
            close(fd);
        }
    }
    return rc;
}

/* Valid UTF-8 (invalid bytes become U+FFFD), "..." appended when output was cut. */
static char *output_text(const char *buf, size_t len, bool truncated)
{
    char *out = malloc(len * 3 + 4);
    if (out == NULL)
        abort();
    const unsigned char *p = (const unsigned char *)buf;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = p[i] < 0x80 ? (p[i] ? 1 : 0) : utf8_seq_len(p + i, len - i);
        if (n == 0) {
            memcpy(out + o, p[i] ? "\xef\xbf\xbd" : " ", p[i] ? 3 : 1); /* NUL: a space */
            o += p[i] ? 3 : 1;
            i++;
            continue;
        }
        memcpy(out + o, p + i, n);
        o += n;
        i += n;
    }
    if (truncated) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return out;
}

struct capture {
    char buf[HEALTH_OUTPUT_MAX];
    size_t len;
    bool truncated;
};

/* Read what is there; false at EOF (or error). */
static bool capture_read(struct capture *c, int fd)
{
    char scratch[4096];
    for (;;) {
        char *dst = c->len < sizeof c->buf ? c->buf + c->len : scratch;
        size_t room = c->len < sizeof c->buf ? sizeof c->buf - c->len : sizeof scratch;
        ssize_t n = read(fd, dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN;
        if (n == 0)
            return false;
        if (dst == scratch)
            c->truncated = true;
        else
            c->len += (size_t)n;
    }
}

enum probe_end { PROBE_EXITED, PROBE_TIMED_OUT, PROBE_ABORTED };

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

/* Collect output until the process exits, the deadline passes or a stop signal arrives. */
static enum probe_end wait_probe(pid_t pid, int out_r, int sfd, long long timeout_ns,
                                 struct capture *cap, int *status)
{
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long long deadline = mono_ns() + timeout_ns;
    bool eof = false;
    for (;;) {
        struct pollfd p[3] = {{.fd = pidfd, .events = POLLIN},
                              {.fd = sfd, .events = POLLIN},
                              {.fd = eof ? -1 : out_r, .events = POLLIN}};
        long long left = deadline - mono_ns();
        if (left <= 0)
            return PROBE_TIMED_OUT;
        if (pidfd < 0 && left > 10000000LL)
            left = 10000000LL; /* no pidfd (old kernel): look at the process every 10 ms */
        struct timespec ts = {.tv_sec = left / 1000000000LL, .tv_nsec = left % 1000000000LL};
        int rc = ppoll(p, 3, &ts, NULL);
        if (rc < 0 && errno != EINTR)
            return PROBE_TIMED_OUT;
        if (rc > 0 && p[2].revents)
            eof = !capture_read(cap, out_r);
        if (rc > 0 && p[1].revents)
            return PROBE_ABORTED;
        if (((rc > 0 && p[0].revents) || pidfd < 0) && waitpid(pid, status, WNOHANG) == pid) {
            capture_read(cap, out_r); /* what it wrote last (descendants may keep writing) */
            return PROBE_EXITED;
        }
    }
}

int health_probe_run(container_store *cs, container_record *r, struct health_result *res,
                     hull_err **err)
{
    memset(res, 0, sizeof *res);
    cleanup_free char **argv = health_probe_argv(r->healthcheck);
    if (argv == NULL)
        return hull_error(err, 0, "container %s has no health check", r->name);
    struct health_timing t;
    health_timing_from_json(r->healthcheck, &t);
    const struct runtime_opts *ro = &cs->runtime;
    /* Before anything below changes fds: this may re-execute hull. */
    if (runtime_exec_protect(ro, r->id, err) < 0)
        return -1;

    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return hull_error(err, errno, "health check of %s: pipe", r->name);
    cleanup_close int out_r = out[0];
    fcntl(out_r, F_SETFL, O_NONBLOCK);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    res->start_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
    time_rfc3339_now(res->start, true);
    pid_t pid = -1;
    cleanup_err hull_err *exec_err = NULL;
    int rc = spawn_in_container(cs, r, argv, out[1], &pid, &exec_err);
    close(out[1]);
    struct capture cap = {.len = 0};
    enum probe_end end = PROBE_EXITED;
    int status = 0;
    if (rc == 0) {
        /* Stop signals end the check (and kill the command). Blocked only now: the command
         * inherits the signal mask we have during the exec. */
        sigset_t stop, old;
        stop_signals(&stop);
        sigprocmask(SIG_BLOCK, &stop, &old);
        cleanup_close int sfd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
        end = wait_probe(pid, out_r, sfd, t.timeout, &cap, &status);
        if (end != PROBE_EXITED) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        }
        if (end == PROBE_ABORTED) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0) /* handled: do not let it kill us now */
                ;
        }
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    time_rfc3339_now(res->end, true);
    if (rc < 0) {
        /* docker records a probe that could not start as exit -1 with the error. */
        const char *msg = exec_err && exec_err->msg ? exec_err->msg : "exec failed";
        res->exit_code = -1;
        res->output = output_text(msg, strlen(msg), false);
    } else if (end == PROBE_TIMED_OUT) {
        char d[48];
        health_format_duration(t.timeout, d, sizeof d);
        res->exit_code = -1;
        if (asprintf(&res->output, "Health check exceeded timeout (%s)", d) < 0)
            abort();
    } else if (end == PROBE_ABORTED) {
        return hull_error(err, EINTR, "health check of %s interrupted", r->name);
    } else {
        res->exit_code = relay_exit_code(status);
        res->output = output_text(cap.buf, cap.len, cap.truncated);
    }
    return 0;
}

/* Whether the container's first process is exiting or gone. When it exits, the kernel kills
 * every process of its pid namespace, the probe's included: that is no health failure. */
static bool init_exiting(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    char state = 0;
    unsigned flags = 0;
    if (p == NULL || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %u", &state, &flags) != 2)
        return true;
    return state == 'Z' || state == 'X' || (flags & 0x4) != 0; /* 0x4: PF_EXITING */
}

int container_health_check(container_store *cs, container_record *r, bool *passed,
                           enum health_status *status, hull_err **err)
{
    if (r->healthcheck == NULL)
        return hull_error(err, 0, "container %s has no health check", r->name);
    struct container_state_info before, after;
    if (container_status_get(cs, r, &before, err) < 0)
        return -1;
    if (before.state != CONTAINER_RUNNING || before.pid <= 0)
        return hull_error(err, 0, "container %s is %s, not running", r->name,
                          container_state_name(before.state));
    struct health_result res;
    if (health_probe_run(cs, r, &res, err) < 0)
        return -1;
    /* Stopped or restarted meanwhile: the result belongs to no run (docker drops it too). */
    int rc = container_status_get(cs, r, &after, err);
    if (rc == 0 && (after.state != CONTAINER_RUNNING || after.generation != before.generation ||
                    init_exiting(before.pid)))
        rc = hull_error(err, 0, "container %s stopped during its health check", r->name);
    if (rc == 0) {
        /* Not killed half-way through the update: a stop signal waits until it is done. */
        sigset_t stop, old;
        stop_signals(&stop);
        sigprocmask(SIG_BLOCK, &stop, &old);
        rc = health_record_result(r, &res, before.started_at, status, err);
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    *passed = res.exit_code == 0;
    health_result_clear(&res);
    /* docker's health_status event: when the status changes. */
    if (rc == 0 && strcmp(before.health, health_status_name(*status)) != 0) {
        char action[64];
        snprintf(action, sizeof action, "health_status: %s", health_status_name(*status));
        container_event(cs, r, action, NULL, NULL);
    }
    return rc;
}
