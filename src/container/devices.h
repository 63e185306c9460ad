/* Host device nodes given to a hull container, as docker gives them: `--device
 * HOST[:CONTAINER][:PERMS]` and `--privileged` (every node under the host's /dev). Each node
 * becomes a linux.devices entry (made in the container with the host node's type, numbers,
 * mode and owner) and, for --device, a linux.resources.devices rule that allows it. */
#ifndef HULL_CONTAINER_DEVICES_H
#define HULL_CONTAINER_DEVICES_H

#include <jansson.h>

#include "util/error.h"

/* Append the node at `host` (symlinks followed), or every node under the directory `host`, to
 * `devices` as linux.devices entries at `container` (+ the part below `host`), and one allow
 * rule with `perms` ("rwm" subset) per node to `rules`. */
int container_devices_from_host(const char *host, const char *container, const char *perms,
                                json_t *devices, json_t *rules, hull_err **err);

/* Every device node under the host's /dev (not pts, shm, mqueue, fd, console: runc's list) as
 * linux.devices entries (--privileged; its cgroup allows everything). */
int container_devices_all_host(json_t *devices, hull_err **err);

#endif
