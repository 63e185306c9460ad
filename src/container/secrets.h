/* Secret and config files for stack services (`hull compose` secrets:/configs:): their bytes are
 * copied onto a tmpfs that hull mounts on the host (never onto disk, never into a container's
 * layer, record, logs or inspect output), one directory per container, each file with its mode
 * and owner; the container gets each file bind-mounted read-only at its target. The copy buffer
 * is zeroed after use.
 *
 *   DATA_ROOT/secrets/<project>/           tmpfs (mode 0711), one per project
 *       <container-name>/<index>           mode 0400 (or the given one), owner uid:gid */
#ifndef HULL_CONTAINER_SECRETS_H
#define HULL_CONTAINER_SECRETS_H

#include <sys/types.h>

#include "container/store.h"
#include "util/error.h"

struct secret_file {
    const char *source_path; /* host file to read, or NULL when `value` is given */
    const char *value;       /* the bytes themselves (an environment variable's value) */
    mode_t mode;
    uid_t uid;
    gid_t gid;
};

/* Write `n` files for `container` under the project's tmpfs (mounting it when needed);
 * paths[i] (malloc'd) receives each file's host path. */
int container_secrets_write(container_store *s, const char *project, const char *container,
                            const struct secret_file *files, size_t n, char ***paths,
                            hull_err **err);
/* Remove one container's directory (no-op when absent). */
void container_secrets_remove(container_store *s, const char *project, const char *container);
/* Unmount and remove the project's tmpfs (down). */
void container_secrets_release(container_store *s, const char *project);

#endif
