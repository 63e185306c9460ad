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

static int copy_tree(int src, int dst, hull_err **err);

static int is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static int copy_entry(int src, int dst, const char *name, const struct stat *st, hull_err **err)
{
    if (is_whiteout(st))
        return fs_remove_tree_at(dst, name, err);
    struct stat old;
    int exists = fstatat(dst, name, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if (S_ISDIR(st->st_mode)) {
        cleanup_close int sfd = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
            return hull_error(err, errno, "open `%s`", name);
        char opq[2];
        int opaque =
            fgetxattr(sfd, "trusted.overlay.opaque", opq, sizeof(opq)) == 1 && opq[0] == 'y';
        if (exists && (!S_ISDIR(old.st_mode) || opaque)) {
            if (fs_remove_tree_at(dst, name, err) < 0)
                return -1;
            exists = 0;
        }
        if (!exists && mkdirat(dst, name, st->st_mode & 07777) < 0)
            return hull_error(err, errno, "create `%s`", name);
        cleanup_close int dfd = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
            return hull_error(err, errno, "open `%s`", name);
        if (fchown(dfd, st->st_uid, st->st_gid) < 0 || fchmod(dfd, st->st_mode & 07777) < 0)
            return hull_error(err, errno, "set owner of `%s`", name);
        return copy_tree(sfd, dfd, err);
    }
    if (exists && fs_remove_tree_at(dst, name, err) < 0)
        return -1;
    if (S_ISREG(st->st_mode)) {
        cleanup_close int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int out =
            openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (in < 0 || out < 0)
            return hull_error(err, errno, "copy `%s`", name);
        for (off_t left = st->st_size; left > 0;) {
            ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
            if (n <= 0)
                return hull_error(err, n < 0 ? errno : EIO, "copy `%s`", name);
            left -= n;
        }
        if (fchown(out, st->st_uid, st->st_gid) < 0 || fchmod(out, st->st_mode & 07777) < 0)
            return hull_error(err, errno, "set owner of `%s`", name);
        return 0;
    }
    if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
        if (n < 0)
            return hull_error(err, errno, "read symlink `%s`", name);
        target[n] = '\0';
        if (symlinkat(target, dst, name) < 0)
            return hull_error(err, errno, "create symlink `%s`", name);
    } else if (mknodat(dst, name, st->st_mode, st->st_rdev) < 0) {
        return hull_error(err, errno, "create node `%s`", name);
    }
    if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "set owner of `%s`", name);
    return 0;
}

/* Apply one layer directory onto dst the way overlayfs would present it. */
static int copy_tree(int src, int dst, hull_err **err)
{
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(src, &d, err) < 0)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return hull_error(err, errno, "stat `%s`", de->d_name);
        if (copy_entry(src, dst, de->d_name, &st, err) < 0)
            return -1;
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
        if (copy_tree(src, dst, err) < 0)
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
