/* util/sha256.c against the FIPS 180-4 example vectors. */
#include <stdio.h>
#include <string.h>

#include "util/sha256.h"

static int check(const char *input, const char *want)
{
    char got[65];
    sha256_hex(input, strlen(input), got);
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "sha256(\"%s\") = %s, want %s\n", input, got, want);
        return 1;
    }
    return 0;
}

int main(void)
{
    int fails = 0;
    fails += check("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    fails += check("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    fails += check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Incremental updates across block boundaries give the same digest. */
    struct sha256 s;
    uint8_t a[32], b[32];
    char buf[1000];
    memset(buf, 'a', sizeof buf);
    sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sha256_update(&s, buf + i, 1);
    sha256_final(&s, a);
    sha256_init(&s);
    sha256_update(&s, buf, sizeof buf);
    sha256_final(&s, b);
    if (memcmp(a, b, 32) != 0) {
        fprintf(stderr, "incremental digest differs\n");
        fails++;
    }
    return fails ? 1 : 0;
}
