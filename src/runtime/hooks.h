/* OCI hooks: each hook is run with its args and env, the container state JSON on stdin, and
 * killed when its timeout expires. */
#ifndef HULL_RUNTIME_HOOKS_H
#define HULL_RUNTIME_HOOKS_H

#include <stddef.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* Run `n` hooks in order; the first failure stops and is returned. `kind` names them in
 * messages ("createRuntime"). */
int hooks_run(const struct hull_hook *hooks, size_t n, const char *kind, const char *state_json,
              hull_err **err);

/* The state document `state_json` with its pid and status replaced, for the hooks the
 * container process runs itself (createContainer, startContainer). NULL on failure. */
char *hooks_state_for(const char *state_json, pid_t pid, const char *status);

#endif
