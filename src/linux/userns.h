/* User namespace id maps from the runtime's side. As root the maps are written directly
 * (namespaces.c). An unprivileged runtime (rootless) may write a map of only its own uid/gid,
 * and for gid_map only after denying setgroups; any other map goes through Debian's setuid
 * newuidmap/newgidmap (package uidmap), which check /etc/subuid and /etc/subgid. */
#ifndef HULL_LINUX_USERNS_H
#define HULL_LINUX_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* Run Debian's setuid newuidmap/newgidmap (`helper`) for PID with the maps m[0..n): its stderr
 * becomes the message, prefixed by `what`. */
int userns_run_map_helper(const char *helper, const char *what, pid_t pid,
                          const struct hull_id_mapping *m, size_t n, hull_err **err);
int userns_write_id_maps(const struct hull_config *cfg, pid_t pid, hull_err **err);
/* Inside the container: may this process call setgroups(2)? (No when /proc/self/setgroups
 * says "deny", which a rootless gid map requires.) */
bool userns_setgroups_allowed(void);

#endif
