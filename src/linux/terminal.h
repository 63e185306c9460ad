/* Terminals of container processes: a pty allocated inside the container's own devpts, made the
 * process's controlling terminal, its master handed out over a console socket exactly as runc
 * does (SCM_RIGHTS, the name "/dev/ptmx" as payload), and the attached relay between the user's
 * terminal and that master. */
#ifndef HULL_LINUX_TERMINAL_H
#define HULL_LINUX_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

/* Runtime side: connect to the --console-socket at `path` (a SOCK_STREAM unix socket, as
 * conmon and containerd's shim listen on). Returns the connected fd (O_CLOEXEC). */
int terminal_connect_console_socket(const char *path, hull_err **err);

/* Container side, after the process is in the container's mount namespace and root: open
 * /dev/ptmx there, unlock it, open the peer, apply consoleSize, send the master over
 * `console_sock`, then setsid + TIOCSCTTY and make the slave fds 0, 1 and 2. With
 * `bind_console`, /dev/console is bind-mounted over by the slave (the init process). */
int terminal_setup_in_container(int console_sock, const struct hull_process *p, bool bind_console,
                                hull_err **err);

/* Send / receive one fd with its name as payload (runc's utils.SendFd / RecvFd). */
int terminal_send_fd(int sock, const char *name, int fd, hull_err **err);
int terminal_recv_fd(int sock, int *fd, hull_err **err);

/* Attached terminal: relay between our stdin/stdout and `master` until `pid` (our child)
 * exits. The host terminal is put in raw mode and restored; SIGWINCH resizes the pty; every
 * other signal is forwarded to `pid`. All signals must be blocked by the caller. Sets
 * *exit_code (128+N when killed by signal N). */
int terminal_relay_until_exit(int master, pid_t pid, int *exit_code, hull_err **err);

#endif
