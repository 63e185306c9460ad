/* Runtime <-> container process synchronisation messages. */
#include "runtime/sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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
