/* The OCI config.json of a sandbox (sandbox.h): pure function of the options. */
#ifndef HULL_SANDBOX_SPEC_H
#define HULL_SANDBOX_SPEC_H

#include <jansson.h>

#include "sandbox/sandbox.h"
#include "util/error.h"

/* `rootfs` is the bundle-relative or absolute root path, `workspace` the host path of the
 * workspace directory; `args` the first process (o->cmd for a run). */
int sandbox_spec(const struct sandbox_opts *o, const char *rootfs, const char *workspace,
                 char **args, json_t **out, hull_err **err);

/* The Landlock policy: read and execute everywhere, write only the workdir, /tmp, /dev/shm. */
char *sandbox_landlock_policy(const char *workdir);

#endif
