/* The container's cgroups from the runtime's side: which manager, where, when they are made and
 * removed, and the operations on a live container (update, pause, resume, ps, stats). The
 * Linux mechanics are in linux/cgroup/. */
#ifndef HULL_RUNTIME_CGROUP_H
#define HULL_RUNTIME_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "linux/cgroup/cgroup.h"
#include "oci/config.h"
#include "runtime/lifecycle.h"
#include "util/error.h"

struct runtime_state;

/* Before clone(): choose the manager and plan the set from linux.cgroupsPath, and check
 * linux.resources against this host. With --cgroup-manager disabled the set stays empty
 * (n == 0); the systemd manager fails with an explanation. `host` gets the hierarchies it
 * detected (empty when it detected none), for the caller to reuse and clear; with `given` (the
 * caller's own detection earlier in this process) a copy of those, without detecting again. */
int runtime_cgroup_plan(const struct runtime_opts *ro, const struct hull_config *cfg,
                        const char *id, const struct cgroup_host *given, struct cgroup_host *host,
                        struct cgroup_set *out, hull_err **err);
/* After clone(), before the child goes on: create the set, apply linux.resources and move
 * `pid` in. The caller has recorded the set in the state already (state_write). On failure the
 * set is removed again. */
int runtime_cgroup_enter(struct cgroup_set *set, const struct hull_config *cfg, pid_t pid,
                         hull_err **err);
/* Instead of runtime_cgroup_enter, so that the container process starts in its cgroups without
 * a migration under the kernel's global lock (see cgroup_set_join_self in
 * linux/cgroup/cgroup.h). Before clone(), with the set recorded in the state already
 * (state_write): create its v2 directory (with `v2_only`) or all of it, configured (otherwise),
 * and set *fd to an O_DIRECTORY fd of the v2 directory for clone3(CLONE_INTO_CGROUP) (-1 when
 * there is none). After the clone, with `v2_only`, runtime_cgroup_finish creates and configures
 * the rest while the container process mounts, and moves `v2_pid` (> 0: clone3 could not put it
 * there) into the v2 directory; the container process then moves itself into the v1 ones. On
 * failure the set is removed. */
int runtime_cgroup_prepare(struct cgroup_set *set, const struct hull_config *cfg, bool v2_only,
                           int *fd, hull_err **err);
int runtime_cgroup_finish(struct cgroup_set *set, const struct hull_config *cfg, pid_t v2_pid,
                          hull_err **err);
/* Move `pid` into the v2 directory of the set (none: nothing to do): the fallback when clone3
 * could not start the process there. */
int runtime_cgroup_add_pid_v2(const struct cgroup_set *set, pid_t pid, hull_err **err);
/* The container's cgroup set as its state records it: `s` its state, read already (NULL: read
 * here, without the directory's lock); states of before 2026-12-06 keep it in cgroup.json.
 * 1 when loaded, 0 when the container has none, -1 on error. */
int runtime_cgroup_load(int state_dirfd, const struct runtime_state *s, struct cgroup_set *set,
                        hull_err **err);
/* Remove the container's cgroups (as its state records them) everywhere, killing whatever
 * still runs in them; runtime_cgroup_remove_set: a set the caller has in memory. */
int runtime_cgroup_remove(int state_dirfd, const struct runtime_state *s, hull_err **err);
int runtime_cgroup_remove_set(const struct cgroup_set *set, hull_err **err);
/* kill --all: signal every process in the cgroups. Returns 0 when done, 1 when the container
 * has no cgroups (the caller falls back), -1 on error. */
int runtime_cgroup_signal_all(int state_dirfd, const struct runtime_state *s, int sig,
                              hull_err **err);
/* 1 when the container's freezer reports frozen, 0 otherwise (from the state's freezer line,
 * or for older states the `freezer` file or the set). */
int runtime_cgroup_is_paused(int state_dirfd, const struct runtime_state *s);
/* Thaw the container's cgroups whoever froze them (best effort): frozen tasks do not die. */
void runtime_cgroup_thaw(int state_dirfd, const struct runtime_state *s);

/* Commands on a running container. */
int runtime_update(const struct runtime_opts *ro, const char *id, const struct hull_resources *r,
                   hull_err **err);
int runtime_pause(const struct runtime_opts *ro, const char *id, hull_err **err);
int runtime_resume(const struct runtime_opts *ro, const char *id, hull_err **err);
int runtime_pids(const struct runtime_opts *ro, const char *id, pid_t **pids, size_t *n,
                 hull_err **err);
/* runc's stats data object; *oom_kills is the OOM-kill counter (for events). */
int runtime_stats(const struct runtime_opts *ro, const char *id, json_t **stats,
                  uint64_t *oom_kills, hull_err **err);
/* An fd that wakes up on memory events of the container (see cgroup_set_oom_notify_fd). */
int runtime_oom_notify_fd(const struct runtime_opts *ro, const char *id, hull_err **err);

#endif
