/* The OCI bundle of a hull container: config.json is a pure function of the container record
 * (container.json), starting from hull-runtime's hardened defaults (spec_default.c): few
 * capabilities, no_new_privs, masked and read-only /proc paths, private namespaces. */
#ifndef HULL_CONTAINER_BUNDLE_H
#define HULL_CONTAINER_BUNDLE_H

#include <jansson.h>

#include "util/error.h"

/* `record` is the container record; `container_dir` holds hostname/hosts/resolv.conf;
 * `init_path` is the hull-init binary for --init (may be NULL otherwise). */
int container_bundle_config(json_t *record, const char *container_dir, const char *init_path,
                            json_t **out, hull_err **err);

/* The capability set after --cap-add/--cap-drop, as a JSON array of "CAP_*" names. Unknown
 * names are an error. */
int container_capabilities(json_t *cap_add, json_t *cap_drop, json_t **out, hull_err **err);

#endif
