/* Running hull containers through libhull's lifecycle API (no hull-runtime process):
 *
 *  - attached (`hull run`, `hull start -a`): the hull process itself is the container's parent
 *    and monitor: it relays stdio (to its own stdout/stderr and the JSON log), forwards signals,
 *    records the exit, applies the restart policy and cleans up;
 *  - detached (`hull run -d`, `hull start`): a forked monitor process creates and starts the
 *    container (so it is its parent), reports readiness over a pipe, then execs the small static
 *    `hull-monitor` (hull_monitor.c), which comes back through `hull __monitor restart|cleanup`.
 *
 * The root filesystem is mounted at bundle/rootfs for as long as a run lasts (and for `cp` on
 * a stopped container); the overlay upper directory persists until `rm`. */
#ifndef HULL_CONTAINER_LAUNCH_H
#define HULL_CONTAINER_LAUNCH_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container/store.h"
#include "util/error.h"
#include "util/log.h"

static inline void hull_warn_err(const char *what, hull_err *e)
{
    if (e)
        hull_warn("%s: %s", what, e->msg);
}

/* DIR_OF_HULL/name (hull-monitor, hull-init, hull-images), or $HULL_MONITOR / $HULL_INIT /
 * $HULL_IMAGES; malloc'd, NULL
 * with an error when the file is missing. */
char *container_helper_path(const char *name, hull_err **err);

/* CVE-2019-5736: a container whose processes may reach hull's own binary (--privileged, or
 * --cap-add ALL / SYS_PTRACE) is only launched by a hull running from a read-only copy of
 * itself (linux/exe_protect.h). This re-executes hull with the same arguments when needed, so
 * call it before the command has any side effect; it returns 0 at once otherwise. */
int container_protect_binary(bool privileged, json_t *cap_add, hull_err **err);
/* The same for an existing container (its HostConfig). */
int container_record_protect_binary(const container_record *r, hull_err **err);

/* Mount the root filesystem at bundle/rootfs unless it is mounted already. */
int container_rootfs_mount(container_record *r, hull_err **err);
/* Unmount bundle/rootfs; with remove_storage also delete the writable layer (rm). */
int container_rootfs_unmount(container_record *r, bool remove_storage, hull_err **err);
/* Whether bundle/rootfs is a mount point now. */
bool container_rootfs_mounted(container_record *r);

/* End of a run: delete the runtime state (killing leftovers) but keep the container. */
int container_teardown_run(container_store *cs, container_record *r, hull_err **err);

/* Start detached under a new monitor; returns once the container runs (or failed to start:
 * exit_code 126/127 when the command cannot be executed / is not found). */
int container_start_detached(container_store *cs, container_record *r, hull_err **err);

/* Run attached in this process until the container is done (restarts included); *exit_code is
 * the container's. With `interactive`, hull's stdin feeds the container's. */
int container_run_attached(container_store *cs, container_record *r, int *exit_code,
                           hull_err **err);

/* `hull __monitor restart|cleanup ID`: the monitor's excursions back into libhull. */
int container_monitor_command(container_store *cs, const char *what, const char *id,
                              hull_err **err);

/* Give the container the stop signal, SIGKILL after `timeout` seconds, and wait for its monitor
 * to finish (restart cancelled). */
int container_stop(container_store *cs, container_record *r, int sig, long timeout, hull_err **err);

/* Deliver `sig` to the container's first process (all processes with `all`). */
int container_signal(container_store *cs, container_record *r, int sig, bool all, hull_err **err);

#endif
