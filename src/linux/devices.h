/* Device nodes and the standard /dev symlinks inside the container. */
#ifndef HULL_LINUX_DEVICES_H
#define HULL_LINUX_DEVICES_H

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

/* Create the default devices (null, zero, full, random, urandom, tty) unless /dev is a bind
 * mount, then linux.devices, then the /dev/fd, stdio, ptmx and core symlinks. In a user
 * namespace (where mknod is refused) devices are bind mounted from the host. */
int devices_setup(const struct hull_config *cfg, int rootfd, bool in_userns, hull_err **err);

#endif
