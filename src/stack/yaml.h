/* YAML documents (libyaml) into the stack document tree (node.h). Every scalar becomes a
 * STACK_NODE_STRING whose `plain` flag says it was unquoted (so `3`, `true` and `null` are typed
 * later, by the reader that knows what the key expects). Anchors and aliases are expanded, and
 * merge keys (`<<: *base`) applied. Errors read "FILE:LINE:COL: reason". */
#ifndef HULL_STACK_YAML_H
#define HULL_STACK_YAML_H

#include <stddef.h>

#include "stack/node.h"
#include "util/error.h"

/* The first document of `len` bytes of `text`; an empty file gives an empty MAP. */
int stack_yaml_parse(const char *text, size_t len, const char *file, struct stack_node **out,
                     hull_err **err);

#endif
