/* `hull commit`: a container's changes (its overlay upper directory) as a new layer on top of
 * its image, with the container's command and environment, `--change` instructions (the
 * builder's config-only instructions), a message and an author. */
#ifndef HULL_BUILDER_COMMIT_H
#define HULL_BUILDER_COMMIT_H

#include <jansson.h>

#include "container/store.h"
#include "image/store.h"
#include "util/digest.h"

struct commit_request {
    const char *container; /* name or ID */
    const char *name;      /* normalised image name or NULL (dangling) */
    const char *message;   /* -m */
    const char *author;    /* -a */
    char **changes;        /* --change lines, NULL-terminated */
};

int builder_commit(container_store *cs, image_store *is, const struct commit_request *req,
                   char id_out[DIGEST_STR_LEN], hull_err **err);

/* `hull import --change`: the container config (the image config's "config" object) that the
 * `--change` lines make of an empty one. *out is a new reference. */
int builder_changes_config(char *const *changes, json_t **out, hull_err **err);

#endif
