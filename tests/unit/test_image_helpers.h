/* Tiny assertion helpers for the image unit tests. */
#ifndef HULL_TEST_IMAGE_HELPERS_H
#define HULL_TEST_IMAGE_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

#endif
