/* Registry client for the distribution API v2 (libcurl): manifests with Accept headers, blobs
 * streamed into the store and verified, bearer tokens from the WWW-Authenticate challenge, basic
 * auth from `hull login` credentials. HTTPS is verified; plain HTTP is tried only for localhost,
 * 127.0.0.1 and ::1, or with `insecure`. */
#ifndef HULL_IMAGE_REGISTRY_H
#define HULL_IMAGE_REGISTRY_H

#include "image/import.h"
#include "image/reference.h"

struct registry_options {
    int insecure;         /* any host: fall back to plain HTTP, do not verify TLS */
    const char *authfile; /* NULL = auth_default_file() */
};

/* Contacts the registry (GET /v2/) to choose the scheme and learn the auth challenge. */
int registry_source_new(const image_ref *ref, const struct registry_options *opts,
                        image_source **out, hull_err **err);

/* Check credentials against a registry (for `hull login`). */
int registry_check_login(const char *host, const char *user, const char *password,
                         const struct registry_options *opts, hull_err **err);

#endif
