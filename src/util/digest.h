/* Content digests: "sha256:<64 hex>" strings, streaming hashing (nettle) and validation of
 * digests that come from untrusted manifests. The image store names blobs by them; the seccomp
 * cache names compiled filters by them. */
#ifndef HULL_UTIL_DIGEST_H
#define HULL_UTIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* "sha256:" + 64 hex digits + NUL */
#define DIGEST_STR_LEN 72

typedef struct digest_ctx digest_ctx;

digest_ctx *digest_new(void);
void digest_update(digest_ctx *ctx, const void *data, size_t len);
/* Write "sha256:<hex>" into out; the context can not be updated afterwards. */
void digest_final(digest_ctx *ctx, char out[DIGEST_STR_LEN]);
void digest_free(digest_ctx *ctx);

void digest_of_buffer(const void *data, size_t len, char out[DIGEST_STR_LEN]);
/* The raw sha256 (32 bytes) and sha1 (20 bytes) of a small buffer. */
void digest_sha256_raw(const void *data, size_t len, uint8_t out[32]);
void digest_sha1_raw(const void *data, size_t len, uint8_t out[20]);
/* Hash everything readable from fd (from its current offset); *size gets the byte count. */
int digest_of_fd(int fd, char out[DIGEST_STR_LEN], off_t *size, hull_err **err);

/* 1 when `digest` is exactly "sha256:" followed by 64 lowercase hex digits. Anything else (other
 * algorithms, uppercase, path characters) is refused: digests become file names in the store. */
int digest_is_valid(const char *digest);
int digest_check(const char *digest, hull_err **err);

/* The hex part of a valid digest. */
static inline const char *digest_hex(const char *digest)
{
    return digest + 7;
}

#endif
