/* Hook execution: fork, feed the state on stdin, wait with a deadline (pidfd + poll). */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util/cleanup.h"
#include "util/fs.h"

static int run_one(const struct hull_hook *h, const char *kind, size_t index,
                   const char *state_json, hull_err **err)
{
    int in[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return hull_error(err, errno, "%s hook %zu: pipe", kind, index);
    pid_t pid = fork();
    if (pid < 0) {
        close(in[0]);
        close(in[1]);
        return hull_error(err, errno, "%s hook %zu: fork", kind, index);
    }
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char *const default_args[] = {h->path, NULL};
        /* No `env`: the runtime's environment, as runc and crun. */
        execve(h->path, h->args && h->args[0] ? h->args : default_args, h->env ? h->env : environ);
        char msg[512];
        int n = snprintf(msg, sizeof msg, "exec `%s`: %s\n", h->path, strerror(errno));
        if (n > 0)
            fs_write_all(STDERR_FILENO, msg, (size_t)n);
        _exit(127);
    }
    close(in[0]);
    /* The hook may not read its stdin; never block on it. It may have closed it, or exited,
     * already: the write then raises SIGPIPE, which would kill the runtime (create blocks
     * every signal, so it would strike when create restores the mask). Blocked for the write,
     * and the SIGPIPE it raised is taken back (unless one was pending before: signals do not
     * queue, so that one is left as it was). */
    sigset_t pipe_only, before, pending;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigprocmask(SIG_BLOCK, &pipe_only, &before);
    bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fs_write_all(in[1], state_json, strlen(state_json));
    close(in[1]);
    if (!was_pending) {
        const struct timespec now = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &now) == SIGPIPE)
            ;
    }
    sigprocmask(SIG_SETMASK, &before, NULL);

    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (h->timeout > 0 && pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r;
        do
            r = poll(&p, 1, h->timeout * 1000);
        while (r < 0 && errno == EINTR);
        if (r == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return hull_error(err, ETIMEDOUT, "%s hook %zu (`%s`) timed out after %d s", kind,
                              index, h->path, h->timeout);
        }
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return hull_error(err, errno, "%s hook %zu: wait", kind, index);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        return hull_error(err, 0, "%s hook %zu (`%s`) failed with exit status %d", kind, index,
                          h->path, WEXITSTATUS(status));
    return hull_error(err, 0, "%s hook %zu (`%s`) killed by signal %d", kind, index, h->path,
                      WTERMSIG(status));
}

int hooks_run(const struct hull_hook *hooks, size_t n, const char *kind, const char *state_json,
              hull_err **err)
{
    for (size_t i = 0; i < n; i++)
        if (run_one(&hooks[i], kind, i, state_json, err) < 0)
            return -1;
    return 0;
}

char *hooks_state_for(const char *state_json, pid_t pid, const char *status)
{
    json_t *o = json_loads(state_json, 0, NULL);
    if (o == NULL)
        return NULL;
    json_object_set_new(o, "pid", json_integer(pid));
    json_object_set_new(o, "status", json_string(status));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}
