/* `--network egress` of a sandbox: its network namespace (new, as with `none`) is attached to a
 * hull network (default `bridge`) by CNI ADD between the runtime's create and start, then the
 * egress allow-list (net/egress.h) is installed inside it with its drop logger; both before the
 * sandbox's program runs. The attachment is detached when the sandbox ends (and by the repair
 * of a killed hull's leftovers, owner.h). */
#ifndef HULL_SANDBOX_NET_H
#define HULL_SANDBOX_NET_H

#include <jansson.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"
#include "util/error.h"

/* Check --egress-allow and --egress-tcp-port (normalized CIDRs into *allow, ports into *ports,
 * both JSON arrays, owned by the caller). */
int sandbox_net_check(const struct sandbox_opts *o, json_t **allow, json_t **ports, hull_err **err);

/* Attach the namespace of `pid` and install the allow-list; the logger (a child of the caller,
 * *logger) appends dropped packets to `log_path`. On failure nothing stays attached. */
int sandbox_net_setup(const char *data_root, const char *id, const struct sandbox_opts *o,
                      pid_t pid, const char *log_path, pid_t *logger, hull_err **err);
/* Detach `id` from its networks; reap the logger when > 0. */
void sandbox_net_teardown(const char *data_root, const char *id, pid_t logger);

/* The drop lines of `log_path`, at most `max` (the first ones), as a JSON array. */
json_t *sandbox_net_denied(const char *log_path, size_t max);

#endif
