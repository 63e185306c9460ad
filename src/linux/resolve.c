/* Container-root-relative lookups with openat2(RESOLVE_IN_ROOT). */
#include "linux/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

const char *fd_path(char buf[static 32], int fd)
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

static int openat2_in_root(int rootfd, const char *path, int flags, unsigned long long resolve)
{
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
    };
    while (*path == '/')
        path++;
    if (*path == '\0')
        path = ".";
    int fd;
    do
        fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    while (fd < 0 && errno == EAGAIN);
    return fd;
}

int resolve_open_in_root(int rootfd, const char *path, int flags, bool no_symlinks, hull_err **err)
{
    int fd = openat2_in_root(rootfd, path, flags, no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
    if (fd < 0)
        return hull_error(err, errno, "open `%s` inside the container", path);
    return fd;
}

/* `path` (no trailing slash) does not exist: resolve its parent from the root (creating it
 * the same way), create the last component in there and resolve the whole path again from the
 * root, so that a symlink met on the way is followed only within the root. */
static int create_missing(int rootfd, char *path, enum resolve_create create, hull_err **err)
{
    char *slash = strrchr(path, '/');
    const char *leaf = slash ? slash + 1 : path;
    cleanup_close int parent = -1;
    if (slash == NULL || slash == path) {
        parent = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
    } else {
        *slash = '\0';
        parent = openat2_in_root(rootfd, path, O_PATH, 0);
        if (parent < 0 && errno == ENOENT)
            parent = create_missing(rootfd, path, RESOLVE_MKDIR, err);
        else if (parent < 0)
            hull_error(err, errno, "resolve `%s` inside the container", path);
        *slash = '/';
        if (parent < 0)
            return -1;
    }
    if (parent < 0)
        return hull_error(err, errno, "open container root");
    /* Dot components are left to openat2 with the whole path. */
    if (strcmp(leaf, ".") != 0 && strcmp(leaf, "..") != 0) {
        if (create == RESOLVE_MKFILE) {
            int f =
                openat(parent, leaf, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
            if (f < 0 && errno != EEXIST)
                return hull_error(err, errno, "create `%s` inside the container", path);
            if (f >= 0)
                close(f);
        } else if (mkdirat(parent, leaf, 0755) < 0 && errno != EEXIST) {
            return hull_error(err, errno, "mkdir `%s` inside the container", path);
        }
    }
    int fd = openat2_in_root(rootfd, path, O_PATH, 0);
    if (fd < 0)
        return hull_error(err, errno, "resolve `%s` inside the container", path);
    return fd;
}

int resolve_in_root(int rootfd, const char *path, enum resolve_create create, hull_err **err)
{
    int fd = openat2_in_root(rootfd, path, O_PATH, 0);
    if (fd >= 0 || errno != ENOENT || create == RESOLVE_EXISTING) {
        if (fd < 0)
            return hull_error(err, errno, "resolve `%s` inside the container", path);
        return fd;
    }
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "resolve `%s`", path);
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';
    return create_missing(rootfd, copy, create, err);
}
