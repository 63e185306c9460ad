/* Text building helpers. */
#include "util/str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void str_appendf(char **buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *piece;
    int rc = vasprintf(&piece, fmt, ap);
    va_end(ap);
    if (rc < 0)
        abort();
    char *joined;
    if (asprintf(&joined, "%s%s", *buf ? *buf : "", piece) < 0)
        abort();
    free(piece);
    free(*buf);
    *buf = joined;
}

void str_buf_add(struct str_buf *b, const char *data, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL)
            abort();
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void str_buf_addc(struct str_buf *b, char c)
{
    str_buf_add(b, &c, 1);
}

char *str_buf_take(struct str_buf *b)
{
    if (b->p == NULL)
        str_buf_add(b, "", 0);
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

int str_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
