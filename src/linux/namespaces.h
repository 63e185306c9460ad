/* Namespaces: joining existing ones by path, the time namespace's offsets, and the uid/gid maps
 * of a new user namespace. */
#ifndef HULL_LINUX_NAMESPACES_H
#define HULL_LINUX_NAMESPACES_H

#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
/* In the container process, when it got a new network namespace: bring its loopback interface
 * up, as runc and crun do (a fresh namespace's `lo` is down, and programs expect localhost). */
int namespaces_loopback_up(const struct hull_config *cfg, hull_err **err);

#endif

/* In the runtime, before clone(): join the pid namespace given by path (it applies to
 * children), unshare a new time namespace and write its offsets. */
int namespaces_prepare_parent(const struct hull_config *cfg, hull_err **err);

/* In the container process: join every other namespace given by path (user first). */
int namespaces_join_paths(const struct hull_config *cfg, hull_err **err);

/* From the runtime: write uid_map and gid_map of `pid`'s new user namespace. */
int namespaces_write_id_maps(const struct hull_config *cfg, pid_t pid, hull_err **err);

/* The clone(2) flags for the namespaces created fresh. CLONE_NEWTIME is excluded: it is
 * unshared by the parent before clone. CLONE_NEWCGROUP too: see namespaces_unshare_cgroup. */
int namespaces_clone_flags(const struct hull_config *cfg);

/* In the container process, once the runtime moved it into its cgroups (after SYNC_GO):
 * unshare the new cgroup namespace, so that its root is the container's own cgroup. */
int namespaces_unshare_cgroup(const struct hull_config *cfg, hull_err **err);

/* In the container process, when it got a new network namespace: bring its loopback interface
 * up, as runc and crun do (a fresh namespace's `lo` is down, and programs expect localhost). */
int namespaces_loopback_up(const struct hull_config *cfg, hull_err **err);

#endif
