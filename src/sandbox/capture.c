/* One attached process of a sandbox (capture.h). */
#include "sandbox/capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void keep(struct sandbox_stream *s, long long cap, const char *buf, size_t n)
{
    size_t room = (size_t)cap > s->len ? (size_t)cap - s->len : 0;
    size_t take = n < room ? n : room;
    if (take < n)
        s->truncated = true;
    if (take == 0)
        return;
    char *p = realloc(s->data, s->len + take + 1);
    if (p == NULL)
        abort();
    s->data = p;
    memcpy(s->data + s->len, buf, take);
    s->len += take;
    s->data[s->len] = '\0';
}

/* Read what is there; returns false at EOF. */
static bool pump(int fd, struct sandbox_stream *s, long long cap)
{
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    keep(s, cap, buf, (size_t)n);
    return true;
}

int sandbox_capture_run(struct sandbox_capture *c, sandbox_start_fn start, sandbox_kill_fn kill_fn,
                        void *data, hull_err **err)
{
    int out[2], errp[2];
    if (pipe2(out, O_CLOEXEC) < 0)
        return hull_error(err, errno, "stdout pipe");
    if (pipe2(errp, O_CLOEXEC) < 0) {
        close(out[0]);
        close(out[1]);
        return hull_error(err, errno, "stderr pipe");
    }
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fds[3] = {null, out[1], errp[1]};
    int saved[3] = {-1, -1, -1};
    for (int fd = 0; fd < 3 && !c->start_takes_fds; fd++) {
        saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        dup2(fds[fd], fd);
    }
    long long t0 = now_ns();
    pid_t pid = -1;
    int rc = start(data, fds, &pid, err);
    for (int fd = 0; fd < 3 && !c->start_takes_fds; fd++) {
        if (saved[fd] >= 0) {
            dup2(saved[fd], fd);
            close(saved[fd]);
        } else {
            close(fd);
        }
    }
    close(null);
    close(out[1]);
    close(errp[1]);
    cleanup_close int ofd = out[0], efd = errp[0];
    if (rc < 0)
        return -1;
    cleanup_close int pidfd = c->wait_fd ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
    int done_fd = c->wait_fd ? c->wait_fd(data) : pidfd;
    if (done_fd < 0) {
        hull_error(err, errno, "pidfd_open %d", (int)pid);
        kill_fn(data);
        waitpid(pid, NULL, 0);
        return -1;
    }
    if (c->ready && sandbox_ready_start(c->ready, pid, err) < 0) {
        kill_fn(data);
        if (!c->reap)
            waitpid(pid, NULL, 0);
        return -1;
    }
    bool ready_killed = false;
    fcntl(ofd, F_SETFL, O_NONBLOCK);
    fcntl(efd, F_SETFL, O_NONBLOCK);
    long long deadline = c->timeout_ns > 0 ? t0 + c->timeout_ns : 0;
    bool exited = false, o_open = true, e_open = true;
    long long drain_until = 0;
    while (!exited || o_open || e_open) {
        struct pollfd p[5] = {{.fd = o_open ? ofd : -1, .events = POLLIN},
                              {.fd = e_open ? efd : -1, .events = POLLIN},
                              {.fd = exited ? -1 : done_fd, .events = POLLIN}};
        int np = 3;
        int wait_ms = -1;
        long long now = now_ns();
        if (deadline && !c->timed_out && !exited)
            wait_ms = deadline > now ? (int)((deadline - now) / 1000000 + 1) : 0;
        if (c->ready && !exited && !ready_killed) {
            np += sandbox_ready_fds(c->ready, p + 3);
            int rw = sandbox_ready_wait_ms(c->ready, now);
            if (rw >= 0 && (wait_ms < 0 || rw < wait_ms))
                wait_ms = rw;
        }
        if (exited) {
            /* Something in the background may hold the pipes: 200 ms of quiet ends the run. */
            if (drain_until == 0)
                drain_until = now + 200000000LL;
            if (now >= drain_until)
                break;
            wait_ms = (int)((drain_until - now) / 1000000 + 1);
        }
        int n = poll(p, (nfds_t)np, wait_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            hull_error(err, errno, "poll");
            kill_fn(data);
            if (!c->reap)
                waitpid(pid, NULL, 0);
            return -1;
        }
        if (n == 0 && deadline && !exited && !c->timed_out && now_ns() >= deadline) {
            c->timed_out = true;
            kill_fn(data);
            continue;
        }
        if (c->ready && !exited && !ready_killed &&
            sandbox_ready_step(c->ready, p + 3, np - 3, now_ns())) {
            ready_killed = true;
            kill_fn(data);
        }
        if (p[0].revents && !pump(ofd, &c->out, c->cap))
            o_open = false;
        if (p[1].revents && !pump(efd, &c->err, c->cap))
            e_open = false;
        if (p[2].revents && c->reap) {
            if (c->reap(data, &c->status, err) < 0) {
                kill_fn(data);
                return -1;
            }
            c->wall_ns = now_ns() - t0;
            exited = true;
        } else if (p[2].revents & POLLIN) {
            while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
                ;
            c->wall_ns = now_ns() - t0;
            exited = true;
        }
    }
    return 0;
}

void sandbox_capture_clear(struct sandbox_capture *c)
{
    free(c->out.data);
    free(c->err.data);
    c->out.data = c->err.data = NULL;
}
