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

/* Mounting on a resolved fd without walking /proc (where every lookup leaves RCU-walk and is
 * redone in ref-walk mode): mount_on_fd changes into the target directory, mounts on "." and
 * goes back to `cwd`, an O_PATH fd of the working directory from mount_cwd_open(). The kernel
 * mounts on the very inode the fd resolved, as through /proc/self/fd/N. */

/* The working directory for mount_on_fd to come back to: -1 (errno set) when it cannot be
 * opened or entered again (mount_on_fd then always mounts through /proc/self/fd/N). */
int mount_cwd_open(void);

/* mount(2) with `fd` as the target. Through /proc/self/fd/N, as before, when `cwd` is -1, when
 * fd is no directory we may enter, and when a relative path in the source or the data would
 * be looked up from the working directory (a bind of a relative source, a filesystem type
 * other than the virtual ones: a block device, overlay's lowerdir). */
int mount_on_fd(int cwd, const char *source, int fd, const char *type, unsigned long flags,
                const void *data);

/* A bind mount of what `src` refers to (and every mount below it when `recursive`) onto
 * `target`: a detached clone (open_tree(2)) attached there with move_mount(2), no path walked.
 * A directory onto a non-directory or back fails with ENOTDIR, as mount(2) says it. */
int bind_fd(int src, int target, bool recursive);

#endif
