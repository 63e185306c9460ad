/* New layers from directories: a container's overlay upper directory (`hull commit`, the
 * builder's RUN, COPY and ADD steps) written as an uncompressed OCI layer tarball into the store,
 * and the directory itself adopted as the layer's unpacked form, so nothing is unpacked again.
 *
 * Overlay whiteouts (0:0 character devices) become `.wh.NAME` entries and opaque directories
 * (trusted.overlay.opaque=y) get a `.wh..wh..opq` entry, as the OCI image spec says. Entries are
 * written in name order with numeric owners and no user/group names, so the same tree always
 * gives the same digest. */
#ifndef HULL_IMAGE_LAYER_CREATE_H
#define HULL_IMAGE_LAYER_CREATE_H

#include <stdint.h>

#include "image/store.h"

struct layer_create_options {
    /* Paths (relative, no leading '/') left out when they are empty regular files: the mount
     * points a container runtime creates for /etc/hosts, /etc/hostname, /etc/resolv.conf. */
    const char *const *skip_empty;
};

/* Remove those of `paths` that are empty regular files (before adopting a directory whose
 * layer skipped them). */
void layer_remove_empty(int dirfd, const char *const *paths);

/* Write the tree under `dirfd` as a layer blob; *digest is both the blob digest and the
 * diff_id (the blob is not compressed), *size its length. */
int layer_create_from_dir(image_store *s, int dirfd, const struct layer_create_options *opts,
                          char digest[DIGEST_STR_LEN], int64_t *size, hull_err **err);

/* Make the directory `name` under `parent_fd` the unpacked form of layer `digest` (a rename
 * when it is on the store's filesystem, else the blob is unpacked). The directory is consumed
 * either way. It must hold overlayfs whiteouts, as an upper directory does. */
int layer_adopt_dir(image_store *s, int parent_fd, const char *name, const char *digest,
                    hull_err **err);

#endif
