/* The container's mount table: rootfs propagation and bind, config.json mounts (fd-relative,
 * resolved inside the rootfs), pivot_root, read-only root, masked and read-only paths. */
#ifndef HULL_LINUX_MOUNTS_H
#define HULL_LINUX_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "linux/cgroup/cgroup.h"
#include "oci/config.h"
#include "util/error.h"

/* Before any mount: set "/" propagation (default rslave), bind the rootfs onto itself and make
 * its parent mount private so pivot_root works. Returns an O_PATH fd of the rootfs. */
int mounts_prepare_rootfs(const struct hull_config *cfg, hull_err **err);

/* Entries [from, to) of cfg->mounts, in order, relative to rootfd. `cgroups`: the host's cgroup
 * hierarchies for cgroup mounts (NULL: read from /proc/self/mountinfo when needed). */
int mounts_apply_config(const struct hull_config *cfg, int rootfd, bool in_userns,
                        const struct cgroup_host *cgroups, size_t from, size_t to, hull_err **err);
/* Index of the first cgroup/cgroup2 filesystem mount (cfg->n_mounts when none): what the
 * container process can mount before it is in its own cgroups (and cgroup namespace). */
size_t mounts_first_cgroup(const struct hull_config *cfg);

/* Switch to the new root: pivot_root (or MS_MOVE + chroot with no_pivot). */
int mounts_pivot_root(const struct hull_config *cfg, int rootfd, bool no_pivot, hull_err **err);

/* After pivot: root.readonly, final rootfs propagation. */
int mounts_finish_rootfs(const struct hull_config *cfg, hull_err **err);

/* After pivot, with the container's /proc mounted: maskedPaths and readonlyPaths. */
int mounts_apply_masked_paths(const struct hull_config *cfg, hull_err **err);
int mounts_apply_readonly_paths(const struct hull_config *cfg, hull_err **err);

#endif
