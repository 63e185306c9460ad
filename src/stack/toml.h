/* A TOML 1.0 reader into the stack document tree (node.h): tables, arrays of tables, inline
 * tables, dotted keys, the four string forms with every escape, integers (decimal, hex, octal,
 * binary, underscores), floats (exponents, inf, nan), booleans and arrays. Offset date-times,
 * local date-times, dates and times are refused with a clear error (no stack key takes one).
 * Errors read "FILE:LINE:COL: reason". */
#ifndef HULL_STACK_TOML_H
#define HULL_STACK_TOML_H

#include <stddef.h>

#include "stack/node.h"
#include "util/error.h"

/* Parse `len` bytes of `text` (need not be NUL-terminated) named `file` into a MAP. */
int stack_toml_parse(const char *text, size_t len, const char *file, struct stack_node **out,
                     hull_err **err);

#endif
