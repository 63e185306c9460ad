/* Merging compose files (`-f a.yaml -f b.yaml`, compose.yaml + compose.override.yaml) by the
 * compose specification's rules: mappings merge key by key; command, entrypoint and
 * healthcheck.test are replaced; environment, labels, sysctls, build.args, depends_on and
 * networks merge by key (list forms are turned into mappings first); ports, expose, dns,
 * cap_add, cap_drop, security_opt, tmpfs, profiles and env_file are appended without duplicates;
 * volumes and devices merge by container path, secrets and configs by source; any other value
 * is replaced by the later file's. */
#ifndef HULL_STACK_MERGE_H
#define HULL_STACK_MERGE_H

#include "stack/node.h"

/* Merge `over` into `base` (both top-level MAPs of compose files). */
void stack_merge_compose(struct stack_node *base, const struct stack_node *over);

/* "K=V" / "K" list (or a mapping) as a mapping; values without '=' are NULL nodes. Returns a
 * new node. */
struct stack_node *stack_node_list_to_map(const struct stack_node *n);

#endif
