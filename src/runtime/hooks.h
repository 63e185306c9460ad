/* OCI hooks: each hook is run with its args and env, the container state JSON on stdin, and
 * killed when its timeout expires. */
#ifndef HULL_RUNTIME_HOOKS_H
#define HULL_RUNTIME_HOOKS_H

#include <stddef.h>

#include "oci/config.h"
#include "util/error.h"

/* Run `n` hooks in order; the first failure stops and is returned. `kind` names them in
 * messages ("createRuntime"). */
int hooks_run(const struct hull_hook *hooks, size_t n, const char *kind, const char *state_json,
              hull_err **err);

#endif
