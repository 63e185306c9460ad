/* The TOML topology reader: nucleus-container's topology files (name, [networks.N],
 * [volumes.V], [services.S], [[services.S.depends_on]]) validated with nucleus's messages and
 * turned into the same resolved stack document as compose files (model.h). Field by field in
 * docs/topology.md. */
#ifndef HULL_STACK_TOPOLOGY_H
#define HULL_STACK_TOPOLOGY_H

#include <jansson.h>

#include "stack/node.h"
#include "util/error.h"

/* The project name is the topology's `name` unless `project` is given. */
int stack_topology_to_doc(const struct stack_node *root, const char *file, const char *project,
                          const char *project_dir, json_t **out, hull_err **err);

#endif
