/* The monitor's attach endpoint: clients, frames, output fan-out with bounded back-pressure
 * (libc only, see monitor_attach.h). */
#include "monitor/monitor_attach.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void attach_init(struct relay_attach *a, int listen_fd, bool tty)
{
    a->listen_fd = listen_fd;
    a->tty = tty;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++)
        a->clients[i] = (struct attach_client){.fd = -1};
    a->n_owed = 0;
    a->pending_len = 0;
}

static void client_drop(struct relay_attach *a, struct attach_client *c)
{
    if (c->fd < 0)
        return;
    close(c->fd);
    c->fd = -1;
    if (c->owed) {
        c->owed = false;
        a->n_owed--;
    }
}

/* One frame to one client without blocking: 1 sent, 0 would block, -1 the client is gone. */
static int client_send(struct attach_client *c, const char *msg, size_t len)
{
    ssize_t n;
    do
        n = send(c->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n >= 0)
        return 1;
    return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
}

bool attach_output_blocked(const struct relay_attach *a)
{
    return a->n_owed > 0;
}

void attach_broadcast(struct relay_attach *a, char kind, const char *data, size_t len)
{
    if (len + 1 > sizeof a->pending)
        len = sizeof a->pending - 1; /* cannot happen: reads are at most a line buffer */
    bool copied = false;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct attach_client *c = &a->clients[i];
        if (c->fd < 0)
            continue;
        if (!copied) {
            a->pending[0] = kind;
            memcpy(a->pending + 1, data, len);
            a->pending_len = len + 1;
            copied = true;
        }
        int rc = client_send(c, a->pending, a->pending_len);
        if (rc < 0) {
            client_drop(a, c);
        } else if (rc == 0) {
            c->owed = true;
            c->stalled_since = mono_ms();
            a->n_owed++;
        }
    }
}

static void client_accept(struct relay_attach *a)
{
    int fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        if (a->clients[i].fd < 0) {
            a->clients[i] = (struct attach_client){.fd = fd};
            return;
        }
    }
    char busy = ATTACH_BUSY;
    ssize_t n = send(fd, &busy, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)n;
    close(fd);
}

void attach_accept_waiting(struct relay_attach *a)
{
    for (int i = 0; i <= ATTACH_MAX_CLIENTS; i++) {
        struct pollfd p = {.fd = a->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 0) != 1)
            return;
        client_accept(a);
    }
}

int attach_poll_fill(struct relay_attach *a, struct pollfd *p, int n, bool want_frames,
                     int *timeout)
{
    long long now = mono_ms();
    p[n++] = (struct pollfd){.fd = a->listen_fd, .events = POLLIN};
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct attach_client *c = &a->clients[i];
        short events = want_frames ? POLLIN : 0;
        if (c->fd >= 0 && c->owed) {
            long long left = c->stalled_since + ATTACH_STALL_MS - now;
            if (left <= 0) {
                client_drop(a, c); /* stalled too long: the log must go on */
            } else {
                events |= POLLOUT;
                if (*timeout < 0 || left < *timeout)
                    *timeout = (int)left;
            }
        }
        /* A free slot stays in the table (fd -1: poll ignores it) so indexes match. */
        p[n++] = (struct pollfd){.fd = c->fd, .events = events};
    }
    return n;
}

static void frame_resize(struct relay_attach *a, struct relay *r, const char *payload, size_t len)
{
    uint16_t rc[2];
    if (!a->tty || r->out.fd < 0 || len != sizeof rc)
        return;
    memcpy(rc, payload, sizeof rc);
    struct winsize ws = {.ws_row = rc[0], .ws_col = rc[1]};
    ioctl(r->out.fd, TIOCSWINSZ, &ws);
}

static void frame_signal(struct relay *r, const char *payload, size_t len, bool exited)
{
    int32_t sig;
    if (exited || len != sizeof sig)
        return;
    memcpy(&sig, payload, sizeof sig);
    if (sig > 0 && sig < NSIG)
        kill(r->child, sig);
}

/* Read one frame of client c; stdin data goes straight into in_buf. False: drop the client. */
static bool client_frame(struct relay_attach *a, struct relay *r, struct attach_client *c,
                         bool exited, char *in_buf, size_t in_size, size_t *in_len)
{
    char kind;
    struct iovec iov[2] = {{&kind, 1}, {in_buf, in_size}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
    ssize_t got;
    do
        got = recvmsg(c->fd, &m, MSG_DONTWAIT);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK;
    if (got == 0 || (m.msg_flags & MSG_TRUNC))
        return false; /* gone, or not speaking the protocol */
    size_t len = (size_t)got - 1;
    switch (kind) {
    case ATTACH_STDIN:
        if (r->stdin_dst >= 0)
            *in_len = len;
        break;
    case ATTACH_STDIN_CLOSE:
        /* A pty has no end of input (EOF is a key press): only a pipe is closed. */
        if (!a->tty && r->stdin_dst >= 0) {
            close(r->stdin_dst);
            r->stdin_dst = -1;
        }
        break;
    case ATTACH_RESIZE:
        frame_resize(a, r, in_buf, len);
        break;
    case ATTACH_SIGNAL:
        frame_signal(r, in_buf, len, exited);
        break;
    default:
        return false;
    }
    return true;
}

void attach_poll_handle(struct relay_attach *a, struct relay *r, const struct pollfd *p,
                        bool exited, char *in_buf, size_t in_size, size_t *in_len)
{
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct attach_client *c = &a->clients[i];
        short ev = p[1 + i].revents;
        if (c->fd < 0 || p[1 + i].fd != c->fd || ev == 0)
            continue;
        if ((ev & POLLOUT) && c->owed) {
            int rc = client_send(c, a->pending, a->pending_len);
            if (rc < 0) {
                client_drop(a, c);
                continue;
            }
            if (rc > 0) {
                c->owed = false;
                a->n_owed--;
            }
        }
        /* Frames only while the stdin buffer is free (another client may just have filled it). */
        if ((ev & (POLLIN | POLLHUP | POLLERR)) && *in_len == 0 &&
            !client_frame(a, r, c, exited, in_buf, in_size, in_len))
            client_drop(a, c);
    }
    /* Accept last: a new client must not be owed output it never saw. */
    if (p[0].revents & POLLIN)
        client_accept(a);
}

void attach_finish(struct relay_attach *a, const char *attach_dir, int container_dirfd,
                   const char *id, int exit_code)
{
    /* Output still owed: wait for the slow ones, within the stall limit. */
    long long deadline = mono_ms() + ATTACH_STALL_MS;
    while (a->n_owed > 0) {
        long long left = deadline - mono_ms();
        if (left <= 0)
            break;
        struct pollfd p[ATTACH_MAX_CLIENTS];
        for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
            struct attach_client *c = &a->clients[i];
            p[i] = (struct pollfd){.fd = c->fd >= 0 && c->owed ? c->fd : -1, .events = POLLOUT};
        }
        if (poll(p, ATTACH_MAX_CLIENTS, (int)left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
            struct attach_client *c = &a->clients[i];
            if (p[i].fd < 0 || p[i].revents == 0)
                continue;
            int rc = client_send(c, a->pending, a->pending_len);
            if (rc < 0) {
                client_drop(a, c);
            } else if (rc > 0) {
                c->owed = false;
                a->n_owed--;
            }
        }
    }
    char msg[1 + sizeof(int32_t)];
    int32_t code = exit_code;
    msg[0] = ATTACH_EXIT;
    memcpy(msg + 1, &code, sizeof code);
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct attach_client *c = &a->clients[i];
        if (c->fd < 0)
            continue;
        if (!c->owed) {
            /* A small frame: blocking briefly is fine, the run is over. */
            struct pollfd pw = {.fd = c->fd, .events = POLLOUT};
            if (client_send(c, msg, sizeof msg) == 0 && poll(&pw, 1, 200) > 0)
                client_send(c, msg, sizeof msg);
        }
        client_drop(a, c);
    }
    if (a->listen_fd >= 0) {
        if (strcmp(attach_dir, "-") == 0) {
            unlinkat(container_dirfd, ATTACH_SOCKET_NAME, 0);
        } else {
            int dfd = open(attach_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (dfd >= 0) {
                unlinkat(dfd, id, 0);
                close(dfd);
            }
        }
        close(a->listen_fd);
        a->listen_fd = -1;
    }
}
