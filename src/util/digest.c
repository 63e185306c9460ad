/* sha256 digests with nettle (and the raw sha256 and sha1 of small buffers). */
#include "util/digest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/sha1.h>
#include <nettle/sha2.h>

struct digest_ctx {
    struct sha256_ctx sha;
};

digest_ctx *digest_new(void)
{
    digest_ctx *ctx = calloc(1, sizeof(*ctx));
    if (ctx == NULL)
        abort();
    sha256_init(&ctx->sha);
    return ctx;
}

void digest_update(digest_ctx *ctx, const void *data, size_t len)
{
    if (len > 0)
        sha256_update(&ctx->sha, len, data);
}

void digest_final(digest_ctx *ctx, char out[DIGEST_STR_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t raw[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx->sha, sizeof raw, raw);
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < sizeof raw; i++) {
        out[7 + 2 * i] = hex[raw[i] >> 4];
        out[7 + 2 * i + 1] = hex[raw[i] & 15];
    }
    out[DIGEST_STR_LEN - 1] = '\0';
}

void digest_free(digest_ctx *ctx)
{
    if (ctx == NULL)
        return;
    free(ctx);
}

void digest_sha256_raw(const void *data, size_t len, uint8_t out[32])
{
    struct sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, len, data);
    sha256_digest(&c, SHA256_DIGEST_SIZE, out);
}

void digest_sha1_raw(const void *data, size_t len, uint8_t out[20])
{
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, len, data);
    sha1_digest(&c, SHA1_DIGEST_SIZE, out);
}

void digest_of_buffer(const void *data, size_t len, char out[DIGEST_STR_LEN])
{
    digest_ctx *ctx = digest_new();
    digest_update(ctx, data, len);
    digest_final(ctx, out);
    digest_free(ctx);
}

int digest_of_fd(int fd, char out[DIGEST_STR_LEN], off_t *size, hull_err **err)
{
    digest_ctx *ctx = digest_new();
    char buf[1 << 16];
    off_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            digest_free(ctx);
            return hull_error(err, saved, "read for sha256");
        }
        if (n == 0)
            break;
        digest_update(ctx, buf, (size_t)n);
        total += n;
    }
    digest_final(ctx, out);
    digest_free(ctx);
    if (size)
        *size = total;
    return 0;
}

int digest_is_valid(const char *digest)
{
    if (digest == NULL || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71)
        return 0;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

int digest_check(const char *digest, hull_err **err)
{
    if (!digest_is_valid(digest))
        return hull_error(err, 0, "invalid digest `%s` (only sha256 is supported)",
                          digest ? digest : "(null)");
    return 0;
}
