/* Copying an image from a source (registry, OCI layout, docker-archive) into the store: resolve
 * the manifest (and the platform in an index), fetch what is missing, verify every blob, unpack
 * every layer once, in parallel. The name index is updated by the caller, after everything the
 * image needs is durable. */
#ifndef HULL_IMAGE_IMPORT_H
#define HULL_IMAGE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "image/manifest.h"
#include "image/store.h"

typedef struct image_source image_source;

struct image_source_ops {
    /* The manifest (or index) the source's reference names when digest == NULL, else the
     * manifest with that digest. *media_type may be NULL when the source does not know it. */
    int (*get_manifest)(image_source *src, const char *digest, char **data, size_t *len,
                        char **media_type, hull_err **err);
    /* Put blob `d` into the store, verified. Called from several threads at once. */
    int (*fetch_blob)(image_source *src, image_store *s, const image_descriptor *d, hull_err **err);
    void (*destroy)(image_source *src);
};

struct image_progress;

struct image_source {
    const struct image_source_ops *ops;
    const struct image_progress *progress; /* set by image_import for fetch_blob */
    const char *digest; /* the manifest digest the reference pins, or NULL (by tag) */
};

void image_source_free(image_source *src);

enum image_progress_event {
    IMAGE_PROGRESS_START,   /* a blob transfer begins (total = size) */
    IMAGE_PROGRESS_BYTES,   /* done of total bytes transferred */
    IMAGE_PROGRESS_EXISTS,  /* already in the store */
    IMAGE_PROGRESS_DONE,    /* transferred and unpacked */
    IMAGE_PROGRESS_MOUNTED, /* push: mounted from another repository of the registry */
};

struct image_progress {
    void (*event)(void *opaque, enum image_progress_event ev, const char *digest, uint64_t done,
                  uint64_t total);
    void *opaque;
};

struct image_import_options {
    const char *platform; /* NULL = this machine */
    int jobs;             /* parallel layer transfers, 0 = default (4) */
    const struct image_progress *progress;
};

void image_progress_emit(const struct image_progress *p, enum image_progress_event ev,
                         const char *digest, uint64_t done, uint64_t total);

/* Import the image and return its manifest and config digests. */
int image_import(image_store *s, image_source *src, const struct image_import_options *opts,
                 char manifest_digest[DIGEST_STR_LEN], char config_digest[DIGEST_STR_LEN],
                 hull_err **err);

/* ---- sources ---- */

/* An OCI image layout directory; `tag` selects the manifest by its ref.name annotation (NULL:
 * the only manifest). The source takes ownership of dirfd. With may_move, blobs are renamed into
 * the store instead of copied (for layouts unpacked into the store's tmp/). */
int oci_layout_source_new(int dirfd, const char *description, const char *tag, int may_move,
                          image_source **out, hull_err **err);
/* Every ref.name annotation in the layout's index.json (NULL-terminated; may be empty). */
int oci_layout_ref_names(int dirfd, char ***out, hull_err **err);

/* A docker-archive tree (manifest.json + files) unpacked under dirfd (which stays the
 * caller's); image `which` of its manifest.json. */
int docker_archive_source_new(int dirfd, size_t which, int may_move, image_source **out,
                              hull_err **err);
/* Number of images in manifest.json and the RepoTags of image `which`. */
int docker_archive_count(int dirfd, size_t *count, hull_err **err);
int docker_archive_tags(int dirfd, size_t which, char ***tags, hull_err **err);

/* Open `path` below dirfd with every symlink resolved inside dirfd (openat2 RESOLVE_IN_ROOT). */
int open_in_root(int dirfd, const char *path, int flags, hull_err **err);

/* Put the file at `path` below dirfd into the store as blob `d` (moved when may_move). */
int import_blob_at(image_store *s, int dirfd, const char *path, const image_descriptor *d,
                   int may_move, hull_err **err);

#endif
