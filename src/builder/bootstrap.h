/* `hull image bootstrap`: a Debian base image made on this machine with mmdebstrap, from the
 * host's configured apt sources, stored as a one-layer image with a proper config. With
 * SOURCE_DATE_EPOCH set, mmdebstrap's tarball is reproducible, and so is the layer digest: it is
 * the tarball itself, stored as it is (uncompressed). */
#ifndef HULL_BUILDER_BOOTSTRAP_H
#define HULL_BUILDER_BOOTSTRAP_H

#include <stdbool.h>

#include "image/store.h"

struct bootstrap_request {
    const char *suite;   /* bookworm, trixie, ... */
    const char *name;    /* the image name, normalised by the caller */
    const char *variant; /* minbase (default) or slim */
    const char *include; /* "pkg1,pkg2" or NULL */
    bool quiet;          /* no mmdebstrap progress */
};

/* Bootstrap, store and name the image; *id_out (may be NULL) receives the image ID. */
int builder_bootstrap(image_store *s, const struct bootstrap_request *req, char **id_out,
                      hull_err **err);

#endif
