/* hull-sandbox-init: the first process of a sandbox session (docs/sandbox.md, "Sessions").
 *
 * It runs inside the session with everything the runtime applied to it (namespaces, cgroup, no
 * capabilities, no_new_privs, seccomp, Landlock, rlimits, the user namespace's root) and
 * spawns the commands of `hull sandbox exec`, which inherit all of that: an exec costs a
 * vfork-style clone and an execve instead of a runtime's join of seven namespaces, cgroups and
 * security set-up.
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
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/exec_proto.h"

#define MAX_CONNS 64
/* The spawned child's stack (see spawn): glibc's execvp needs a copy of argv for a script
 * (ENOEXEC) and the PATH entry joined with the name on it; argc < 65536. Reserved, not touched. */
#define CHILD_STACK (1024 * 1024)

/* What a command's child needs; lives in the server's memory, which the child shares. */
struct spawn {
    char **argv;
    const int *fds;       /* its 0, 1, 2 */
    const sigset_t *mask; /* the mask the server had before blocking SIGCHLD */
    void *stack_top;
};

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

/* The child of a spawn: it runs on the server's memory (CLONE_VM) while the server waits for its
 * execve (CLONE_VFORK), so it only makes system calls and writes to its own stack: no malloc,
 * no stdio. The environment was prepared by the server (environ is the command's). */
static int spawned(void *arg)
{
    const struct spawn *s = arg;
    for (int i = 0; i < 3; i++)
        if (dup2(s->fds[i], i) < 0)
            _exit(126);
    syscall(SYS_close_range, 3, ~0u, 0);
    setpgid(0, 0);
    /* Dispositions are all default already (main), and execve keeps only ignored ones. */
    sigprocmask(SIG_SETMASK, s->mask, NULL);
    execvp(s->argv[0], s->argv);
    int e = errno;
    const char *why = strerrordesc_np(e);
    struct iovec msg[] = {
        {.iov_base = "hull sandbox exec: ", .iov_len = 19},
        {.iov_base = s->argv[0], .iov_len = strlen(s->argv[0])},
        {.iov_base = ": ", .iov_len = 2},
        {.iov_base = (void *)(why ? why : "error"), .iov_len = strlen(why ? why : "error")},
        {.iov_base = "\n", .iov_len = 1}};
    writev(2, msg, 5);
    _exit(e == ENOENT ? 127 : 126);
}

/* The server's environment with the request's K=V entries added (a K=V replaces K, a bare K
 * removes it, as putenv does). The strings stay owned by environ and the request. */
static char **command_env(char **extra)
{
    size_t n = 0, k = 0;
    for (char **e = environ; *e; e++)
        n++;
    for (char **e = extra; *e; e++)
        k++;
    char **env = calloc(n + k + 1, sizeof *env);
    if (env == NULL)
        return NULL;
    memcpy(env, environ, n * sizeof *env);
    for (char **x = extra; *x; x++) {
        const char *eq = strchr(*x, '=');
        size_t klen = eq ? (size_t)(eq - *x) : strlen(*x);
        size_t i = 0;
        while (i < n && !(strncmp(env[i], *x, klen) == 0 && env[i][klen] == '='))
            i++;
        if (eq && i < n) {
            env[i] = *x;
        } else if (eq) {
            env[n++] = *x;
        } else if (i < n) {
            memmove(env + i, env + i + 1, (n - i) * sizeof *env); /* with the NULL */
            n--;
        }
    }
    return env;
}

/* Start argv with fds as its 0-2 in its own process group; its pid, or -1 with errno. The
 * clone shares the server's memory and suspends the server until the child's execve (or
 * exit), as posix_spawn does: no page tables to copy, no copy-on-write faults afterwards. */
static pid_t spawn(const struct spawn *s, char **extra)
{
    char **env = command_env(extra);
    if (env == NULL)
        return -1;
    /* execvp searches the PATH of environ and passes environ: the command's for the clone (the
     * server is single-threaded and suspended until the child's execve). */
    char **server_env = environ;
    environ = env;
    pid_t pid = clone(spawned, s->stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)s);
    int err = errno;
    environ = server_env;
    free(env);
    errno = err;
    return pid;
}

/* A request on c; returns false when the connection is done. */
static bool handle(struct conn *c, const struct spawn *base)
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
    struct spawn sp = *base;
    sp.argv = v;
    sp.fds = fds;
    pid_t pid = spawn(&sp, v + argc + 1);
    int err = errno;
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    free(v);
    if (pid < 0) {
        char msg[256];
        snprintf(msg, sizeof msg, "spawn: %s", strerror(err));
        send_error(c->fd, msg);
        return false;
    }
    /* The child made its own process group before the server went on (CLONE_VFORK). */
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
    long page = sysconf(_SC_PAGESIZE);
    char *stack = mmap(NULL, CHILD_STACK + (size_t)page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED || mprotect(stack, (size_t)page, PROT_NONE) < 0) {
        perror("hull-sandbox-init: the spawn stack");
        return 1;
    }
    struct spawn base = {.mask = &old, .stack_top = stack + CHILD_STACK + page};
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
            if (conns[i].fd >= 0 && p[i + 2].revents && !handle(&conns[i], &base)) {
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
