/* The attach endpoint of a container monitor (`hull attach`): a unix socket (mode 0600) that
 * the monitor of each run listens on, and the tiny protocol spoken over it. The socket is
 * ATTACH_DIR/ID, in the per-boot run directory, or DIR/attach.sock (container/attach.h).
 *
 * SOCK_SEQPACKET: every send is one message, received whole; the first byte says what it is.
 *
 *   client -> monitor                       monitor -> client
 *   'i' DATA      bytes for the stdin       'o' DATA   container stdout (the pty with -t)
 *   'c'           close the stdin (EOF)     'e' DATA   container stderr
 *   'w' ROWS COLS resize the pty (2 x u16)  'x' CODE   the run ended: exit code (i32), then
 *   's' SIGNO     signal the process (i32)             the monitor closes the connection
 *                                           'b'        too many clients: closed at once
 *
 * Integers are in host byte order (both ends run on the same machine). A stdin frame carries at
 * most ATTACH_STDIN_MAX bytes; output frames carry what one read of the container's pipe
 * returned (at most MONITOR_LINE_MAX bytes). Several clients may be attached at once: each gets
 * every output frame, stdin frames of all of them feed the one stdin. Output is offered to
 * clients with back-pressure: while a client cannot take a frame, the monitor stops reading the
 * container's output (the log waits too) for at most ATTACH_STALL_MS, then drops that client.
 *
 * This file is libc only, like monitor_io.c (it is linked into hull-monitor). */
#ifndef HULL_MONITOR_MONITOR_ATTACH_H
#define HULL_MONITOR_MONITOR_ATTACH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "monitor/monitor_io.h"

#define ATTACH_SOCKET_NAME "attach.sock"
#define ATTACH_MAX_CLIENTS 8
#define ATTACH_STDIN_MAX   4096
#define ATTACH_STALL_MS    2000
/* The largest message either side sends: a kind byte and a full line buffer. */
#define ATTACH_MSG_MAX (1 + MONITOR_LINE_MAX)

enum attach_kind {
    ATTACH_STDIN = 'i',
    ATTACH_STDIN_CLOSE = 'c',
    ATTACH_RESIZE = 'w',
    ATTACH_SIGNAL = 's',
    ATTACH_STDOUT = 'o',
    ATTACH_STDERR = 'e',
    ATTACH_EXIT = 'x',
    ATTACH_BUSY = 'b',
};

struct attach_client {
    int fd;                  /* -1 = free slot */
    bool owed;               /* has not taken the pending output frame yet */
    long long stalled_since; /* CLOCK_MONOTONIC ms, when owed */
};

/* Monitor side, one per run. Zeroed memory plus attach_init; the pending buffer is only touched
 * while clients are attached (it costs no resident memory otherwise). */
struct relay_attach {
    int listen_fd;
    bool tty; /* resize frames apply to the pty master (the relay's stdout fd) */
    struct attach_client clients[ATTACH_MAX_CLIENTS];
    int n_owed;
    size_t pending_len;
    char pending[ATTACH_MSG_MAX];
};

void attach_init(struct relay_attach *a, int listen_fd, bool tty);

/* Accept the clients that connected before the relay loop (`hull run -it` connects before the
 * process starts): they then get all of its output. */
void attach_accept_waiting(struct relay_attach *a);

/* The relay loop's hooks (monitor_io.c): */
/* Whether output is waiting for a slow client (the relay then stops reading the container). */
bool attach_output_blocked(const struct relay_attach *a);
/* Drop clients stalled too long; add 1 + ATTACH_MAX_CLIENTS poll entries from p[n]; returns
 * the new count. `want_frames`: the stdin buffer is free, client frames may be read.
 * *timeout is lowered to the next stall deadline. */
int attach_poll_fill(struct relay_attach *a, struct pollfd *p, int n, bool want_frames,
                     int *timeout);
/* Act on the entries attach_poll_fill added (p points at the first): accept, read frames
 * (stdin data lands in in_buf and sets *in_len, read only while *in_len is 0; `exited`: the
 * child is gone, signals are not delivered), deliver pending output. */
void attach_poll_handle(struct relay_attach *a, struct relay *r, const struct pollfd *p,
                        bool exited, char *in_buf, size_t in_size, size_t *in_len);
/* Offer one chunk of container output to every client. */
void attach_broadcast(struct relay_attach *a, char kind, const char *data, size_t len);
/* The run is over: deliver pending output (bounded wait), send the exit code, disconnect
 * everyone, stop listening and remove the socket file: attach_dir/id, or with attach_dir "-"
 * the container directory's ATTACH_SOCKET_NAME (container_dirfd). */
void attach_finish(struct relay_attach *a, const char *attach_dir, int container_dirfd,
                   const char *id, int exit_code);

#endif
