/* A few lines of test scaffolding shared by the cgroup unit tests. */
#ifndef HULL_TESTS_CGROUP_TEST_H
#define HULL_TESTS_CGROUP_TEST_H

#include <stdio.h>
#include <stdlib.h>

static int test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        fprintf(stderr, "-- %s\n", #fn);                                                           \
        fn();                                                                                      \
    } while (0)

#define TEST_EXIT()                                                                                \
    do {                                                                                           \
        if (test_failures)                                                                         \
            fprintf(stderr, "%d check(s) failed\n", test_failures);                                \
        return test_failures ? 1 : 0;                                                              \
    } while (0)

#endif
