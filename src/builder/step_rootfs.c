/* Overlay mounts for COPY and ADD steps (see step_rootfs.h). */
#include "builder/step_rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/rootfs.h"
#include "util/cleanup.h"
#include "util/fs.h"

int step_rootfs_mount(image_store *s, const image_draft *d, struct step_rootfs *fs, hull_err **err)
{
    fs->s = s;
    if (image_store_mkdtemp(s, "build", &fs->tmp, &fs->dir_fd, err) < 0)
        return -1;
    if (mkdirat(fs->dir_fd, "root", 0755) < 0 || mkdirat(fs->dir_fd, "empty", 0755) < 0)
        return hull_error(err, errno, "create step directories");
    cleanup_strv char **dirs = image_draft_layer_dirs(s, d);
    size_t n = d->n_layers;
    cleanup_free char *base = NULL, *target = NULL;
    if (asprintf(&base, "%s/tmp/%s", s->path, fs->tmp) < 0 ||
        asprintf(&target, "%s/root", base) < 0)
        abort();
    if (n == 0) {
        /* FROM scratch: one empty lower directory. */
        hull_strvfree(dirs);
        dirs = calloc(2, sizeof *dirs);
        if (asprintf(&dirs[0], "%s/empty", base) < 0)
            abort();
        n = 1;
    }
    if (image_rootfs_mount(dirs, n, base, target, 0, err) < 0)
        return -1;
    fs->mounted = true;
    fs->root_fd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->root_fd < 0)
        return hull_error(err, errno, "open `%s`", target);
    struct stat st;
    if (fstatat(fs->dir_fd, "upper", &st, 0) < 0)
        return hull_error(err, 0, "hull build needs overlayfs for its layers");
    return 0;
}

int step_rootfs_unmount(struct step_rootfs *fs, hull_err **err)
{
    if (fs->root_fd >= 0)
        close(fs->root_fd);
    fs->root_fd = -1;
    if (!fs->mounted)
        return 0;
    char target[4096];
    snprintf(target, sizeof target, "%s/tmp/%s/root", fs->s->path, fs->tmp);
    if (umount2(target, 0) < 0 && umount2(target, MNT_DETACH) < 0)
        return hull_error(err, errno, "unmount `%s`", target);
    fs->mounted = false;
    return 0;
}

void step_rootfs_release(struct step_rootfs *fs)
{
    if (fs->tmp == NULL)
        return;
    cleanup_err hull_err *ignored = NULL;
    step_rootfs_unmount(fs, &ignored);
    hull_err_freep(&ignored);
    if (fs->dir_fd >= 0)
        close(fs->dir_fd);
    fs_remove_tree_at(fs->s->tmp_fd, fs->tmp, &ignored);
    free(fs->tmp);
    fs->tmp = NULL;
    fs->dir_fd = -1;
}
