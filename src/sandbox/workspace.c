/* The sandbox's tmpfs scratch space, the context copy and the change list (workspace.h). */
#include "sandbox/workspace.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int sandbox_scratch_mount(const char *dir, long long size, uid_t uid, hull_err **err)
{
    cleanup_free char *scratch = NULL;
    if (asprintf(&scratch, "%s/scratch", dir) < 0)
        abort();
    if (mkdir(scratch, 0711) < 0 && errno != EEXIST)
        return hull_error(err, errno, "mkdir `%s`", scratch);
    char opts[96];
    snprintf(opts, sizeof opts, "size=%lld,mode=0755,nr_inodes=%lld", size,
             size / 1024 > 1024 ? size / 1024 : 1024);
    if (mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return hull_error(err, errno, "mount the workspace tmpfs at `%s`", scratch);
    cleanup_close int fd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", scratch);
    const char *subs[] = {"workspace", "upper", "work", "rootfs", NULL};
    for (const char **s = subs; *s; s++)
        if (mkdirat(fd, *s, 0755) < 0)
            return hull_error(err, errno, "mkdir `%s/%s`", scratch, *s);
    if (fchownat(fd, "workspace", uid, uid, 0) < 0)
        return hull_error(err, errno, "chown `%s/workspace`", scratch);
    return 0;
}

int sandbox_bundle_mount(const char *dir, hull_err **err)
{
    if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV,
              "size=" SANDBOX_BUNDLE_TMPFS_SIZE ",mode=0711,nr_inodes=4096") < 0)
        return hull_error(err, errno, "mount the bundle's tmpfs at `%s`", dir);
    return 0;
}

void sandbox_scratch_unmount(const char *dir)
{
    /* The bundle's tmpfs with everything mounted below it (a lazy unmount takes the whole
     * subtree): one unmount, one wait for the mount namespace's RCU grace period. */
    if (umount2(dir, MNT_DETACH) == 0)
        return;
    /* A bundle of an older hull (no tmpfs of its own). */
    char path[4096];
    snprintf(path, sizeof path, "%s/rootfs", dir);
    umount2(path, MNT_DETACH);
    snprintf(path, sizeof path, "%s/scratch", dir);
    umount2(path, MNT_DETACH);
}

int sandbox_rootfs_mount(const char *dir, char *const *lower, size_t n,
                         const char *const *mount_points, hull_err **err)
{
    cleanup_free char *target = NULL;
    if (asprintf(&target, "%s/rootfs", dir) < 0)
        abort();
    if (mkdir(target, 0755) < 0 && errno != EEXIST)
        return hull_error(err, errno, "mkdir `%s`", target);
    size_t len = 64 + 3 * strlen(dir);
    for (size_t i = 0; i < n; i++)
        len += strlen(lower[i]) + 1;
    cleanup_free char *opts = malloc(len);
    if (opts == NULL)
        abort();
    char *p = opts;
    p += sprintf(p, "lowerdir=");
    for (size_t i = n; i-- > 0;) /* overlayfs wants the topmost first */
        p += sprintf(p, "%s%s", lower[i], i ? ":" : "");
    sprintf(p, ",upperdir=%s/scratch/upper,workdir=%s/scratch/work", dir, dir);
    if (mount("overlay", target, "overlay", MS_NOSUID | MS_NODEV, opts) < 0)
        return hull_error(err, errno, "mount the sandbox's root filesystem at `%s`", target);
    /* Root in the sandbox owns nothing of the image: make its mount points here, as real root,
     * in the overlay's upper directory. */
    for (const char *const *m = mount_points; m && *m; m++) {
        cleanup_free char *path = NULL;
        if (asprintf(&path, "%s%s", target, *m) < 0)
            abort();
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            continue;
        if (fs_mkdir_p(path, 0755, err) < 0)
            return hull_error_prefix(err, "mount point `%s`", *m);
    }
    return 0;
}

static int copy_file(int sdir, const char *name, int ddir, const struct stat *st, hull_err **err)
{
    cleanup_close int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return hull_error(err, errno, "open `%s`", name);
    cleanup_close int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                   st->st_mode & 07777);
    if (out < 0)
        return hull_error(err, errno, "create `%s`", name);
    if (ioctl(out, FICLONE, in) == 0)
        return 0;
    off_t left = st->st_size;
    while (left > 0) {
        ssize_t k = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP)) {
            char buf[65536];
            ssize_t r = read(in, buf, sizeof buf);
            if (r < 0)
                return hull_error(err, errno, "read `%s`", name);
            if (r == 0)
                break;
            if (fs_write_all(out, buf, (size_t)r) < 0)
                return hull_error(err, errno, "write `%s`", name);
            left -= r;
            continue;
        }
        if (k < 0)
            return hull_error(err, errno, "copy `%s`", name);
        if (k == 0)
            break;
        left -= k;
    }
    if (fchmod(out, st->st_mode & 07777) < 0)
        return hull_error(err, errno, "chmod `%s`", name);
    return 0;
}

static int copy_dir(int sfd, int dfd, hull_err **err)
{
    int dup = fcntl(sfd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0)
        return hull_error(err, errno, "dup");
    cleanup_dir DIR *d = fdopendir(dup);
    if (d == NULL) {
        close(dup);
        return hull_error(err, errno, "read the context directory");
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            return hull_error(err, errno, "stat `%s`", name);
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dfd, name, st.st_mode & 07777) < 0)
                return hull_error(err, errno, "mkdir `%s`", name);
            cleanup_close int s2 =
                openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            cleanup_close int d2 =
                openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s2 < 0 || d2 < 0)
                return hull_error(err, errno, "open directory `%s`", name);
            if (copy_dir(s2, d2, err) < 0)
                return hull_error_prefix(err, "%s", name);
            if (fchmod(d2, st.st_mode & 07777) < 0)
                return hull_error(err, errno, "chmod `%s`", name);
        } else if (S_ISREG(st.st_mode)) {
            if (copy_file(sfd, name, dfd, &st, err) < 0)
                return -1;
        } else if (S_ISLNK(st.st_mode)) {
            char target[4097];
            ssize_t n = readlinkat(sfd, name, target, sizeof target - 1);
            if (n < 0)
                return hull_error(err, errno, "readlink `%s`", name);
            target[n] = '\0';
            if (symlinkat(target, dfd, name) < 0)
                return hull_error(err, errno, "symlink `%s`", name);
        }
        /* Devices, fifos and sockets are not copied into a workspace. */
    }
    return 0;
}

int sandbox_copy_context(const char *context, const char *dir, hull_err **err)
{
    cleanup_close int sfd = open(context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        return hull_error(err, errno, "--context `%s`", context);
    cleanup_free char *ws = NULL;
    if (asprintf(&ws, "%s/scratch/workspace", dir) < 0)
        abort();
    cleanup_close int dfd = open(ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return hull_error(err, errno, "open `%s`", ws);
    if (copy_dir(sfd, dfd, err) < 0)
        return hull_error_prefix(err, "copy the context `%s` into the workspace", context);
    struct stat st;
    if (fstat(sfd, &st) < 0 || fchmod(dfd, st.st_mode & 07777) < 0)
        return hull_error(err, errno, "mode of the workspace from `%s`", context);
    return 0;
}

static int copy_out(int wfd, const char *rel, const char *output_dir, hull_err **err)
{
    cleanup_free char *dst = NULL;
    if (asprintf(&dst, "%s/changes/%s", output_dir, rel) < 0)
        abort();
    char *slash = strrchr(dst, '/');
    *slash = '\0';
    if (fs_mkdir_p(dst, 0755, err) < 0)
        return -1;
    *slash = '/';
    struct stat st;
    if (fstatat(wfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "stat `%s`", rel);
    unlink(dst);
    if (S_ISLNK(st.st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(wfd, rel, target, sizeof target - 1);
        if (n < 0)
            return hull_error(err, errno, "readlink `%s`", rel);
        target[n] = '\0';
        if (symlink(target, dst) < 0)
            return hull_error(err, errno, "symlink `%s`", dst);
        return 0;
    }
    if (!S_ISREG(st.st_mode))
        return 0;
    cleanup_close int ddir = open(output_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ddir < 0)
        return hull_error(err, errno, "open `%s`", output_dir);
    cleanup_free char *drel = NULL;
    if (asprintf(&drel, "changes/%s", rel) < 0)
        abort();
    cleanup_close int in = openat(wfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    cleanup_close int out = openat(
        ddir, drel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0777);
    if (in < 0 || out < 0)
        return hull_error(err, errno, "copy `%s` out", rel);
    char buf[65536];
    ssize_t r;
    while ((r = read(in, buf, sizeof buf)) > 0)
        if (fs_write_all(out, buf, (size_t)r) < 0)
            return hull_error(err, errno, "write `%s`", dst);
    if (r < 0)
        return hull_error(err, errno, "read `%s`", rel);
    return 0;
}

int sandbox_changes(json_t *before, json_t *after, int workspace_fd, const char *output_dir,
                    json_t **out, hull_err **err)
{
    json_t *created = json_array(), *changed = json_array(), *deleted = json_array();
    *out = json_pack("{s:o, s:o, s:o}", "created", created, "changed", changed, "deleted", deleted);
    const char *path;
    json_t *v;
    json_object_foreach(after, path, v)
    {
        json_t *old = json_object_get(before, path);
        if (old && json_equal(old, v))
            continue;
        json_array_append_new(old ? changed : created, json_string(path));
        if (output_dir && copy_out(workspace_fd, path, output_dir, err) < 0)
            return -1;
    }
    json_object_foreach(before, path, v)
    {
        if (!json_object_get(after, path))
            json_array_append_new(deleted, json_string(path));
    }
    return 0;
}
