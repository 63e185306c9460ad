/* `hull run --seccomp-trace FILE` (docs/seccomp-trace.md): the container runs under the tracing
 * profile of linux/seccomp_trace.h, and a tracer process of its own answers its notifications.
 *
 * A process, not a thread: `hull run -d` returns while the container runs, and the process that
 * calls the runtime's create (the monitor) becomes hull-monitor by execve. The tracer is forked
 * by `hull run` before the start, in a session of its own (a ^C on the terminal does not end
 * it: a listener that dies fails the container's next syscall), with no fd of hull's but its
 * listening socket. It ends, writing FILE, when no process uses the container's filter any more;
 * `hull run` (attached) waits for it, so FILE is there when `hull run` returns. */
#ifndef HULL_CONTAINER_SECCOMP_TRACE_H
#define HULL_CONTAINER_SECCOMP_TRACE_H

#include "util/error.h"

/* The SecurityOpt entry that marks a traced container: `seccomp-trace=ABSOLUTE-FILE`. */
#define CONTAINER_SECCOMP_TRACE_OPT "seccomp-trace="
/* Listener sockets: short paths (sun_path), outside any data root, one per container id. */
#define CONTAINER_SECCOMP_TRACE_DIR "/run/hull-seccomp-trace"

/* CONTAINER_SECCOMP_TRACE_DIR/ID.sock (malloc'd). */
char *container_seccomp_trace_socket(const char *id);

struct container_tracer {
    int cancel_fd; /* write end; closed once the start is over (the tracer gives up waiting) */
    int done_fd;   /* read end; the tracer writes `0` when the trace is written */
    char *socket_path;
};

/* Make the listening socket and fork the tracer for container `id`, writing `trace_path` at the
 * end. The tracer prints nothing: its failure is container_seccomp_trace_wait's error. */
int container_seccomp_trace_spawn(const char *id, const char *trace_path,
                                  struct container_tracer *t, hull_err **err);
/* The start is over (succeeded or not): a tracer the container never connected to ends. */
void container_seccomp_trace_started(struct container_tracer *t);
/* Wait for the tracer to end; an error (with the tracer's reason) when it wrote no trace.
 * Clears *t. */
int container_seccomp_trace_wait(struct container_tracer *t, const char *trace_path,
                                 hull_err **err);
/* Forget the tracer without waiting (hull run -d). */
void container_seccomp_trace_release(struct container_tracer *t);

#endif
