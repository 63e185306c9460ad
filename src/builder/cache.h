/* The build cache: what a step produced, found again by what it started from.
 *
 *   key = sha256(parent key, the instruction as expanded, the build args it sees,
 *                and for COPY/ADD the digest of every file it reads)
 *
 * The first key of a stage is its base image's ID. An entry is the image draft after the step
 * (config and layer list, draft.h), stored as DATA_ROOT/builder/cache/<key hex>.json. An entry
 * whose layers were pruned from the image store since is a miss. */
#ifndef HULL_BUILDER_CACHE_H
#define HULL_BUILDER_CACHE_H

#include <stdbool.h>

#include "image/draft.h"
#include "util/digest.h"

typedef struct build_cache {
    int dirfd;
} build_cache;

int build_cache_open(const char *data_root, build_cache *c, hull_err **err);
void build_cache_close(build_cache *c);

/* key = sha256 of the parts, each NUL-terminated (NULL ends the list). */
void build_cache_key(char out[DIGEST_STR_LEN], const char *parent, ...);

/* 1 and *d filled when present and complete in the store, else 0. */
int build_cache_get(build_cache *c, image_store *s, const char *key, image_draft *d);
int build_cache_put(build_cache *c, const char *key, const image_draft *d, hull_err **err);

#endif
