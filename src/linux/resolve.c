/* Container-root-relative lookups with openat2(RESOLVE_IN_ROOT). */
#include "linux/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

const char *fd_path(char buf[static 32], int fd)
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

int mount_cwd_open(void)
{
    int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0)
        return -1;
    /* Entering it needs search permission, which opening it did not. */
    if (fchdir(cwd) < 0) {
        int e = errno;
        close(cwd);
        errno = e;
        return -1;
    }
    return cwd;
}

/* Filesystems that read no path from the source or the options. */
static bool virtual_fs(const char *type)
{
    static const char *const types[] = {"proc",   "sysfs",  "tmpfs",  "devpts",
                                        "mqueue", "cgroup", "cgroup2"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(type, types[i]) == 0)
            return true;
    return false;
}

int mount_on_fd(int cwd, const char *source, int fd, const char *type, unsigned long flags,
                const void *data)
{
    char p[32];
    bool cwd_free = type ? virtual_fs(type) : (source == NULL || source[0] == '/');
    if (cwd < 0 || !cwd_free || fchdir(fd) < 0)
        return mount(source, fd_path(p, fd), type, flags, data);
    int rc = mount(source, ".", type, flags, data);
    int e = errno;
    /* The directory was entered a moment ago (mount_cwd_open): this cannot fail. */
    if (fchdir(cwd) < 0)
        abort();
    errno = e;
    return rc;
}

int bind_fd(int src, int target, bool recursive)
{
    int tree = (int)syscall(SYS_open_tree, src, "",
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
                                (recursive ? AT_RECURSIVE : 0));
    if (tree < 0)
        return -1;
    int rc = (int)syscall(SYS_move_mount, tree, "", target, "",
                          MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
    int e = errno;
    struct stat a, b;
    if (rc < 0 && e == EINVAL && fstat(src, &a) == 0 && fstat(target, &b) == 0 &&
        S_ISDIR(a.st_mode) != S_ISDIR(b.st_mode))
        e = ENOTDIR;
    close(tree);
    errno = e;
    return rc;
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
