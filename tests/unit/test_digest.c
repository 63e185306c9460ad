/* util/digest.c: the FIPS 180-4 example vectors, incremental updates, fds, validation. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "util/digest.h"

static void check_sha256(const char *input, const char *want)
{
    char got[DIGEST_STR_LEN];
    digest_of_buffer(input, strlen(input), got);
    EXPECT(strncmp(got, "sha256:", 7) == 0);
    EXPECT_STREQ(digest_hex(got), want);
}

int main(void)
{
    check_sha256("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_sha256("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Incremental updates across block boundaries give the same digest. */
    char buf[1000], a[DIGEST_STR_LEN], b[DIGEST_STR_LEN];
    memset(buf, 'a', sizeof buf);
    digest_ctx *ctx = digest_new();
    for (int i = 0; i < 1000; i++)
        digest_update(ctx, buf + i, 1);
    digest_final(ctx, a);
    digest_free(ctx);
    digest_of_buffer(buf, sizeof buf, b);
    CHECK(strcmp(a, b) == 0);
    /* From a file descriptor, with its size. */
    int p[2];
    CHECK(pipe(p) == 0);
    CHECK(write(p[1], buf, sizeof buf) == (ssize_t)sizeof buf);
    close(p[1]);
    off_t size = 0;
    hull_err *err = NULL;
    CHECK(digest_of_fd(p[0], a, &size, &err) == 0);
    close(p[0]);
    CHECK(size == (off_t)sizeof buf && strcmp(a, b) == 0);
    /* Only canonical sha256 digests are valid (they become file names). */
    CHECK(digest_is_valid(b));
    CHECK(!digest_is_valid("sha256:ABC"));
    CHECK(!digest_is_valid(
        "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    CHECK(!digest_is_valid("sha256:../../../../etc/passwd"));
    TEST_EXIT();
}
