/* The sandbox's scratch space on the host: one size-limited tmpfs (--disk) per sandbox that
 * holds the workspace (bind-mounted at --workdir in the container) and the overlay upper/work
 * directories that keep the read-only root filesystem's mount points off the image layers.
 * The context directory is copied in (FICLONE where the filesystems allow it, else
 * copy_file_range), its files handed to the sandbox's host uid. */
#ifndef HULL_SANDBOX_WORKSPACE_H
#define HULL_SANDBOX_WORKSPACE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* Mount the tmpfs at dir/scratch (size bytes; 0 = 64 MiB... see docs) with subdirectories
 * workspace, upper and work; workspace belongs to `uid`. */
int sandbox_scratch_mount(const char *dir, long long size, uid_t uid, hull_err **err);
/* The bundle directory `dir` itself is a small tmpfs (mode 0711) under the scratch tmpfs: the
 * bundle's config.json, the mount points, the runtime's state of a `run` (dir/runtime), a
 * session's init and sockets and the egress drop log never touch the host's disk (SANDBOX_RUN_DIR
 * is no tmpfs on every host) and are not counted in --disk. */
#define SANDBOX_BUNDLE_TMPFS_SIZE "16m"
int sandbox_bundle_mount(const char *dir, hull_err **err);
/* Unmount (lazily) dir/rootfs, dir/scratch and the bundle's tmpfs at dir when mounted. */
void sandbox_scratch_unmount(const char *dir);

/* Overlay at dir/rootfs: lower = the layers (bottom to top) or one directory, upper/work on the
 * scratch tmpfs. The runtime mounts it read-only in the container. `mount_points` (absolute,
 * NULL-terminated) are created when missing. */
int sandbox_rootfs_mount(const char *dir, char *const *lower, size_t n,
                         const char *const *mount_points, hull_err **err);

/* Copy the tree below `context` into dir/scratch/workspace. */
int sandbox_copy_context(const char *context, const char *dir, hull_err **err);

/* Files created, changed or deleted between two `files` maps (attest.h), as
 * {"created": [...], "changed": [...], "deleted": [...]}; with output_dir set the created and
 * changed files are copied to output_dir/changes/PATH. */
int sandbox_changes(json_t *before, json_t *after, int workspace_fd, const char *output_dir,
                    json_t **out, hull_err **err);

#endif
