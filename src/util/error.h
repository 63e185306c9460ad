/* hull_err: the one error convention of libhull.
 *
 * Every fallible function takes `hull_err **err` as its last parameter and returns a negative
 * number on failure after filling *err with a message that names what it was doing and the
 * object it was doing it to. Callers add context with hull_error_prefix() on the way up; only the
 * command-line front end prints an error, once. */
#ifndef HULL_UTIL_ERROR_H
#define HULL_UTIL_ERROR_H

#include <stdarg.h>

typedef struct hull_err {
    int errnum;    /* errno of the root cause, 0 when there is none */
    int exit_code; /* the exit code a CLI should use, 0 = default (1) */
    char *msg;     /* full message, context first */
} hull_err;

/* Fill *err with the formatted message (followed by ": strerror(errnum)" when errnum != 0).
 * Always returns -1 so that `return hull_error(err, errno, "...")` reads naturally.
 * If *err is already set, the old error is freed: the newest failure wins. */
int hull_error(hull_err **err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hull_verror(hull_err **err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prepend context: "context: previous message". Returns -1. */
int hull_error_prefix(hull_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void hull_err_free(hull_err *err);
void hull_err_freep(hull_err **err);

#define cleanup_err __attribute__((cleanup(hull_err_freep)))

#endif
