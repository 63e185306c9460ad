/* Layer extraction: a tar stream (plain, gzip or zstd; libarchive detects which) unpacked under a
 * directory fd without ever resolving a path through a symlink, so no entry can write outside
 * the directory: `..` components are refused, parent directories are opened one component at a
 * time with O_NOFOLLOW, and symlinks are created but never followed. */
#ifndef HULL_IMAGE_LAYER_H
#define HULL_IMAGE_LAYER_H

#include "util/error.h"

enum layer_unpack_flags {
    /* Turn OCI/AUFS whiteouts into overlayfs ones: `.wh.NAME` -> 0:0 character device NAME,
     * `.wh..wh..opq` -> trusted.overlay.opaque=y on the directory. */
    LAYER_OVERLAY_WHITEOUTS = 1 << 0,
    /* For archives hull reads (docker-archive, oci-archive): keep only directories, regular
     * files and symlinks, no ownership or xattrs. */
    LAYER_PLAIN = 1 << 1,
};

int layer_unpack_fd(int archive_fd, int dest_dirfd, unsigned flags, hull_err **err);

#endif
