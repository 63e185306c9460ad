/* Images in the store as callers see them: lookup by name, short name, ID or digest; the layer
 * directories and config a container is created from; listing, inspection, removal, pruning.
 *
 * For `hull run` (and any embedder):
 *   image_lookup(store, "busybox", &info, &err);
 *   info->layer_dirs   bottom-to-top overlay lower directories
 *   info->config       Entrypoint, Cmd, Env, WorkingDir, User, StopSignal, ...
 *   image_store_add_user(store, info->manifest_digest, container_id, &err);  (users.h)
 *   image_rootfs_mount(...)                                                  (rootfs.h) */
#ifndef HULL_IMAGE_IMAGE_H
#define HULL_IMAGE_IMAGE_H

#include <stdint.h>

#include <jansson.h>

#include "image/manifest.h"
#include "image/store.h"

typedef struct image_info {
    char *manifest_digest;
    char *id; /* the config digest, as Docker and podman show image IDs */
    char **names;
    image_manifest *manifest;
    image_config *config;
    char *config_json; /* the raw config blob */
    char **layer_dirs; /* NULL-terminated, bottom to top */
    size_t n_layers;
    int64_t size;  /* config + layer blobs as stored */
    int64_t added; /* when the image entered the store (seconds since the epoch) */
    int users;     /* containers using the image */
} image_info;

void image_info_free(image_info *info);
void image_info_freep(image_info **info);
#define cleanup_image_info __attribute__((cleanup(image_info_freep)))

/* Resolve `ref` in the local store: a full or short name (short names try localhost/ first,
 * then docker.io), name@digest, a manifest digest, or an ID (prefix of at least 3 hex digits).
 * The built-in busybox image is seeded when it is what `ref` names and it is missing.
 * Fails with "image `REF` not known" (errnum ENOENT) when nothing matches. */
int image_lookup(image_store *s, const char *ref, image_info **out, hull_err **err);
/* The same, without seeding the built-in image: for read-only questions (`ps -f ancestor=`). */
int image_find(image_store *s, const char *ref, image_info **out, hull_err **err);

/* `hull tag SOURCE TARGET`: point the name TARGET (normalised as docker does: `app:1` is
 * docker.io/library/app:1) at the image SOURCE resolves to, taking it from any image that had
 * it. *name_out (may be NULL) gets the normalised name. */
int image_tag(image_store *s, const char *source, const char *target, char **name_out,
              hull_err **err);

/* Every image, oldest first. */
int image_list(image_store *s, image_info ***out, size_t *n, hull_err **err);
void image_info_list_free(image_info **list, size_t n);

/* `docker image inspect`-style JSON object. */
json_t *image_info_to_json(const image_info *info);

/* Seed localhost/busybox:latest unless this store already did once (a later `rmi` sticks). */
int image_store_ensure_builtin(image_store *s, hull_err **err);

struct image_remove_result {
    char **untagged; /* names removed, NULL-terminated */
    char *deleted;   /* the image ID when the image itself went away, else NULL */
};
void image_remove_result_clear(struct image_remove_result *r);

/* `hull rmi REF`: a name untags only that name while other names remain; otherwise the image is
 * deleted. An image used by containers is refused unless `force`, which removes its names but
 * keeps its content until the last container is gone. */
int image_remove(image_store *s, const char *ref, int force, struct image_remove_result *res,
                 hull_err **err);

struct image_prune_report {
    size_t images, blobs, layers;
    uint64_t bytes;
    char **deleted; /* IDs of the images removed, NULL-terminated (free with hull_strvfree) */
};

/* Remove dangling images (no names, no users), then every blob and layer no image references,
 * and leftovers of interrupted work. Takes the store's exclusive lock. */
int image_prune(image_store *s, struct image_prune_report *report, hull_err **err);

/* Garbage collection proper; the caller holds the exclusive lock. */
int image_store_gc(image_store *s, int remove_dangling, struct image_prune_report *report,
                   hull_err **err);
/* Collect now if nobody else is using the store, else leave it to the next prune. */
void image_store_gc_if_alone(image_store *s);

#endif
