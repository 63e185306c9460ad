/* Small filesystem helpers shared by every layer: whole-file reads, atomic writes, directory
 * creation and removal. Paths are host paths; container-side paths go through linux/resolve.h. */
#ifndef HULL_UTIL_FS_H
#define HULL_UTIL_FS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Read a whole file (at most max_size bytes; 0 = 64 MiB) into a NUL-terminated buffer. */
int fs_read_file(const char *path, size_t max_size, char **out, size_t *len, hull_err **err);
int fs_read_file_at(int dirfd, const char *path, size_t max_size, char **out, size_t *len,
                    hull_err **err);

/* Write `len` bytes to `path` atomically: a temporary file in the same directory, fsync,
 * rename over the target, fsync of the directory. */
int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         hull_err **err);
int fs_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                            hull_err **err);

/* Atomic (temp + rename) but not durable: no fsync. For files that never need to outlive a
 * reboot, such as the runtime's state under /run: readers never see a torn file, and nothing
 * that a crash could lose would still be meaningful afterwards (the containers are gone too). */
int fs_replace_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       hull_err **err);

/* Write a short string to an existing file (sysctl, cgroup and /proc knobs). */
int fs_write_string(const char *path, const char *value, hull_err **err);
int fs_write_string_at(int dirfd, const char *path, const char *value, hull_err **err);

/* mkdir -p with the given mode for created components. */
int fs_mkdir_p(const char *path, mode_t mode, hull_err **err);

/* rm -rf of a directory tree, fd-relative, never following symlinks and never crossing mount
 * points. A missing path is not an error. */
int fs_remove_tree(const char *path, hull_err **err);
int fs_remove_tree_at(int dirfd, const char *name, hull_err **err);

/* A DIR stream over the directory `dirfd` refers to, with its own read offset (a dup would
 * share, and exhaust, the offset of dirfd). */
int fs_opendir_at(int dirfd, DIR **out, hull_err **err);
/* Mark a directory as the top of separate hierarchies (ext2/3/4's FS_TOPDIR_FL, `chattr +T`),
 * so that the file system spreads the directories made in it, with their files, over its
 * block groups instead of packing them next to each other. Where directories are made and
 * removed all the time (one per container) this keeps new inodes out of the groups of the
 * inodes just freed: ext4 without a journal skips each inode freed in the last minutes of a
 * group, one by one, when it allocates there. Nothing where the flag is not understood. */
void fs_spread_subdirs(int dirfd);
/* Whether directory `dirfd` holds nothing but . and .. (false when it cannot be read). */
bool fs_dir_is_empty(int dirfd);
/* The names in directory `dirfd` but . and .., sorted by bytes (strcmp): a stable order for
 * archives and digests. *out is NULL-terminated (free with hull_strvfree / cleanup_strv), *n
 * its length. */
int fs_dir_names_sorted(int dirfd, char ***out, size_t *n, hull_err **err);

/* Whole-write helper that retries on EINTR and short writes. */
int fs_write_all(int fd, const void *data, size_t len);

#endif
