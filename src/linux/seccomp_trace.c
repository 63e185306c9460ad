/* Seccomp tracing through a user-notification listener (seccomp_trace.h). */
#include "linux/seccomp_trace.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static const char *const always_allowed[] = {"sendmsg", "close", NULL};

json_t *seccomp_trace_profile(const char *socket_path)
{
    json_t *names = json_array();
    for (int nr = 0; nr < 1024; nr++) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
        if (name == NULL)
            continue;
        bool skip = false;
        for (const char *const *a = always_allowed; *a; a++)
            skip |= strcmp(name, *a) == 0;
        if (!skip)
            json_array_append_new(names, json_string(name));
        free(name);
    }
    return json_pack("{s:s, s:s, s:[{s:o, s:s}]}", "defaultAction", "SCMP_ACT_ALLOW",
                     "listenerPath", socket_path, "syscalls", "names", names, "action",
                     "SCMP_ACT_NOTIFY");
}

int seccomp_trace_begin(struct seccomp_trace *t, const char *socket_path, json_t **profile,
                        hull_err **err)
{
    memset(t, 0, sizeof *t);
    t->listen_fd = t->notify_fd = t->stop[0] = t->stop[1] = -1;
    t->calls = json_object();
    t->socket_path = strdup(socket_path);
    if (t->socket_path == NULL)
        abort();
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(t->socket_path) >= sizeof a.sun_path)
        return hull_error(err, ENAMETOOLONG, "seccomp trace socket `%s`", t->socket_path);
    strcpy(a.sun_path, t->socket_path);
    t->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (t->listen_fd < 0)
        return hull_error(err, errno, "seccomp trace socket `%s`", t->socket_path);
    if (bind(t->listen_fd, (struct sockaddr *)&a, sizeof a) < 0) {
        int e = errno;
        free(t->socket_path); /* not ours: seccomp_trace_clear must not unlink it */
        t->socket_path = NULL;
        return hull_error(err, e, "seccomp trace socket `%s`", a.sun_path);
    }
    if (listen(t->listen_fd, 16) < 0)
        return hull_error(err, errno, "seccomp trace socket `%s`", t->socket_path);
    if (profile)
        *profile = seccomp_trace_profile(t->socket_path);
    return 0;
}

/* The notify fd a runtime sends on connection `c` with the container state (the last fd of the
 * message), or -1 (none came: the process ended before its filter was installed). */
static int recv_notify_fd(int c)
{
    char buf[65536];
    union {
        char b[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b};
    ssize_t got;
    do
        got = recvmsg(c, &m, MSG_CMSG_CLOEXEC);
    while (got < 0 && errno == EINTR);
    if (got < 0)
        return -1;
    int notify_fd = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
            int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            int fds[4];
            if (n < 1 || n > 4)
                continue;
            memcpy(fds, CMSG_DATA(cm), sizeof(int) * (size_t)n);
            for (int i = 0; i < n - 1; i++)
                close(fds[i]);
            if (notify_fd >= 0)
                close(notify_fd);
            notify_fd = fds[n - 1];
        }
    return notify_fd;
}

/* Wait for the runtime's connection (the container's first process) unless `cancel_fd`
 * (ignored when < 0) fires first; a connection already queued wins. */
static int receive_fd(struct seccomp_trace *t, int cancel_fd, char **why)
{
    struct pollfd p[2] = {{.fd = t->listen_fd, .events = POLLIN},
                          {.fd = cancel_fd, .events = POLLIN}};
    int ready;
    do
        ready = poll(p, 2, -1);
    while (ready < 0 && errno == EINTR);
    if (ready <= 0 || !(p[0].revents & POLLIN)) {
        if (ready <= 0 || !p[1].revents)
            *why = strdup("seccomp trace: waiting for the container failed");
        return -1;
    }
    cleanup_close int c = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (c < 0) {
        *why = strdup("seccomp trace: accept failed");
        return -1;
    }
    t->notify_fd = recv_notify_fd(c);
    if (t->notify_fd < 0) {
        *why = strdup(
            "seccomp trace: the container handed over no notify fd (it ended before its filter "
            "was installed)");
        return -1;
    }
    return 0;
}

static void handle(struct seccomp_trace *t, int notify_fd);

/* A growing set of fds, closed by fd_list_clear. */
struct fd_list {
    int *fd;
    size_t n;
};

static void fd_list_add(struct fd_list *l, int fd)
{
    int *grown = realloc(l->fd, (l->n + 1) * sizeof *grown);
    if (grown == NULL)
        abort();
    l->fd = grown;
    l->fd[l->n++] = fd;
}

static void fd_list_clear(struct fd_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        close(l->fd[i]);
    free(l->fd);
    *l = (struct fd_list){0};
}

/* Answer notifications until no process uses the first filter (its notify fd hangs up: the
 * container's first process and its pid namespace are gone) or `stop_fd` (ignored when < 0)
 * becomes readable. Processes that join the container later (`hull exec`: the runtime installs
 * the same profile, so it connects to the same listener) are traced too: their connections
 * are accepted, their notify fds served alongside, each until it hangs up. */
static void serve(struct seccomp_trace *t, int stop_fd)
{
    struct fd_list conns = {0}, extra = {0};
    struct pollfd *p = NULL;
    for (;;) {
        size_t n = 3 + conns.n + extra.n;
        struct pollfd *grown = realloc(p, n * sizeof *p);
        if (grown == NULL)
            abort();
        p = grown;
        p[0] = (struct pollfd){.fd = t->notify_fd, .events = POLLIN};
        p[1] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
        p[2] = (struct pollfd){.fd = t->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < conns.n; i++)
            p[3 + i] = (struct pollfd){.fd = conns.fd[i], .events = POLLIN};
        for (size_t i = 0; i < extra.n; i++)
            p[3 + conns.n + i] = (struct pollfd){.fd = extra.fd[i], .events = POLLIN};
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (p[0].revents & POLLIN)
            handle(t, t->notify_fd);
        else if (p[0].revents || p[1].revents)
            break; /* no filter user left, or stopped */
        /* Back to front, so that removing an entry keeps the others' indexes. */
        for (size_t i = extra.n; i-- > 0;) {
            short r = p[3 + conns.n + i].revents;
            if (r & POLLIN) {
                handle(t, extra.fd[i]);
            } else if (r) {
                close(extra.fd[i]);
                extra.fd[i] = extra.fd[--extra.n];
            }
        }
        for (size_t i = conns.n; i-- > 0;) {
            if (!p[3 + i].revents)
                continue;
            /* The state and the notify fd come in one message, after the filter is
             * installed: a readable connection has it (or ended without it). */
            int fd = recv_notify_fd(conns.fd[i]);
            if (fd >= 0)
                fd_list_add(&extra, fd);
            close(conns.fd[i]);
            conns.fd[i] = conns.fd[--conns.n];
        }
        if (p[2].revents & POLLIN) {
            int c = accept4(t->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0)
                fd_list_add(&conns, c);
        }
    }
    free(p);
    fd_list_clear(&conns);
    fd_list_clear(&extra);
}

static void *listener(void *data)
{
    struct seccomp_trace *t = data;
    if (receive_fd(t, t->stop[0], &t->error) == 0)
        serve(t, t->stop[0]);
    return NULL;
}

int seccomp_trace_serve(struct seccomp_trace *t, int cancel_fd, hull_err **err)
{
    cleanup_free char *why = NULL;
    if (receive_fd(t, cancel_fd, &why) < 0)
        return hull_error(err, 0, "%s", why ? why : "seccomp trace: the container never connected");
    serve(t, -1);
    return 0;
}

int seccomp_trace_start(struct seccomp_trace *t, hull_err **err)
{
    if (pipe2(t->stop, O_CLOEXEC) < 0)
        return hull_error(err, errno, "seccomp trace: pipe");
    int e = pthread_create(&t->thread, NULL, listener, t);
    if (e != 0)
        return hull_error(err, e, "seccomp trace: start the listener thread");
    t->running = true;
    return 0;
}

int seccomp_trace_stop(struct seccomp_trace *t, hull_err **err)
{
    if (!t->running)
        return 0;
    if (write(t->stop[1], "x", 1) < 0)
        return hull_error(err, errno, "seccomp trace: stop the listener");
    pthread_join(t->thread, NULL);
    t->running = false;
    if (t->error)
        return hull_error(err, 0, "%s", t->error);
    return 0;
}

static const char *shape(unsigned long long v, char buf[32])
{
    if (v == 0)
        return "0";
    if (v < 4096) {
        snprintf(buf, 32, "%llu", v);
        return buf;
    }
    if (v >= 0xfffffffffffff000ULL)
        return "negative";
    return "pointer-or-large";
}

static void handle(struct seccomp_trace *t, int notify_fd)
{
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
        return;
    struct seccomp_notif_resp resp = {.id = req.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
    ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, req.data.nr);
    char fallback[32];
    snprintf(fallback, sizeof fallback, "nr-%d", req.data.nr);
    const char *key = name ? name : fallback;
    json_t *e = json_object_get(t->calls, key);
    if (e == NULL) {
        json_t *args = json_array();
        char buf[32];
        for (int i = 0; i < 6; i++)
            json_array_append_new(args, json_string(shape(req.data.args[i], buf)));
        e = json_pack("{s:I, s:o}", "count", (json_int_t)0, "first_args", args);
        json_object_set_new(t->calls, key, e);
    }
    json_object_set_new(e, "count",
                        json_integer(json_integer_value(json_object_get(e, "count")) + 1));
    free(name);
}

int seccomp_trace_write(struct seccomp_trace *t, const char *path, hull_err **err)
{
    json_t *allowed = json_array();
    for (const char *const *a = always_allowed; *a; a++)
        json_array_append_new(allowed, json_string(*a));
    json_t *doc = json_pack("{s:s, s:s, s:O, s:o}", "format", "hull-seccomp-trace/1", "listener",
                            "SCMP_ACT_NOTIFY + SECCOMP_USER_NOTIF_FLAG_CONTINUE", "syscalls",
                            t->calls, "always_allowed", allowed);
    cleanup_free char *text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(doc);
    return fs_write_file_atomic(path, text, strlen(text), 0644, err);
}

void seccomp_trace_clear(struct seccomp_trace *t)
{
    cleanup_err hull_err *e = NULL;
    seccomp_trace_stop(t, &e);
    free(t->error);
    for (int i = 0; i < 2; i++)
        if (t->stop[i] >= 0)
            close(t->stop[i]);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    if (t->notify_fd >= 0)
        close(t->notify_fd);
    if (t->socket_path)
        unlink(t->socket_path);
    free(t->socket_path);
    json_decref(t->calls);
    memset(t, 0, sizeof *t);
    t->listen_fd = t->notify_fd = t->stop[0] = t->stop[1] = -1;
}

int seccomp_trace_generate(const char *trace_path, json_t **profile, hull_err **err)
{
    json_error_t je;
    json_t *doc = json_load_file(trace_path, 0, &je);
    json_t *calls = json_object_get(doc, "syscalls");
    if (doc == NULL || !json_is_object(calls)) {
        json_decref(doc);
        return hull_error(err, 0, "`%s`: not a seccomp trace (%s)", trace_path,
                          doc ? "no `syscalls` object" : je.text);
    }
    json_t *names = json_array();
    const char *name;
    json_t *v;
    json_object_foreach(calls, name, v)
    {
        if (strncmp(name, "nr-", 3) != 0)
            json_array_append_new(names, json_string(name));
    }
    size_t i;
    json_array_foreach(json_object_get(doc, "always_allowed"), i, v)
    {
        json_array_append(names, v);
    }
    json_decref(doc);
    *profile = json_pack("{s:s, s:i, s:[{s:o, s:s}]}", "defaultAction", "SCMP_ACT_ERRNO",
                         "defaultErrnoRet", ENOSYS, "syscalls", "names", names, "action",
                         "SCMP_ACT_ALLOW");
    return 0;
}
