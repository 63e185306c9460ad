/* Where images come from and go to: `hull pull`, `hull load` and `hull save`.
 *
 *   REF, docker://REF        a registry (distribution API v2), see registry.h
 *   oci:DIR[:TAG]            an OCI image layout directory
 *   oci-archive:FILE[:TAG]   a tarball of an OCI image layout
 *   docker-archive:FILE      a `docker save` tarball
 *
 * Every transport goes through image_import(): blobs are verified, layers unpacked once, and
 * the name recorded last. A failed pull leaves nothing behind. */
#ifndef HULL_IMAGE_TRANSPORT_H
#define HULL_IMAGE_TRANSPORT_H

#include "image/import.h"

struct image_pull_options {
    const char *platform; /* "os/arch[/variant]", NULL = this machine */
    int jobs;             /* parallel layer downloads */
    int insecure;         /* allow plain HTTP and unverified TLS for any registry */
    const char *authfile; /* credentials file, NULL = default (see auth.h) */
    const char *name;     /* record the image under this name instead of the source's */
    const struct image_progress *progress;
};

/* Pull one image; *name_out gets the name it was recorded under (or its ID when it has none). */
int image_pull(image_store *s, const char *source, const struct image_pull_options *opts,
               char **name_out, char manifest_digest[DIGEST_STR_LEN], hull_err **err);

/* Load every image of a docker-archive or oci-archive tarball (detected from its content).
 * *loaded gets one line per image: its names, or its ID when unnamed. */
int image_load(image_store *s, const char *file, const struct image_pull_options *opts,
               char ***loaded, hull_err **err);

/* Write the image as an OCI archive (oci-layout, index.json, blobs/) that skopeo, podman and
 * `hull load` read; the ref.name annotation is the image's name. */
int image_save(image_store *s, const char *ref, const char *file, hull_err **err);

#endif
