/* systemd socket activation through the runtime (sd_listen_fds(3)): when the runtime was started
 * with LISTEN_FDS=N and LISTEN_PID=<its pid>, fds 3 .. 3+N-1 are passed on to the container
 * process, ahead of any --preserve-fds, and the process gets LISTEN_FDS=N and LISTEN_PID set to
 * its own pid as it sees it (1 as the init of a pid namespace), as runc does. */
#ifndef HULL_RUNTIME_SOCKET_ACTIVATION_H
#define HULL_RUNTIME_SOCKET_ACTIVATION_H

#include "util/error.h"

/* Number of fds handed to this runtime by socket activation (0 when none or not for us). */
int socket_activation_fds(void);

/* In the container process right before execve: a copy of `env` with LISTEN_FDS=n and
 * LISTEN_PID=getpid() (replacing entries of the same name). Returns `env` itself when n == 0. */
char **socket_activation_env(char **env, int n);

#endif
