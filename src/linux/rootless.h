/* Rootless hull: an unprivileged user's hull commands run inside one user namespace (mapping
 * the user to root and, through newuidmap/newgidmap, the user's subordinate ids from
 * /etc/subuid and /etc/subgid to 1..N) and one mount namespace, both held open by a small pause
 * process, as podman does. Every command joins them first (setns), so the store unpacks layers
 * with their owners, overlay and bind mounts work, and mounts made by one command are seen by
 * the next. docs/rootless.md. */
#ifndef HULL_LINUX_ROOTLESS_H
#define HULL_LINUX_ROOTLESS_H

#include <stdbool.h>

#include "util/error.h"

/* Whether this process runs in a user namespace other than the host's (its uid map is not the
 * identity map of all ids): rootless hull, after rootless_join. */
bool rootless_in_userns(void);

/* Join (making it first when needed) the user's rootless namespaces, whose pause process is
 * recorded in RUN_DIR/pause.pid (RUN_DIR made 0700 if missing). Must be called while the
 * process has one thread. Afterwards the process is root in the user namespace. */
int rootless_join(const char *run_dir, hull_err **err);

#endif
