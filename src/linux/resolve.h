/* Path resolution inside a container's root filesystem. Every lookup is openat2(2) with
 * RESOLVE_IN_ROOT against a directory fd of the rootfs, so ".." and symlinks (absolute or
 * relative, even swapped concurrently) can never lead outside it (CVE-2021-30465 class). */
#ifndef HULL_LINUX_RESOLVE_H
#define HULL_LINUX_RESOLVE_H

#include <stdbool.h>

#include "util/error.h"

enum resolve_create {
    RESOLVE_EXISTING = 0, /* must exist */
    RESOLVE_MKDIR = 1,    /* create missing directories, the last one too */
    RESOLVE_MKFILE = 2,   /* create missing parent directories and an empty regular file */
};

/* Open `path` (container view, absolute or relative to root) inside `rootfd`; returns an
 * O_PATH|O_CLOEXEC fd. With `create`, missing components are made (0755 dirs, 0644 file). */
int resolve_in_root(int rootfd, const char *path, enum resolve_create create, hull_err **err);

/* Same, with extra open flags (e.g. O_RDONLY|O_DIRECTORY instead of O_PATH). With `err` NULL
 * no message is built and errno says why it failed. */
int resolve_open_in_root(int rootfd, const char *path, int flags, bool no_symlinks, hull_err **err);

/* "/proc/self/fd/N" for mount(2) on an fd, in a caller buffer. */
const char *fd_path(char buf[static 32], int fd);

#endif
