/* hull cp's library side: copy files between a container and the host. */
#ifndef HULL_CONTAINER_COPY_H
#define HULL_CONTAINER_COPY_H

#include <stdbool.h>

#include "container/store.h"
#include "util/error.h"

/* Copy container path `cpath` to host path `hpath` (`out`), or `hpath` to `cpath`. The
 * container's paths are those its processes see while it runs; a stopped container gets its
 * root filesystem mounted for the copy, and a path under a volume or bind mount reaches that
 * volume's or host directory's files (a tmpfs holds nothing then). `archive`: keep the owners
 * (times are always kept). */
int container_copy(container_store *cs, container_record *r, const char *cpath, const char *hpath,
                   bool out, bool archive, hull_err **err);

#endif
