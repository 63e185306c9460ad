/* Readiness of a service run in a sandbox (docs/sandbox.md, "Readiness"): --health-tcp PORT
 * (a TCP connect to 127.0.0.1:PORT inside the sandbox's network namespace succeeds) and
 * --notify (sd_notify: READY=1 on the NOTIFY_SOCKET the sandbox gets; WATCHDOG=1 keep-alives,
 * whose absence for WATCHDOG_USEC kills the sandbox). Driven by the capture loop (capture.h):
 * its fds are polled with the program's pipes, its deadlines bound the poll's wait. */
#ifndef HULL_SANDBOX_READY_H
#define HULL_SANDBOX_READY_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* Where the notify socket is in the sandbox (the bundle's hull/ directory, read-only). */
#define SANDBOX_NOTIFY_DIR  "/.hull"
#define SANDBOX_NOTIFY_NAME "notify.sock"

struct sandbox_ready {
    int health_tcp;          /* 0 = no TCP probe */
    bool notify;             /* a NOTIFY_SOCKET */
    long long watchdog_usec; /* 0 = none until the service sends WATCHDOG_USEC= */
    long long interval_ns;   /* between TCP probes (default 100 ms) */
    /* state */
    int notify_fd; /* bound datagram socket, -1 */
    int netns_fd;  /* the sandbox's network namespace, -1 */
    int probe_fd;  /* a connect in progress, -1 */
    long long t0, next_probe, watchdog_deadline;
    bool ready, watchdog_expired, stopping;
    const char *ready_by; /* "tcp" | "notify" */
    long long ready_ns;   /* since t0 */
    char *status;         /* last STATUS= */
};

/* Make the notify socket in `hostdir` (bind-mounted at SANDBOX_NOTIFY_DIR), owned by `uid`. */
int sandbox_ready_prepare(struct sandbox_ready *r, const char *hostdir, uid_t uid, hull_err **err);
/* The program runs as host pid `pid` (its network namespace is probed). */
int sandbox_ready_start(struct sandbox_ready *r, pid_t pid, hull_err **err);
/* Add the fds to poll to p (at most 2); returns how many. */
int sandbox_ready_fds(struct sandbox_ready *r, struct pollfd *p);
/* Milliseconds until the next deadline (-1: none). */
int sandbox_ready_wait_ms(const struct sandbox_ready *r, long long now);
/* After poll: handle the fds' events and the deadlines. Returns true when the sandbox must be
 * killed (the watchdog expired, or WATCHDOG=trigger). */
bool sandbox_ready_step(struct sandbox_ready *r, const struct pollfd *p, int n, long long now);
/* {"by": "tcp"|"notify"|null, "ready": bool, "ready_ms": ms|null, "watchdog_expired": bool,
 *  "status": last STATUS=|null} */
json_t *sandbox_ready_json(const struct sandbox_ready *r);
void sandbox_ready_clear(struct sandbox_ready *r);

#endif
