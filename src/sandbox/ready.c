/* Readiness of a sandboxed service (ready.h). */
#include "sandbox/ready.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int sandbox_ready_prepare(struct sandbox_ready *r, const char *hostdir, uid_t uid, hull_err **err)
{
    r->notify_fd = r->netns_fd = r->probe_fd = -1;
    if (r->interval_ns <= 0)
        r->interval_ns = 100000000LL;
    if (!r->notify)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", hostdir, SANDBOX_NOTIFY_NAME) >=
        (int)sizeof sa.sun_path)
        return hull_error(err, ENAMETOOLONG, "notify socket in `%s`", hostdir);
    r->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (r->notify_fd < 0 || bind(r->notify_fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return hull_error(err, errno, "notify socket `%s`", sa.sun_path);
    /* Only the sandbox's root may send to it. */
    if (chown(sa.sun_path, uid, uid) < 0 || chmod(sa.sun_path, 0600) < 0)
        return hull_error(err, errno, "notify socket `%s`", sa.sun_path);
    return 0;
}

int sandbox_ready_start(struct sandbox_ready *r, pid_t pid, hull_err **err)
{
    r->t0 = now_ns();
    r->next_probe = r->t0;
    if (r->watchdog_usec > 0)
        r->watchdog_deadline = r->t0 + r->watchdog_usec * 1000;
    if (r->health_tcp <= 0)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    r->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
    /* a program that has already ended has no namespace to probe: it never became ready */
    if (r->netns_fd < 0 && errno != ENOENT && errno != ESRCH)
        return hull_error(err, errno, "open `%s`", path);
    return 0;
}

/* A non-blocking connect to 127.0.0.1:port made from inside the sandbox's namespace (the
 * socket belongs to the namespace it was created in; this thread goes back at once). */
static int probe_socket(struct sandbox_ready *r)
{
    int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0)
        return -1;
    int fd = -1;
    if (setns(r->netns_fd, CLONE_NEWNET) == 0) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (setns(self, CLONE_NEWNET) < 0)
            abort(); /* never stay in the sandbox's namespace */
    }
    close(self);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->health_tcp)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EINPROGRESS)
        return fd;
    close(fd);
    return -1;
}

int sandbox_ready_fds(struct sandbox_ready *r, struct pollfd *p)
{
    int n = 0;
    if (r->notify_fd >= 0)
        p[n++] = (struct pollfd){.fd = r->notify_fd, .events = POLLIN};
    if (r->probe_fd >= 0)
        p[n++] = (struct pollfd){.fd = r->probe_fd, .events = POLLOUT};
    return n;
}

static int ms_until(long long t, long long now)
{
    return t > now ? (int)((t - now) / 1000000 + 1) : 0;
}

int sandbox_ready_wait_ms(const struct sandbox_ready *r, long long now)
{
    int w = -1;
    if (r->health_tcp > 0 && !r->ready && r->probe_fd < 0 && r->netns_fd >= 0)
        w = ms_until(r->next_probe, now);
    if (r->watchdog_deadline > 0 && !r->watchdog_expired) {
        int d = ms_until(r->watchdog_deadline, now);
        w = w < 0 || d < w ? d : w;
    }
    return w;
}

static void mark_ready(struct sandbox_ready *r, const char *by, long long now)
{
    if (r->ready)
        return;
    r->ready = true;
    r->ready_by = by;
    r->ready_ns = now - r->t0;
}

/* One sd_notify datagram: newline-separated assignments. */
static bool notify_message(struct sandbox_ready *r, char *msg, long long now)
{
    bool kill_now = false;
    for (char *save = NULL, *l = strtok_r(msg, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strcmp(l, "READY=1") == 0) {
            mark_ready(r, "notify", now);
        } else if (strcmp(l, "WATCHDOG=1") == 0) {
            if (r->watchdog_usec > 0)
                r->watchdog_deadline = now + r->watchdog_usec * 1000;
        } else if (strcmp(l, "WATCHDOG=trigger") == 0) {
            r->watchdog_expired = kill_now = true;
        } else if (strncmp(l, "WATCHDOG_USEC=", 14) == 0) {
            char *end;
            long long v = strtoll(l + 14, &end, 10);
            if (*end == '\0' && v > 0) {
                r->watchdog_usec = v;
                r->watchdog_deadline = now + v * 1000;
            }
        } else if (strncmp(l, "STATUS=", 7) == 0) {
            free(r->status);
            r->status = strndup(l + 7, 1024);
        } else if (strcmp(l, "STOPPING=1") == 0) {
            r->stopping = true;
        }
    }
    return kill_now;
}

bool sandbox_ready_step(struct sandbox_ready *r, const struct pollfd *p, int n, long long now)
{
    bool kill_now = false;
    for (int i = 0; i < n; i++) {
        if (p[i].fd == r->notify_fd && (p[i].revents & POLLIN)) {
            char buf[4097];
            ssize_t len;
            while ((len = recv(r->notify_fd, buf, sizeof buf - 1, 0)) > 0) {
                buf[len] = '\0';
                kill_now |= notify_message(r, buf, now);
            }
        } else if (p[i].fd == r->probe_fd && p[i].revents) {
            int e = 0;
            socklen_t el = sizeof e;
            if (getsockopt(r->probe_fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0 &&
                !(p[i].revents & (POLLERR | POLLHUP)))
                mark_ready(r, "tcp", now);
            close(r->probe_fd);
            r->probe_fd = -1;
            r->next_probe = now + r->interval_ns;
        }
    }
    if (r->health_tcp > 0 && !r->ready && r->probe_fd < 0 && r->netns_fd >= 0 &&
        now >= r->next_probe) {
        r->probe_fd = probe_socket(r);
        if (r->probe_fd < 0)
            r->next_probe = now + r->interval_ns;
    }
    if (r->watchdog_deadline > 0 && !r->watchdog_expired && !r->stopping &&
        now >= r->watchdog_deadline) {
        r->watchdog_expired = true;
        kill_now = true;
    }
    return kill_now;
}

json_t *sandbox_ready_json(const struct sandbox_ready *r)
{
    return json_pack("{s:s?, s:b, s:o, s:b, s:s?}", "by", r->ready ? r->ready_by : NULL, "ready",
                     r->ready, "ready_ms",
                     r->ready ? json_real((double)r->ready_ns / 1e6) : json_null(),
                     "watchdog_expired", r->watchdog_expired, "status", r->status);
}

void sandbox_ready_clear(struct sandbox_ready *r)
{
    if (r->notify_fd >= 0)
        close(r->notify_fd);
    if (r->netns_fd >= 0)
        close(r->netns_fd);
    if (r->probe_fd >= 0)
        close(r->probe_fd);
    r->notify_fd = r->netns_fd = r->probe_fd = -1;
    free(r->status);
    r->status = NULL;
}
