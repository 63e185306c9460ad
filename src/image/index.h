/* index.json: which names point at which image. An image is identified by its manifest digest;
 * its config digest is the image ID users see.
 *
 *   {"version": 1, "images": [{"manifest": "sha256:...", "config": "sha256:...",
 *                              "names": ["docker.io/library/busybox:latest"], "added":
 * 1700000000}]}
 *
 * A name points at exactly one image; an image without names is "dangling". Readers load the
 * file without locking (it is replaced atomically); writers hold locks/index.lock around
 * load-modify-save. */
#ifndef HULL_IMAGE_INDEX_H
#define HULL_IMAGE_INDEX_H

#include <jansson.h>

#include "image/store.h"

int index_load(image_store *s, json_t **out, hull_err **err);
int index_save(image_store *s, json_t *index, hull_err **err);
int index_lock(image_store *s, int *lock_fd, hull_err **err);

/* Borrowed references into `index`, NULL when absent. */
json_t *index_images(json_t *index);
json_t *index_find_manifest(json_t *index, const char *manifest_digest);
json_t *index_find_name(json_t *index, const char *name);

/* Remove `name` from whichever image holds it. Returns 1 when found. */
int index_untag(json_t *index, const char *name);

/* Record the image (when new) and point `name` (may be NULL) at it. Locks, loads and saves. */
int index_add_image(image_store *s, const char *manifest_digest, const char *config_digest,
                    const char *name, hull_err **err);

#endif
