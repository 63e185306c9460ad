/* SHA-256 (FIPS 180-4), small and dependency-free: used for cache keys, not for signatures. */
#ifndef HULL_UTIL_SHA256_H
#define HULL_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    uint32_t h[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* Hex digest of `data` into out (65 bytes, NUL-terminated). */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
