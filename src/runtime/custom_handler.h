/* Custom handlers (crun's word): a container whose program does not run natively in the
 * container process's namespaces, but under something else, such as a microVM (src/vm/).
 *
 * The front end hands the handlers it offers to the runtime in struct runtime_opts; a bundle
 * annotated run.oci.handler=NAME runs under the handler of that name, and a front end may force
 * one for every container (hull-runtime-vm). The runtime keeps the whole lifecycle: state
 * directory, exec fifo, sync protocol, cgroups, kill and delete. A handler only says which
 * namespaces its process is cloned into, what the runtime does before the clone, and what the
 * container process does instead of building a container: prepare (before `create` returns, so
 * a bundle that cannot run fails at create) and run (after `start`). The runtime does not know
 * which handlers exist. */
#ifndef HULL_RUNTIME_CUSTOM_HANDLER_H
#define HULL_RUNTIME_CUSTOM_HANDLER_H

#include <signal.h>

#include "oci/config.h"
#include "util/error.h"

#define RUNTIME_HANDLER_ANNOTATION "run.oci.handler"

struct runtime_handler {
    const char *name; /* the run.oci.handler value; recorded as "handler" in state.json */
    /* The namespaces the container process is cloned into (0: it stays in the runtime's). The
     * runtime writes uid/gid maps only when this has CLONE_NEWUSER. */
    unsigned long (*clone_flags)(const struct hull_config *cfg);
    /* The runtime's own step before the clone (NULL: none). */
    int (*prepare_parent)(const struct hull_config *cfg, hull_err **err);
    /* In the container process, once it is in its cgroups and before `create` reports success
     * (NULL: none). A failure fails `create` with this error. */
    int (*prepare)(const struct hull_config *cfg, hull_err **err);
    /* In the container process after `start`, with the runtime's signal mask of create in
     * `sigmask`: run the program and exit with its status. Never returns. */
    __attribute__((noreturn)) void (*run)(const struct hull_config *cfg, const sigset_t *sigmask);
};

#endif
