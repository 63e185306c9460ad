/* Registry client for the distribution API v2 (libcurl): manifests with Accept headers, blobs
 * streamed into the store and verified, bearer tokens from the WWW-Authenticate challenge, basic
 * auth from `hull login` credentials. HTTPS is verified; plain HTTP is tried only for localhost,
 * 127.0.0.1 and ::1, or with `insecure`. */
#ifndef HULL_IMAGE_REGISTRY_H
#define HULL_IMAGE_REGISTRY_H

#include <stdint.h>

#include "image/import.h"
#include "image/reference.h"

struct registry_options {
    int insecure;         /* any host: fall back to plain HTTP, do not verify TLS */
    const char *authfile; /* NULL = auth_default_file() */
    image_store *store;   /* remembers which scheme each host speaks (NULL: ping every time) */
};

/* A source for `ref`. It contacts the registry only on its first request, choosing the scheme
 * by GET /v2/ (HTTPS, then plain HTTP where allowed) unless opts->store remembers it. */
int registry_source_new(const image_ref *ref, const struct registry_options *opts,
                        image_source **out, hull_err **err);

/* Check credentials against a registry (for `hull login`). */
int registry_check_login(const char *host, const char *user, const char *password,
                         const struct registry_options *opts, hull_err **err);

/* ---- requests for push (push.c) ---- */

struct registry_request {
    const char *method; /* HEAD, GET, POST, PUT or PATCH */
    const char *url;    /* a path under the registry ("/v2/...") or an absolute URL */
    const char *what;   /* for messages: "blob sha256:... of NAME" */
    const char *accept; /* NULL: none */
    const char *content_type;
    const char *content_range; /* PATCH: "START-END" (inclusive) */
    /* PUT/PATCH body: body_size bytes from `body`, or from body_fd at body_offset when >= 0 */
    const void *body;
    int body_fd;
    int64_t body_offset, body_size;
    int missing_ok; /* a 404 is an answer (HEAD of a blob), not an error */
    /* upload progress: `digest`'s bytes progress_base + sent of progress_total */
    const struct image_progress *progress;
    const char *digest;
    uint64_t progress_base, progress_total;
};

struct registry_reply {
    long status;
    char *location; /* absolute */
    char *digest;   /* Docker-Content-Digest */
};

/* Send one request with the source's credentials (a 401 is answered once, as for pulls). Any
 * 2xx status (and 404 with missing_ok) fills *reply; other statuses are errors naming `what`
 * and the registry's message. */
int registry_send(image_source *src, const struct registry_request *req,
                  struct registry_reply *reply, hull_err **err);
void registry_reply_clear(struct registry_reply *reply);
/* The repository path ("library/app") and the host of a registry source. */
const char *registry_source_repository(image_source *src);
const char *registry_source_host(image_source *src);

#endif
