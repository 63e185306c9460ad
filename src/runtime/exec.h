/* exec: start another process inside a running container. It joins every namespace and the
 * cgroups of the container's init and gets the init's confinement (capabilities, rlimits,
 * no_new_privs, identity, umask, security profiles) unless the exec request overrides it. */
#ifndef HULL_RUNTIME_EXEC_H
#define HULL_RUNTIME_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/lifecycle.h"
#include "util/error.h"

struct exec_opts {
    const char *id;
    const char *process_file; /* --process: a runtime-spec process object */
    char **args;              /* command after the id (NULL-terminated; ignored with --process) */
    bool tty, tty_set;        /* --tty given (it also overrides --process's terminal) */
    bool detach;
    const char *pid_file;
    const char *console_socket;
    const char *cwd;
    char **env;             /* --env K=V, appended */
    const char *user;       /* UID[:GID] */
    char **additional_gids; /* --additional-gids, decimal strings */
    char **caps;            /* --cap, added to every set */
    bool no_new_privs;
    int preserve_fds;
    const char *apparmor;
    const char *process_label;
    bool ignore_paused;
    pid_t *pid_out; /* detached: receives the process's pid (a child of the caller) */
};

/* Attached: waits, forwards signals, sets *exit_code to the process's status (128+N when
 * killed by signal N). Detached: returns once the program runs, after writing --pid-file. */
int runtime_exec(const struct runtime_opts *ro, const struct exec_opts *eo, int *exit_code,
                 hull_err **err);

/* runtime_exec may have to re-execute the calling program from a protected copy of itself
 * first (CVE-2019-5736, exe_protect.h), which restarts it from main(). A caller that changes
 * state before runtime_exec (fds, files) calls this first, before any such change: it does
 * that re-execution now when an exec into container `id` will need it. */
int runtime_exec_protect(const struct runtime_opts *ro, const char *id, hull_err **err);

#endif
