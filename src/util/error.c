/* hull_err implementation: formatting and chaining of error messages. */
#include "util/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *format_message(int errnum, const char *fmt, va_list ap)
{
    char *base = NULL;
    if (vasprintf(&base, fmt, ap) < 0)
        return NULL;
    if (errnum == 0)
        return base;
    char *full = NULL;
    if (asprintf(&full, "%s: %s", base, strerror(errnum)) < 0)
        full = NULL;
    free(base);
    return full;
}

int hull_verror(hull_err **err, int errnum, const char *fmt, va_list ap)
{
    if (err == NULL)
        return -1;
    hull_err *e = calloc(1, sizeof(*e));
    if (e == NULL)
        abort();
    e->errnum = errnum;
    e->msg = format_message(errnum, fmt, ap);
    if (e->msg == NULL)
        abort();
    hull_err_free(*err);
    *err = e;
    return -1;
}

int hull_error(hull_err **err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    hull_verror(err, errnum, fmt, ap);
    va_end(ap);
    return -1;
}

int hull_error_prefix(hull_err **err, const char *fmt, ...)
{
    if (err == NULL || *err == NULL)
        return -1;
    char *ctx = NULL;
    va_list ap;
    va_start(ap, fmt);
    int r = vasprintf(&ctx, fmt, ap);
    va_end(ap);
    if (r < 0)
        abort();
    char *full = NULL;
    if (asprintf(&full, "%s: %s", ctx, (*err)->msg) < 0)
        abort();
    free(ctx);
    free((*err)->msg);
    (*err)->msg = full;
    return -1;
}

void hull_err_free(hull_err *err)
{
    if (err == NULL)
        return;
    free(err->msg);
    free(err);
}

void hull_err_freep(hull_err **err)
{
    hull_err_free(*err);
    *err = NULL;
}
