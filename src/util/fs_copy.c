/* Tree copies by fd (see fs_copy.h). */
#include "util/fs_copy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

static bool is_opaque(int dirfd)
{
    char v[2];
    return fgetxattr(dirfd, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

/* Owner, mode and times of a copied file or directory (by fd). */
static int finish_fd(int fd, const char *name, const struct stat *st, unsigned flags,
                     hull_err **err)
{
    if ((flags & FS_COPY_OWNER) && fchown(fd, st->st_uid, st->st_gid) < 0)
        return hull_error(err, errno, "set the owner of `%s`", name);
    /* After chown, which clears setuid/setgid bits. */
    if (fchmod(fd, st->st_mode & 07777) < 0)
        return hull_error(err, errno, "set the mode of `%s`", name);
    if (flags & FS_COPY_TIMES) {
        struct timespec t[2] = {st->st_atim, st->st_mtim};
        futimens(fd, t);
    }
    return 0;
}

int fs_copy_data(int in, int out, const char *name, hull_err **err)
{
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return hull_error(err, errno, "copy `%s`", name);
        char buf[65536];
        ssize_t r;
        while ((r = read(in, buf, sizeof buf)) > 0)
            if (fs_write_all(out, buf, (size_t)r) < 0)
                return hull_error(err, errno, "write `%s`", name);
        if (r < 0)
            return hull_error(err, errno, "read `%s`", name);
        return 0;
    }
}

static int copy_dir(int sdir, const char *sname, int ddir, const char *dname, const struct stat *st,
                    bool exists, const struct stat *old, unsigned flags, hull_err **err)
{
    cleanup_close int sfd = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0)
        return hull_error(err, errno, "open directory `%s`", sname);
    bool replace =
        exists && (!S_ISDIR(old->st_mode) || ((flags & FS_COPY_OVERLAY) && is_opaque(sfd)));
    if (replace && fs_remove_tree_at(ddir, dname, err) < 0)
        return -1;
    if ((!exists || replace) && mkdirat(ddir, dname, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create directory `%s`", dname);
    cleanup_close int dfd = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return hull_error(err, errno, "open directory `%s`", dname);
    if (fs_copy_dir_contents(sfd, dfd, flags, err) < 0)
        return -1;
    /* Last: a read-only directory mode must not stop its own filling, nor the copy its times. */
    return finish_fd(dfd, dname, st, flags, err);
}

static int copy_file(int sdir, const char *sname, int ddir, const char *dname,
                     const struct stat *st, unsigned flags, hull_err **err)
{
    cleanup_close int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (in < 0)
        return hull_error(err, errno, "open `%s`", sname);
    cleanup_close int out =
        openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return hull_error(err, errno, "create `%s`", dname);
    if (fs_copy_data(in, out, sname, err) < 0)
        return -1;
    return finish_fd(out, dname, st, flags, err);
}

int fs_copy_tree_at(int sdir, const char *sname, int ddir, const char *dname, unsigned flags,
                    hull_err **err)
{
    struct stat st, old;
    if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "stat `%s`", sname);
    bool exists = fstatat(ddir, dname, &old, AT_SYMLINK_NOFOLLOW) == 0;
    if ((flags & FS_COPY_OVERLAY) && is_whiteout(&st))
        return exists ? fs_remove_tree_at(ddir, dname, err) : 0;
    if (S_ISDIR(st.st_mode))
        return copy_dir(sdir, sname, ddir, dname, &st, exists, &old, flags, err);
    if (exists && fs_remove_tree_at(ddir, dname, err) < 0)
        return -1;
    if (S_ISREG(st.st_mode))
        return copy_file(sdir, sname, ddir, dname, &st, flags, err);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(sdir, sname, target, sizeof target - 1);
        if (n < 0)
            return hull_error(err, errno, "read the link `%s`", sname);
        target[n] = '\0';
        if (symlinkat(target, ddir, dname) < 0)
            return hull_error(err, errno, "create the link `%s`", dname);
    } else if (mknodat(ddir, dname, st.st_mode, st.st_rdev) < 0) {
        return hull_error(err, errno, "create `%s`", dname);
    }
    if ((flags & FS_COPY_OWNER) &&
        fchownat(ddir, dname, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "set the owner of `%s`", dname);
    if (flags & FS_COPY_TIMES) {
        struct timespec t[2] = {st.st_atim, st.st_mtim};
        utimensat(ddir, dname, t, AT_SYMLINK_NOFOLLOW);
    }
    return 0;
}

int fs_copy_dir_contents(int sfd, int dfd, unsigned flags, hull_err **err)
{
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(sfd, &d, err) < 0)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fs_copy_tree_at(sfd, de->d_name, dfd, de->d_name, flags, err) < 0)
            return -1;
    }
    return 0;
}
