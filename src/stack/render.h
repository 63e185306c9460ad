/* `hull compose config`: the resolved stack document as YAML (block style, keys in order,
 * strings quoted when YAML would read them as something else). */
#ifndef HULL_STACK_RENDER_H
#define HULL_STACK_RENDER_H

#include <jansson.h>
#include <stdio.h>

void stack_render_yaml(FILE *out, json_t *doc);

#endif
