/* Inside the new namespaces: the ordered setup of the container process. The order matters and
 * is documented in docs/architecture.md: user namespace identity, joined namespaces, mounts,
 * devices, createContainer hooks, pivot_root, sysctl, masked/read-only paths, read-only root,
 * rlimits, identity and capabilities, cwd, no_new_privs, wait for `start`, exec. */
#include "runtime/init.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/cgroup/cgroup.h"
#include "linux/devices.h"
#include "linux/mounts.h"
#include "linux/namespaces.h"
#include "linux/process_setup.h"
#include "linux/resolve.h"
#include "linux/rootless.h"
#include "linux/userns.h"
#include "linux/terminal.h"
#include "runtime/hooks.h"
#include "runtime/socket_activation.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static pid_t host_pid(void)
{
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    if (n <= 0)
        return getpid();
    buf[n] = '\0';
    return (pid_t)strtol(buf, NULL, 10);
}

/* Wait until the runtime has made our cgroups, move ourselves in where we do, and make the
 * cgroup namespace (whose root is the cgroup we are in then). */
static int enter_cgroups(struct init_args *a, hull_err **err)
{
    if (!a->cgroups_at_clone) {
        if (a->cgroup_fds_by_sync) {
            int fds[SYNC_MAX_FDS];
            size_t n = 0;
            if (sync_expect_fds(a->sync_fd, SYNC_CGROUPS_JOINED, fds, &n, err) < 0 ||
                cgroup_join_self_fds(fds, n, err) < 0)
                return -1;
        } else if (sync_expect(a->sync_fd, SYNC_CGROUPS_JOINED, err) < 0) {
            return -1;
        }
    }
    if (a->cgroup_self_join && !a->cgroup_fds_by_sync &&
        cgroup_set_join_self(a->cgroup_self_join, err) < 0)
        return -1;
    return namespaces_unshare_cgroup(a->cfg, err);
}

static int setup(struct init_args *a, char **exec_path, hull_err **err)
{
    const struct hull_config *cfg = a->cfg;
    bool new_userns = (cfg->clone_flags & CLONE_NEWUSER) != 0;
    /* Rootless hull runs the runtime as root of its own user namespace (linux/rootless.h):
     * no mknod there either. */
    bool in_userns = config_has_namespace(cfg, CLONE_NEWUSER) || rootless_in_userns();

    if (sync_expect(a->sync_fd, SYNC_GO, err) < 0)
        return -1;
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (new_userns) {
        /* The maps are written: become root of the new user namespace. */
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
            return hull_error(err, errno, "become root in the user namespace");
    }
    if (namespaces_join_paths(cfg, err) < 0)
        return -1;
    if (namespaces_loopback_up(cfg, err) < 0)
        return -1;
    if (!a->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL, 0, 0, 0) < 0 &&
        errno != ENOSYS && errno != EACCES && errno != EPERM)
        return hull_error(err, errno, "create a session keyring");

    if (security_before_mounts(a->security, err) < 0)
        return -1;
    /* Without a mount namespace there is no root filesystem to build: the process shares the
     * runtime's (runc runs such configs the same way; validate() said so). */
    bool own_mounts = config_has_namespace(cfg, CLONE_NEWNS);
    cleanup_close int rootfd = own_mounts ? mounts_prepare_rootfs(cfg, err) : -1;
    if (own_mounts && rootfd < 0)
        return -1;
    /* Until the runtime has moved us into our cgroups: the mounts that do not depend on it. */
    size_t first_cgroup = own_mounts ? mounts_first_cgroup(cfg) : 0;
    if (own_mounts &&
        mounts_apply_config(cfg, rootfd, in_userns, a->cgroup_host, 0, first_cgroup, err) < 0)
        return -1;
    /* Moving ourselves in with fds from the runtime, and with no cgroup mount and no hook to
     * wait for: the rest of the root filesystem is built first, while the runtime makes the
     * cgroups (on another CPU where there is one); nothing of it depends on them. */
    bool late_cgroups = a->cgroup_fds_by_sync && first_cgroup == cfg->n_mounts &&
                        !cfg->hooks.n_prestart && !cfg->hooks.n_create_runtime &&
                        !cfg->hooks.n_create_container;
    if (!late_cgroups && enter_cgroups(a, err) < 0)
        return -1;
    if (own_mounts && (mounts_apply_config(cfg, rootfd, in_userns, a->cgroup_host, first_cgroup,
                                           cfg->n_mounts, err) < 0 ||
                       devices_setup(cfg, rootfd, in_userns, err) < 0))
        return -1;
    /* Like runc, create a missing working directory (as root, inside the rootfs). Best effort:
     * whether the cwd is usable is decided, with a clear message, by process_enter_cwd. */
    if (own_mounts) {
        hull_err *cwd_err = NULL;
        int cwd = resolve_in_root(rootfd, cfg->process.cwd, RESOLVE_MKDIR, &cwd_err);
        if (cwd >= 0)
            close(cwd);
        hull_err_free(cwd_err);
    }
    if (process_set_hostname(cfg, err) < 0)
        return -1;

    if (cfg->hooks.n_prestart || cfg->hooks.n_create_runtime) {
        if (sync_send(a->sync_fd, SYNC_HOOKS_CREATE_RUNTIME, err) < 0 ||
            sync_expect(a->sync_fd, SYNC_GO, err) < 0)
            return -1;
    }
    if (cfg->hooks.n_create_container) {
        /* Still under the host's /proc: the pid hooks can look up there is the host's. */
        cleanup_free char *sj = hooks_state_for(a->state_json, host_pid(), "creating");
        if (hooks_run(cfg->hooks.create_container, cfg->hooks.n_create_container, "createContainer",
                      sj ? sj : a->state_json, err) < 0)
            return -1;
    }

    if (own_mounts && mounts_pivot_root(cfg, rootfd, a->no_pivot, err) < 0)
        return -1;
    /* The pty comes from the container's devpts, before the identity changes. */
    if (cfg->process.terminal &&
        terminal_setup_in_container(a->console_fd, &cfg->process, true, err) < 0)
        return -1;
    if (a->console_fd >= 0)
        hull_closep(&a->console_fd);
    if (process_apply_sysctl(cfg, err) < 0)
        return -1;
    if (own_mounts &&
        (mounts_apply_masked_paths(cfg, err) < 0 || mounts_apply_readonly_paths(cfg, err) < 0 ||
         mounts_finish_rootfs(cfg, err) < 0))
        return -1;
    if (late_cgroups && enter_cgroups(a, err) < 0)
        return -1;
    if (security_after_mounts(a->security, a->state_json, err) < 0)
        return -1;
    if (process_apply_personality(cfg, err) < 0)
        return -1;
    if (process_apply_rlimits(&cfg->process, err) < 0)
        return -1;
    /* The runtime's own steps before any filter exists, so that they never depend on the
     * user's seccomp profile (which may lack close_range, getcwd...: runc and crun start such
     * containers): everything above the preserved fds is closed at exec (CVE-2024-21626
     * class; what the runtime opens later is close-on-exec), and the cwd is checked. */
    if (process_close_fds_from(3 + a->preserve_fds, true, err) < 0)
        return -1;
    if (process_check_cwd(&cfg->process, err) < 0)
        return -1;
    a->exec_env = process_env_with_home(&cfg->process);
    process_chown_stdio_pipes(&cfg->process);
    if (process_apply_memory_policy(cfg, err) < 0 ||
        process_apply_io_priority(&cfg->process, err) < 0 ||
        process_apply_scheduler(&cfg->process, err) < 0)
        return -1;

    if (security_apply_early(a->security, err) < 0)
        return -1;
    if (capabilities_prepare_identity_change(&a->caps, err) < 0)
        return -1;
    /* setgroups is denied in a user namespace whose gid_map was written without privilege. */
    if (process_set_identity(&cfg->process, userns_setgroups_allowed(), err) < 0)
        return -1;
    if (capabilities_apply(&a->caps, err) < 0)
        return -1;
    /* Credential changes reset it: assert it again. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    if (process_enter_cwd(&cfg->process, err) < 0)
        return -1;
    if (process_find_executable(&cfg->process, exec_path, err) < 0)
        return -1;
    if (cfg->process.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return hull_error(err, errno, "process.noNewPrivileges");
    return 0;
}

/* Tell `start` why the program will not run (it reads start.fifo until our end closes). */
static __attribute__((noreturn)) void fail_start(struct init_args *a, const char *msg)
{
    if (a->start_status_fd >= 0)
        fs_write_all(a->start_status_fd, msg, strlen(msg));
    else
        dprintf(STDERR_FILENO, "%s: %s\n", hull_log_program(), msg);
    _exit(1);
}

static __attribute__((noreturn)) void fail(struct init_args *a, hull_err *e)
{
    sync_send_error(a->sync_fd, e);
    _exit(1);
}

/* The end of create, on the container side: report READY, wait for the runtime to commit the
 * state (exit quietly if it died), then block on exec.fifo until `start` (a `run` without start
 * hooks has no exec.fifo: COMMITTED is its start). Returns only when started; exits the process
 * otherwise. */
static void ready_and_wait_start(struct init_args *a)
{
    hull_err *err = NULL;
    if (sync_send(a->sync_fd, SYNC_READY, &err) < 0)
        fail(a, err);
    if (sync_expect(a->sync_fd, SYNC_COMMITTED, &err) < 0)
        _exit(1);
    close(a->sync_fd);
    if (a->fifo_fd < 0)
        return;

    char go;
    ssize_t n;
    do
        n = read(a->fifo_fd, &go, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        _exit(1);
    close(a->fifo_fd);
}

void runtime_init(struct init_args *a)
{
    hull_err *err = NULL;
    /* flock()s belong to the open file: our inherited copy of the state directory fd would keep
     * the container locked until exec. */
    if (a->state_dir_fd >= 0)
        close(a->state_dir_fd);
    /* No parent-death signal: if the runtime dies during setup, the next sync message finds
     * the socket closed and we exit; once COMMITTED, we are a created container that outlives
     * the `create` command. */
    /* Non-dumpable: other processes cannot open /proc/<us>/exe or ptrace us while we still run
     * the runtime's binary (CVE-2019-5736 class). */
    if (!a->dumpable_until_go)
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);

    cleanup_free char *exec_path = NULL;
    if (setup(a, &exec_path, &err) < 0)
        fail(a, err);

    ready_and_wait_start(a);

    const struct hull_config *cfg = a->cfg;
    if (cfg->hooks.n_start_container) {
        /* After pivot_root: pid and /proc are the container's. */
        cleanup_free char *sj = hooks_state_for(a->state_json, getpid(), "created");
        if (hooks_run(cfg->hooks.start_container, cfg->hooks.n_start_container, "startContainer",
                      sj ? sj : a->state_json, &err) < 0)
            fail_start(a, err->msg);
    }
    char **env = socket_activation_env(a->exec_env, a->listen_fds);
    sigprocmask(SIG_SETMASK, &a->saved_sigmask, NULL);
    /* The very last step: LSM label, Landlock, seccomp (runtime/security.h). */
    if (security_apply_final(a->security, &err) < 0) {
        if (a->start_status_fd >= 0)
            fs_write_all(a->start_status_fd, err->msg, strlen(err->msg));
        dprintf(STDERR_FILENO, "%s: %s\n", hull_log_program(), err->msg);
        _exit(1);
    }
    execve(exec_path, cfg->process.args, env);
    int e = errno;
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "exec `%s`: %s", exec_path, strerror(e));
    if (a->start_status_fd >= 0)
        fs_write_all(a->start_status_fd, msg, strlen(msg));
    dprintf(STDERR_FILENO, "%s: %s\n", hull_log_program(), msg);
    _exit(e == ENOENT ? 127 : 126);
}

void runtime_init_handler(struct init_args *a, const struct runtime_handler *h)
{
    hull_err *err = NULL;
    /* the state directory's flock belongs to the runtime (see runtime_init) */
    if (a->state_dir_fd >= 0)
        close(a->state_dir_fd);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    if (sync_expect(a->sync_fd, SYNC_GO, &err) < 0 ||
        sync_expect(a->sync_fd, SYNC_CGROUPS_JOINED, &err) < 0)
        _exit(1);
    if (h->prepare && h->prepare(a->cfg, &err) < 0)
        fail(a, err);
    ready_and_wait_start(a);
    /* A handler runs in this process and never execs: close what the caller left open above
     * the preserved fds (its locks, pipes, sockets), as an exec would for close-on-exec fds,
     * so that nothing of the caller's lives on in a long-running handler. */
    syscall(SYS_close_range, 3u + (unsigned)a->preserve_fds, ~0u, 0);
    h->run(a->cfg, &a->saved_sigmask);
}
