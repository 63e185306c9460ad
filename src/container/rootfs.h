/* What a run of a hull container holds beyond its record: the root filesystem mounted at
 * bundle/rootfs (for as long as a run lasts, and for `cp` on a stopped container; the overlay
 * upper directory persists until `rm`) and the runtime's state of the run. */
#ifndef HULL_CONTAINER_ROOTFS_H
#define HULL_CONTAINER_ROOTFS_H

#include <stdbool.h>

#include "container/store.h"
#include "util/error.h"

struct cgroup_set;
struct state_dir;

/* bundle/rootfs of r (malloc'd). */
char *container_rootfs_path(const container_record *r);
/* Mount the root filesystem at bundle/rootfs unless it is mounted already. */
int container_rootfs_mount(container_record *r, hull_err **err);
/* Unmount bundle/rootfs; with remove_storage also delete the writable layer (rm). */
int container_rootfs_unmount(container_record *r, bool remove_storage, hull_err **err);
/* Whether bundle/rootfs is a mount point now. */
bool container_rootfs_mounted(container_record *r);

/* End of a run: delete the runtime state (killing leftovers) but keep the container. */
int container_teardown_run(container_store *cs, container_record *r, hull_err **err);
/* The same by the process whose create made the run (launch.c): with the cgroup set and state
 * directory create gave it, and whether the config has poststop hooks; nothing read back. */
int container_teardown_made(container_store *cs, container_record *r, const struct cgroup_set *cg,
                            const struct state_dir *made, bool poststop_hooks, hull_err **err);

#endif
