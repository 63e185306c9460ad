/* Running one process of a sandbox attached: its stdout and stderr on pipes kept up to a cap
 * (truncation flagged), a wall-clock deadline after which the whole sandbox is killed, the wait
 * status. Used for the first process of a run and for `sandbox exec`. */
#ifndef HULL_SANDBOX_CAPTURE_H
#define HULL_SANDBOX_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox/ready.h"
#include "util/error.h"

struct sandbox_stream {
    char *data;
    size_t len;
    bool truncated;
};

struct sandbox_capture {
    long long cap;        /* bytes kept per stream */
    long long timeout_ns; /* 0 = none */
    /* For a process that is not the caller's child (a session's exec server runs it): an fd
     * readable once it has exited, and the call that then gets its wait status. NULL: the
     * started pid is a child, waited for through a pidfd. */
    int (*wait_fd)(void *data);
    int (*reap)(void *data, int *status, hull_err **err);
    /* Readiness probes and the sd_notify watchdog (ready.h), or NULL; a watchdog that expires
     * kills the sandbox like the timeout. */
    struct sandbox_ready *ready;
    /* The start call hands the fds over itself (to a session's exec server, exec_client.h):
     * the caller's own 0-2 are left as they are. Otherwise they are swapped for the fds during
     * the call, for a child to inherit. */
    bool start_takes_fds;
    /* filled in */
    struct sandbox_stream out, err;
    int status; /* wait status */
    bool timed_out;
    long long wall_ns;
};

/* Starts the process with `fds` (/dev/null and the two pipes) as its 0-2; returns its pid (a
 * child of the caller unless wait_fd is set) or -1 with *err. */
typedef int (*sandbox_start_fn)(void *data, const int fds[3], pid_t *pid, hull_err **err);
/* Called once when the deadline passes: kill everything of the sandbox. */
typedef void (*sandbox_kill_fn)(void *data);

int sandbox_capture_run(struct sandbox_capture *c, sandbox_start_fn start, sandbox_kill_fn kill,
                        void *data, hull_err **err);
void sandbox_capture_clear(struct sandbox_capture *c);

#endif
