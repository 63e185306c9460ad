/* `hull push`: copy an image from the store to a registry (distribution API v2). */
#ifndef HULL_IMAGE_PUSH_H
#define HULL_IMAGE_PUSH_H

#include <stdint.h>

#include "image/import.h"
#include "image/store.h"

struct image_push_options {
    int insecure;         /* allow plain HTTP and unverified TLS for any registry */
    const char *authfile; /* credentials file, NULL = default (see auth.h) */
    /* > 0: blobs larger than this go up in PATCH chunks of this many bytes; 0: one PUT each */
    int64_t chunk_size;
    const struct image_progress *progress; /* START/BYTES/DONE, EXISTS, MOUNTED per blob */
};

/* Push the image `name` resolves to in the store, to the registry and repository `name` names
 * (normalised: `app:1` is docker.io/library/app:1); the manifest goes under name's tag, or its
 * digest when name has none. manifest_digest receives the pushed manifest's digest. */
int image_push(image_store *s, const char *name, const struct image_push_options *opts,
               char manifest_digest[DIGEST_STR_LEN], hull_err **err);

#endif
