/* hull exec's library side: run another command in a running container, as its configured
 * user unless the request names one (looked up in the image's /etc/passwd and /etc/group). */
#ifndef HULL_CONTAINER_EXEC_H
#define HULL_CONTAINER_EXEC_H

#include <stdbool.h>

#include "container/store.h"
#include "util/error.h"

struct container_exec_request {
    char **args;      /* the command, NULL-terminated */
    bool interactive; /* the command reads our stdin (otherwise /dev/null) */
    bool tty;
    bool detach;      /* the command's stdin, stdout and stderr are /dev/null */
    const char *cwd;  /* NULL: the container's */
    char **env;       /* KEY=VALUE added, NULL-terminated or NULL */
    const char *user; /* USER[:GROUP], names or ids; NULL: the container's */
};

/* The command gets our stdin, stdout and stderr as the request says: once the request is
 * resolved, those of the calling process are pointed at /dev/null accordingly.
 * Attached: waits, forwards signals and sets *exit_code to the command's status (128+N when
 * killed by signal N). A command that cannot be executed fails with exit_code 126, one that is
 * not found with 127. */
int container_exec(container_store *cs, container_record *r,
                   const struct container_exec_request *req, int *exit_code, hull_err **err);

#endif
