/* The host side of a session's exec server (exec_client.h). */
#include "sandbox/exec_client.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "sandbox/config.h"
#include "sandbox/exec_proto.h"

static char *existing(const char *dir, size_t dirlen)
{
    char *path = NULL;
    if (asprintf(&path, "%.*s/%s", (int)dirlen, dir, HSX_INIT_NAME) < 0)
        abort();
    if (access(path, X_OK) == 0)
        return path;
    free(path);
    return NULL;
}

char *sandbox_init_path(void)
{
    const char *env = getenv("HULL_SANDBOX_INIT");
    if (env && *env)
        return access(env, X_OK) == 0 ? strdup(env) : NULL;
    char exe[PATH_MAX], *path;
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            /* a binary at the top of a build tree (build/hull) */
            strcpy(slash, "/src/sandbox");
            if ((path = existing(exe, strlen(exe))) != NULL)
                return path;
        }
    }
    if ((path = existing(HULL_SANDBOX_INIT_INSTALL_DIR, strlen(HULL_SANDBOX_INIT_INSTALL_DIR))) ||
        (path = existing(HULL_SANDBOX_INIT_BUILD_DIR, strlen(HULL_SANDBOX_INIT_BUILD_DIR))))
        return path;
    return NULL;
}

/* One message, with up to one fd received. */
static ssize_t recv_one(int fd, char *buf, size_t len, int *passed)
{
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    memset(&u, 0, sizeof u);
    ssize_t n;
    while ((n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (passed)
        *passed = -1;
    /* a failed recvmsg leaves msg_control as it was: nothing in it to walk */
    if (n < 0)
        return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof got);
            if (passed)
                *passed = got;
            else
                close(got);
        }
    return n;
}

int sandbox_xclient_start(void *data, const int fds[3], pid_t *pid, hull_err **err)
{
    struct sandbox_xclient *x = data;
    x->fd = x->pidfd = -1;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(x->socket) >= sizeof sa.sun_path)
        return hull_error(err, ENAMETOOLONG, "exec socket `%s`", x->socket);
    strcpy(sa.sun_path, x->socket);
    x->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (x->fd < 0 || connect(x->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return hull_error(err, errno, "connect to the session's exec server `%s`", x->socket);
    /* The request: magic, counts, strings. */
    uint32_t argc = 0, envc = 0;
    size_t len = 12;
    for (char **a = x->argv; *a; a++, argc++)
        len += strlen(*a) + 1;
    for (char **e = x->env; e && *e; e++, envc++)
        len += strlen(*e) + 1;
    if (len > HSX_MAX_REQUEST - 1)
        return hull_error(err, E2BIG, "exec: the command and environment exceed %d bytes",
                          HSX_MAX_REQUEST - 1);
    char *buf = malloc(len);
    if (buf == NULL)
        abort();
    memcpy(buf, HSX_MAGIC, 4);
    memcpy(buf + 4, &argc, 4);
    memcpy(buf + 8, &envc, 4);
    char *p = buf + 12;
    for (char **a = x->argv; *a; a++)
        p = stpcpy(p, *a) + 1;
    for (char **e = x->env; e && *e; e++)
        p = stpcpy(p, *e) + 1;
    union {
        char b[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(3 * sizeof(int));
    memcpy(CMSG_DATA(c), fds, 3 * sizeof(int));
    ssize_t sent;
    while ((sent = sendmsg(x->fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    free(buf);
    if (sent < 0)
        return hull_error(err, errno, "exec: send the command to the session");
    char reply[512];
    ssize_t n = recv_one(x->fd, reply, sizeof reply - 1, &x->pidfd);
    if (n <= 0)
        return hull_error(err, n < 0 ? errno : EPIPE, "exec: no answer from the session");
    reply[n] = '\0';
    if (reply[0] == 'E')
        return hull_error(err, 0, "exec: %s", reply + 1);
    if (reply[0] != 'P' || n != 5)
        return hull_error(err, EPROTO, "exec: unexpected answer from the session");
    int32_t v;
    memcpy(&v, reply + 1, sizeof v);
    x->pid = v;
    *pid = v;
    return 0;
}

int sandbox_xclient_wait_fd(void *data)
{
    return ((struct sandbox_xclient *)data)->fd;
}

int sandbox_xclient_reap(void *data, int *status, hull_err **err)
{
    struct sandbox_xclient *x = data;
    char reply[64];
    ssize_t n = recv_one(x->fd, reply, sizeof reply, NULL);
    if (n != 5 || reply[0] != 'X')
        return hull_error(err, n < 0 ? errno : EPIPE,
                          "exec: the session ended before the command did");
    int32_t v;
    memcpy(&v, reply + 1, sizeof v);
    *status = v;
    return 0;
}

void sandbox_xclient_kill(void *data)
{
    struct sandbox_xclient *x = data;
    /* The group first (the server kills it while the command is still its child), then the
     * command itself in case the server is not answering. */
    char k = 'K';
    if (x->fd >= 0)
        send(x->fd, &k, 1, MSG_NOSIGNAL);
    if (x->pidfd >= 0)
        syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL, 0);
}

void sandbox_xclient_close(struct sandbox_xclient *x)
{
    if (x->fd >= 0)
        close(x->fd);
    if (x->pidfd >= 0)
        close(x->pidfd);
    x->fd = x->pidfd = -1;
}
