/* Building and scanning text a piece at a time (nftables scripts, resolv.conf, the TOML and
 * compose interpolation scanners, templates). */
#ifndef HULL_UTIL_STR_H
#define HULL_UTIL_STR_H

#include <stddef.h>

/* Append printf-formatted text to the malloc'd string *buf (NULL: an empty one); aborts when
 * out of memory, as the other small allocations do. */
void str_appendf(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A growable NUL-terminated buffer; {0} is an empty one. Allocation failures abort. */
struct str_buf {
    char *p; /* NULL until something is added */
    size_t len, cap;
};
void str_buf_add(struct str_buf *b, const char *data, size_t n);
void str_buf_addc(struct str_buf *b, char c);
/* The text (an empty string when nothing was added), owned by the caller; b is empty again. */
char *str_buf_take(struct str_buf *b);

/* The value of hexadecimal digit c (0-9, a-f, A-F), or -1. */
int str_hex_digit(int c);

#endif
