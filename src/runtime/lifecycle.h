/* The container lifecycle as the runc command line exposes it: create, start, run, kill,
 * delete, state, list. Each call locks the container's state directory for its duration. */
#ifndef HULL_RUNTIME_LIFECYCLE_H
#define HULL_RUNTIME_LIFECYCLE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/state.h"
#include "util/error.h"

struct cgroup_host;
struct cgroup_set;

enum cgroup_manager {
    CGROUP_MANAGER_CGROUPFS = 0,
    CGROUP_MANAGER_SYSTEMD,
    CGROUP_MANAGER_DISABLED
};

struct runtime_handler; /* runtime/custom_handler.h */

struct runtime_opts {
    const char *root; /* --root */
    enum cgroup_manager cgroup_manager;
    /* The custom handlers the front end offers, NULL-terminated (NULL: none): a bundle
     * annotated run.oci.handler=NAME runs under the one of that name. */
    const struct runtime_handler *const *handlers;
    /* Every container runs under this one (hull-runtime-vm); NULL: the bundle chooses. */
    const struct runtime_handler *forced_handler;
    /* Where compiled seccomp filters are cached (DIR/.seccomp-cache); NULL: `root`. For a caller
     * whose state root lives only as long as one container (hull sandbox run). */
    const char *cache_root;
};

struct create_opts {
    const char *id;
    const char *bundle;
    const char *config_file; /* NULL: config.json (crun's --config) */
    /* The config as the caller built it (borrowed, not modified), instead of reading the
     * bundle's file: not decoded again. `config_text`, when set, is its compact encoding (what
     * the caller wrote to the bundle): the container's copy of its config is that text, not
     * encoded again. */
    json_t *config;
    const char *config_text;
    const char *pid_file;
    const char *console_socket;
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;
    /* Attached run: set by runtime_run. With process.terminal and no console socket the pty
     * master is received into *terminal_master (-1 otherwise) for the relay. NULL = detached
     * (create, run --detach): a terminal then needs --console-socket, as in runc. */
    int *terminal_master;
    /* run: when the config has no startContainer or poststart hooks, release the container at
     * the end of create (the `start` byte is in exec.fifo before the container process reads
     * it: one hand-over and one state load fewer) and set *started. NULL: create only. */
    bool *started;
    /* The host's cgroup hierarchies as the caller detected them earlier in this process (`hull
     * run` does, for its early migration warm-up): used instead of detecting them again (a
     * listing of every mount of the host). NULL: detected here. */
    const struct cgroup_host *cgroup_host;
    /* run: set to whether the config has poststop hooks (the delete at the end of the run then
     * reads the container's copy of the config only when it does). NULL: not asked. */
    bool *poststop_hooks;
    /* The caller replaces the bundle's config.json only by rename and never writes it in place
     * (hull's own bundles): the state's copy of the config is then a hard link to it, which is
     * a copy as long as that holds (no file written; falls back to writing one). */
    bool config_replaced_by_rename;
    /* run (attached, removing the container at the end): the container's cgroup set is moved
     * into *cgroups_out (the caller clears it) and *state_dir_out gets the state directory's
     * identity and an O_PATH fd of it (unlocked; the caller closes it with state_dir_close),
     * which keeps its inode number from being reused by a directory made again under the id,
     * so that the delete at the end reads nothing back. NULL: not asked. */
    struct cgroup_set *cgroups_out;
    struct state_dir *state_dir_out;
    /* Set to whether the config has startContainer or poststart hooks (a caller that kept
     * state_dir_out and sees none may start with runtime_start_made). NULL: not asked. */
    bool *start_hooks;
};

/* Create the container and leave its process waiting for `start`. With keep_signals_blocked
 * the caller's signals stay blocked on return (for run's forwarding loop). */
int runtime_create(const struct runtime_opts *ro, const struct create_opts *co, pid_t *pid,
                   bool keep_signals_blocked, hull_err **err);
int runtime_start(const struct runtime_opts *ro, const char *id, hull_err **err);
/* runtime_start by the process whose create made the container, without start hooks
 * (create_opts.start_hooks false), with the directory create gave it (state_dir_out): nothing
 * is read back (state.json, /proc/PID/stat). Anything unexpected (the directory made again
 * under the id, no exec.fifo) is left to runtime_start, which then says what is wrong. */
int runtime_start_made(const struct runtime_opts *ro, const char *id, const struct state_dir *made,
                       hull_err **err);
/* run = create + start; attached runs wait, forward signals and return the exit code
 * (128+N when killed by signal N). */
int runtime_run(const struct runtime_opts *ro, const struct create_opts *co, bool detach,
                bool remove, int *exit_code, hull_err **err);
/* Wait for `pid` (our child) forwarding every signal we receive to it; all signals must be
 * blocked. Sets *exit_code (128+N when killed by signal N). */
int runtime_wait_forwarding_signals(pid_t pid, int *exit_code, hull_err **err);
int runtime_kill(const struct runtime_opts *ro, const char *id, int sig, bool all, hull_err **err);
int runtime_delete(const struct runtime_opts *ro, const char *id, bool force, hull_err **err);
/* runtime_delete by a caller that knows whether the container has poststop hooks (it wrote the
 * config, or asked create_opts.poststop_hooks): without, its copy of the config is not read. */
int runtime_delete_known(const struct runtime_opts *ro, const char *id, bool force,
                         bool poststop_hooks, hull_err **err);
/* delete --force by the process whose create made the container and reaped its process, with
 * the cgroup set and state directory create gave it (create_opts.cgroups_out, state_dir_out):
 * without poststop hooks nothing is read back; a directory made again under the id meanwhile
 * is left alone (as at the end of runtime_run). */
int runtime_delete_made(const struct runtime_opts *ro, const char *id, const struct cgroup_set *cg,
                        const struct state_dir *made, bool poststop_hooks, hull_err **err);
/* A container's process as one state load saw it: what runtime_signal needs, so that an
 * operation (hull stop) reads state.json once. */
struct runtime_proc {
    const char *id;                /* borrowed */
    pid_t pid;                     /* 0 when not running */
    unsigned long long start_time; /* /proc/PID/stat field 22: guards against pid reuse */
};
/* The live status and process of one container, typed: RUNTIME_STOPPED and pid 0 when the
 * runtime has no container `id`. */
int runtime_status_get(const struct runtime_opts *ro, const char *id, enum runtime_status *status,
                       struct runtime_proc *proc, hull_err **err);
/* runtime_kill without loading the state again: signal the process `proc` describes (refused
 * when its pid now names another process), or with `all` every process of its cgroup. */
int runtime_signal(const struct runtime_opts *ro, const struct runtime_proc *proc, int sig,
                   bool all, hull_err **err);
/* Runtime-spec state document of one container. */
int runtime_state_json(const struct runtime_opts *ro, const char *id, json_t **out, hull_err **err);
/* Array of {id, pid, status, bundle, created, owner} for `list`. */
int runtime_list(const struct runtime_opts *ro, json_t **out, hull_err **err);

#endif
