/* The compose-file reader: a merged, interpolated document tree (node.h) becomes the resolved
 * stack document (model.h's canonical JSON): short syntaxes expanded, sizes and durations
 * normalised, relative paths made absolute, env_file read into environment, default network
 * added. Wrong types are errors naming the file, line and key path; unknown keys are warnings
 * naming the key; `x-` extension keys and the obsolete `version` are accepted silently. */
#ifndef HULL_STACK_COMPOSE_H
#define HULL_STACK_COMPOSE_H

#include <jansson.h>

#include "stack/interpolate.h"
#include "stack/node.h"
#include "util/error.h"

int stack_compose_to_doc(const struct stack_node *root, const char *project,
                         const char *project_dir, const struct stack_env *env, json_t **out,
                         hull_err **err);

#endif
