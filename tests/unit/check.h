/* The assertion helpers of the C unit tests (tests/unit/test_*.c), one set for all of them.
 *
 *   CHECK(cond)                      fatal: print file:line and the condition, exit(1)
 *   CHECK_ERROR(call, errp, needle)  fatal unless `call` returned < 0 with a hull_err whose
 *                                    message contains `needle` (the error is then freed)
 *   EXPECT(cond)                     print file:line and the condition, count it, go on
 *   EXPECT_STREQ(got, want)          EXPECT for strings (NULL-safe), printing both
 *   EXPECT_CONTAINS(text, needle)    EXPECT that `text` (NULL-safe) contains `needle`
 *   RUN(fn)                          print `-- fn` on stderr and call fn()
 *   TEST_EXIT()                      return from main: 1 when an EXPECT failed, else 0
 *
 * CHECK is for what the rest of a test depends on (a pointer about to be used); EXPECT lets a
 * table of cases report every bad one. Output goes to stderr, which meson's runner shows for
 * a failing test (--print-errorlogs). */
#ifndef HULL_TEST_CHECK_H
#define HULL_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* EXPECT failures of this test program (each test is one translation unit). */
static int check_failures __attribute__((unused));

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_ERROR(call, errp, needle)                                                            \
    do {                                                                                           \
        if ((call) >= 0) {                                                                         \
            fprintf(stderr, "%s:%d: expected failure: %s\n", __FILE__, __LINE__, #call);           \
            exit(1);                                                                               \
        }                                                                                          \
        if (*(errp) == NULL || strstr((*(errp))->msg, (needle)) == NULL) {                         \
            fprintf(stderr, "%s:%d: error `%s` does not contain `%s`\n", __FILE__, __LINE__,       \
                    *(errp) ? (*(errp))->msg : "(none)", (needle));                                \
            exit(1);                                                                               \
        }                                                                                          \
        hull_err_freep(errp);                                                                      \
    } while (0)

#define EXPECT(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: expected: %s\n", __FILE__, __LINE__, #cond);                   \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define EXPECT_STREQ(got, want)                                                                    \
    do {                                                                                           \
        const char *got_ = (got), *want_ = (want);                                                 \
        if (got_ == NULL || want_ == NULL || strcmp(got_, want_) != 0) {                           \
            fprintf(stderr, "%s:%d: %s is `%s`, want `%s`\n", __FILE__, __LINE__, #got,            \
                    got_ ? got_ : "(null)", want_ ? want_ : "(null)");                             \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define EXPECT_CONTAINS(text, needle)                                                              \
    do {                                                                                           \
        const char *text_ = (text), *needle_ = (needle);                                           \
        if (text_ == NULL || strstr(text_, needle_) == NULL) {                                     \
            fprintf(stderr, "%s:%d: %s `%s` lacks `%s`\n", __FILE__, __LINE__, #text,              \
                    text_ ? text_ : "(null)", needle_);                                            \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        fprintf(stderr, "-- %s\n", #fn);                                                           \
        fn();                                                                                      \
    } while (0)

#define TEST_EXIT()                                                                                \
    do {                                                                                           \
        if (check_failures)                                                                        \
            fprintf(stderr, "%d expectation(s) failed\n", check_failures);                         \
        return check_failures ? 1 : 0;                                                             \
    } while (0)

#endif
