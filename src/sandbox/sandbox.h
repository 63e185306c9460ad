/* hull sandbox: run untrusted code fast, locked down and attested (docs/sandbox.md).
 *
 * A sandbox is an OCI container run through the runtime's lifecycle API in the calling process
 * (no monitor, no per-run image unpacking): the image's already-unpacked layers (or --rootfs)
 * under a read-only overlay whose upper directory lives on the sandbox's own tmpfs, the context
 * copied into a size-limited tmpfs workspace, every hardened layer on (all capabilities dropped,
 * no_new_privs, a user namespace mapping root to SANDBOX_HOST_UID, the default seccomp profile,
 * a Landlock policy that only lets it write the workspace and /tmp, no network, cgroup limits,
 * a wall-clock timeout that kills the whole pid namespace). A run returns a result document
 * (result.h) and appends one line to DATA_ROOT/sandbox/audit.log. */
#ifndef HULL_SANDBOX_SANDBOX_H
#define HULL_SANDBOX_SANDBOX_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"
#include "runtime/custom_handler.h"
#include "runtime/lifecycle.h"
#include "linux/seccomp_trace.h"
#include "util/digest.h"
#include "util/error.h"

/* Root inside a sandbox is this unprivileged host uid (and gid): no host account has it. */
#define SANDBOX_HOST_UID 3000000000u

/* Bundles and scratch mounts of live sandboxes: SANDBOX_RUN_DIR/<id> (mode 0711). */
#define SANDBOX_RUN_DIR "/run/hull-sandbox"

struct sandbox_opts {
    const char *context;     /* host directory copied into the workspace (NULL: empty workspace) */
    const char *image;       /* image reference (default localhost/busybox:latest) */
    const char *rootfs;      /* host directory used read-only as the root (instead of an image) */
    const char *workdir;     /* default /workspace */
    long long timeout_ns;    /* default 60 s; 0 = none */
    long long memory;        /* bytes, default 512 MiB */
    long long cpus_milli;    /* default 1000 */
    long long pids;          /* default 256 */
    long long disk;          /* workspace tmpfs size, default 256 MiB */
    long long output_cap;    /* bytes kept of stdout and of stderr, default 1 MiB */
    char **env;              /* K=V */
    const char *network;     /* none (default) | egress */
    char **egress_allow;     /* CIDRs */
    char **egress_tcp_ports; /* decimal ports */
    const char *egress_network; /* hull network of --network egress (default: bridge) */
    const char *isolation;      /* container (default) | vm */
    const char *seccomp;        /* OCI seccomp profile file, or "unconfined" */
    const char *output;         /* directory for result.json and changes/ */
    const char *seccomp_trace;  /* record every syscall into this file (seccomp_trace.h) */
    long long health_tcp;       /* readiness: this TCP port accepts connections (0 = none) */
    bool notify;                /* readiness: sd_notify READY=1 on NOTIFY_SOCKET */
    long long watchdog_ns;      /* with notify: WATCHDOG_USEC given to the service (0 = none) */
    char **cmd;                 /* NULL-terminated */
    /* The runtime's custom handlers the front end offers (`vm` for --isolation vm), or NULL. */
    const struct runtime_handler *const *handlers;
};

void sandbox_opts_defaults(struct sandbox_opts *o);
/* --isolation vm: the runtime's `vm` handler runs the command in a microVM (docs/vm.md). */
#define SANDBOX_VM_HANDLER "vm"
bool sandbox_is_vm(const struct sandbox_opts *o);
/* The hull network of --network egress (NULL with none). */
const char *sandbox_egress_network(const struct sandbox_opts *o);

/* Run one sandbox to completion; *result is the result document. Errors are about the sandbox
 * itself (bad options, setup failures), never about what the code did. */
int sandbox_run(const char *data_root, image_store *is, const struct sandbox_opts *o,
                json_t **result, hull_err **err);

/* Option checks shared by run and create. */
int sandbox_check_opts(const struct sandbox_opts *o, hull_err **err);

/* The host side of a sandbox before its first process: bundle SANDBOX_RUN_DIR/<id> with
 * config.json (first process `args`), scratch tmpfs, read-only root overlay, the context copied
 * in and hashed, the attestation. */
struct sandbox_prep {
    char id[24];
    char *root;         /* DATA_ROOT/sandbox */
    char *dir;          /* the bundle */
    char *runtime_root; /* a run's: <bundle>/runtime; a session's: DATA_ROOT/sandbox/runtime */
    char *cache_root;   /* a run's seccomp cache: DATA_ROOT/sandbox/runtime (NULL: runtime_root) */
    char *workspace;    /* host path of the workspace */
    char *image_digest; /* NULL with --rootfs */
    char *rootfs;       /* --rootfs, resolved */
    char tree[DIGEST_STR_LEN];
    json_t *before; /* files map of the workspace (attest.h) */
    json_t *spec;
    char *spec_text; /* its compact encoding, the bundle's config.json */
    json_t *attestation;
    struct seccomp_trace *trace; /* with o->seccomp_trace */
    int owner_fd;                /* SANDBOX_RUN_DIR/<id>.lock, held (owner.h); -1 = none */
};
/* With init_binary (a session's hull-sandbox-init, exec_client.h), it is copied into the bundle
 * and bind-mounted read-only at HSX_DIR_IN_SANDBOX. `session`: the runtime state goes to the data
 * root (where exec and rm look) rather than into the bundle. */
int sandbox_prepare(const char *data_root, image_store *is, const struct sandbox_opts *o,
                    char **args, const char *init_binary, bool session, struct sandbox_prep *p,
                    hull_err **err);
/* Unmount and remove the bundle. */
void sandbox_prep_teardown(struct sandbox_prep *p);
void sandbox_prep_clear(struct sandbox_prep *p);
/* Hash the workspace into `after`, add "changes" (against `before`) to result, copying the
 * changed files to output/changes/ when output is set. */
int sandbox_finish_changes(const char *workspace, json_t *before, json_t *after, const char *output,
                           json_t *result, hull_err **err);

/* Create and start a prepared sandbox's first process (attached to the caller's fds 0-2),
 * attaching its network namespace in between with --network egress. */
struct sandbox_launch {
    struct runtime_opts ro;
    json_t *config; /* the prepared spec and its encoding (NULL: read from the bundle) */
    const char *config_text;
    const char *id;
    const char *bundle;
    const char *data_root;
    const struct sandbox_opts *o;
    const char *egress_log; /* drop log of --network egress */
    int preserve_fds;       /* fds 3.. passed to the first process */
    pid_t logger;           /* filled in: the egress logger, or -1 */
};
/* The launch of prepared sandbox p (a run's or a session's): the runtime's state, cache and
 * handlers, the spec, and the egress drop log at egress_log. */
struct sandbox_launch sandbox_launch_of(const struct sandbox_prep *p, const char *data_root,
                                        const struct sandbox_opts *o, const char *egress_log);
int sandbox_create_and_start(struct sandbox_launch *l, pid_t *pid, hull_err **err);

/* DATA_ROOT/sandbox (created). */
char *sandbox_root(const char *data_root, hull_err **err);
/* The same path, not created (for an exec into a session, whose directories exist). */
char *sandbox_root_path(const char *data_root);

#endif
