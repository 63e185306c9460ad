/* Flat root filesystem tarballs, docker's `export` and `import`: a directory tree written as one
 * tar stream (owners, modes, times, symlinks, hard links, devices, security.* and user.*
 * xattrs), and such a stream (plain or compressed) made into a one-layer image. */
#ifndef HULL_IMAGE_FLAT_ARCHIVE_H
#define HULL_IMAGE_FLAT_ARCHIVE_H

#include <jansson.h>

#include "image/store.h"

/* Write the tree under `dir` to out_fd as a tar archive (paths relative, no leading `./`),
 * never following a symlink nor crossing into another mount. */
int image_export_tree(const char *dir, int out_fd, hull_err **err);

struct image_import_flat_options {
    const char *name;    /* record the image under this name (NULL: no name) */
    const char *comment; /* the history entry's comment (docker: "Imported from FILE") */
    json_t *config;      /* the image config's "config" (Cmd, Env...; NULL: empty) */
};

/* Read a tar stream (plain, gzip, xz, zstd, ...) from in_fd and add it to the store as an image
 * with that one layer, stored uncompressed, and an empty container config for this machine's
 * platform. config_digest receives the image ID. */
int image_import_flat(image_store *s, int in_fd, const struct image_import_flat_options *opts,
                      char config_digest[DIGEST_STR_LEN], hull_err **err);

#endif
