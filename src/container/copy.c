/* hull cp's library side (see copy.h). */
#include "container/copy.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/root_path.h"
#include "container/rootfs.h"
#include "container/status.h"
#include "util/cleanup.h"
#include "util/fs_copy.h"
#include "util/log.h"

/* Split "dir/name" into an open parent and the last component. `in_root` >= 0: resolve the
 * parent inside that root. */
static int open_parent(int in_root, const char *path, int *dirfd, char **name, hull_err **err)
{
    cleanup_free char *a = strdup(path);
    cleanup_free char *b = strdup(path);
    size_t len = strlen(a);
    while (len > 1 && a[len - 1] == '/') {
        len--;
        a[len] = b[len] = '\0';
    }
    const char *base = basename(a);
    const char *dir = dirname(b);
    if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
        return hull_error(err, 0, "`%s`: name a file or directory, not `%s`", path, base);
    int fd = in_root >= 0 ? container_root_open_dir(in_root, dir, err)
                          : open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (in_root >= 0)
            return hull_error_prefix(err, "`%s`", path);
        return hull_error(err, errno, "`%s`", dir);
    }
    *dirfd = fd;
    *name = strdup(base);
    return 0;
}

/* Where a copy of `src_name` lands for DEST: inside it when it is a directory. */
static int open_dest(int in_root, const char *dest, const char *src_name, int *dirfd, char **name,
                     hull_err **err)
{
    cleanup_err hull_err *ignored = NULL;
    int fd = in_root >= 0 ? container_root_open_dir(in_root, dest, &ignored)
                          : open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        *dirfd = fd;
        *name = strdup(src_name);
        return 0;
    }
    return open_parent(in_root, dest, dirfd, name, err);
}

/* The mount of the container's config that holds container path `cpath` (the longest
 * destination that is a prefix of it at a component boundary), or NULL. *rest: what follows. */
static json_t *covering_mount(container_record *r, const char *cpath, const char **rest)
{
    json_t *best = NULL;
    size_t best_len = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(r->doc, "Mounts"), i, m)
    {
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        if (dst == NULL)
            continue;
        size_t len = strlen(dst);
        while (len > 1 && dst[len - 1] == '/')
            len--;
        if (strncmp(cpath, dst, len) != 0 || (cpath[len] != '\0' && cpath[len] != '/'))
            continue;
        if (best == NULL || len > best_len) {
            best = m;
            best_len = len;
        }
    }
    if (best)
        *rest = cpath[best_len] == '\0' ? "/" : cpath + best_len;
    return best;
}

/* The root the container path is resolved in, and the path inside it:
 * - running: the container's own root as its processes see it (/proc/PID/root), volumes,
 *   tmpfs and the bind-mounted /etc files included;
 * - not running: the root filesystem, or the host directory of the volume or bind mount that
 *   covers the path (tmpfs mounts have nothing to copy while stopped). */
static int open_container_root(container_store *cs, container_record *r, const char *cpath,
                               const char **inner, hull_err **err)
{
    struct container_state_info st;
    if (container_status_get(cs, r, &st, err) < 0)
        return -1;
    if ((st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED) && st.pid > 0) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/%d/root", (int)st.pid);
        int fd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
        struct container_state_info again;
        cleanup_err hull_err *ignored = NULL;
        if (fd >= 0 && container_status_get(cs, r, &again, &ignored) == 0 && again.pid == st.pid) {
            *inner = cpath;
            return fd;
        }
        if (fd >= 0)
            close(fd);
        /* It stopped meanwhile: copy from its filesystem as for a stopped container. */
    }
    const char *rest = NULL;
    json_t *m = covering_mount(r, cpath, &rest);
    if (m) {
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        if (type && strcmp(type, "tmpfs") == 0)
            return hull_error(err, 0,
                              "`%s` is on a tmpfs mount, which holds nothing while the container "
                              "is not running",
                              cpath);
        if (src) {
            int fd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0)
                return hull_error(err, errno, "open `%s` (mounted at `%s`)", src,
                                  json_string_value(json_object_get(m, "Destination")));
            *inner = rest;
            return fd;
        }
    }
    cleanup_free char *rootfs = NULL;
    if (asprintf(&rootfs, "%s/rootfs", r->bundle) < 0)
        abort();
    int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open the root filesystem");
    *inner = cpath;
    return fd;
}

static int do_copy(container_store *cs, container_record *r, const char *cpath, const char *hpath,
                   bool out, bool archive, hull_err **err)
{
    const char *inner = cpath;
    cleanup_close int root = open_container_root(cs, r, cpath, &inner, err);
    if (root < 0)
        return -1;
    cleanup_close int sdir = -1;
    cleanup_close int ddir = -1;
    cleanup_free char *sname = NULL;
    cleanup_free char *dname = NULL;
    if (out) {
        if (open_parent(root, inner, &sdir, &sname, err) < 0 ||
            open_dest(-1, hpath, sname, &ddir, &dname, err) < 0)
            return -1;
    } else {
        if (open_parent(-1, hpath, &sdir, &sname, err) < 0 ||
            open_dest(root, inner, sname, &ddir, &dname, err) < 0)
            return -1;
    }
    unsigned flags = FS_COPY_TIMES | (archive ? FS_COPY_OWNER : 0);
    return fs_copy_tree_at(sdir, sname, ddir, dname, flags, err);
}

int container_copy(container_store *cs, container_record *r, const char *cpath, const char *hpath,
                   bool out, bool archive, hull_err **err)
{
    /* A container that is not running gets its filesystem mounted for the copy, under its
     * lock so that a concurrent start does not unmount it under us. */
    cleanup_close int lock = container_lock(r, err);
    if (lock < 0)
        return -1;
    bool mounted_here = false;
    if (!container_rootfs_mounted(r)) {
        if (container_rootfs_mount(r, err) < 0)
            return -1;
        mounted_here = true;
    } else {
        close(steal_fd(&lock));
    }
    int rc = do_copy(cs, r, cpath, hpath, out, archive, err);
    if (mounted_here) {
        hull_err *e2 = NULL;
        if (container_rootfs_unmount(r, false, &e2) < 0)
            hull_warn_err("cp", e2);
        hull_err_free(e2);
    }
    return rc;
}
