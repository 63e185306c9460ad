/* Overlay (and vfs fallback) root filesystems for containers. */
#include "image/rootfs.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/fs_copy.h"

static int mount_overlay(char *const *lower, size_t n, const char *state_dir, const char *target,
                         bool volatile_upper, hull_err **err)
{
    cleanup_free char *upper = NULL;
    cleanup_free char *work = NULL;
    if (asprintf(&upper, "%s/upper", state_dir) < 0 || asprintf(&work, "%s/work", state_dir) < 0)
        abort();
    if (fs_mkdir_p(upper, 0755, err) < 0 || fs_mkdir_p(work, 0700, err) < 0)
        return -1;
    size_t len = strlen(upper) + strlen(work) + 64;
    for (size_t i = 0; i < n; i++)
        len += strlen(lower[i]) + 1;
    cleanup_free char *opts = malloc(len);
    if (opts == NULL)
        abort();
    /* overlayfs lists lower directories top first. */
    size_t o = (size_t)snprintf(opts, len, "lowerdir=");
    for (size_t i = n; i-- > 0;)
        o += (size_t)snprintf(opts + o, len - o, "%s%s", lower[i], i ? ":" : "");
    size_t base = o + (size_t)snprintf(opts + o, len - o, ",upperdir=%s,workdir=%s", upper, work);
    if (volatile_upper)
        snprintf(opts + base, len - base, ",volatile");
    if (strlen(opts) >= 4096)
        return hull_error(err, E2BIG, "overlay options for %zu layers exceed one page", n);
    if (mount("overlay", target, "overlay", 0, opts) < 0) {
        /* Kernels before 5.10 do not know "volatile": it is only an optimisation. */
        if (!(volatile_upper && errno == EINVAL))
            return hull_error(err, errno, "mount overlay at `%s`", target);
        opts[base] = '\0';
        if (mount("overlay", target, "overlay", 0, opts) < 0)
            return hull_error(err, errno, "mount overlay at `%s`", target);
    }
    return 0;
}

static int mount_vfs(char *const *lower, size_t n, const char *state_dir, const char *target,
                     hull_err **err)
{
    cleanup_free char *root = NULL;
    if (asprintf(&root, "%s/rootfs", state_dir) < 0)
        abort();
    if (fs_mkdir_p(root, 0755, err) < 0)
        return -1;
    cleanup_close int dst = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dst < 0)
        return hull_error(err, errno, "open `%s`", root);
    for (size_t i = 0; i < n; i++) {
        cleanup_close int src = open(lower[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
            return hull_error(err, errno, "open layer `%s`", lower[i]);
        /* Applied the way overlayfs would present the layers. */
        if (fs_copy_dir_contents(src, dst, FS_COPY_OWNER | FS_COPY_TIMES | FS_COPY_OVERLAY, err) <
            0)
            return hull_error_prefix(err, "copy layer `%s`", lower[i]);
    }
    if (mount(root, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return hull_error(err, errno, "bind mount `%s` at `%s`", root, target);
    return 0;
}

int image_rootfs_mount(char *const *lower_dirs, size_t n_layers, const char *state_dir,
                       const char *target, unsigned flags, hull_err **err)
{
    if (fs_mkdir_p(state_dir, 0700, err) < 0 || fs_mkdir_p(target, 0755, err) < 0)
        return hull_error_prefix(err, "prepare root filesystem");
    if (!(flags & IMAGE_ROOTFS_FORCE_VFS)) {
        cleanup_err hull_err *overlay_err = NULL;
        if (mount_overlay(lower_dirs, n_layers, state_dir, target,
                          (flags & IMAGE_ROOTFS_VOLATILE) != 0, &overlay_err) == 0)
            return 0;
        /* Only a missing or unusable overlayfs falls back; anything else is a real error. */
        if (overlay_err->errnum != ENODEV && overlay_err->errnum != EINVAL &&
            overlay_err->errnum != E2BIG) {
            if (err) {
                hull_err_free(*err);
                *err = steal_pointer(&overlay_err);
            }
            image_rootfs_unmount(state_dir, NULL, NULL);
            return -1;
        }
        image_rootfs_unmount(state_dir, NULL, NULL);
    }
    if (mount_vfs(lower_dirs, n_layers, state_dir, target, err) < 0) {
        image_rootfs_unmount(state_dir, NULL, NULL);
        return hull_error_prefix(err, "copy root filesystem");
    }
    return 0;
}

int image_rootfs_unmount(const char *state_dir, const char *target, hull_err **err)
{
    if (target != NULL && umount2(target, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return hull_error(err, errno, "unmount `%s`", target);
    static const char *const parts[] = {"upper", "work", "rootfs"};
    cleanup_close int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : hull_error(err, errno, "open `%s`", state_dir);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (fs_remove_tree_at(dfd, parts[i], err) < 0)
            return hull_error_prefix(err, "remove container root filesystem");
    return 0;
}
