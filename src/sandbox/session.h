/* Sandbox sessions for multi-step agents (docs/sandbox.md, "Sessions"): `create` prepares a
 * sandbox as `run` does and starts a long-lived first process (`sleep`, from the root
 * filesystem), `exec` runs one command in it (same namespaces, cgroup and confinement; same
 * result document, its changes relative to the previous exec), `cp` copies between the host and
 * the workspace, `rm` kills and removes it. The record is DATA_ROOT/sandbox/sessions/NAME.json,
 * replaced atomically under an flock of NAME.lock. */
#ifndef HULL_SANDBOX_SESSION_H
#define HULL_SANDBOX_SESSION_H

#include <jansson.h>

#include "sandbox/sandbox.h"

int sandbox_session_create(const char *data_root, image_store *is, const struct sandbox_opts *o,
                           const char *name, json_t **info, hull_err **err);
/* o: cmd, env, output, output_cap, timeout_ns (0 = the session's). */
int sandbox_session_exec(const char *data_root, const char *name, const struct sandbox_opts *o,
                         json_t **result, hull_err **err);
int sandbox_session_rm(const char *data_root, const char *name, hull_err **err);
/* Array of the session records. */
int sandbox_session_list(const char *data_root, json_t **out, hull_err **err);
/* to_sandbox: host `src` into the workspace path `dst`; else workspace `src` to host `dst`. */
int sandbox_session_cp(const char *data_root, const char *name, const char *src, const char *dst,
                       bool to_sandbox, hull_err **err);

#endif
