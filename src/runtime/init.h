/* The container's first process between clone() and execve(): it builds the container from
 * the inside and becomes the user's program (PID 1 of its pid namespace, no extra init). */
#ifndef HULL_RUNTIME_INIT_H
#define HULL_RUNTIME_INIT_H

#include <signal.h>
#include <stdbool.h>

#include "linux/capabilities.h"
#include "linux/cgroup/cgroup.h"
#include "oci/config.h"
#include "runtime/custom_handler.h"
#include "runtime/security.h"

struct init_args {
    const struct hull_config *cfg;
    int sync_fd;      /* container end of the sync socketpair */
    int fifo_fd;      /* exec.fifo opened O_RDWR: read blocks until `start`; -1: started */
    int state_dir_fd; /* the runtime's locked state dir: closed at once so the lock stays the
                         runtime's */
    int preserve_fds;
    bool no_pivot;
    bool no_new_keyring;
    struct cap_sets caps;
    sigset_t saved_sigmask;
    const char *state_json;         /* for createContainer / startContainer hooks */
    struct security_plan *security; /* seccomp, Landlock, LSM (runtime/security.h) */
    /* An unprivileged runtime writes our id maps: /proc/<pid>/{uid_map,setgroups,gid_map} are
     * only its to open while we are dumpable, so stay dumpable until SYNC_GO (as runc). */
    bool dumpable_until_go;
    int console_fd;      /* process.terminal: where the pty master goes (-1 = none) */
    int start_status_fd; /* start.fifo (O_RDWR): startContainer failures are reported here;
                            EOF at execve tells `start` the program runs (-1 = none) */
    int listen_fds;      /* socket activation fds at 3.. (also counted in preserve_fds) */
    char **exec_env;     /* process.env (+ HOME), set during the setup */
    /* The host's cgroup hierarchies as the runtime detected them (NULL: not detected; the
     * container's cgroup mounts then read /proc/self/mountinfo themselves). */
    const struct cgroup_host *cgroup_host;
    /* v1 and hybrid sets: the set whose v1 directories we move ourselves into once
     * SYNC_CGROUPS_JOINED says they are ready (NULL: the runtime moves us). */
    const struct cgroup_set *cgroup_self_join;
    /* With cgroup_self_join in a new user namespace: SYNC_CGROUPS_JOINED brings the v1 `tasks`
     * files, opened by the runtime (as the host's root), to move ourselves in with. */
    bool cgroup_fds_by_sync;
    /* Cloned into our only cgroup (pure v2): no SYNC_CGROUPS_JOINED comes. */
    bool cgroups_at_clone;
};

/* Never returns: execs the user program or exits non-zero after reporting over sync_fd. */
__attribute__((noreturn)) void runtime_init(struct init_args *a);

/* The container process of a container run by a custom handler (runtime/custom_handler.h): no
 * container to build; the handler prepares, and runs the program after `start`. */
__attribute__((noreturn)) void runtime_init_handler(struct init_args *a,
                                                    const struct runtime_handler *h);

#endif
