/* hull-sandbox-init: the first process of a sandbox session (docs/sandbox.md, "Sessions").
 *
 * It runs inside the session with everything the runtime applied to it (namespaces, cgroup, no
 * capabilities, no_new_privs, seccomp, Landlock, rlimits, the user namespace's root) and
 * forks the commands of `hull sandbox exec`, which inherit all of that: an exec costs a fork
 * and an execve instead of a runtime's join of seven namespaces, cgroups and security set-up.
 * As PID 1 of the session's pid namespace it also reaps the orphans of background processes.
 *
 * fd 3 is a listening SOCK_SEQPACKET unix socket made by hull in the session's bundle (outside
 * the sandbox's mount namespace: only host root reaches it). Protocol (sandbox/exec_proto.h):
 *   request  "HSX1" u32 argc u32 envc, then argc + envc NUL-terminated strings, with
 *            SCM_RIGHTS fds 0, 1, 2 for the command;
 *   reply    'P' i32 pid, with SCM_RIGHTS a pidfd of the command   (or 'E' + message)
 *   request  'K' (optional): SIGKILL the command's process group
 *   reply    'X' i32 wait status, when the command has exited.
 * Static, libc only: the root filesystem of a sandbox is an image with no libraries of hull's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/exec_proto.h"

#define MAX_CONNS 64

struct conn {
    int fd;     /* -1 = free */
    pid_t pid;  /* the command, 0 before it is spawned, -1 once its status was sent */
    pid_t pgid; /* its process group (the command's pid; the id stays taken while the group
                 * has members, even after the command itself was reaped) */
};

static void send_msg(int fd, char type, int32_t value, int pass_fd)
{
    char buf[1 + sizeof value];
    buf[0] = type;
    memcpy(buf + 1, &value, sizeof value);
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (pass_fd >= 0) {
        m.msg_control = u.b;
        m.msg_controllen = sizeof u.b;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    while (sendmsg(fd, &m, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

static void send_error(int fd, const char *text)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "E%s", text);
    while (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR)
        ;
}

static __attribute__((noreturn)) void child(char **argv, char **env, const int fds[3],
                                            const sigset_t *old)
{
    for (int i = 0; i < 3; i++)
        if (dup2(fds[i], i) < 0)
            _exit(126);
    syscall(SYS_close_range, 3, ~0u, 0);
    setpgid(0, 0);
    /* Dispositions are all default already (main), and execve keeps only ignored ones. */
    sigprocmask(SIG_SETMASK, old, NULL);
    for (char **e = env; *e; e++)
        putenv(*e);
    execvp(argv[0], argv);
    int e = errno;
    dprintf(2, "hull sandbox exec: %s: %s\n", argv[0], strerror(e));
    _exit(e == ENOENT ? 127 : 126);
}

/* A request on c; returns false when the connection is done. */
static bool handle(struct conn *c, const sigset_t *old)
{
    static char buf[HSX_MAX_REQUEST];
    union {
        char b[CMSG_SPACE(3 * sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf - 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    ssize_t n = recvmsg(c->fd, &m, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR)
        return true;
    if (n <= 0)
        return false;
    int fds[3] = {-1, -1, -1};
    int nfds = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            nfds = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(h), (size_t)(nfds > 3 ? 3 : nfds) * sizeof(int));
        }
    if (buf[0] == 'K' && n == 1) {
        /* Also after the command was reaped: what it left in its group goes. */
        if (c->pgid > 0)
            kill(-c->pgid, SIGKILL);
        if (c->pid > 0)
            kill(c->pid, SIGKILL);
        return true;
    }
    if (c->pid < 0)
        return true; /* answered: only the client's close (or a `K`) comes now */
    bool ok = c->pid == 0 && nfds == 3 && n >= 12 && memcmp(buf, HSX_MAGIC, 4) == 0 &&
              !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC));
    uint32_t argc = 0, envc = 0;
    if (ok) {
        memcpy(&argc, buf + 4, 4);
        memcpy(&envc, buf + 8, 4);
        ok = argc > 0 && argc < 65536 && envc < 65536;
    }
    char **v = ok ? calloc((size_t)argc + envc + 2, sizeof *v) : NULL;
    if (ok && v) {
        buf[n] = '\0';
        char *p = buf + 12, *end = buf + n;
        for (uint32_t i = 0; ok && i < argc + envc; i++) {
            char *z = memchr(p, '\0', (size_t)(end - p));
            if (z == NULL || z == end) {
                ok = false;
                break;
            }
            v[i < argc ? i : i + 1] = p;
            p = z + 1;
        }
    }
    if (!ok || v == NULL) {
        send_error(c->fd, "malformed exec request");
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        free(v);
        return false;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(v, v + argc + 1, fds, old);
    int err = errno;
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    free(v);
    if (pid < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "fork: %s", strerror(err));
        send_error(c->fd, msg);
        return false;
    }
    setpgid(pid, pid);
    c->pid = c->pgid = pid;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    send_msg(c->fd, 'P', pid, pidfd);
    if (pidfd >= 0)
        close(pidfd);
    return true;
}

int main(void)
{
    /* Once here rather than in every command's child: nothing of this program installs a
     * handler, so only a disposition inherited as ignored could reach a command (through
     * execve). */
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0 || fcntl(HSX_LISTEN_FD, F_GETFD) < 0) {
        fprintf(stderr, "hull-sandbox-init: no listening socket on fd %d\n", HSX_LISTEN_FD);
        return 1;
    }
    fcntl(HSX_LISTEN_FD, F_SETFD, FD_CLOEXEC);
    struct conn conns[MAX_CONNS];
    for (int i = 0; i < MAX_CONNS; i++)
        conns[i] = (struct conn){.fd = -1};
    for (;;) {
        struct pollfd p[MAX_CONNS + 2];
        p[0] = (struct pollfd){.fd = HSX_LISTEN_FD, .events = POLLIN};
        p[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
        for (int i = 0; i < MAX_CONNS; i++)
            p[i + 2] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        if (poll(p, MAX_CONNS + 2, -1) < 0)
            continue;
        if (p[1].revents) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) > 0)
                ;
            int st;
            pid_t pid;
            while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                for (int i = 0; i < MAX_CONNS; i++)
                    if (conns[i].fd >= 0 && conns[i].pid == pid) {
                        /* Kept open until the client closes it: closing with its `K` unread
                         * would reset the connection and lose this answer. */
                        send_msg(conns[i].fd, 'X', st, -1);
                        conns[i].pid = -1;
                    }
        }
        for (int i = 0; i < MAX_CONNS; i++)
            if (conns[i].fd >= 0 && p[i + 2].revents && !handle(&conns[i], &old)) {
                /* The client is gone (or its request was bad): the command, if any, goes on
                 * like a background process and is reaped here. */
                close(conns[i].fd);
                conns[i] = (struct conn){.fd = -1};
            }
        if (p[0].revents & POLLIN) {
            int fd = accept4(HSX_LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
            int slot = -1;
            for (int i = 0; fd >= 0 && i < MAX_CONNS && slot < 0; i++)
                if (conns[i].fd < 0)
                    slot = i;
            if (fd >= 0 && slot < 0) {
                send_error(fd, "too many concurrent execs");
                close(fd);
            } else if (fd >= 0) {
                conns[slot] = (struct conn){.fd = fd};
            }
        }
    }
}
