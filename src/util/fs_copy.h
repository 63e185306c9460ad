/* Copying directory trees between two places by fd: `hull cp`, the pre-filling of a new volume
 * from the image, and the vfs fallback that flattens image layers when overlayfs is missing. */
#ifndef HULL_UTIL_FS_COPY_H
#define HULL_UTIL_FS_COPY_H

#include "util/error.h"

enum fs_copy_flags {
    FS_COPY_OWNER = 1u << 0,   /* keep uid and gid (else the copies belong to the caller) */
    FS_COPY_TIMES = 1u << 1,   /* keep access and modification times */
    FS_COPY_OVERLAY = 1u << 2, /* the source is an overlayfs layer: a whiteout (0:0 character
                                * device) deletes the name, an opaque directory replaces */
};

/* Copy sdir/sname to ddir/dname, recursively. Directories merge with an existing directory;
 * anything else in the way (a file in place of a directory, any entry in place of a file, a
 * symlink) is replaced, never written through. Symlinks are copied as links, never followed;
 * devices and fifos are made anew. Modes (with setuid/setgid/sticky bits) are kept. */
int fs_copy_tree_at(int sdir, const char *sname, int ddir, const char *dname, unsigned flags,
                    hull_err **err);
/* Copy everything readable from `in` to `out` (copy_file_range, else read/write); `name` for
 * messages. */
int fs_copy_data(int in, int out, const char *name, hull_err **err);

/* The same for every entry of directory `sfd` into directory `dfd`. */
int fs_copy_dir_contents(int sfd, int dfd, unsigned flags, hull_err **err);

#endif
