/* An image being made (by `hull build`, `hull commit`, `hull image bootstrap`): the config
 * document and the manifest's layer list, edited in memory and written to the store as a config
 * blob, a manifest blob and an index entry in one step.
 *
 *   image_draft d;
 *   image_draft_from_image(&d, img);             (or image_draft_init_scratch)
 *   json_object_set_new(image_draft_container_config(&d), "Cmd", ...);
 *   image_draft_add_layer(&d, digest, size, "RUN make", NULL);
 *   image_draft_write(s, &d, "localhost/app:1", manifest, config, &err);
 */
#ifndef HULL_IMAGE_DRAFT_H
#define HULL_IMAGE_DRAFT_H

#include <stdbool.h>

#include <jansson.h>

#include "image/image.h"

typedef struct image_draft {
    json_t *config; /* the whole config document (architecture, os, config, rootfs, history) */
    image_descriptor *layers; /* the manifest's layers, bottom to top */
    size_t n_layers;
} image_draft;

/* An empty image for this machine's platform (FROM scratch). */
void image_draft_init_scratch(image_draft *d);
/* A copy of an image in the store. */
int image_draft_from_image(image_draft *d, const image_info *img, hull_err **err);
/* The same from a JSON form made by image_draft_to_json (the builder's cache). */
int image_draft_from_json(image_draft *d, json_t *j, hull_err **err);
json_t *image_draft_to_json(const image_draft *d);
void image_draft_clear(image_draft *d);

/* config.config, created when missing (borrowed). */
json_t *image_draft_container_config(image_draft *d);

/* Append an uncompressed layer (digest = diff_id) with its history entry. */
void image_draft_add_layer(image_draft *d, const char *digest, int64_t size, const char *created_by,
                           const char *comment);
/* A history entry for a step that changed only the config (empty_layer). */
void image_draft_add_history(image_draft *d, const char *created_by, const char *comment);
/* Set `created` (and Author when not NULL). created: seconds since the epoch. */
void image_draft_set_created(image_draft *d, long long created, const char *author);

/* `created` becomes the time of the newest history entry with a layer (or stays): an unchanged
 * rebuild then gives the same config, hence the same image ID. */
void image_draft_settle_created(image_draft *d);

/* Store config + manifest and record the image (under `name`, or dangling when NULL). */
int image_draft_write(image_store *s, const image_draft *d, const char *name,
                      char manifest_digest[DIGEST_STR_LEN], char config_digest[DIGEST_STR_LEN],
                      hull_err **err);

/* Drop the index entry of an image written for a moment (a RUN step's container image) unless
 * it has names or users. Its blobs stay (they are also the build's). */
void image_draft_forget(image_store *s, const char *manifest_digest);

/* The unpacked layer directories, bottom to top (NULL-terminated, malloc'd strings). */
char **image_draft_layer_dirs(image_store *s, const image_draft *d);

/* Whether every layer's blob and unpacked directory is still in the store. */
bool image_draft_complete(image_store *s, const image_draft *d);

#endif
