/* Filesystem helpers: whole-file IO, atomic replacement, recursive create/remove. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

int fs_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO; /* no progress: do not spin */
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int fs_read_file_at(int dirfd, const char *path, size_t max_size, char **out, size_t *len,
                    hull_err **err)
{
    if (max_size == 0)
        max_size = 64u << 20;
    cleanup_close int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", path);
    size_t cap = 4096, used = 0;
    cleanup_free char *buf = malloc(cap);
    if (buf == NULL)
        return hull_error(err, ENOMEM, "read `%s`", path);
    for (;;) {
        if (used + 1 >= cap) {
            if (cap >= max_size + 1)
                return hull_error(err, EFBIG, "read `%s`", path);
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL)
                return hull_error(err, ENOMEM, "read `%s`", path);
            buf = nb;
        }
        ssize_t n = read(fd, buf + used, cap - used - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return hull_error(err, errno, "read `%s`", path);
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    if (used > max_size)
        return hull_error(err, EFBIG, "read `%s`", path);
    buf[used] = '\0';
    if (len)
        *len = used;
    *out = steal_pointer(&buf);
    return 0;
}

int fs_read_file(const char *path, size_t max_size, char **out, size_t *len, hull_err **err)
{
    return fs_read_file_at(AT_FDCWD, path, max_size, out, len, err);
}

static int write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                         bool durable, hull_err **err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, (int)getpid()) >= (int)sizeof(tmp))
        return hull_error(err, ENAMETOOLONG, "write `%s`", name);
    cleanup_close int fd =
        openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        return hull_error(err, errno, "create `%s`", tmp);
    if (fs_write_all(fd, data, len) < 0 || (durable && fsync(fd) < 0)) {
        int saved = errno;
        unlinkat(dirfd, tmp, 0);
        return hull_error(err, saved, "write `%s`", tmp);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        int saved = errno;
        unlinkat(dirfd, tmp, 0);
        return hull_error(err, saved, "rename `%s` to `%s`", tmp, name);
    }
    if (!durable)
        return 0;
    /* Make the rename itself durable. */
    if (dirfd == AT_FDCWD || strchr(name, '/') != NULL) {
        cleanup_free char *copy = strdup(name);
        if (copy == NULL)
            return hull_error(err, ENOMEM, "write `%s`", name);
        char *slash = strrchr(copy, '/');
        const char *dir = ".";
        if (slash == copy)
            dir = "/";
        else if (slash != NULL) {
            *slash = '\0';
            dir = copy;
        }
        cleanup_close int dfd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0)
            fsync(dfd);
    } else {
        fsync(dirfd);
    }
    return 0;
}

int fs_write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                            hull_err **err)
{
    return write_replace(dirfd, name, data, len, mode, true, err);
}

int fs_replace_file_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       hull_err **err)
{
    return write_replace(dirfd, name, data, len, mode, false, err);
}

int fs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         hull_err **err)
{
    return fs_write_file_atomic_at(AT_FDCWD, path, data, len, mode, err);
}

int fs_write_string_at(int dirfd, const char *path, const char *value, hull_err **err)
{
    cleanup_close int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hull_error(err, errno, "open `%s` for writing", path);
    if (fs_write_all(fd, value, strlen(value)) < 0)
        return hull_error(err, errno, "write `%s` to `%s`", value, path);
    return 0;
}

int fs_write_string(const char *path, const char *value, hull_err **err)
{
    return fs_write_string_at(AT_FDCWD, path, value, err);
}

int fs_mkdir_p(const char *path, mode_t mode, hull_err **err)
{
    if (*path == '\0')
        return hull_error(err, ENOENT, "mkdir ``");
    /* Usually the parent exists: one system call rather than one per component. */
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return hull_error(err, errno, "mkdir `%s`", path);
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "mkdir `%s`", path);
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST)
            return hull_error(err, errno, "mkdir `%s`", copy);
        *p = '/';
    }
    if (mkdir(copy, mode) < 0 && errno != EEXIST)
        return hull_error(err, errno, "mkdir `%s`", copy);
    return 0;
}

bool fs_dir_is_empty(int dirfd)
{
    DIR *d = NULL;
    hull_err *e = NULL;
    if (fs_opendir_at(dirfd, &d, &e) < 0) {
        hull_err_free(e);
        return false;
    }
    bool empty = true;
    struct dirent *de;
    while (empty && (de = readdir(d)) != NULL)
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    return empty;
}

void fs_spread_subdirs(int dirfd)
{
    int flags = 0;
    if (ioctl(dirfd, FS_IOC_GETFLAGS, &flags) < 0 || (flags & FS_TOPDIR_FL))
        return;
    flags |= FS_TOPDIR_FL;
    ioctl(dirfd, FS_IOC_SETFLAGS, &flags); /* best effort: a hint where it is understood */
}

int fs_opendir_at(int dirfd, DIR **out, hull_err **err)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open directory");
    *out = fdopendir(fd);
    if (*out == NULL) {
        int e = errno;
        close(fd);
        return hull_error(err, e, "opendir");
    }
    return 0;
}

/* Takes `dfd` (closed on return): read directly, not through a duplicate of it. */
static int remove_children(int dfd, dev_t dev, hull_err **err)
{
    cleanup_dir DIR *d = fdopendir(dfd);
    if (d == NULL) {
        int e = errno;
        close(dfd);
        return hull_error(err, e, "opendir");
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        /* What the directory entry says is no directory is unlinked without a stat first; one
         * that became a directory meanwhile (EISDIR) takes the careful way. */
        if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) {
            if (unlinkat(dfd, de->d_name, 0) == 0 || errno == ENOENT)
                continue;
            if (errno != EISDIR && errno != EPERM) {
                hull_error(err, errno, "remove `%s`", de->d_name);
                if (dev != 0)
                    return -1;
                continue;
            }
        }
        if (fs_remove_tree_at(dfd, de->d_name, err) < 0 && dev != 0)
            return -1;
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fs_dir_names_sorted(int dirfd, char ***out, size_t *n_out, hull_err **err)
{
    DIR *d = NULL;
    if (fs_opendir_at(dirfd, &d, err) < 0)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 32;
            names = realloc(names, cap * sizeof *names);
            if (names == NULL)
                abort();
        }
        names[n++] = strdup(de->d_name);
        if (names[n - 1] == NULL)
            abort();
        errno = 0;
    }
    int read_errno = errno;
    closedir(d);
    if (read_errno) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        return hull_error(err, read_errno, "read directory");
    }
    if (names == NULL && (names = calloc(1, sizeof *names)) == NULL)
        abort();
    names[n] = NULL;
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    *out = names;
    *n_out = n;
    return 0;
}

int fs_remove_tree_at(int dirfd, const char *name, hull_err **err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT)
            return 0;
        return hull_error(err, errno, "stat `%s`", name);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
            return hull_error(err, errno, "remove `%s`", name);
        return 0;
    }
    int dfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return hull_error(err, errno, "open `%s`", name);
    struct stat dst;
    if (fstat(dfd, &dst) < 0) {
        int e = errno;
        close(dfd);
        return hull_error(err, e, "stat `%s`", name);
    }
    if (dst.st_dev != st.st_dev || dst.st_ino != st.st_ino) {
        close(dfd);
        return hull_error(err, EBUSY, "`%s` changed while being removed", name);
    }
    if (remove_children(dfd, st.st_dev, err) < 0)
        return hull_error_prefix(err, "remove `%s`", name);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return hull_error(err, errno, "remove `%s`", name);
    return 0;
}

int fs_remove_tree(const char *path, hull_err **err)
{
    return fs_remove_tree_at(AT_FDCWD, path, err);
}
