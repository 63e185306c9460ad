/* exec: a new process inside a running container.
 *
 *   runtime                                    exec'd process
 *   lock state dir, read state + config
 *   pidfd of the init (pins it), open its
 *   /proc/PID/ns/..., root, its v2 cgroup, v1 tasks files
 *   unlock (concurrent execs do not queue)
 *   setns pid + time (they apply to children)
 *   clone3 into the v2 cgroup -----------------> join the v1 cgroups ("0" > tasks)
 *                                               setns the rest (user ns as needed, see below)
 *                                               terminal, rlimits, identity, caps, cwd,
 *                                               no_new_privs, security, close fds
 *          <---- SYNC_ERROR with a message ---- or execve (the CLOEXEC sync socket reads EOF)
 *   pid file; detached: return; attached: wait, forward signals (and relay the terminal)
 */
#include "runtime/exec.h"
#include "linux/rootless.h"
#include "linux/exe_protect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/capabilities.h"
#include "linux/cgroup/cgroup.h"
#include "linux/namespaces.h"
#include "linux/process_setup.h"
#include "linux/terminal.h"
#include "oci/config.h"
#include "oci/json_read.h"
#include "runtime/security.h"
#include "runtime/socket_activation.h"
#include "runtime/state.h"
#include "runtime/sync.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

/* ---- the process to run: the container's `process` with the request's overrides ---------- */

static int json_append_strings(json_t *obj, const char *key, char **values)
{
    json_t *arr = json_object_get(obj, key);
    if (!json_is_array(arr)) {
        arr = json_array();
        json_object_set_new(obj, key, arr);
    }
    for (char **v = values; v && *v; v++)
        json_array_append_new(arr, json_string(*v));
    return 0;
}

static int parse_id(const char *text, const char *what, uint32_t *out, hull_err **err)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || *text == '\0' || *end != '\0' || *text == '-' || v > UINT32_MAX)
        return hull_error(err, EINVAL, "%s: `%s` is not a numeric id", what, text);
    *out = (uint32_t)v;
    return 0;
}

static int apply_user_flag(json_t *proc, const char *user, hull_err **err)
{
    cleanup_free char *copy = strdup(user);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "--user");
    char *colon = strchr(copy, ':');
    if (colon)
        *colon = '\0';
    uint32_t uid, gid = 0;
    if (parse_id(copy, "--user", &uid, err) < 0)
        return -1;
    if (colon && parse_id(colon + 1, "--user", &gid, err) < 0)
        return -1;
    json_t *u = json_object();
    json_t *old = json_object_get(proc, "user");
    json_t *umask = old ? json_object_get(old, "umask") : NULL;
    json_object_set_new(u, "uid", json_integer(uid));
    json_object_set_new(u, "gid", json_integer(gid));
    if (umask)
        json_object_set(u, "umask", umask);
    json_object_set_new(proc, "user", u);
    return 0;
}

static int apply_flags(json_t *proc, const struct exec_opts *eo, hull_err **err)
{
    json_t *args = json_array();
    for (char **a = eo->args; a && *a; a++)
        json_array_append_new(args, json_string(*a));
    json_object_set_new(proc, "args", args);
    json_object_set_new(proc, "terminal", json_boolean(eo->tty));
    json_append_strings(proc, "env", eo->env);
    if (eo->cwd)
        json_object_set_new(proc, "cwd", json_string(eo->cwd));
    if (eo->user && apply_user_flag(proc, eo->user, err) < 0)
        return -1;
    if (eo->additional_gids) {
        json_t *u = json_object_get(proc, "user");
        if (!json_is_object(u)) {
            u = json_object();
            json_object_set_new(proc, "user", u);
        }
        json_t *gids = json_object_get(u, "additionalGids");
        if (!json_is_array(gids)) {
            gids = json_array();
            json_object_set_new(u, "additionalGids", gids);
        }
        for (char **g = eo->additional_gids; *g; g++) {
            uint32_t gid;
            if (parse_id(*g, "--additional-gids", &gid, err) < 0)
                return -1;
            json_array_append_new(gids, json_integer(gid));
        }
    }
    if (eo->caps) {
        json_t *caps = json_object_get(proc, "capabilities");
        if (!json_is_object(caps)) {
            caps = json_object();
            json_object_set_new(proc, "capabilities", caps);
        }
        static const char *sets[] = {"bounding", "effective", "permitted", "inheritable",
                                     "ambient"};
        for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
            json_append_strings(caps, sets[i], eo->caps);
    }
    if (eo->no_new_privs)
        json_object_set_new(proc, "noNewPrivileges", json_true());
    if (eo->apparmor)
        json_object_set_new(proc, "apparmorProfile", json_string(eo->apparmor));
    if (eo->process_label)
        json_object_set_new(proc, "selinuxLabel", json_string(eo->process_label));
    return 0;
}

/* --process: the file's process; what it leaves out that runc takes from the container's
 * config (capabilities, rlimits, LSM labels) comes from there. */
static int load_process_file(const struct hull_config *cfg, const struct exec_opts *eo,
                             json_t **out, hull_err **err)
{
    cleanup_json json_t *proc = NULL;
    if (json_load_file_checked(eo->process_file, eo->process_file, &proc, err) < 0)
        return -1;
    if (!json_is_object(proc))
        return hull_error(err, EINVAL, "%s: expected a JSON object (a runtime-spec process)",
                          eo->process_file);
    json_t *base = json_object_get(cfg->raw, "process");
    static const char *inherited[] = {"capabilities", "rlimits", "apparmorProfile", "selinuxLabel"};
    for (size_t i = 0; base && i < sizeof(inherited) / sizeof(inherited[0]); i++) {
        json_t *v = json_object_get(base, inherited[i]);
        if (v && json_object_get(proc, inherited[i]) == NULL)
            json_object_set(proc, inherited[i], v);
    }
    if (eo->tty_set)
        json_object_set_new(proc, "terminal", json_boolean(eo->tty));
    *out = steal_pointer(&proc);
    return 0;
}

static int build_process(const struct hull_config *cfg, const struct exec_opts *eo,
                         struct hull_process *p, hull_err **err)
{
    cleanup_json json_t *proc = NULL;
    const char *display = "exec";
    if (eo->process_file) {
        if (load_process_file(cfg, eo, &proc, err) < 0)
            return -1;
        display = eo->process_file;
    } else {
        if (eo->args == NULL || eo->args[0] == NULL)
            return hull_error(err, EINVAL, "exec: no command given (pass ARGS or --process)");
        json_t *base = json_object_get(cfg->raw, "process");
        proc = base ? json_deep_copy(base) : json_object();
        if (proc == NULL)
            return hull_error(err, ENOMEM, "exec");
        if (apply_flags(proc, eo, err) < 0)
            return -1;
    }
    struct json_ctx ctx = {.file = display};
    if (config_parse_process(&ctx, proc, "process", p, err) < 0)
        return -1;
    if ((p->apparmor_profile && *p->apparmor_profile) || (p->selinux_label && *p->selinux_label))
        return hull_error(err, ENOTSUP, "%s: process.%s: not supported yet", display,
                          p->apparmor_profile && *p->apparmor_profile ? "apparmorProfile"
                                                                      : "selinuxLabel");
    return 0;
}

/* runc's rule: a terminal needs a console socket exactly when nobody stays attached. */
static int check_terminal(const struct hull_process *p, const struct exec_opts *eo, hull_err **err)
{
    bool has_socket = eo->console_socket && *eo->console_socket;
    if (eo->detach && p->terminal && !has_socket)
        return hull_error(err, EINVAL,
                          "exec: a terminal for a detached process needs --console-socket");
    if ((!eo->detach || !p->terminal) && has_socket)
        return hull_error(err, EINVAL,
                          "exec: --console-socket needs --tty (process.terminal) and --detach");
    return 0;
}

/* ---- the container's init: namespaces, root, cgroups ---------------------------------- */

static const struct {
    const char *name;
    int type;
} ns_files[] = {
    {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},    {"net", CLONE_NEWNET},
    {"ipc", CLONE_NEWIPC},   {"uts", CLONE_NEWUTS},   {"cgroup", CLONE_NEWCGROUP},
    {"pid", CLONE_NEWPID},   {"time", CLONE_NEWTIME},
};
#define N_NS (sizeof(ns_files) / sizeof(ns_files[0]))

struct exec_target {
    pid_t pid;
    int pidfd;
    int ns_fd[N_NS]; /* -1 where the init shares our namespace */
    int root_fd;     /* the init's root directory */
    /* The init's cgroups, entered without the kernel's global cgroup lock (cgroup_set_join_self
     * in linux/cgroup/cgroup.h explains): its v2 cgroup, to be cloned into, and the `tasks`
     * file of each v1 hierarchy, which the (single-threaded) child writes "0" to. */
    int cgroup_v2_fd;
    int *cgroup_fds;
    size_t n_cgroup_fds;
};

static void target_close(struct exec_target *t)
{
    hull_closep(&t->pidfd);
    for (size_t i = 0; i < N_NS; i++)
        hull_closep(&t->ns_fd[i]);
    hull_closep(&t->root_fd);
    hull_closep(&t->cgroup_v2_fd);
    for (size_t i = 0; i < t->n_cgroup_fds; i++)
        hull_closep(&t->cgroup_fds[i]);
    free(t->cgroup_fds);
    t->cgroup_fds = NULL;
    t->n_cgroup_fds = 0;
}

static int open_namespaces(struct exec_target *t, int procfd, hull_err **err)
{
    for (size_t i = 0; i < N_NS; i++) {
        char path[32];
        snprintf(path, sizeof path, "ns/%s", ns_files[i].name);
        struct stat theirs, ours;
        int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT)
                continue; /* the kernel lacks this namespace type */
            return hull_error(err, errno, "open the container's %s namespace", ns_files[i].name);
        }
        char self[32];
        snprintf(self, sizeof self, "/proc/self/ns/%s", ns_files[i].name);
        if (fstat(fd, &theirs) == 0 && stat(self, &ours) == 0 && theirs.st_ino == ours.st_ino &&
            theirs.st_dev == ours.st_dev) {
            close(fd); /* shared with us: nothing to join */
            continue;
        }
        t->ns_fd[i] = fd;
    }
    return 0;
}

/* Open the cgroup of every hierarchy in `text` (/proc/PID/cgroup) that is mounted here: the
 * v2 directory, the v1 `tasks` files. */
static int open_cgroup_fds(struct exec_target *t, const struct cgroup_host *host, char *text,
                           hull_err **err)
{
    t->cgroup_fds = calloc(64, sizeof(int));
    if (t->cgroup_fds == NULL)
        return hull_error(err, ENOMEM, "cgroups");
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && t->n_cgroup_fds < 64;
         line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *controllers = c1 + 1, *path = c2 + 1;
        const struct cgroup_hierarchy *m = cgroup_host_find(host, controllers);
        if (m == NULL)
            continue; /* hierarchy not mounted here: nothing to join */
        size_t rl = strlen(m->root);
        if (strcmp(m->root, "/") != 0 && strncmp(path, m->root, rl) == 0)
            path += rl;
        char file[PATH_MAX * 2 + 32];
        if (m->v2 && t->cgroup_v2_fd < 0) {
            snprintf(file, sizeof file, "%s/%s", m->mountpoint, path);
            t->cgroup_v2_fd = open(file, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (t->cgroup_v2_fd < 0)
                return hull_error(err, errno, "open `%s`", file);
            continue;
        }
        snprintf(file, sizeof file, "%s/%s/%s", m->mountpoint, path,
                 m->v2 ? "cgroup.procs" : "tasks");
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return hull_error(err, errno, "open `%s`", file);
        t->cgroup_fds[t->n_cgroup_fds++] = fd;
    }
    return 0;
}

/* Join the init's cgroups: the hierarchies and paths of /proc/PID/cgroup as the host sees
 * them, whatever layout the cgroup manager chose. */
static int open_cgroup_procs(struct exec_target *t, int procfd, hull_err **err)
{
    cleanup_free char *text = NULL;
    if (fs_read_file_at(procfd, "cgroup", 1u << 20, &text, NULL, err) < 0)
        return hull_error_prefix(err, "read the container's cgroups");
    struct cgroup_host host;
    cleanup_err hull_err *mounts_err = NULL;
    if (cgroup_host_read_mounts(&host, &mounts_err) < 0)
        memset(&host, 0, sizeof host); /* no mountinfo: no cgroups to join */
    int rc = open_cgroup_fds(t, &host, text, err);
    cgroup_host_clear(&host);
    return rc;
}

static int open_target(const struct runtime_state *s, bool join_cgroups, struct exec_target *t,
                       hull_err **err)
{
    t->pid = s->pid;
    t->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
    if (t->pidfd < 0)
        return hull_error(err, errno, "container `%s`: its process is gone", s->id);
    /* The pidfd pins the process: from here a matching start time proves it is the init. */
    if (proc_start_time(s->pid) != s->start_time)
        return hull_error(err, 0, "cannot exec in a stopped container");
    char proc[32];
    snprintf(proc, sizeof proc, "/proc/%d", (int)s->pid);
    cleanup_close int procfd = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0)
        return hull_error(err, errno, "open `%s`", proc);
    if (open_namespaces(t, procfd, err) < 0)
        return -1;
    t->root_fd = openat(procfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (t->root_fd < 0)
        return hull_error(err, errno, "open the container's root directory");
    if (join_cgroups && open_cgroup_procs(t, procfd, err) < 0)
        return -1;
    /* Still alive after we opened its files: they are the container's, not a recycled pid's. */
    if (syscall(SYS_pidfd_send_signal, t->pidfd, 0, NULL, 0) < 0)
        return hull_error(err, 0, "cannot exec in a stopped container");
    return 0;
}

static int ns_index(int type)
{
    for (size_t i = 0; i < N_NS; i++)
        if (ns_files[i].type == type)
            return (int)i;
    return -1;
}

/* pid and time namespaces take effect for children: the runtime joins them, forks, and goes
 * back to its own (`own` receives fds of those, -1 where nothing changed) so that nothing else
 * it forks (a sanitizer's helper at exit, say) lands in the container. */
static const int for_children[] = {CLONE_NEWPID, CLONE_NEWTIME};

static int join_for_children(const struct exec_target *t, int own[2], hull_err **err)
{
    for (size_t i = 0; i < 2; i++) {
        int fd = t->ns_fd[ns_index(for_children[i])];
        if (fd < 0)
            continue;
        char self[48];
        snprintf(self, sizeof self, "/proc/self/ns/%s_for_children",
                 namespace_type_name(for_children[i]));
        own[i] = open(self, O_RDONLY | O_CLOEXEC);
        if (own[i] < 0)
            return hull_error(err, errno, "open `%s`", self);
        if (setns(fd, for_children[i]) < 0)
            return hull_error(err, errno, "join the container's %s namespace",
                              namespace_type_name(for_children[i]));
    }
    return 0;
}

static int leave_for_children(int own[2], hull_err **err)
{
    for (size_t i = 0; i < 2; i++) {
        if (own[i] >= 0 && setns(own[i], for_children[i]) < 0)
            return hull_error(err, errno, "return to the runtime's %s namespace",
                              namespace_type_name(for_children[i]));
        hull_closep(&own[i]);
    }
    return 0;
}

/* ---- in the exec'd process ---------------------------------------------------------------- */

struct exec_child {
    const struct hull_config *cfg;
    const struct hull_process *proc;
    struct cap_sets caps;
    const struct exec_target *target;
    int sync_fd;
    int console_fd; /* -1 without a terminal */
    int keep_fds;   /* fds 3 .. 3+keep_fds-1 stay open: socket activation + --preserve-fds */
    int listen_fds;
    sigset_t saved_sigmask;
    struct security_plan *security; /* the container's seccomp, Landlock and LSM label */
    char **exec_env;                /* proc->env (+ HOME), set during the setup */
    bool in_v2;                     /* cloned into target->cgroup_v2_fd */
};

/* The user namespace grants the rights over namespaces it owns, but a privileged runtime may
 * also be asked to join namespaces owned by an ancestor (a host netns given by path): join
 * what we can before the user namespace, the user namespace, then the rest. */
static int join_namespaces(const struct exec_target *t, hull_err **err)
{
    bool pending[N_NS] = {false};
    int user = ns_index(CLONE_NEWUSER);
    for (size_t i = 0; i < N_NS; i++) {
        if (t->ns_fd[i] < 0 || (int)i == user || ns_files[i].type == CLONE_NEWPID ||
            ns_files[i].type == CLONE_NEWTIME)
            continue;
        if (setns(t->ns_fd[i], ns_files[i].type) < 0) {
            if (errno != EPERM || t->ns_fd[user] < 0)
                return hull_error(err, errno, "join the container's %s namespace",
                                  ns_files[i].name);
            pending[i] = true;
        }
    }
    if (t->ns_fd[user] >= 0 && setns(t->ns_fd[user], CLONE_NEWUSER) < 0)
        return hull_error(err, errno, "join the container's user namespace");
    for (size_t i = 0; i < N_NS; i++)
        if (pending[i] && setns(t->ns_fd[i], ns_files[i].type) < 0)
            return hull_error(err, errno, "join the container's %s namespace", ns_files[i].name);
    return 0;
}

/* setns(mnt) puts us at the root of the mount namespace; if the init's root differs (it was
 * chrooted, --no-pivot), use the init's. */
static int enter_root(const struct exec_target *t, hull_err **err)
{
    struct stat ns_root, init_root;
    if (stat("/", &ns_root) < 0 || fstat(t->root_fd, &init_root) < 0)
        return hull_error(err, errno, "stat the container's root");
    if (ns_root.st_dev == init_root.st_dev && ns_root.st_ino == init_root.st_ino)
        return 0;
    if (fchdir(t->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
        return hull_error(err, errno, "enter the container's root");
    return 0;
}

static int child_setup(struct exec_child *c, char **exec_path, hull_err **err)
{
    const struct hull_process *p = c->proc;
    if (c->target->cgroup_v2_fd >= 0 && !c->in_v2) {
        cleanup_close int procs =
            openat(c->target->cgroup_v2_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (procs < 0 || write(procs, "0", 1) != 1)
            return hull_error(err, errno, "join the container's cgroup");
    }
    for (size_t i = 0; i < c->target->n_cgroup_fds; i++)
        if (write(c->target->cgroup_fds[i], "0", 1) != 1)
            return hull_error(err, errno, "join the container's cgroup");
    if (join_namespaces(c->target, err) < 0)
        return -1;
    /* Confined exactly like the init, in the same order (runtime/security.h). */
    if (security_before_mounts(c->security, err) < 0)
        return -1;
    if (enter_root(c->target, err) < 0)
        return -1;
    if (security_after_mounts(c->security, "{}", err) < 0)
        return -1;
    if (p->terminal && terminal_setup_in_container(c->console_fd, p, false, err) < 0)
        return -1;
    if (c->console_fd >= 0)
        close(c->console_fd);
    if (process_apply_rlimits(p, err) < 0)
        return -1;
    /* Before any filter (see init.c): nothing of the runtime's leaks into the container
     * (CVE-2024-21626 class), and the cwd is inside it. */
    if (process_close_fds_from(3 + c->keep_fds, true, err) < 0)
        return -1;
    if (process_check_cwd(p, err) < 0)
        return -1;
    c->exec_env = process_env_with_home(p);
    process_chown_stdio_pipes(p);
    if (process_apply_memory_policy(c->cfg, err) < 0 || process_apply_io_priority(p, err) < 0 ||
        process_apply_scheduler(p, err) < 0)
        return -1;
    if (security_apply_early(c->security, err) < 0)
        return -1;
    if (capabilities_prepare_identity_change(&c->caps, err) < 0)
        return -1;
    if (process_set_identity(p, true, err) < 0)
        return -1;
    if (capabilities_apply(&c->caps, err) < 0)
        return -1;
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (process_enter_cwd(p, err) < 0)
        return -1;
    if (process_find_executable(p, exec_path, err) < 0)
        return -1;
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return hull_error(err, errno, "process.noNewPrivileges");
    /* The very last step: LSM label, Landlock, seccomp. */
    return security_apply_final(c->security, err);
}

static __attribute__((noreturn)) void exec_child_main(struct exec_child *c)
{
    /* Non-dumpable until execve: the container cannot ptrace us or open /proc/<us>/exe while
     * we still run the runtime's binary (CVE-2019-5736 class). */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    hull_err *err = NULL;
    char *exec_path = NULL;
    if (child_setup(c, &exec_path, &err) < 0) {
        sync_send_error(c->sync_fd, err);
        _exit(1);
    }
    char **env = socket_activation_env(c->exec_env, c->listen_fds);
    sigprocmask(SIG_SETMASK, &c->saved_sigmask, NULL);
    execve(exec_path, c->proc->args, env);
    int e = errno;
    hull_error(&err, e, "exec: `%s`", exec_path);
    sync_send_error(c->sync_fd, err);
    _exit(e == ENOENT ? 127 : 126);
}

/* ---- runtime side -------------------------------------------------------------------------- */

/* EOF on the sync socket: the process reached execve. A message: it failed. */
static int wait_exec_started(int sync_fd, pid_t pid, hull_err **err)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    ssize_t n;
    do
        n = recv(sync_fd, &m, sizeof m, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return 0;
    if (n < 0)
        return hull_error(err, errno, "exec: sync with the new process");
    m.text[sizeof m.text - 1] = '\0';
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    hull_error(err, 0, "%s", m.type == SYNC_ERROR ? m.text : "exec: unexpected message");
    (*err)->errnum = m.errnum;
    /* As a shell reports a missing or unusable program (podman maps these too). */
    if (strncmp(m.text, "exec: ", 6) == 0)
        (*err)->exit_code = m.errnum == ENOENT ? 127 : m.errnum == EACCES ? 126 : 0;
    return -1;
}

/* Read what exec needs from the state directory, holding its lock only for that. */
static int load_container(const struct runtime_opts *ro, const struct exec_opts *eo,
                          struct runtime_state *s, struct hull_config **cfg, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    enum runtime_status st;
    if (state_load(ro->root, eo->id, &dir, s, &st, err) < 0)
        return -1;
    if (st == RUNTIME_STOPPED)
        return hull_error(err, 0, "cannot exec in a stopped container");
    if (st == RUNTIME_CREATING)
        return hull_error(err, 0, "cannot exec in container `%s`: it is still being created",
                          eo->id);
    if (st == RUNTIME_PAUSED && !eo->ignore_paused)
        return hull_error(err, 0,
                          "cannot exec in a paused container (resume it, or use --ignore-paused)");
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (state_read_config(&dir, &text, &len, err) < 0)
        return -1;
    return config_parse(text, len, "config.json", s->bundle ? s->bundle : "/",
                        CONFIG_LOAD_FOR_TEARDOWN, cfg, err);
}

struct thread_fork {
    const struct exec_target *target;
    struct exec_child *child;
    pid_t pid;
    hull_err *err;
};

static void *thread_fork_main(void *arg)
{
    struct thread_fork *f = arg;
    int own[2] = {-1, -1};
    f->pid = -1;
    if (join_for_children(f->target, own, &f->err) == 0) {
        f->pid = fork();
        if (f->pid < 0)
            hull_error(&f->err, errno, "exec: fork");
        if (f->pid == 0)
            exec_child_main(f->child);
    }
    hull_closep(&own[0]);
    hull_closep(&own[1]);
    return NULL;
}

/* Fork the exec'd process from a thread that joined the container's pid namespace for its
 * children; this thread's namespaces stay as they are. The child's pid, or -1. */
static pid_t fork_in_thread(const struct exec_target *t, struct exec_child *c, hull_err **err)
{
    struct thread_fork f = {.target = t, .child = c, .pid = -1};
    pthread_t th;
    int rc = pthread_create(&th, NULL, thread_fork_main, &f);
    if (rc != 0)
        return hull_error(err, rc, "exec: start a thread");
    pthread_join(th, NULL);
    if (f.pid < 0) {
        *err = f.err;
        return -1;
    }
    return f.pid;
}

struct exec_run {
    struct exec_target target;
    int sync[2];
    int console[2]; /* [0] runtime end (attached relay), [1] the child's */
    pid_t pid;
};

/* /proc/self/task has two links plus one per thread. */
static bool single_threaded(void)
{
    struct stat st;
    return stat("/proc/self/task", &st) == 0 && st.st_nlink == 3;
}

static int spawn(const struct hull_config *cfg, const struct hull_process *p,
                 const struct exec_opts *eo, const sigset_t *saved_sigmask, struct exec_run *r,
                 struct security_plan *security, const char *root, hull_err **err)
{
    struct exec_child c = {.cfg = cfg, .proc = p, .target = &r->target, .console_fd = -1};
    if (capabilities_resolve(p, "process.capabilities", &c.caps, err) < 0)
        return -1;
    if (security_prepare(cfg, &c.caps, root, security, err) < 0)
        return -1;
    /* The exec'd process's own no_new_privs and capabilities decide when seccomp can load. */
    security->late =
        p->no_new_privileges || (c.caps.present ? (c.caps.effective >> 21) & 1 : p->uid == 0);
    c.security = security;
    c.listen_fds = socket_activation_fds();
    c.keep_fds = c.listen_fds + eo->preserve_fds;
    if (p->terminal) {
        if (eo->console_socket && *eo->console_socket) {
            r->console[1] = terminal_connect_console_socket(eo->console_socket, err);
            if (r->console[1] < 0)
                return -1;
        } else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r->console) < 0) {
            return hull_error(err, errno, "exec: socketpair for the terminal");
        }
        c.console_fd = r->console[1];
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sync) < 0)
        return hull_error(err, errno, "exec: socketpair");
    c.sync_fd = r->sync[1];
    c.saved_sigmask = *saved_sigmask;
    int own[2] = {-1, -1};
    pid_t pid = -1;
    /* Rootless (linux/rootless.h): our own pid namespace is the host's, owned by the host's
     * user namespace: once left it cannot be joined again. Namespaces are per thread, so a
     * thread joins the container's and forks there, and ours never changes (a time namespace
     * needs a single-threaded process: then the usual way, without the way back). */
    if (rootless_in_userns() && r->target.ns_fd[ns_index(CLONE_NEWTIME)] < 0) {
        pid = fork_in_thread(&r->target, &c, err);
        if (pid < 0)
            return -1;
        r->pid = pid;
        hull_closep(&r->sync[1]);
        hull_closep(&r->console[1]);
        return 0;
    }
    if (join_for_children(&r->target, own, err) == 0) {
        /* Born in the init's v2 cgroup; without clone3 (or refused), moved there by itself.
         * A raw clone3 runs none of fork()'s handlers: only when we are the one thread (no
         * other thread can hold a libc lock the child would inherit held). */
        if (r->target.cgroup_v2_fd >= 0 && single_threaded()) {
            struct clone_args ca = {.flags = CLONE_INTO_CGROUP,
                                    .exit_signal = SIGCHLD,
                                    .cgroup = (uint64_t)r->target.cgroup_v2_fd};
            c.in_v2 = true;
            pid = (pid_t)syscall(SYS_clone3, &ca, sizeof ca);
            if (pid < 0)
                c.in_v2 = false;
        }
        if (pid < 0)
            pid = fork();
        if (pid < 0)
            hull_error(err, errno, "exec: fork");
        if (pid == 0) {
            close(r->sync[0]);
            if (r->console[0] >= 0)
                close(r->console[0]);
            exec_child_main(&c);
        }
    }
    r->pid = pid;
    /* Fail closed: a runtime that cannot go back must not fork anything else. */
    if (leave_for_children(own, pid < 0 ? NULL : err) < 0)
        return -1;
    if (pid < 0)
        return -1;
    hull_closep(&r->sync[1]);
    hull_closep(&r->console[1]);
    return 0;
}

static void run_close(struct exec_run *r)
{
    target_close(&r->target);
    for (int i = 0; i < 2; i++) {
        hull_closep(&r->sync[i]);
        hull_closep(&r->console[i]);
    }
}

int runtime_exec(const struct runtime_opts *ro, const struct exec_opts *eo, int *exit_code,
                 hull_err **err)
{
    *exit_code = 0;
    struct runtime_state s = {0};
    cleanup_config struct hull_config *cfg = NULL;
    struct hull_process p = {0};
    struct exec_run r = {.sync = {-1, -1}, .console = {-1, -1}, .pid = -1};
    struct security_plan security = {.lsm = {.attr_fd = -1}};
    r.target.pidfd = r.target.root_fd = r.target.cgroup_v2_fd = -1;
    for (size_t i = 0; i < N_NS; i++)
        r.target.ns_fd[i] = -1;

    sigset_t all, saved;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &saved);
    int rc = -1;
    do {
        if (load_container(ro, eo, &s, &cfg, err) < 0)
            break;
        /* Our child will be visible inside the container until it execs (CVE-2019-5736).
         * Re-executing keeps the signal mask: restore the caller's first. */
        if (security_container_can_reach_runtime(cfg)) {
            sigprocmask(SIG_SETMASK, &saved, NULL);
            if (runtime_binary_protect(err) < 0)
                break;
            sigprocmask(SIG_BLOCK, &all, NULL); /* already protected: carry on */
        }
        if (build_process(cfg, eo, &p, err) < 0 || check_terminal(&p, eo, err) < 0)
            break;
        bool cgroups = s.cgroup_path && ro->cgroup_manager != CGROUP_MANAGER_DISABLED;
        if (open_target(&s, cgroups, &r.target, err) < 0)
            break;
        if (spawn(cfg, &p, eo, &saved, &r, &security, ro->root, err) < 0)
            break;
        if (wait_exec_started(r.sync[0], r.pid, err) < 0) {
            r.pid = -1; /* reaped */
            break;
        }
        if (state_write_pid_file(eo->pid_file, r.pid, err) < 0)
            break;
        if (eo->pid_out)
            *eo->pid_out = r.pid;
        rc = 0;
        if (eo->detach)
            break;
        int master = -1;
        if (r.console[0] >= 0) {
            if (terminal_recv_fd(r.console[0], &master, err) < 0) {
                rc = -1;
                break;
            }
            rc = terminal_relay_until_exit(master, r.pid, exit_code, err);
            close(master);
        } else {
            rc = runtime_wait_forwarding_signals(r.pid, exit_code, err);
        }
        r.pid = -1;
    } while (0);
    if (rc < 0 && r.pid > 0) {
        kill(r.pid, SIGKILL);
        while (waitpid(r.pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    run_close(&r);
    security_plan_clear(&security);
    config_process_clear(&p);
    runtime_state_clear(&s);
    return rc;
}

int runtime_exec_protect(const struct runtime_opts *ro, const char *id, hull_err **err)
{
    struct runtime_state s = {0};
    cleanup_config struct hull_config *cfg = NULL;
    struct exec_opts eo = {.id = id, .ignore_paused = true};
    int rc = load_container(ro, &eo, &s, &cfg, err);
    if (rc == 0 && security_container_can_reach_runtime(cfg))
        rc = runtime_binary_protect(err);
    runtime_state_clear(&s);
    return rc;
}
