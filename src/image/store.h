/* The image store: a directory (DATA_ROOT/images) holding content-addressed blobs, unpacked
 * layers, the name index and the records of which containers use which image.
 *
 *   blobs/sha256/<hex>     manifests, configs and layer tarballs, verified before they appear
 *   layers/<hex>/diff      a layer blob unpacked once for overlayfs (whiteouts converted)
 *   index.json             names -> manifest digests (see index.h)
 *   users/<hex>/<id>       container <id> uses the image with manifest <hex> (see users.h)
 *   locks/                 flock files: store.lock (shared by everyone, exclusive for prune),
 *                          index.lock, <hex>.lock per blob/layer being fetched or unpacked
 *   tmp/                   work in progress; anything here belongs to a running process or to a
 *                          crashed one and is removed whenever nobody else uses the store
 *
 * Everything appears under its final name by one rename, after fsync, so a crash leaves either
 * nothing or a complete object. */
#ifndef HULL_IMAGE_STORE_H
#define HULL_IMAGE_STORE_H

#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "util/digest.h"
#include "util/error.h"

#define IMAGE_STORE_DEFAULT_ROOT "/var/lib/hull"

typedef struct image_store {
    char *data_root; /* --data-root */
    char *path;      /* data_root/images */
    int dirfd;
    int blobs_fd;
    int layers_fd;
    int tmp_fd;
    int locks_fd;
    int users_fd;
    int store_lock_fd; /* held shared for the store's lifetime */
} image_store;

/* $HULL_ROOT, or /var/lib/hull. */
const char *image_store_default_root(void);

/* Open (creating when needed) the store under data_root and take the shared store lock. */
int image_store_open(const char *data_root, image_store **out, hull_err **err);
void image_store_close(image_store *s);
void image_store_closep(image_store **s);
#define cleanup_image_store __attribute__((cleanup(image_store_closep)))

/* Trade the shared store lock for an exclusive one (waits for every other user). */
int image_store_lock_exclusive(image_store *s, hull_err **err);
/* Remove everything under tmp/. Only safe while holding the exclusive lock. */
int image_store_clean_tmp(image_store *s, hull_err **err);

/* Exclusive flock on locks/<name>.lock; *fd receives the lock, release with close(). */
int image_store_lock(image_store *s, const char *name, int *fd, hull_err **err);

/* ---- blobs ---- */
int store_blob_exists(image_store *s, const char *digest);
int store_blob_open(image_store *s, const char *digest, hull_err **err);
/* Read a small blob (manifest, config) and check it still hashes to its name. */
int store_blob_read(image_store *s, const char *digest, char **data, size_t *len, hull_err **err);
char *store_blob_path(image_store *s, const char *digest);
int64_t store_blob_size(image_store *s, const char *digest);

typedef struct blob_writer blob_writer;
int blob_writer_begin(image_store *s, blob_writer **out, hull_err **err);
int blob_writer_write(blob_writer *w, const void *data, size_t len, hull_err **err);
uint64_t blob_writer_size(const blob_writer *w);
/* Verify (expected may be NULL; expected_size < 0 means unknown), fsync and publish the blob
 * under its digest, written to out when not NULL. Always consumes the writer. */
int blob_writer_commit(blob_writer *w, const char *expected, int64_t expected_size,
                       char out[DIGEST_STR_LEN], hull_err **err);
void blob_writer_abort(blob_writer *w);

int store_blob_put(image_store *s, const void *data, size_t len, const char *expected,
                   char out[DIGEST_STR_LEN], hull_err **err);
/* A JSON document (compact, sorted keys) as a blob; *size (may be NULL) gets its length. */
int store_blob_put_json(image_store *s, json_t *doc, char out[DIGEST_STR_LEN], int64_t *size,
                        hull_err **err);
/* Copy everything readable from fd into the store. */
int store_blob_import_fd(image_store *s, int fd, const char *expected, int64_t expected_size,
                         char out[DIGEST_STR_LEN], hull_err **err);
/* Import the file `name` under dirfd. With may_move the file is renamed into the store (it must
 * be on the same filesystem, e.g. under tmp/), else copied. */
int store_blob_import_file(image_store *s, int dirfd, const char *name, const char *expected,
                           int64_t expected_size, int may_move, char out[DIGEST_STR_LEN],
                           hull_err **err);

/* ---- layers ---- */
int store_layer_exists(image_store *s, const char *blob_digest);
/* data_root/images/layers/<hex>/diff (malloc'd) */
char *store_layer_dir(image_store *s, const char *blob_digest);
/* Unpack the (present) blob into layers/<hex> unless already done; safe against concurrent
 * callers and crashes. */
int store_layer_unpack(image_store *s, const char *blob_digest, hull_err **err);
/* Bytes of an unpacked layer's content (regular files and symlinks, docker's SIZE): recorded in
 * layers/<hex>/size when the layer is unpacked (computed once for older layers). -1 when the
 * layer is not unpacked. The same content gives the same size whatever its compression. */
int64_t store_layer_size(image_store *s, const char *blob_digest);

/* A private temporary directory under tmp/ (fd-relative name written to name_out). */
int image_store_mkdtemp(image_store *s, const char *prefix, char **name_out, int *fd_out,
                        hull_err **err);

#endif
