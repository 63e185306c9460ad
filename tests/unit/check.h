/* Tiny assertion helpers shared by the C unit tests. */
#ifndef HULL_TEST_CHECK_H
#define HULL_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* Check that a hull_err-returning call failed with a message containing `needle`. */
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

#endif
