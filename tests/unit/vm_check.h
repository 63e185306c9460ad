/* A minimal check macro for the VM unit tests: report file:line and keep going. */
#ifndef HULL_TESTS_VM_CHECK_H
#define HULL_TESTS_VM_CHECK_H

#include <stdio.h>

static int vm_check_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            vm_check_failures++;                                                                   \
        }                                                                                          \
    } while (0)

#endif
