/* Runtime <-> container process synchronisation messages. */
#include "runtime/sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int sync_send(int fd, enum sync_type type, hull_err **err)
{
    struct sync_msg m = {.type = (int)type};
    ssize_t n;
    do
        n = send(fd, &m, sizeof m - sizeof m.text + 1, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return hull_error(err, errno, "sync with the container process");
    return 0;
}

void sync_send_error(int fd, const hull_err *e)
{
    struct sync_msg m = {.type = SYNC_ERROR, .errnum = e ? e->errnum : 0};
    snprintf(m.text, sizeof m.text, "%s", e && e->msg ? e->msg : "unknown error");
    ssize_t n;
    do
        n = send(fd, &m, sizeof m - sizeof m.text + strlen(m.text) + 1, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
}

int sync_recv(int fd, struct sync_msg *msg, hull_err **err)
{
    memset(msg, 0, sizeof(*msg));
    ssize_t n;
    do
        n = recv(fd, msg, sizeof(*msg), 0);
    while (n < 0 && errno == EINTR);
    /* A container process that failed and exited before reading our last message leaves
     * ECONNRESET pending on the socket, reported before the error message it sent: that error
     * is still queued behind it. */
    if (n < 0 && errno == ECONNRESET)
        n = recv(fd, msg, sizeof(*msg), MSG_DONTWAIT);
    if (n < 0)
        return hull_error(err, errno, "sync with the container process");
    if (n == 0)
        return hull_error(err, 0, "the container process exited during setup");
    msg->text[sizeof msg->text - 1] = '\0';
    return 0;
}

int sync_msg_error(const struct sync_msg *m, hull_err **err)
{
    hull_error(err, 0, "%s", m->text);
    (*err)->errnum = m->errnum;
    return -1;
}

int sync_expect(int fd, enum sync_type expected, hull_err **err)
{
    struct sync_msg m;
    if (sync_recv(fd, &m, err) < 0)
        return -1;
    if (m.type == SYNC_ERROR)
        return sync_msg_error(&m, err);
    if (m.type != (int)expected)
        return hull_error(err, EPROTO, "unexpected sync message %d (wanted %d)", m.type,
                          (int)expected);
    return 0;
}

int sync_send_fds(int fd, enum sync_type type, const int *fds, size_t n, hull_err **err)
{
    if (n == 0)
        return sync_send(fd, type, err);
    if (n > SYNC_MAX_FDS)
        return hull_error(err, EINVAL, "sync: too many fds");
    struct sync_msg m = {.type = (int)type};
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof m - sizeof m.text + 1};
    union {
        char buf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = u.buf,
                        .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    ssize_t r;
    do
        r = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return hull_error(err, errno, "sync with the container process");
    return 0;
}

int sync_expect_fds(int fd, enum sync_type expected, int *fds, size_t *n, hull_err **err)
{
    *n = 0;
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
    union {
        char buf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    ssize_t r;
    do
        r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno == ECONNRESET)
        r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (r < 0)
        return hull_error(err, errno, "sync with the runtime");
    if (r == 0)
        return hull_error(err, 0, "the runtime exited during setup");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
            if (*n < SYNC_MAX_FDS)
                fds[(*n)++] = f;
            else
                close(f);
        }
    }
    m.text[sizeof m.text - 1] = '\0';
    if (m.type == SYNC_ERROR || m.type != (int)expected) {
        for (size_t i = 0; i < *n; i++)
            close(fds[i]);
        *n = 0;
        if (m.type == SYNC_ERROR)
            return sync_msg_error(&m, err);
        return hull_error(err, EPROTO, "unexpected sync message %d (wanted %d)", m.type,
                          (int)expected);
    }
    return 0;
}
