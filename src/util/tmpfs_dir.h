/* A run directory (per boot state: sandbox bundles, the runtime state of hull's containers) that
 * lives on a tmpfs even on a host whose /run is a plain directory of a disk file system. */
#ifndef HULL_UTIL_TMPFS_DIR_H
#define HULL_UTIL_TMPFS_DIR_H

#include <stdbool.h>

#include "util/error.h"

/* Whether `path` is (on) a tmpfs. */
bool tmpfs_dir_is_tmpfs(const char *path);

/* `path` made (mode 0711), and on a tmpfs: where it is a plain directory on a disk file system,
 * a tmpfs with `opts` (mount(2) data, e.g. "mode=0711,size=64m,nr_inodes=65536") is mounted on
 * it once, while the directory is empty, and stays for the next commands (as /run would be).
 * When the directory cannot be a tmpfs (not empty: files of an older hull; no permission), it is
 * used as it is, and *hold is an fd with a shared flock on it, which the caller keeps open while
 * it works there (closes when done) so that no other process mounts over its files (mounters
 * take the flock exclusively, while empty); otherwise *hold is -1. Costs one statfs when the
 * tmpfs is there. */
int tmpfs_dir_ready(const char *path, const char *opts, int *hold, hull_err **err);

#endif
