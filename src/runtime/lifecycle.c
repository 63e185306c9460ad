/* Lifecycle operations on the runtime side (the host's view of the container). */
#include "runtime/lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/capabilities.h"
#include "linux/cgroup/cgroup.h"
#include "linux/exe_protect.h"
#include "linux/namespaces.h"
#include "linux/process_setup.h"
#include "linux/userns.h"
#include "linux/terminal.h"
#include "oci/config.h"
#include "oci/json_read.h"
#include "runtime/cgroup.h"
#include "runtime/custom_handler.h"
#include "runtime/init.h"
#include "runtime/hooks.h"
#include "runtime/security.h"
#include "runtime/socket_activation.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/time.h"

static char *state_json_text(const struct runtime_state *s, enum runtime_status st)
{
    cleanup_json json_t *j = state_to_json(s, st);
    return json_dumps(j, JSON_COMPACT);
}

/* A send to the container process failed: it has most likely died after sending its reason. */
static int child_error_or(int sync_fd, hull_err **err)
{
    struct sync_msg m;
    cleanup_err hull_err *recv_err = NULL;
    if (sync_recv(sync_fd, &m, &recv_err) == 0 && m.type == SYNC_ERROR)
        return sync_msg_error(&m, err);
    return -1;
}

/* How far the container process is in its cgroups when drive_child starts. */
enum cgroup_progress {
    CGROUP_NOTHING_DONE, /* plan only: create, configure and move it in */
    CGROUP_PREPARED,     /* pure v2: created and configured: move it in */
    CGROUP_ENTERED,      /* pure v2: cloned into its cgroup (clone3 CLONE_INTO_CGROUP) */
    /* v1 and hybrid: the v2 directory made, the v1 ones to make, and the container process
     * moves itself into them (runtime_cgroup_finish) */
    CGROUP_V2_MADE,    /* not in it (clone3 could not): move it into v2 */
    CGROUP_V2_ENTERED, /* cloned into it (or there is none) */
};

static int cgroup_add_prepared(const struct cgroup_set *cg, pid_t pid, hull_err **err)
{
    if (runtime_cgroup_add_pid_v2(cg, pid, err) == 0)
        return 0;
    hull_err *e2 = NULL;
    if (cgroup_set_destroy(cg, &e2) < 0) {
        hull_warn("%s", e2->msg);
        hull_err_free(e2);
    }
    return -1;
}

/* The parent side of create once the child exists: maps, oom score, hooks, state. */
static int drive_child(const struct hull_config *cfg, struct state_dir *dir,
                       struct runtime_state *s, unsigned long clone_flags, int sync_fd,
                       const struct create_opts *co, struct cgroup_set *cg,
                       enum cgroup_progress progress, bool send_tasks_fds, hull_err **err)
{
    if ((clone_flags & CLONE_NEWUSER) && userns_write_id_maps(cfg, s->pid, err) < 0)
        return -1;
    if (process_apply_oom_score(&cfg->process, s->pid, err) < 0)
        return -1;
    /* The container process starts on its mounts now; the first cgroup.procs write may wait
     * for an RCU grace period (migration_warmup.c), which that work overlaps. It waits for
     * SYNC_CGROUPS_JOINED before anything that depends on its cgroup (cgroup namespace and
     * mounts, children, exec). */
    if (sync_send(sync_fd, SYNC_GO, err) < 0)
        return child_error_or(sync_fd, err);
    int entered;
    switch (progress) {
    case CGROUP_ENTERED:
        entered = 0;
        break;
    case CGROUP_PREPARED:
        entered = cgroup_add_prepared(cg, s->pid, err);
        break;
    case CGROUP_V2_MADE:
    case CGROUP_V2_ENTERED:
        entered = runtime_cgroup_finish(cg, cfg, progress == CGROUP_V2_MADE ? s->pid : 0, err);
        break;
    default:
        entered = runtime_cgroup_enter(cg, cfg, s->pid, err);
    }
    cgroup_warm_migration_wait(); /* done with it either way */
    if (entered < 0)
        return -1;
    /* Record the pid now (the state holds the rest since before the clone): a runtime killed
     * from here on leaves state that delete can use. */
    s->start_time = proc_start_time(s->pid);
    if (state_write_pid(dir, s, err) < 0)
        return -1;
    if (progress != CGROUP_ENTERED) {
        /* In a new user namespace it moves itself into the v1 set with fds we open. */
        int *fds = NULL;
        size_t n = 0;
        if (send_tasks_fds && cgroup_set_open_tasks(cg, &fds, &n, err) < 0)
            return -1;
        int sent = sync_send_fds(sync_fd, SYNC_CGROUPS_JOINED, fds, n, err);
        cgroup_close_fds(&fds, n);
        if (sent < 0)
            return child_error_or(sync_fd, err);
    }
    struct sync_msg m;
    for (;;) {
        if (sync_recv(sync_fd, &m, err) < 0)
            return -1;
        if (m.type == SYNC_ERROR)
            return sync_msg_error(&m, err);
        if (m.type == SYNC_READY)
            break;
        if (m.type != SYNC_HOOKS_CREATE_RUNTIME)
            return hull_error(err, EPROTO, "unexpected sync message %d", m.type);
        cleanup_free char *sj = state_json_text(s, RUNTIME_CREATING);
        if (hooks_run(cfg->hooks.prestart, cfg->hooks.n_prestart, "prestart", sj, err) < 0 ||
            hooks_run(cfg->hooks.create_runtime, cfg->hooks.n_create_runtime, "createRuntime", sj,
                      err) < 0)
            return -1;
        if (sync_send(sync_fd, SYNC_GO, err) < 0)
            return -1;
    }
    if (state_write_pid_file(co->pid_file, s->pid, err) < 0)
        return -1;
    /* run without start hooks: COMMITTED is the start (the container process has no exec.fifo
     * to wait on). */
    return sync_send(sync_fd, SYNC_COMMITTED, err);
}

static void kill_and_reap(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

/* runc's rule: a terminal needs a console socket exactly when nobody stays attached to it. */
static int check_terminal(const struct hull_config *cfg, const struct create_opts *co,
                          hull_err **err)
{
    bool attached = co->terminal_master != NULL;
    bool has_socket = co->console_socket && *co->console_socket;
    if (!attached && cfg->process.terminal && !has_socket)
        return hull_error(err, EINVAL,
                          "config.json: process.terminal is true: a detached container needs "
                          "--console-socket to send its terminal to");
    if (has_socket && !cfg->process.terminal)
        return hull_error(err, EINVAL, "--console-socket was given but process.terminal is false");
    if (has_socket && attached)
        return hull_error(err, EINVAL, "--console-socket needs a detached container (--detach)");
    return 0;
}

/* The container process sends the pty master to the --console-socket, or to us over a
 * socketpair for an attached run. */
static int open_console(const struct create_opts *co, int console[2], hull_err **err)
{
    if (co->console_socket && *co->console_socket) {
        console[1] = terminal_connect_console_socket(co->console_socket, err);
        return console[1] < 0 ? -1 : 0;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, console) < 0)
        return hull_error(err, errno, "socketpair for the terminal");
    return 0;
}

/* `start` waits for the program to run only when hooks depend on it. */
/* The custom handler a container runs under (runtime/custom_handler.h); NULL: natively. */
static const struct runtime_handler *handler_for(const struct runtime_opts *ro,
                                                 const struct hull_config *cfg)
{
    if (ro->forced_handler)
        return ro->forced_handler;
    json_t *v =
        cfg->annotations ? json_object_get(cfg->annotations, RUNTIME_HANDLER_ANNOTATION) : NULL;
    for (const struct runtime_handler *const *h = ro->handlers; h && *h && json_is_string(v); h++)
        if (strcmp((*h)->name, json_string_value(v)) == 0)
            return *h;
    return NULL;
}

static bool needs_start_status(const struct hull_config *cfg)
{
    return cfg->hooks.n_start_container || cfg->hooks.n_poststart;
}

static void run_poststop_hooks(const struct hull_config *cfg, const struct runtime_state *s)
{
    if (cfg == NULL || cfg->hooks.n_poststop == 0)
        return;
    cleanup_free char *sj = state_json_text(s, RUNTIME_STOPPED);
    hull_err *hook_err = NULL;
    if (hooks_run(cfg->hooks.poststop, cfg->hooks.n_poststop, "poststop", sj, &hook_err) < 0) {
        /* runtime-spec: poststop failures are logged and the lifecycle continues. */
        hull_warn("%s", hook_err->msg);
        hull_err_free(hook_err);
    }
}

/* The container's copy of its config (exec, start and delete read it): a hard link to the
 * bundle's file when the caller never changes that file in place; else the document, which
 * state.json carries after the state (state_write): no file of its own. *dumped holds an
 * encoding made here (when there is no text to copy as it is). */
static int save_config_copy(const struct hull_config *cfg, const struct create_opts *co,
                            struct state_dir *dir, const char *bundle_text, struct runtime_state *s,
                            char **dumped, hull_err **err)
{
    if (co->config_replaced_by_rename && co->config_file == NULL) {
        cleanup_free char *path = NULL;
        if (asprintf(&path, "%s/config.json", cfg->bundle) < 0)
            return hull_error(err, ENOMEM, "config path");
        if (linkat(AT_FDCWD, path, dir->dirfd, "config.json", 0) == 0)
            return 0;
        hull_debug("link `%s` into the state: %s; state.json carries a copy", path,
                   strerror(errno));
    }
    /* The file's own text (already validated) or the caller's encoding: nothing to encode. */
    s->config_text = co->config_text ? co->config_text : bundle_text;
    if (s->config_text == NULL &&
        (s->config_text = *dumped = json_dumps(cfg->raw, JSON_COMPACT)) == NULL)
        return hull_error(err, ENOMEM, "encode config");
    return 0;
}

int runtime_create(const struct runtime_opts *ro, const struct create_opts *co, pid_t *pid_out,
                   bool keep_signals_blocked, hull_err **err)
{
    if (state_validate_id(co->id, err) < 0)
        return -1;
    cleanup_config struct hull_config *cfg = NULL;
    cleanup_free char *bundle_text = NULL; /* the config file as read */
    cleanup_free char *dumped_config = NULL;
    if (co->config ? config_load_given(co->bundle ? co->bundle : ".", co->config,
                                       CONFIG_LOAD_DEFAULT, &cfg, err) < 0
                   : config_load_bundle_text(co->bundle ? co->bundle : ".", co->config_file,
                                             CONFIG_LOAD_DEFAULT, &cfg, &bundle_text, err) < 0) {
        return -1;
    }
    if (!config_has_namespace(cfg, CLONE_NEWNS) &&
        (cfg->n_mounts || cfg->n_devices || (cfg->masked_paths && *cfg->masked_paths) ||
         (cfg->readonly_paths && *cfg->readonly_paths) || cfg->root_readonly))
        hull_warn("config.json: no mount namespace: root, mounts, linux.devices, maskedPaths "
                  "and readonlyPaths are not applied, the process shares the runtime's "
                  "filesystem (as with runc)");
    /* Before any side effect: it may re-execute the runtime (CVE-2019-5736). */
    if (security_container_can_reach_runtime(cfg) && runtime_binary_protect(err) < 0)
        return -1;
    if (check_terminal(cfg, co, err) < 0)
        return -1;
    int listen_fds = socket_activation_fds();
    struct init_args args = {
        .cfg = cfg,
        .preserve_fds = co->preserve_fds + listen_fds,
        .listen_fds = listen_fds,
        .no_pivot = co->no_pivot,
        .no_new_keyring = co->no_new_keyring,
        .console_fd = -1,
        .start_status_fd = -1,
    };
    if (capabilities_resolve(&cfg->process, "process.capabilities", &args.caps, err) < 0)
        return -1;

    /* The hierarchies are detected once: for the plan, the warm-up and the container's cgroup
     * mounts (the container process gets a copy of this memory). */
    cleanup_cgroup_host struct cgroup_host host = {0};
    cleanup_cgroup_set struct cgroup_set cg = {0};
    if (runtime_cgroup_plan(ro, cfg, co->id, co->cgroup_host, &host, &cg, err) < 0)
        return -1;
    /* The cgroup migration below would otherwise wait a grace period of its own. */
    const struct runtime_handler *handler = handler_for(ro, cfg);
    /* A native container starts in its cgroups without a migration under the kernel's global
     * lock (runtime_cgroup_prepare): on a pure cgroup2 set it is cloned straight into its
     * cgroup; on v1 and hybrid sets it is cloned into the v2 one and moves itself into the v1
     * ones, which takes root in the host's user namespace. Then there is no grace period to
     * warm up for (unless clone3 turns out to be unavailable). */
    bool pure_v2 = cg.n == 1 && cg.dirs[0].v2;
    bool self_join = handler == NULL && cg.n > 0 && !pure_v2 && geteuid() == 0 &&
                     !(cfg->clone_flags & CLONE_NEWUSER);
    /* In a new user namespace the container process can no longer open its v1 `tasks` files
     * as the host's root: the runtime opens them once it has made the v1 set and sends them
     * with SYNC_CGROUPS_JOINED (the kernel checks the opener's credentials). */
    bool join_by_fds = handler == NULL && cg.n > 0 && !pure_v2 && geteuid() == 0 &&
                       (cfg->clone_flags & CLONE_NEWUSER);
    bool moves_itself = self_join || join_by_fds;
    bool clone_into = handler == NULL && (pure_v2 || moves_itself);
    cleanup_warm_migration bool warming =
        ro->cgroup_manager != CGROUP_MANAGER_DISABLED && !clone_into;
    if (warming) {
        if (host.n > 0)
            cgroup_warm_migration_lock_host(&host);
        else
            cgroup_warm_migration_lock();
    }
    args.cgroup_host = host.n > 0 ? &host : NULL;

    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    if (state_dir_create(ro->root, co->id, &dir, err) < 0) {
        /* Only remove what we made: an existing container is not ours. */
        return -1;
    }
    struct runtime_state s = {0};
    char created[TIME_RFC3339_MAX];
    time_rfc3339_now(created, true);
    s.id = strdup(co->id);
    s.oci_version = strdup(cfg->oci_version);
    s.bundle = strdup(cfg->bundle);
    s.rootfs = strdup(cfg->root_path);
    s.created = strdup(created);
    s.owner = geteuid();
    s.annotations = cfg->annotations ? json_incref(cfg->annotations) : NULL;
    s.handler = handler ? strdup(handler->name) : NULL;
    s.hooks = (needs_start_status(cfg) ? RUNTIME_HOOKS_START : 0) |
              (cfg->hooks.n_poststop ? RUNTIME_HOOKS_POSTSTOP : 0);

    int rc = -1;
    int sp[2] = {-1, -1};
    int fifo = -1;
    bool start_now = co->started != NULL && !needs_start_status(cfg);
    struct security_plan security = {.lsm = {.attr_fd = -1}};
    args.security = &security;
    args.dumpable_until_go = (cfg->clone_flags & CLONE_NEWUSER) && geteuid() != 0;
    int console[2] = {-1, -1}; /* [0] ours (attached relay), [1] the container process's */
    int start_status = -1;
    int cgroup_fd = -1;
    bool cloned = false;
    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &saved);
    do {
        if (save_config_copy(cfg, co, &dir, bundle_text, &s, &dumped_config, err) < 0)
            break;
        /* The state, pid 0 ("creating"), with the cgroup set: recorded before any cgroup is
         * made, so that a runtime killed from here on leaves what delete removes them by. */
        if (cg.n > 0 && ((s.cgroup_path = strdup(cg.path)) == NULL ||
                         (s.freezer = cgroup_set_freezer_line(&cg)) == NULL ||
                         (s.cgroups = cgroup_set_to_json(&cg)) == NULL)) {
            hull_error(err, ENOMEM, "cgroup path");
            break;
        }
        if (state_write(&dir, &s, err) < 0)
            break;
        /* `run` without start hooks starts at COMMITTED: no exec.fifo, which only a `start`
         * would write to. Nobody can tell: every reader of the state takes the directory's
         * lock, which this create holds until the container process is on its way to exec. */
        if (!start_now && mkfifoat(dir.dirfd, "exec.fifo", 0600) < 0) {
            hull_error(err, errno, "create exec.fifo");
            break;
        }
        if (!start_now && (fifo = openat(dir.dirfd, "exec.fifo", O_RDWR | O_CLOEXEC)) < 0) {
            hull_error(err, errno, "open exec.fifo");
            break;
        }
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
            hull_error(err, errno, "socketpair");
            break;
        }
        if (security_prepare(cfg, &args.caps, ro->cache_root ? ro->cache_root : ro->root, &security,
                             err) < 0)
            break;
        if (cfg->process.terminal && open_console(co, console, err) < 0)
            break;
        if (needs_start_status(cfg)) {
            if (mkfifoat(dir.dirfd, "start.fifo", 0600) < 0 ||
                (start_status = openat(dir.dirfd, "start.fifo", O_RDWR | O_CLOEXEC)) < 0) {
                hull_error(err, errno, "create start.fifo");
                break;
            }
        }
        args.console_fd = console[1];
        args.start_status_fd = start_status;
        if (handler == NULL ? namespaces_prepare_parent(cfg, err) < 0
                            : handler->prepare_parent && handler->prepare_parent(cfg, err) < 0)
            break;
        cleanup_free char *sj = state_json_text(&s, RUNTIME_CREATING);
        args.sync_fd = sp[1];
        args.fifo_fd = fifo;
        args.state_dir_fd = dir.dirfd;
        args.saved_sigmask = saved;
        args.state_json = sj;
        unsigned long clone_flags =
            handler ? handler->clone_flags(cfg) : (unsigned long)namespaces_clone_flags(cfg);
        enum cgroup_progress progress = CGROUP_NOTHING_DONE;
        if (clone_into) {
            if (runtime_cgroup_prepare(&cg, cfg, moves_itself, &cgroup_fd, err) < 0)
                break;
            /* Without a v2 directory there is nothing to be cloned into. */
            progress = moves_itself ? (cgroup_fd >= 0 ? CGROUP_V2_MADE : CGROUP_V2_ENTERED)
                                    : CGROUP_PREPARED;
            args.cgroup_self_join = moves_itself ? &cg : NULL;
            args.cgroup_fds_by_sync = join_by_fds;
        }
        pid_t pid = -1;
        if (cgroup_fd >= 0) {
            struct clone_args ca = {.flags = clone_flags | CLONE_INTO_CGROUP,
                                    .exit_signal = SIGCHLD,
                                    .cgroup = (uint64_t)cgroup_fd};
            /* It waits for SYNC_CGROUPS_JOINED only when it is not in them all at once. */
            args.cgroups_at_clone = !moves_itself;
            pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
            /* Without clone3 (an old kernel, a caller's seccomp filter) or when the kernel
             * refuses the cgroup: clone, and the cgroup.procs write says what is wrong. */
            if (pid > 0) {
                progress = moves_itself ? CGROUP_V2_ENTERED : CGROUP_ENTERED;
                hull_debug("container process %d cloned into its cgroup `%s` "
                           "(CLONE_INTO_CGROUP)%s",
                           (int)pid, cgroup_set_v2_dir(&cg)->path,
                           moves_itself ? "; it moves itself into its v1 cgroups" : "");
            } else if (pid < 0) {
                hull_debug("clone3 with CLONE_INTO_CGROUP: %s; cloning, then moving the "
                           "container process into its cgroup",
                           strerror(errno));
                args.cgroups_at_clone = false; /* it waits for SYNC_CGROUPS_JOINED */
            }
        }
        if (pid < 0)
            pid = (pid_t)syscall(SYS_clone, clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid < 0) {
            hull_error(err, errno, "clone the container process");
            if (progress != CGROUP_NOTHING_DONE) {
                hull_err *cg_err = NULL;
                if (runtime_cgroup_remove_set(&cg, &cg_err) < 0) {
                    hull_warn("%s", cg_err->msg);
                    hull_err_free(cg_err);
                }
            }
            break;
        }
        if (pid == 0) {
            close(sp[0]);
            hull_closep(&cgroup_fd);
            if (handler)
                runtime_init_handler(&args, handler);
            runtime_init(&args);
        }
        cloned = true;
        close(sp[1]);
        sp[1] = -1;
        hull_closep(&fifo);
        hull_closep(&console[1]);
        hull_closep(&start_status);
        s.pid = pid;
        hull_closep(&cgroup_fd);
        if (drive_child(cfg, &dir, &s, clone_flags, sp[0], co, &cg, progress, join_by_fds, err) <
            0) {
            kill_and_reap(pid);
            hull_err *cg_err = NULL;
            if (runtime_cgroup_remove_set(&cg, &cg_err) < 0) {
                hull_warn("%s", cg_err->msg);
                hull_err_free(cg_err);
            }
            break;
        }
        /* The container sent the pty master before SYNC_READY: it is queued already. */
        if (console[0] >= 0 && terminal_recv_fd(console[0], co->terminal_master, err) < 0) {
            kill_and_reap(pid);
            break;
        }
        *pid_out = pid;
        if (start_now)
            *co->started = true;
        if (co->poststop_hooks)
            *co->poststop_hooks = cfg->hooks.n_poststop > 0;
        if (co->start_hooks)
            *co->start_hooks = needs_start_status(cfg);
        if (co->cgroups_out) {
            *co->cgroups_out = cg;
            memset(&cg, 0, sizeof cg);
        }
        if (co->state_dir_out) /* a new open file description: without the lock */
            *co->state_dir_out = (struct state_dir){
                .dirfd = openat(dir.dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC),
                .dev = dir.dev,
                .ino = dir.ino};
        rc = 0;
    } while (0);
    hull_closep(&console[0]);
    hull_closep(&console[1]);
    hull_closep(&start_status);
    hull_closep(&cgroup_fd);
    if (sp[0] >= 0)
        close(sp[0]);
    if (sp[1] >= 0)
        close(sp[1]);
    if (fifo >= 0)
        close(fifo);
    security_plan_clear(&security);
    if (rc < 0) {
        /* runtime-spec lifecycle: a failed create (a failing prestart, createRuntime or
         * createContainer hook among others) destroys the container, then runs poststop. */
        if (cloned)
            run_poststop_hooks(cfg, &s);
        hull_err *rm_err = NULL;
        if (state_dir_remove(&dir, &rm_err) < 0) {
            hull_warn("%s", rm_err->msg);
            hull_err_free(rm_err);
        }
    }
    if (!keep_signals_blocked || rc < 0)
        sigprocmask(SIG_SETMASK, &saved, NULL);
    runtime_state_clear(&s);
    return rc;
}

/* The hooks of the container's copy of its config (all start and delete need of it). */
static int load_config_hooks(struct state_dir *dir, const struct runtime_state *s,
                             struct hull_config **cfg, hull_err **err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (state_read_config(dir, &text, &len, err) < 0)
        return -1;
    return config_parse(text, len, "config.json", s->bundle ? s->bundle : "/",
                        CONFIG_LOAD_FOR_TEARDOWN | CONFIG_LOAD_HOOKS_ONLY, cfg, err);
}

/* The container process reports a failure before execve (a startContainer hook) as text on
 * start.fifo; at execve its end closes and we read EOF. */
static int wait_program_started(int status_fd, const char *id, hull_err **err)
{
    char msg[4096];
    size_t used = 0;
    for (;;) {
        struct pollfd p = {.fd = status_fd, .events = POLLIN};
        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return hull_error(err, errno, "start container `%s`: wait", id);
        }
        ssize_t n = read(status_fd, msg + used, sizeof msg - 1 - used);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0 || used + (size_t)n >= sizeof msg - 1) {
            if (n > 0)
                used += (size_t)n;
            break;
        }
        used += (size_t)n;
    }
    msg[used] = '\0';
    if (used == 0)
        return 0;
    if (msg[used - 1] == '\n')
        msg[used - 1] = '\0';
    return hull_error(err, 0, "start container `%s`: %s", id, msg);
}

int runtime_start(const struct runtime_opts *ro, const char *id, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    struct runtime_state s;
    enum runtime_status st;
    if (state_load(ro->root, id, &dir, &s, &st, err) < 0)
        return -1;
    if (st != RUNTIME_CREATED) {
        runtime_state_clear(&s);
        return hull_error(err, 0, "cannot start a container that is %s", runtime_status_name(st));
    }
    cleanup_close int fifo = openat(dir.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fifo < 0) {
        int e = errno;
        runtime_state_clear(&s);
        if (e == ENXIO)
            return hull_error(err, 0, "cannot start container `%s`: its process exited", id);
        return hull_error(err, e, "open exec.fifo");
    }
    /* The config's copy is read only when the state says it has start hooks (or is too old to
     * say). */
    cleanup_config struct hull_config *cfg = NULL;
    if ((s.hooks < 0 || (s.hooks & RUNTIME_HOOKS_START)) &&
        load_config_hooks(&dir, &s, &cfg, err) < 0) {
        runtime_state_clear(&s);
        return -1;
    }
    /* Opened before the container is released: its report cannot be missed. */
    cleanup_close int status = -1;
    if (cfg && needs_start_status(cfg))
        status = openat(dir.dirfd, "start.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (write(fifo, "0", 1) != 1) {
        runtime_state_clear(&s);
        return hull_error(err, errno, "start container `%s`", id);
    }
    unlinkat(dir.dirfd, "exec.fifo", 0);
    int rc = 0;
    if (status >= 0 && wait_program_started(status, id, err) < 0) {
        /* runtime-spec: a failing startContainer hook stops the container and continues the
         * lifecycle at its destruction (poststop hooks included). */
        runtime_state_clear(&s);
        state_dir_close(&dir);
        hull_err *del_err = NULL;
        if (runtime_delete(ro, id, true, &del_err) < 0) {
            hull_warn("%s", del_err->msg);
            hull_err_free(del_err);
        }
        return -1;
    }
    if (cfg && cfg->hooks.n_poststart) {
        cleanup_free char *sj = state_json_text(&s, RUNTIME_RUNNING);
        hull_err *hook_err = NULL;
        if (hooks_run(cfg->hooks.poststart, cfg->hooks.n_poststart, "poststart", sj, &hook_err) <
            0) {
            /* runtime-spec: a failing poststart hook is logged and the lifecycle continues. */
            hull_warn("%s", hook_err->msg);
            hull_err_free(hook_err);
        }
    }
    runtime_state_clear(&s);
    return rc;
}

int runtime_start_made(const struct runtime_opts *ro, const char *id, const struct state_dir *made,
                       hull_err **err)
{
    if (made->dirfd < 0)
        return runtime_start(ro, id, err);
    {
        cleanup_state_dir struct state_dir dir = {.dirfd = -1};
        if (state_dir_open(ro->root, id, &dir, err) < 0)
            return -1;
        /* Not the directory create made (deleted from outside and made again): a stranger's. */
        if (dir.dev != made->dev || dir.ino != made->ino)
            goto slow;
        cleanup_close int fifo = openat(dir.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fifo < 0) {
            if (errno == ENXIO)
                return hull_error(err, 0, "cannot start container `%s`: its process exited", id);
            goto slow; /* started or gone meanwhile: runtime_start names the state */
        }
        if (write(fifo, "0", 1) != 1)
            return hull_error(err, errno, "start container `%s`", id);
        unlinkat(dir.dirfd, "exec.fifo", 0);
        return 0;
    }
slow:
    return runtime_start(ro, id, err);
}

/* Attached run: forward every signal the runtime receives to the container's process and
 * return its exit status. All signals are blocked (since create) and taken with sigwaitinfo. */
int runtime_wait_forwarding_signals(pid_t pid, int *exit_code, hull_err **err)
{
    sigset_t all;
    sigfillset(&all);
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status))
                *exit_code = WEXITSTATUS(status);
            else if (WIFSIGNALED(status))
                *exit_code = 128 + WTERMSIG(status);
            else
                continue;
            return 0;
        }
        if (r < 0 && errno != EINTR)
            return hull_error(err, errno, "wait for the container process");
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0 || sig == SIGCHLD)
            continue;
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        kill(pid, sig);
    }
}

static int delete_container(const struct runtime_opts *ro, const char *id, bool force,
                            bool read_hooks, hull_err **err);

/* The delete at the end of an attached run without poststop hooks. The run reaped the
 * container process itself and has the cgroup set in memory: while the directory is the one
 * its create made, nothing is read back (state.json, /proc/PID/stat); whatever else still runs
 * in the cgroups is killed as by delete. A directory made again meanwhile (delete --force from
 * outside, then a new create of the same id) is another container's: it is left alone (the
 * outside delete removed this run's cgroups). `made` holds the run's directory open, so a new
 * one cannot have its inode number (file systems reuse a freed one at once); without that fd
 * (it could not be opened), as delete --force. */
static int delete_after_run(const struct runtime_opts *ro, const char *id,
                            const struct cgroup_set *cg, const struct state_dir *made,
                            hull_err **err)
{
    if (made->dirfd < 0)
        return delete_container(ro, id, true, false, err);
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    if (state_dir_open(ro->root, id, &dir, err) < 0) {
        if ((*err)->errnum != 0)
            return -1;
        hull_err_freep(err); /* deleted already (delete --force from outside) */
        return 0;
    }
    if (dir.dev != made->dev || dir.ino != made->ino) {
        hull_debug("container %s: made again since this run's create; left to its owner", id);
        return 0;
    }
    if (runtime_cgroup_remove_set(cg, err) < 0)
        return -1;
    return state_dir_remove(&dir, err);
}

int runtime_delete_made(const struct runtime_opts *ro, const char *id, const struct cgroup_set *cg,
                        const struct state_dir *made, bool poststop_hooks, hull_err **err)
{
    return poststop_hooks ? delete_container(ro, id, true, true, err)
                          : delete_after_run(ro, id, cg, made, err);
}

int runtime_run(const struct runtime_opts *ro, const struct create_opts *co, bool detach,
                bool remove, int *exit_code, hull_err **err)
{
    pid_t pid = 0;
    *exit_code = 0;
    sigset_t saved;
    sigprocmask(SIG_SETMASK, NULL, &saved);
    int master = -1;
    struct create_opts attached = *co;
    attached.terminal_master = detach ? NULL : &master;
    bool started = false;
    attached.started = &started;
    bool poststop_hooks = true;
    attached.poststop_hooks = &poststop_hooks;
    cleanup_cgroup_set struct cgroup_set cgroups = {0};
    cleanup_state_dir struct state_dir made = {.dirfd = -1};
    if (!detach && remove) {
        attached.cgroups_out = &cgroups;
        attached.state_dir_out = &made;
    }
    if (runtime_create(ro, &attached, &pid, !detach, err) < 0)
        return -1;
    co = &attached;
    if (!started && runtime_start(ro, co->id, err) < 0) {
        sigprocmask(SIG_SETMASK, &saved, NULL);
        hull_closep(&master);
        hull_err *e2 = NULL;
        if (runtime_delete(ro, co->id, true, &e2) < 0)
            hull_err_free(e2);
        return -1;
    }
    if (detach)
        return 0;
    int rc = master >= 0 ? terminal_relay_until_exit(master, pid, exit_code, err)
                         : runtime_wait_forwarding_signals(pid, exit_code, err);
    hull_closep(&master);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (remove) {
        hull_err *e2 = NULL;
        if (runtime_delete_made(ro, co->id, &cgroups, &made, poststop_hooks, &e2) < 0) {
            if (rc == 0) {
                *err = e2;
                return -1;
            }
            hull_err_free(e2);
        }
    }
    return rc;
}

/* Signal every process of the container. With its own pid namespace, that is every process
 * whose /proc/PID/ns/pid is the container's. */
static int signal_all(pid_t init, int sig, hull_err **err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
    struct stat ns;
    if (stat(path, &ns) < 0)
        return hull_error(err, errno, "read pid namespace of %d", (int)init);
    struct stat self;
    if (stat("/proc/self/ns/pid", &self) == 0 && self.st_ino == ns.st_ino) {
        /* Shares the host pid namespace: without a cgroup only the init can be found. */
        if (kill(init, sig) < 0)
            return hull_error(err, errno, "kill %d", (int)init);
        return 0;
    }
    cleanup_dir DIR *d = opendir("/proc");
    if (d == NULL)
        return hull_error(err, errno, "open /proc");
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
        struct stat st;
        if (stat(path, &st) == 0 && st.st_ino == ns.st_ino && st.st_dev == ns.st_dev)
            kill((pid_t)pid, sig);
    }
    return 0;
}

/* Signal the container process `pid` (start time `start_time`, from a state already loaded)
 * or, with `all`, every process of its cgroup; `dirfd` is its state directory. */
static int signal_loaded(int dirfd, const struct runtime_state *s, const char *id, pid_t pid,
                         unsigned long long start_time, int sig, bool all, hull_err **err)
{
    /* A pidfd pins the process we checked: no signal to a recycled pid. */
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (start_time && proc_start_time(pid) != start_time)
        return hull_error(err, 0, "container `%s` is not running", id);
    if (all) {
        int r = runtime_cgroup_signal_all(dirfd, s, sig, err);
        return r == 1 ? signal_all(pid, sig, err) : r;
    }
    if (pidfd >= 0) {
        if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
            return hull_error(err, errno, "kill container `%s`", id);
        return 0;
    }
    if (kill(pid, sig) < 0)
        return hull_error(err, errno, "kill container `%s`", id);
    return 0;
}

int runtime_kill(const struct runtime_opts *ro, const char *id, int sig, bool all, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    struct runtime_state s;
    enum runtime_status st;
    if (state_load(ro->root, id, &dir, &s, &st, err) < 0)
        return -1;
    if (st == RUNTIME_STOPPED || st == RUNTIME_CREATING) {
        runtime_state_clear(&s);
        return hull_error(err, 0, "container `%s` is not running", id);
    }
    int rc = signal_loaded(dir.dirfd, &s, id, s.pid, 0, sig, all, err);
    runtime_state_clear(&s);
    return rc;
}

int runtime_signal(const struct runtime_opts *ro, const struct runtime_proc *proc, int sig,
                   bool all, hull_err **err)
{
    if (proc->pid <= 0)
        return hull_error(err, 0, "container `%s` is not running", proc->id);
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    if (all && state_dir_open(ro->root, proc->id, &dir, err) < 0)
        return -1;
    return signal_loaded(dir.dirfd, NULL, proc->id, proc->pid, proc->start_time, sig, all, err);
}

/* Wait for the killed container process to go, thawing its cgroups again and again: a frozen
 * task does not die, and whoever froze it (pause, an agent, a frozen parent) may do it again. */
static int wait_gone(int state_dirfd, const struct runtime_state *s, pid_t pid,
                     unsigned long long start_time)
{
    cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pidfd < 0)
        return 0;
    if (proc_start_time(pid) != start_time)
        return 0;
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    for (int i = 0; i < 100; i++) {
        int r = poll(&p, 1, i == 0 ? 0 : 100);
        if (r > 0)
            return 0;
        runtime_cgroup_thaw(state_dirfd, s);
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    }
    return -1;
}

int runtime_delete(const struct runtime_opts *ro, const char *id, bool force, hull_err **err)
{
    return delete_container(ro, id, force, true, err);
}

int runtime_delete_known(const struct runtime_opts *ro, const char *id, bool force,
                         bool poststop_hooks, hull_err **err)
{
    return delete_container(ro, id, force, poststop_hooks, err);
}

/* `read_hooks` false: the caller knows the config has no poststop hooks. */
static int delete_container(const struct runtime_opts *ro, const char *id, bool force,
                            bool read_hooks, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    if (state_dir_open(ro->root, id, &dir, err) < 0) {
        /* As runc: deleting what is already gone is not an error with --force (containerd's
         * shim deletes, then deletes --force). A malformed id is still refused. */
        if (force && (*err)->errnum == 0 && state_validate_id(id, NULL) == 0) {
            hull_err_freep(err);
            return 0;
        }
        return -1;
    }
    struct runtime_state s = {.hooks = -1};
    int present = state_read(&dir, &s, err);
    if (present < 0) {
        if (!force)
            return -1;
        hull_err_freep(err);
        s.cgroups_in_old_file = true; /* whatever record is left */
    }
    enum runtime_status st = present > 0 ? state_status(&dir, &s) : RUNTIME_STOPPED;
    if ((st == RUNTIME_RUNNING || st == RUNTIME_PAUSED) && !force) {
        runtime_state_clear(&s);
        return hull_error(err, 0, "cannot delete container `%s` that is not stopped: %s", id,
                          runtime_status_name(st));
    }
    if (st != RUNTIME_STOPPED && s.pid > 0) {
        /* created containers are deleted without --force, as runc does. */
        hull_err *kill_err = NULL;
        runtime_cgroup_thaw(dir.dirfd, &s);
        if (runtime_cgroup_signal_all(dir.dirfd, &s, SIGKILL, &kill_err) != 0)
            signal_all(s.pid, SIGKILL, &kill_err);
        hull_err_free(kill_err);
        cleanup_close int pidfd = (int)syscall(SYS_pidfd_open, s.pid, 0);
        if (pidfd >= 0)
            syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        if (wait_gone(dir.dirfd, &s, s.pid, s.start_time) < 0) {
            pid_t pid = s.pid;
            runtime_state_clear(&s);
            return hull_error(err, EBUSY, "container `%s`: process %d does not exit", id, (int)pid);
        }
    }
    cleanup_config struct hull_config *cfg = NULL;
    hull_err *cfg_err = NULL;
    if (read_hooks && (s.hooks < 0 || (s.hooks & RUNTIME_HOOKS_POSTSTOP)) &&
        load_config_hooks(&dir, &s, &cfg, &cfg_err) < 0) {
        hull_err_free(cfg_err);
        cfg = NULL;
    }
    /* Not for a create killed before it cloned (pid 0): no container existed. */
    if (present > 0 && s.pid > 0)
        run_poststop_hooks(cfg, &s);
    int removed = runtime_cgroup_remove(dir.dirfd, &s, err);
    runtime_state_clear(&s);
    if (removed < 0)
        return -1;
    return state_dir_remove(&dir, err);
}

int runtime_status_get(const struct runtime_opts *ro, const char *id, enum runtime_status *status,
                       struct runtime_proc *proc, hull_err **err)
{
    *status = RUNTIME_STOPPED;
    proc->id = id;
    proc->pid = 0;
    proc->start_time = 0;
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s", ro->root, id) < 0)
        return hull_error(err, ENOMEM, "container `%s`", id);
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    struct runtime_state s;
    if (state_load(ro->root, id, &dir, &s, status, err) < 0)
        return -1;
    proc->pid = s.pid;
    proc->start_time = s.start_time;
    runtime_state_clear(&s);
    return 0;
}

int runtime_state_json(const struct runtime_opts *ro, const char *id, json_t **out, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    struct runtime_state s;
    enum runtime_status st;
    if (state_load(ro->root, id, &dir, &s, &st, err) < 0)
        return -1;
    *out = state_to_json(&s, st);
    runtime_state_clear(&s);
    return 0;
}

int runtime_list(const struct runtime_opts *ro, json_t **out, hull_err **err)
{
    cleanup_strv char **ids = NULL;
    if (state_list_ids(ro->root, &ids, err) < 0)
        return -1;
    json_t *arr = json_array();
    for (char **id = ids; *id; id++) {
        json_t *st = NULL;
        hull_err *e = NULL;
        if (runtime_state_json(ro, *id, &st, &e) < 0) {
            hull_err_free(e); /* deleted meanwhile */
            continue;
        }
        json_array_append_new(arr, st);
    }
    *out = arr;
    return 0;
}
