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

int resolve_open_in_root(int rootfd, const char *path, int flags, bool no_symlinks,
                         hull_err **err)
{
    int fd = openat2_in_root(rootfd, path, flags, no_symlinks ? RESOLVE_NO_SYMLINKS : 0);
    if (fd < 0)
        return hull_error(err, errno, "open `%s` inside the container", path);
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
    /* Walk component by component, creating what is missing. Each step re-resolves from the
     * root, so a symlink met on the way is followed only within the root. */
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "resolve `%s`", path);
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';
    cleanup_close int parent = openat2_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
    if (parent < 0)
        return hull_error(err, errno, "open container root");
    char *p = copy;
    while (*p == '/')
        p++;
    while (*p) {
        char *slash = strchr(p, '/');
        bool last = slash == NULL;
        if (!last)
            *slash = '\0';
        if (strcmp(p, "..") == 0 || strcmp(p, ".") == 0) {
            /* Let openat2 handle dot components with the whole prefix. */
        }
        cleanup_close int next = -1;
        /* The prefix so far, resolved from the root. */
        next = openat2_in_root(rootfd, copy, O_PATH, 0);
        if (next < 0 && errno == ENOENT) {
            if (last && create == RESOLVE_MKFILE) {
                int f = openat(parent, p, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                               0644);
                if (f < 0 && errno != EEXIST)
                    return hull_error(err, errno, "create `%s` inside the container", copy);
                if (f >= 0)
                    close(f);
            } else if (mkdirat(parent, p, 0755) < 0 && errno != EEXIST) {
                return hull_error(err, errno, "mkdir `%s` inside the container", copy);
            }
            next = openat2_in_root(rootfd, copy, O_PATH, 0);
        }
        if (next < 0)
            return hull_error(err, errno, "resolve `%s` inside the container", copy);
        if (last)
            return steal_fd(&next);
        struct stat st;
        if (fstat(next, &st) < 0)
            return hull_error(err, errno, "stat `%s` inside the container", copy);
        if (!S_ISDIR(st.st_mode))
            return hull_error(err, ENOTDIR, "`%s` inside the container", copy);
        hull_closep(&parent);
        parent = steal_fd(&next);
        *slash = '/';
        p = slash + 1;
        while (*p == '/')
            p++;
    }
    return steal_fd(&parent);
}
