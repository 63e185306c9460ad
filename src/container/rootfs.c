/* What a run holds (see rootfs.h). */
#include "container/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "container/network.h"
#include "image/rootfs.h"
#include "runtime/lifecycle.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

char *container_rootfs_path(const container_record *r)
{
    char *p;
    if (asprintf(&p, "%s/rootfs", r->bundle) < 0)
        abort();
    return p;
}

static char *storage_path(const container_record *r)
{
    char *p;
    if (asprintf(&p, "%s/storage", r->dir) < 0)
        abort();
    return p;
}

bool container_rootfs_mounted(container_record *r)
{
    cleanup_free char *rootfs = container_rootfs_path(r);
    struct statx stx;
    if (statx(AT_FDCWD, rootfs, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
        return false;
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* The files hull bind-mounts over /etc (bundle.c). */
static const char *const etc_targets[] = {"hostname", "hosts", "resolv.conf"};
#define N_ETC_TARGETS (sizeof etc_targets / sizeof etc_targets[0])

static bool is_whiteout(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* The image's /etc as the layers (bottom to top) make it: whether it is a directory (or
 * missing), its owner and mode, and which of etc_targets it lacks (a bit each). False when
 * /etc is something else (a symlink): then nothing is known. */
static bool image_etc(char *const *dirs, size_t n, struct stat *etc, unsigned *missing)
{
    unsigned decided = 0, present = 0;
    bool have_etc = false;
    memset(etc, 0, sizeof *etc);
    etc->st_mode = S_IFDIR | 0755;
    for (size_t i = n; i-- > 0;) {
        char path[4200];
        struct stat st;
        snprintf(path, sizeof path, "%s/etc", dirs[i]);
        if (lstat(path, &st) < 0) {
            if (errno != ENOENT)
                return false;
            continue;
        }
        if (is_whiteout(&st))
            break; /* removed here: nothing below counts */
        if (!S_ISDIR(st.st_mode)) {
            if (!have_etc)
                return false;
            break; /* below a directory of a layer above: hidden */
        }
        if (!have_etc)
            *etc = st;
        have_etc = true;
        for (size_t f = 0; f < N_ETC_TARGETS; f++) {
            if (decided & (1u << f))
                continue;
            struct stat fst;
            snprintf(path, sizeof path, "%s/etc/%s", dirs[i], etc_targets[f]);
            if (lstat(path, &fst) == 0) {
                decided |= 1u << f;
                if (!is_whiteout(&fst))
                    present |= 1u << f;
            } else if (errno != ENOENT) {
                return false;
            }
        }
        char opaque = 0;
        snprintf(path, sizeof path, "%s/etc", dirs[i]);
        if (decided == (1u << N_ETC_TARGETS) - 1 ||
            (getxattr(path, "trusted.overlay.opaque", &opaque, 1) == 1 && opaque == 'y'))
            break;
    }
    *missing = ((1u << N_ETC_TARGETS) - 1) & ~present;
    return true;
}

/* A lower layer above the image's that holds /etc (the image's owner and mode) with empty files
 * for the bind-mount targets the image lacks, so that the runtime finds its mount points and
 * the container's upper directory gets no copy of /etc and no new files (docker's "init
 * layer"). Shared by every container whose image's /etc has the same owner, mode and missing
 * files: DATA_ROOT/init/<mode>-<uid>-<gid>-<missing>, made once (in a temporary directory,
 * then renamed into place) and never changed. NULL when none is needed or it cannot be made
 * (the runtime then makes the mount points in the upper directory, as before). */
static char *init_layer(const container_record *r, char *const *dirs, size_t n)
{
    struct stat etc;
    unsigned missing = 0;
    if (!image_etc(dirs, n, &etc, &missing) || missing == 0)
        return NULL;
    /* r->dir is DATA_ROOT/containers/<id>. */
    const char *end = r->dir + strlen(r->dir);
    for (int slashes = 0; end > r->dir && slashes < 2;)
        if (*--end == '/')
            slashes++;
    if (end == r->dir)
        return NULL;
    char *path = NULL;
    cleanup_free char *parent = NULL;
    if (asprintf(&parent, "%.*s/init", (int)(end - r->dir), r->dir) < 0 ||
        asprintf(&path, "%s/%o-%u-%u-%x", parent, (unsigned)(etc.st_mode & 07777),
                 (unsigned)etc.st_uid, (unsigned)etc.st_gid, missing) < 0)
        abort();
    if (access(path, F_OK) == 0)
        return path;
    if (mkdir(parent, 0711) < 0 && errno != EEXIST) {
        free(path);
        return NULL;
    }
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) < 0)
        rnd = (unsigned)getpid();
    cleanup_free char *tmp = NULL;
    if (asprintf(&tmp, "%s/.tmp-%d-%08x", parent, (int)getpid(), rnd) < 0)
        abort();
    bool ok = mkdir(tmp, 0755) == 0;
    cleanup_close int tfd = ok ? open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    ok = tfd >= 0 && mkdirat(tfd, "etc", 0700) == 0;
    cleanup_close int efd = ok ? openat(tfd, "etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    for (size_t f = 0; ok && f < N_ETC_TARGETS; f++) {
        if (!(missing & (1u << f)))
            continue;
        int fd = openat(efd, etc_targets[f], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        ok = fd >= 0 && fchown(fd, etc.st_uid, etc.st_gid) == 0;
        if (fd >= 0)
            close(fd);
    }
    ok = ok && fchown(efd, etc.st_uid, etc.st_gid) == 0 &&
         fchmod(efd, (mode_t)(etc.st_mode & 07777)) == 0;
    if (ok && rename(tmp, path) < 0 && errno != EEXIST && errno != ENOTEMPTY)
        ok = false;
    if (access(tmp, F_OK) == 0) {
        cleanup_err hull_err *e = NULL;
        fs_remove_tree(tmp, &e); /* not renamed: failed, or another made it first */
    }
    if (!ok || access(path, F_OK) < 0) {
        hull_debug("container %.12s: no init layer for /etc: %s", r->id, strerror(errno));
        free(path);
        return NULL;
    }
    return path;
}

int container_rootfs_mount(container_record *r, hull_err **err)
{
    if (container_rootfs_mounted(r))
        return 0;
    cleanup_free char *rootfs = container_rootfs_path(r);
    cleanup_free char *storage = storage_path(r);
    cleanup_free char *copy = NULL;
    if (asprintf(&copy, "%s/rootfs", storage) < 0)
        abort();
    if (access(copy, F_OK) == 0) {
        /* A vfs copy made by an earlier run keeps its changes: mount it again as it is. */
        if (mount(copy, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            return hull_error(err, errno, "bind mount `%s` at `%s`", copy, rootfs);
        return 0;
    }
    json_t *layers = json_object_get(r->doc, "LayerDirs");
    size_t n = json_array_size(layers);
    if (n == 0)
        return hull_error(err, 0, "container %.12s: the record lists no image layers", r->id);
    cleanup_free char **dirs = calloc(n + 2, sizeof *dirs);
    for (size_t i = 0; i < n; i++)
        dirs[i] = (char *)json_string_value(json_array_get(layers, i));
    cleanup_free char *init = init_layer(r, dirs, n);
    if (init)
        dirs[n++] = init;
    const char *force = getenv("HULL_ROOTFS_VFS");
    unsigned flags = force && strcmp(force, "1") == 0 ? IMAGE_ROOTFS_FORCE_VFS : 0;
    /* A --rm container is mounted exactly once: skip the upper filesystem's syncs. */
    if (r->auto_remove)
        flags |= IMAGE_ROOTFS_VOLATILE;
    if (image_rootfs_mount(dirs, n, storage, rootfs, flags, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    return 0;
}

int container_rootfs_unmount(container_record *r, bool remove_storage, hull_err **err)
{
    cleanup_free char *rootfs = container_rootfs_path(r);
    if (remove_storage) {
        cleanup_free char *storage = storage_path(r);
        return image_rootfs_unmount(storage, rootfs, err);
    }
    if (container_rootfs_mounted(r) && umount2(rootfs, MNT_DETACH) < 0)
        return hull_error(err, errno, "unmount `%s`", rootfs);
    return 0;
}

/* After the process: its namespace is gone, DEL releases what lives outside it. A plugin that
 * fails its DEL must not keep the container from going: its cache entry is gone, what it says
 * is worth a warning. */
static void teardown_network(container_store *cs, container_record *r)
{
    cleanup_err hull_err *net_err = NULL;
    if (container_network_teardown(cs, r, &net_err) < 0)
        hull_warn("network teardown: %s", net_err->msg);
}

int container_teardown_made(container_store *cs, container_record *r, const struct cgroup_set *cg,
                            const struct state_dir *made, bool poststop_hooks, hull_err **err)
{
    if (runtime_delete_made(&cs->runtime, r->id, cg, made, poststop_hooks, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    teardown_network(cs, r);
    return 0;
}

int container_teardown_run(container_store *cs, container_record *r, hull_err **err)
{
    cleanup_free char *state = NULL;
    if (asprintf(&state, "%s/%s", cs->runtime_root, r->id) < 0)
        abort();
    const struct runtime_opts *ro = &cs->runtime;
    if (access(state, F_OK) == 0 && runtime_delete(ro, r->id, true, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    teardown_network(cs, r);
    return 0;
}
