/* The tracer process of `hull run --seccomp-trace` (seccomp_trace.h). */
#include "container/seccomp_trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/seccomp_trace.h"
#include "util/cleanup.h"
#include "util/fs.h"

char *container_seccomp_trace_socket(const char *id)
{
    char *p;
    if (asprintf(&p, CONTAINER_SECCOMP_TRACE_DIR "/%s.sock", id) < 0)
        abort();
    return p;
}

/* The forked tracer: fds 0-2 on /dev/null, 3 = the listening socket, 4 = the cancel pipe, 5 =
 * the done pipe (`0` once the trace is written, else `1` and the reason, for `hull run` to
 * report or not), nothing else of hull's (no lock, no store). Never returns. */
static __attribute__((noreturn)) void tracer_main(struct seccomp_trace *t, int cancel_fd,
                                                  int done_fd, const char *trace_path)
{
    setsid();
    signal(SIGPIPE, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int lfd = fcntl(t->listen_fd, F_DUPFD_CLOEXEC, 10);
    int cfd = fcntl(cancel_fd, F_DUPFD_CLOEXEC, 10);
    int dfd = fcntl(done_fd, F_DUPFD_CLOEXEC, 10);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (lfd < 0 || cfd < 0 || dfd < 0 || null < 0 || dup2(lfd, 3) < 0 || dup2(cfd, 4) < 0 ||
        dup2(dfd, 5) < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
        _exit(1);
    close_range(6, ~0U, 0);
    t->listen_fd = 3;
    hull_err *err = NULL;
    if (seccomp_trace_serve(t, 4, &err) < 0 || seccomp_trace_write(t, trace_path, &err) < 0) {
        char msg[512];
        int n = snprintf(msg, sizeof msg, "1%s", err->msg);
        (void)!write(5, msg, n < 0 ? 1 : (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        hull_err_free(err);
        seccomp_trace_clear(t);
        _exit(1);
    }
    seccomp_trace_clear(t);
    (void)!write(5, "0", 1);
    _exit(0);
}

int container_seccomp_trace_spawn(const char *id, const char *trace_path,
                                  struct container_tracer *out, hull_err **err)
{
    *out = (struct container_tracer){.cancel_fd = -1, .done_fd = -1};
    if (fs_mkdir_p(CONTAINER_SECCOMP_TRACE_DIR, 0700, err) < 0)
        return hull_error_prefix(err, "--seccomp-trace");
    cleanup_free char *sock = container_seccomp_trace_socket(id);
    struct seccomp_trace t;
    if (seccomp_trace_begin(&t, sock, NULL, err) < 0) {
        seccomp_trace_clear(&t);
        return hull_error_prefix(err, "--seccomp-trace");
    }
    /* cancel: hull -> tracer (closed after the start); done: tracer -> hull (a `0` at the end).
     * The tracer is a grandchild: `hull run` attached reaps every child of its own (it is the
     * container's subreaper), so the trace's end comes through the done pipe, not waitpid. */
    int cancel[2] = {-1, -1}, done[2] = {-1, -1};
    if (pipe2(cancel, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0) {
        int e = errno;
        for (int i = 0; i < 2; i++) {
            if (cancel[i] >= 0)
                close(cancel[i]);
            if (done[i] >= 0)
                close(done[i]);
        }
        seccomp_trace_clear(&t);
        return hull_error(err, e, "--seccomp-trace: pipe");
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(cancel[1]);
        close(done[0]);
        pid_t g = fork();
        if (g == 0)
            tracer_main(&t, cancel[0], done[1], trace_path);
        _exit(g < 0 ? 1 : 0);
    }
    int e = errno, status = 0;
    close(cancel[0]);
    close(done[1]);
    /* The socket is the tracer's now: ours is closed, the path stays. */
    free(t.socket_path);
    t.socket_path = NULL;
    seccomp_trace_clear(&t);
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        close(cancel[1]);
        close(done[0]);
        unlink(sock);
        return hull_error(err, pid < 0 ? e : 0, "--seccomp-trace: fork the tracer");
    }
    out->cancel_fd = cancel[1];
    out->done_fd = done[0];
    out->socket_path = strdup(sock);
    if (out->socket_path == NULL)
        abort();
    return 0;
}

void container_seccomp_trace_started(struct container_tracer *t)
{
    if (t->cancel_fd >= 0)
        close(t->cancel_fd);
    t->cancel_fd = -1;
}

int container_seccomp_trace_wait(struct container_tracer *t, const char *trace_path, hull_err **err)
{
    container_seccomp_trace_started(t);
    char msg[512] = "";
    ssize_t n = -1;
    if (t->done_fd >= 0) {
        do
            n = read(t->done_fd, msg, sizeof msg - 1);
        while (n < 0 && errno == EINTR);
        close(t->done_fd);
    }
    if (n > 0)
        msg[n] = '\0';
    /* Normally the tracer's own clean-up; a killed tracer leaves it. */
    if (t->socket_path)
        unlink(t->socket_path);
    free(t->socket_path);
    *t = (struct container_tracer){.cancel_fd = -1, .done_fd = -1};
    if (n != 1 || msg[0] != '0')
        return hull_error(err, 0, "--seccomp-trace %s: no trace written (%s)", trace_path,
                          n > 1 && msg[0] == '1' ? msg + 1 : "the tracer was killed");
    return 0;
}

void container_seccomp_trace_release(struct container_tracer *t)
{
    container_seccomp_trace_started(t);
    if (t->done_fd >= 0)
        close(t->done_fd);
    free(t->socket_path);
    *t = (struct container_tracer){.cancel_fd = -1, .done_fd = -1};
}
