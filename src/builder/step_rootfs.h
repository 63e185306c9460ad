/* A build step's root filesystem: the draft's layers mounted read-only under a fresh overlay
 * upper directory in the image store's tmp/, so what the step writes lands in `upper`, which
 * becomes the step's layer. */
#ifndef HULL_BUILDER_STEP_ROOTFS_H
#define HULL_BUILDER_STEP_ROOTFS_H

#include <stdbool.h>

#include "image/draft.h"

struct step_rootfs {
    image_store *s;
    char *tmp;   /* under the store's tmp/ */
    int dir_fd;  /* tmp dir: upper/, work/, root/ */
    int root_fd; /* the mounted root */
    bool mounted;
};
#define STEP_ROOTFS_INIT                                                                           \
    {                                                                                              \
        .dir_fd = -1, .root_fd = -1                                                                \
    }

int step_rootfs_mount(image_store *s, const image_draft *d, struct step_rootfs *fs, hull_err **err);
int step_rootfs_unmount(struct step_rootfs *fs, hull_err **err);
/* Unmount if needed and remove everything. */
void step_rootfs_release(struct step_rootfs *fs);

#endif
