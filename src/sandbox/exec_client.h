/* The host side of a session's exec server (exec_proto.h, src/sandbox/init/init.c): `hull
 * sandbox exec` connects to the session's socket, hands over the command with its fds 0-2 and
 * waits for its wait status; the command is a child of the session's first process, so it
 * inherits every namespace, the cgroup and all confinement without a runtime join. */
#ifndef HULL_SANDBOX_EXEC_CLIENT_H
#define HULL_SANDBOX_EXEC_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* The hull-sandbox-init binary: $HULL_SANDBOX_INIT, next to the hull binary in a build tree
 * (src/sandbox/), the install directory, the build directory. NULL when there is none. */
char *sandbox_init_path(void);

struct sandbox_xclient {
    const char *socket; /* the session's exec.sock */
    char **argv;
    char **env; /* K=V added to the session's environment, may be NULL */
    /* filled in */
    int fd;
    int pidfd;
    pid_t pid; /* in the session's pid namespace */
};

/* sandbox_capture callbacks (capture.h, with start_takes_fds): start sends `fds` with the command;
 * wait_fd is readable once the command has exited; reap reads its wait status; kill SIGKILLs
 * its process group. */
int sandbox_xclient_start(void *data, const int fds[3], pid_t *pid, hull_err **err);
int sandbox_xclient_wait_fd(void *data);
int sandbox_xclient_reap(void *data, int *status, hull_err **err);
void sandbox_xclient_kill(void *data);
void sandbox_xclient_close(struct sandbox_xclient *x);

#endif
