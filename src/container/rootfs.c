/* What a run holds (see rootfs.h). */
#include "container/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/network.h"
#include "image/rootfs.h"
#include "runtime/lifecycle.h"
#include "util/cleanup.h"
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
    cleanup_free char **dirs = calloc(n + 1, sizeof *dirs);
    for (size_t i = 0; i < n; i++)
        dirs[i] = (char *)json_string_value(json_array_get(layers, i));
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

int container_teardown_run(container_store *cs, container_record *r, hull_err **err)
{
    cleanup_free char *state = NULL;
    if (asprintf(&state, "%s/%s", cs->runtime_root, r->id) < 0)
        abort();
    const struct runtime_opts *ro = &cs->runtime;
    if (access(state, F_OK) == 0 && runtime_delete(ro, r->id, true, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    /* After the process: its namespace is gone, DEL releases what lives outside it. A plugin
     * that fails its DEL must not keep the container from going: its cache entry is gone,
     * what it says is worth a warning. */
    cleanup_err hull_err *net_err = NULL;
    if (container_network_teardown(cs, r, &net_err) < 0)
        hull_warn("network teardown: %s", net_err->msg);
    return 0;
}
