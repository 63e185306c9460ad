/* `hull build`: a Containerfile executed step by step into images in hull's store.
 *
 * Every step starts from an image draft (draft.h) and a cache key (cache.h). Config-only steps
 * (ENV, LABEL, CMD, ...) edit the draft. COPY and ADD mount the draft's layers with a fresh
 * overlay upper directory, copy into it, and turn the upper directory into a layer
 * (layer_create.h). RUN writes the draft as an intermediate image, runs the command as a hull
 * container from it (container/create.h, launch.h) and turns the container's upper directory
 * into a layer the same way. The result of a layer step is remembered in the cache; the final
 * stage's draft becomes the image, named by every -t. */
#ifndef HULL_BUILDER_BUILD_H
#define HULL_BUILDER_BUILD_H

#include <stdbool.h>
#include <stdio.h>

#include "image/store.h"
#include "util/digest.h"

struct build_request {
    const char *context; /* directory, read in place */
    const char *file;    /* -f; NULL: Containerfile, else Dockerfile, in the context */
    char **tags;         /* -t names (normalised), NULL-terminated, may be empty */
    char **build_args;   /* K=V or K (from the environment) */
    char **labels;       /* K=V */
    const char *target;  /* --target stage name */
    const char *pull;    /* never | missing (default) | always */
    const char *network; /* none (default) | host */
    bool no_cache;
    bool quiet;     /* -q: nothing but errors (and the ID, printed by the caller) */
    bool terminal;  /* progress rewritten in place, RUN output only on failure */
    FILE *progress; /* where progress goes (stderr) */
};

/* Build; *id_out receives the image ID ("sha256:..."). Errors name the file and line. */
int builder_build(image_store *is, const struct build_request *req, char id_out[DIGEST_STR_LEN],
                  hull_err **err);

#endif
