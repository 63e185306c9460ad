/* A container's root filesystem from image layers: an overlay mount with the layers as read-only
 * lower directories and a private upper/work directory, or a copy ("vfs") where overlayfs is not
 * available. All of the container's writable state lives under `state_dir`, which
 * image_rootfs_unmount() empties again. */
#ifndef HULL_IMAGE_ROOTFS_H
#define HULL_IMAGE_ROOTFS_H

#include <stddef.h>

#include "util/error.h"

enum image_rootfs_flags {
    IMAGE_ROOTFS_FORCE_VFS = 1 << 0, /* copy the layers even when overlayfs works */
    /* overlayfs "volatile": no syncs to the upper filesystem (unmount gets ~10 ms faster). The
     * upper directory cannot be mounted again afterwards: for throwaway containers (--rm). */
    IMAGE_ROOTFS_VOLATILE = 1 << 1,
};

/* Mount layers `lower_dirs` (bottom to top, as image_info->layer_dirs) at `target`, creating
 * state_dir/{upper,work} (overlay) or state_dir/rootfs (vfs, bind-mounted at target). */
int image_rootfs_mount(char *const *lower_dirs, size_t n_layers, const char *state_dir,
                       const char *target, unsigned flags, hull_err **err);

/* Unmount `target` (when mounted) and remove the writable state under state_dir. */
int image_rootfs_unmount(const char *state_dir, const char *target, hull_err **err);

#endif
