/* The sync protocol between the runtime and the container's first process, over a
 * SOCK_SEQPACKET socketpair (one message per send, EOF when the peer dies):
 *
 *   runtime                          container process
 *   clone() ------------------------>
 *   uid/gid maps, oom score
 *   SYNC_GO ------------------------> namespaces, the mounts before the first cgroup mount
 *   cgroups: create, move it in
 *   SYNC_CGROUPS_JOINED ------------> cgroup namespace, the other mounts, devices
 *   (in a new user namespace: with the v1 `tasks` fds it moves itself in with)
 *           <------------------------ SYNC_HOOKS_CREATE_RUNTIME (only when such hooks exist)
 *   prestart + createRuntime hooks
 *   SYNC_GO ------------------------> createContainer hooks, pivot_root, identity, caps ...
 *           <------------------------ SYNC_READY (or SYNC_ERROR with a message)
 *   state.json, pid file
 *   SYNC_COMMITTED -----------------> waits on exec.fifo until `start`, then exec
 *
 * A native container never waits for the kernel's global cgroup lock (runtime_cgroup_prepare):
 * on a pure cgroup2 host its cgroup is made and configured before the clone, the container
 * process is cloned into it, and no SYNC_CGROUPS_JOINED is sent; on v1 and hybrid hosts (root,
 * the host's user namespace) it is cloned into its v2 cgroup, the runtime makes the v1 ones
 * after SYNC_GO, and at SYNC_CGROUPS_JOINED the container process moves itself into them.
 */
#ifndef HULL_RUNTIME_SYNC_H
#define HULL_RUNTIME_SYNC_H

#include <stddef.h>

#include "util/error.h"

enum sync_type {
    SYNC_GO = 1,
    SYNC_HOOKS_CREATE_RUNTIME = 2,
    SYNC_READY = 3,
    SYNC_ERROR = 4,
    SYNC_COMMITTED = 5,
    SYNC_CGROUPS_JOINED = 6,
};

struct sync_msg {
    int type;
    int errnum;
    char text[3072];
};

int sync_send(int fd, enum sync_type type, hull_err **err);
/* sync_send with `n` fds attached (SCM_RIGHTS; at most SYNC_MAX_FDS). */
#define SYNC_MAX_FDS 16
int sync_send_fds(int fd, enum sync_type type, const int *fds, size_t n, hull_err **err);
/* sync_expect that also takes the fds attached to the message (close-on-exec) into fds[0..*n)
 * (room for SYNC_MAX_FDS). */
int sync_expect_fds(int fd, enum sync_type expected, int *fds, size_t *n, hull_err **err);
/* Send an error message (from the container side). Never fails loudly. */
void sync_send_error(int fd, const hull_err *e);
/* Receive one message; EOF is reported as an error "container process exited". */
int sync_recv(int fd, struct sync_msg *msg, hull_err **err);
/* A received SYNC_ERROR as *err (its text and errno). Returns -1. */
int sync_msg_error(const struct sync_msg *m, hull_err **err);
/* Receive and require `expected`; a SYNC_ERROR becomes *err with its text. */
int sync_expect(int fd, enum sync_type expected, hull_err **err);

#endif
