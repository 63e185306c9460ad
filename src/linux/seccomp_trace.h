/* Learning a seccomp profile from a trace (docs/seccomp-trace.md), for `hull sandbox run
 * --seccomp-trace` and `hull run --seccomp-trace` alike.
 *
 * The traced container gets a profile that sends every syscall to a user-notification listener
 * (SCMP_ACT_NOTIFY, linux.seccomp.listenerPath on a socket in the bundle) except `sendmsg` and
 * `close`, which the runtime needs to hand the listener over and are recorded as always allowed.
 * The tracer (a thread of `hull sandbox run`, or a process of its own for `hull run`) answers each
 * notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE (the call goes on as if no filter were there)
 * after counting it and keeping the first-seen argument shapes. SCMP_ACT_LOG was not used: its
 * records go to the kernel log, rate limited and shared with the whole host, so counts would be
 * lost and attribution to the container uncertain. */
#ifndef HULL_LINUX_SECCOMP_TRACE_H
#define HULL_LINUX_SECCOMP_TRACE_H

#include <jansson.h>

#include "util/error.h"

#include <pthread.h>
#include <stdbool.h>

struct seccomp_trace {
    int listen_fd; /* unix socket the runtime connects to */
    int notify_fd; /* received from the container */
    int stop[2];   /* pipe: the listener thread ends when it becomes readable */
    pthread_t thread;
    bool running;
    char *error; /* the thread's failure, if any */
    char *socket_path;
    json_t *calls; /* name -> {"count": N, "first_args": [shape x6]} */
};

/* The tracing profile (a linux.seccomp object) whose listener is `socket_path`. */
json_t *seccomp_trace_profile(const char *socket_path);
/* Listen on the unix socket `socket_path` (made here, unlinked by seccomp_trace_clear); *profile
 * is the tracing profile (a linux.seccomp object with that listenerPath) unless NULL. */
int seccomp_trace_begin(struct seccomp_trace *t, const char *socket_path, json_t **profile,
                        hull_err **err);
/* Start the listener thread (before runtime_create: the container's setup runs under the
 * filter and needs its answers): it accepts the runtime's connection, receives the notify fd
 * and answers every notification until seccomp_trace_stop(). */
int seccomp_trace_start(struct seccomp_trace *t, hull_err **err);
/* Stop and join the thread (after the sandbox is gone). */
int seccomp_trace_stop(struct seccomp_trace *t, hull_err **err);
/* The same listener in the calling thread, for a tracer process of its own: wait for the
 * runtime's connection (giving up, with an error, when `cancel_fd` becomes readable or hangs up
 * before it came), then answer every notification until no process uses the filter any more
 * (the container and everything it forked are gone). */
int seccomp_trace_serve(struct seccomp_trace *t, int cancel_fd, hull_err **err);
/* Write the trace file (atomically). */
int seccomp_trace_write(struct seccomp_trace *t, const char *path, hull_err **err);
void seccomp_trace_clear(struct seccomp_trace *t);

/* `hull seccomp generate`: the minimal OCI profile for a trace file: its syscalls plus the
 * always-allowed ones, SCMP_ACT_ERRNO(ENOSYS) for the rest. */
int seccomp_trace_generate(const char *trace_path, json_t **profile, hull_err **err);

#endif
