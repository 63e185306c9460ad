/* Running hull containers through libhull's lifecycle API (no hull-runtime process):
 *
 *  - attached (`hull run`, `hull start -a`): the hull process itself is the container's parent
 *    and monitor: it relays stdio (to its own stdout/stderr and the JSON log), forwards signals,
 *    records the exit, applies the restart policy and cleans up;
 *  - detached (`hull run -d`, `hull start`): a forked monitor process creates and starts the
 *    container (so it is its parent), reports readiness over a pipe, then execs the small static
 *    `hull-monitor` (src/monitor/hull_monitor.c), which comes back through `hull __monitor
 * restart|cleanup`.
 * *
 * What a run holds (root filesystem mount, runtime state) is rootfs.h's. */
#ifndef HULL_CONTAINER_LAUNCH_H
#define HULL_CONTAINER_LAUNCH_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container/store.h"
#include "util/error.h"
#include "util/log.h"

/* CVE-2019-5736: a container whose processes may reach hull's own binary (--privileged, or
 * --cap-add ALL / SYS_PTRACE) is only launched by a hull running from a read-only copy of
 * itself (linux/exe_protect.h). This re-executes hull with the same arguments when needed, so
 * call it before the command has any side effect; it returns 0 at once otherwise. */
int container_protect_binary(bool privileged, json_t *cap_add, hull_err **err);
/* The same for an existing container (its HostConfig). */
int container_record_protect_binary(const container_record *r, hull_err **err);

/* Start detached under a new monitor; returns once the container runs (or failed to start:
 * exit_code 126/127 when the command cannot be executed / is not found). */
int container_start_detached(container_store *cs, container_record *r, hull_err **err);
/* The same, with `client` (an unconnected AF_UNIX SOCK_SEQPACKET socket of the caller's)
 * connected to the run's attach endpoint before the process starts: an attach session on it
 * misses none of the output (`hull run -it`, docker's attach-before-start). */
int container_start_detached_attach(container_store *cs, container_record *r, int client,
                                    hull_err **err);

/* Give a running container whose monitor died (`unmonitored`) a new hull-monitor that watches
 * its process (a pidfd: it is not the monitor's child, so its exit code stays unknown),
 * records the exit and applies the restart policy. Its output is not recovered: the pipes died
 * with the first monitor. */
int container_adopt(container_store *cs, container_record *r, hull_err **err);

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

/* Freeze (pause) or thaw a running container's processes. */
int container_pause(container_store *cs, container_record *r, bool pause, hull_err **err);

/* A launch is coming (`hull run`): detect the host's cgroup hierarchies once, kept in `cs` for
 * the launch's runtime create (root only; on failure the runtime detects them itself and
 * reports what fails). No migration warm-up is started: the runtime clones a container
 * straight into its cgroups, and a warm-up's own migration would make the container's clone
 * wait for its RCU grace period (src/linux/cgroup/migration_warmup.c). */
void container_launch_detect_cgroups(container_store *cs);

#endif
