/* Image references: `[host[:port]/]repo[:tag][@digest]`, normalised the way Docker Hub clients
 * do (`busybox` -> `docker.io/library/busybox:latest`). Parsing validates every part, so a
 * reference can be used in URLs and error messages without further escaping. */
#ifndef HULL_IMAGE_REFERENCE_H
#define HULL_IMAGE_REFERENCE_H

#include "util/error.h"

#define IMAGE_REF_DEFAULT_DOMAIN "docker.io"
#define IMAGE_REF_DEFAULT_TAG    "latest"

typedef struct image_ref {
    char *domain;   /* "docker.io", "localhost", "127.0.0.1:5000" */
    char *path;     /* "library/busybox" */
    char *tag;      /* NULL only when a digest was given without a tag */
    char *digest;   /* "sha256:..." or NULL */
    int short_name; /* the user gave no domain: local images are searched first */
} image_ref;

int image_ref_parse(const char *text, image_ref **out, hull_err **err);
void image_ref_free(image_ref *ref);
void image_ref_freep(image_ref **ref);
#define cleanup_image_ref __attribute__((cleanup(image_ref_freep)))

/* "domain/path" (the repository), malloc'd. */
char *image_ref_repository(const image_ref *ref);
/* "domain/path:tag", or "domain/path@digest" when there is no tag; malloc'd. */
char *image_ref_string(const image_ref *ref);

/* The host to connect to for `domain` (docker.io is served by registry-1.docker.io). */
const char *image_ref_registry_host(const image_ref *ref);

#endif
