/* Unit tests for container/attach.c: docker's --detach-keys syntax and the matcher that holds
 * back a partly typed detach sequence. */
#include <stdbool.h>
#include <string.h>

#include "check.h"
#include "container/attach.h"

static void parse_ok(const char *spec, const char *want, size_t want_n)
{
    unsigned char keys[DETACH_KEYS_MAX];
    size_t n = 0;
    hull_err *err = NULL;
    if (detach_keys_parse(spec, keys, &n, &err) < 0) {
        fprintf(stderr, "`%s`: %s\n", spec, err->msg);
        exit(1);
    }
    CHECK(n == want_n);
    CHECK(memcmp(keys, want, n) == 0);
}

static void parse_bad(const char *spec, const char *needle)
{
    unsigned char keys[DETACH_KEYS_MAX];
    size_t n = 0;
    hull_err *err = NULL;
    CHECK_ERROR(detach_keys_parse(spec, keys, &n, &err), &err, needle);
}

static void test_parse(void)
{
    parse_ok(DETACH_KEYS_DEFAULT, "\x10\x11", 2);
    parse_ok("ctrl-a,x", "\x01x", 2);
    parse_ok("ctrl-z", "\x1a", 1);
    parse_ok("CTRL-A,ctrl-B", "\x01\x02", 2);
    parse_ok("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_", "\x00\x1b\x1c\x1d\x1e\x1f", 6);
    parse_ok("a", "a", 1);
}

static void test_parse_errors(void)
{
    parse_bad("", "expected keys separated by commas");
    parse_bad("ctrl-p,", "expected keys separated by commas");
    parse_bad(",ctrl-q", "expected keys separated by commas");
    parse_bad(",", "expected keys separated by commas");
    parse_bad("ctrl-1", "unknown key `ctrl-1`");
    parse_bad("ctrl-", "unknown key `ctrl-`");
    parse_bad("ctrl-ab", "unknown key `ctrl-ab`");
    parse_bad("ab", "unknown key `ab`");
    parse_bad("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "more than 16 keys");
}

/* Feed `in` in chunks of `step` bytes; returns what was forwarded (NUL-terminated). */
static const char *run(const char *spec, const char *in, size_t step, bool *detached)
{
    static char got[256];
    struct detach_matcher m = {.matched = 0};
    hull_err *err = NULL;
    CHECK(detach_keys_parse(spec, m.keys, &m.n, &err) == 0);
    size_t len = strlen(in), o = 0;
    *detached = false;
    for (size_t i = 0; i < len && !*detached; i += step) {
        size_t chunk = len - i < step ? len - i : step;
        char out[64 + DETACH_KEYS_MAX];
        size_t n = detach_filter(&m, in + i, chunk, out, detached);
        memcpy(got + o, out, n);
        o += n;
    }
    got[o] = '\0';
    return got;
}

static void test_filter(void)
{
    bool d;
    for (size_t step = 1; step <= 4; step++) {
        CHECK(strcmp(run("ctrl-p,ctrl-q", "ls\r", step, &d), "ls\r") == 0 && !d);
        /* Complete sequence: detach, nothing of it forwarded, the rest dropped. */
        CHECK(strcmp(run("ctrl-p,ctrl-q", "ab\x10\x11zz", step, &d), "ab") == 0 && d);
        /* A broken sequence is forwarded in order. */
        CHECK(strcmp(run("ctrl-p,ctrl-q", "a\x10x", step, &d), "a\x10x") == 0 && !d);
        /* The breaking key can start the sequence again. */
        CHECK(strcmp(run("ctrl-p,ctrl-q", "\x10\x10\x11", step, &d), "\x10") == 0 && d);
        CHECK(strcmp(run("ctrl-a,x", "\x01y\x01x", step, &d), "\x01y") == 0 && d);
        CHECK(strcmp(run("x", "abxcd", step, &d), "ab") == 0 && d);
        /* A held-back prefix at the end of input stays held. */
        CHECK(strcmp(run("ctrl-p,ctrl-q", "ab\x10", step, &d), "ab") == 0 && !d);
    }
    /* Spanning calls: the prefix held in one read completes in the next. */
    struct detach_matcher m = {.keys = {0x10, 0x11}, .n = 2};
    char out[8 + DETACH_KEYS_MAX];
    CHECK(detach_filter(&m, "q\x10", 2, out, &d) == 1 && out[0] == 'q' && !d);
    CHECK(detach_filter(&m, "\x11", 1, out, &d) == 0 && d);
    /* No keys: everything passes. */
    struct detach_matcher none = {.n = 0};
    CHECK(detach_filter(&none, "\x10\x11", 2, out, &d) == 2 && !d);
}

int main(void)
{
    test_parse();
    test_parse_errors();
    test_filter();
    puts("ok");
    return 0;
}
