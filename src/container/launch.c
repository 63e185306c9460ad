/* Starting, monitoring, stopping and tearing down hull containers (see launch.h). */
#include "container/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "container/attach.h"
#include "container/create.h"
#include "container/health.h"
#include "container/monitor_attach.h"
#include "container/monitor_io.h"
#include "container/network.h"
#include "container/status.h"
#include "container/volume.h"
#include "image/rootfs.h"
#include "linux/exe_protect.h"
#include "runtime/cgroup.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* hull's own path. Re-executed from a read-only copy (container_protect_binary), /proc/self/exe
 * names the copy, which has no path: the original was put in $HULL_EXE first. */
static char *self_exe(hull_err **err)
{
    const char *env = getenv("HULL_EXE");
    if (env && *env == '/' && runtime_binary_is_protected())
        return strdup(env);
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) {
        hull_error(err, errno, "find the hull executable");
        return NULL;
    }
    buf[n] = '\0';
    return strdup(buf);
}

char *container_helper_path(const char *name, hull_err **err)
{
    const char *env = strcmp(name, "hull-monitor") == 0  ? getenv("HULL_MONITOR")
                      : strcmp(name, "hull-init") == 0   ? getenv("HULL_INIT")
                      : strcmp(name, "hull-images") == 0 ? getenv("HULL_IMAGES")
                                                         : NULL;
    char *path = NULL;
    if (env && *env) {
        path = strdup(env);
    } else {
        cleanup_free char *exe = self_exe(err);
        if (exe == NULL)
            return NULL;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        if (asprintf(&path, "%s/%s", exe, name) < 0)
            abort();
    }
    if (access(path, X_OK) < 0) {
        hull_error(err, errno, "helper program `%s` is missing (it is installed next to hull)",
                   path);
        free(path);
        return NULL;
    }
    return path;
}

static char *rootfs_path(const container_record *r)
{
    char *p;
    if (asprintf(&p, "%s/rootfs", r->bundle) < 0)
        abort();
    return p;
}

static char *storage_path(const container_record *r)
{
    char *p;
    if (asprintf(&p, "%s/storage", r->dir) < 0)
        abort();
    return p;
}

bool container_rootfs_mounted(container_record *r)
{
    cleanup_free char *rootfs = rootfs_path(r);
    struct statx stx;
    if (statx(AT_FDCWD, rootfs, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
        return false;
    return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
           (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

int container_rootfs_mount(container_record *r, hull_err **err)
{
    if (container_rootfs_mounted(r))
        return 0;
    cleanup_free char *rootfs = rootfs_path(r);
    cleanup_free char *storage = storage_path(r);
    cleanup_free char *copy = NULL;
    if (asprintf(&copy, "%s/rootfs", storage) < 0)
        abort();
    if (access(copy, F_OK) == 0) {
        /* A vfs copy made by an earlier run keeps its changes: mount it again as it is. */
        if (mount(copy, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
            return hull_error(err, errno, "bind mount `%s` at `%s`", copy, rootfs);
        return 0;
    }
    json_t *layers = json_object_get(r->doc, "LayerDirs");
    size_t n = json_array_size(layers);
    if (n == 0)
        return hull_error(err, 0, "container %.12s: the record lists no image layers", r->id);
    cleanup_free char **dirs = calloc(n + 1, sizeof *dirs);
    for (size_t i = 0; i < n; i++)
        dirs[i] = (char *)json_string_value(json_array_get(layers, i));
    const char *force = getenv("HULL_ROOTFS_VFS");
    unsigned flags = force && strcmp(force, "1") == 0 ? IMAGE_ROOTFS_FORCE_VFS : 0;
    /* A --rm container is mounted exactly once: skip the upper filesystem's syncs. */
    if (r->auto_remove)
        flags |= IMAGE_ROOTFS_VOLATILE;
    if (image_rootfs_mount(dirs, n, storage, rootfs, flags, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    return 0;
}

int container_rootfs_unmount(container_record *r, bool remove_storage, hull_err **err)
{
    cleanup_free char *rootfs = rootfs_path(r);
    if (remove_storage) {
        cleanup_free char *storage = storage_path(r);
        return image_rootfs_unmount(storage, rootfs, err);
    }
    if (container_rootfs_mounted(r) && umount2(rootfs, MNT_DETACH) < 0)
        return hull_error(err, errno, "unmount `%s`", rootfs);
    return 0;
}

int container_teardown_run(container_store *cs, container_record *r, hull_err **err)
{
    cleanup_free char *state = NULL;
    if (asprintf(&state, "%s/%s", cs->runtime_root, r->id) < 0)
        abort();
    struct runtime_opts ro = {.root = cs->runtime_root};
    if (access(state, F_OK) == 0 && runtime_delete(&ro, r->id, true, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    /* After the process: its namespace is gone, DEL releases what lives outside it. A plugin
     * that fails its DEL must not keep the container from going: its cache entry is gone,
     * what it says is worth a warning. */
    cleanup_err hull_err *net_err = NULL;
    if (container_network_teardown(cs, r, &net_err) < 0)
        hull_warn_err("network teardown", net_err);
    return 0;
}

/* Keep fds 0-2 open so that pipes never land on them. */
static void ensure_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++)
        if (fcntl(fd, F_GETFD) < 0) {
            int n = open("/dev/null", O_RDWR);
            if (n >= 0 && n != fd) {
                dup2(n, fd);
                close(n);
            }
        }
}

/* docker's exit codes for a command that cannot run: 127 not found, 126 not executable. */
static void classify_start_error(hull_err *e)
{
    if (e == NULL || e->exit_code)
        return;
    if (strstr(e->msg, "exec: ") != NULL)
        e->exit_code = e->errnum == ENOENT ? 127 : 126;
}

struct run_pipes {
    int in_w; /* -1 unless interactive */
    int out_r;
    int err_r;
    int attach; /* listening DIR/attach.sock, -1 when it could not be created */
};

static void run_pipes_close(struct run_pipes *p)
{
    int *fds[] = {&p->in_w, &p->out_r, &p->err_r, &p->attach};
    for (size_t i = 0; i < 4; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}

static int prefill_volumes(container_record *r, hull_err **err)
{
    cleanup_free char *rootfs = rootfs_path(r);
    cleanup_close int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return hull_error(err, errno, "open `%s`", rootfs);
    return volume_prefill_from_image(r, rootfd, err);
}

/* Create and start one run of the container with its stdio on fresh pipes. This process
 * becomes the container's parent. */
static int launch_one(container_store *cs, container_record *r, bool stdin_pipe,
                      bool keep_signals_blocked, long restart_count, pid_t *pid_out,
                      struct run_pipes *ours, long *generation, hull_err **err)
{
    ours->in_w = ours->out_r = ours->err_r = ours->attach = -1;
    ensure_std_fds();
    if (container_rootfs_mount(r, err) < 0 || container_teardown_run(cs, r, err) < 0)
        return -1;
    struct container_run_info prev;
    if (container_run_info_read(r, &prev, err) < 0)
        return -1;
    /* Before its first run, as docker does at create: empty volumes get the image's files. */
    if (prev.generation == 0 && prefill_volumes(r, err) < 0)
        return -1;
    if (container_network_prepare(cs, r, err) < 0)
        return -1;
    /* With a terminal the container's stdio is the pty (its master comes back to us) and fds
     * 0-2 only need to be something harmless at clone time. */
    bool tty = r->tty;
    int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
    if (stdin_pipe && !tty ? pipe2(in, O_CLOEXEC) < 0
                           : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
        return hull_error(err, errno, "container stdin");
    }
    if (tty ? (out[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0 ||
                  (errp[1] = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0
            : pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        int e = errno;
        int all[] = {in[0], in[1], out[0], out[1], errp[0], errp[1]};
        for (size_t i = 0; i < 6; i++)
            if (all[i] >= 0)
                close(all[i]);
        return hull_error(err, e, "container stdio pipes");
    }
    /* The container process inherits fds 0-2 at clone: swap ours out meanwhile. */
    int saved[3];
    for (int fd = 0; fd < 3; fd++)
        saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(errp[1], 2);
    struct runtime_opts ro = {.root = cs->runtime_root};
    int master = -1;
    struct create_opts co = {.id = r->id, .bundle = r->bundle};
    if (tty)
        co.terminal_master = &master;
    pid_t pid = 0;
    int rc = runtime_create(&ro, &co, &pid, keep_signals_blocked, err);
    for (int fd = 0; fd < 3; fd++) {
        dup2(saved[fd], fd);
        close(saved[fd]);
    }
    close(in[0]);
    close(out[1]);
    close(errp[1]);
    if (tty) {
        ours->out_r = master;
        ours->in_w = master >= 0 && stdin_pipe ? fcntl(master, F_DUPFD_CLOEXEC, 3) : -1;
    } else {
        ours->in_w = in[1];
        ours->out_r = out[0];
        ours->err_r = errp[0];
    }
    if (rc < 0) {
        run_pipes_close(ours);
        classify_start_error(*err);
        return hull_error_prefix(err, "start container %.12s", r->id);
    }
    /* Between create and start: the process exists (its network namespace too) and waits. */
    if (container_network_setup(cs, r, pid, err) < 0) {
        cleanup_err hull_err *e2 = NULL;
        runtime_delete(&ro, r->id, true, &e2);
        run_pipes_close(ours);
        if (keep_signals_blocked) {
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
        }
        return -1;
    }
    struct container_run_info info = {
        .generation = prev.generation + 1,
        .pid = pid,
        .restart_count = restart_count,
        .monitor_pid = getpid(),
        .monitor_start_time = proc_start_time(getpid()),
    };
    monitor_time_now(info.started_at);
    cleanup_err hull_err *health_err = NULL;
    if (health_record_reset(r, &health_err) < 0)
        hull_warn_err("reset health status", health_err);
    /* Listening before the process runs: whoever sees it running can attach. Without the
     * socket the container still runs (only `hull attach` cannot reach it). */
    cleanup_err hull_err *attach_err = NULL;
    ours->attach = attach_listen(r->dirfd, &attach_err);
    if (ours->attach < 0)
        hull_warn_err("container attach endpoint", attach_err);
    if (container_run_info_write(r, &info, err) < 0 || runtime_start(&ro, r->id, err) < 0) {
        cleanup_err hull_err *e2 = NULL;
        runtime_delete(&ro, r->id, true, &e2);
        container_network_teardown(cs, r, &e2);
        run_pipes_close(ours);
        unlinkat(r->dirfd, ATTACH_SOCKET_NAME, 0);
        if (!keep_signals_blocked)
            return -1;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        return -1;
    }
    *pid_out = pid;
    *generation = info.generation;
    return 0;
}

/* Become hull-monitor (same pid: still the container's parent). Never returns. */
static __attribute__((noreturn)) void exec_monitor(container_store *cs, container_record *r,
                                                   const char *monitor, const char *hull, pid_t pid,
                                                   long generation, long restart_count,
                                                   struct run_pipes *p)
{
    /* fd 3 stdout (or the pty master), 4 stderr, 5 stdin (-i), 6 the attach socket: each
     * closed when absent. Moved out of the way first, as they may sit on those numbers. */
    int src[] = {p->out_r, p->err_r, p->in_w, p->attach};
    int high[4];
    for (int i = 0; i < 4; i++)
        high[i] = src[i] >= 0 ? fcntl(src[i], F_DUPFD, 10) : -1;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int null_high = null >= 0 ? fcntl(null, F_DUPFD_CLOEXEC, 10) : -1;
    for (int i = 0; i < 4; i++) {
        if (high[i] >= 0)
            dup2(high[i], 3 + i);
        else
            close(3 + i); /* a terminal has one stream (fd 3) */
    }
    for (int fd = 0; fd < 3; fd++)
        dup2(null_high, fd);
    syscall(SYS_close_range, 7U, ~0U, 0U);
    char a_pid[16], a_gen[24], a_restarts[24], a_max[24], a_size[24], a_files[16];
    snprintf(a_pid, sizeof a_pid, "%d", (int)pid);
    snprintf(a_gen, sizeof a_gen, "%ld", generation);
    snprintf(a_restarts, sizeof a_restarts, "%ld", restart_count);
    snprintf(a_max, sizeof a_max, "%ld", r->max_retries);
    snprintf(a_size, sizeof a_size, "%lld", r->log_max_size);
    snprintf(a_files, sizeof a_files, "%d", r->log_max_files);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    execl(monitor, "hull-monitor", r->dir, a_pid, a_gen, a_restarts, r->restart_policy, a_max,
          a_size, a_files, hull, cs->data_root, r->id, (char *)NULL);
    /* No monitor: the container must not run unsupervised. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    exit_record_write(r->dirfd, 127, generation, false);
    _exit(127);
}

static int read_all(int fd, char *buf, size_t size)
{
    size_t used = 0;
    while (used + 1 < size) {
        ssize_t n = read(fd, buf + used, size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    buf[used] = '\0';
    return (int)used;
}

int container_start_detached(container_store *cs, container_record *r, hull_err **err)
{
    cleanup_free char *monitor = container_helper_path("hull-monitor", err);
    if (monitor == NULL)
        return -1;
    cleanup_free char *hull = self_exe(err);
    if (hull == NULL)
        return -1;
    unlinkat(r->dirfd, MONITOR_STOPPED_NAME, 0);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        return hull_error(err, errno, "pipe");
    pid_t mid = fork();
    if (mid < 0) {
        close(ready[0]);
        close(ready[1]);
        return hull_error(err, errno, "fork the monitor");
    }
    if (mid == 0) {
        /* Double fork: the monitor is nobody's child but init's (or the nearest subreaper's),
         * and the caller reaps the intermediate at once. */
        close(ready[0]);
        pid_t m = fork();
        if (m != 0)
            _exit(m < 0 ? 1 : 0);
        setsid();
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        if (chdir("/") < 0)
            _exit(1);
        hull_err *e = NULL;
        pid_t pid;
        long gen;
        struct run_pipes p;
        if (launch_one(cs, r, r->interactive, false, 0, &pid, &p, &gen, &e) < 0) {
            dprintf(ready[1], "%d %d %s", e->exit_code, e->errnum, e->msg);
            _exit(1);
        }
        if (write(ready[1], "0 0 ok", 6) != 6)
            _exit(1);
        close(ready[1]);
        exec_monitor(cs, r, monitor, hull, pid, gen, 0, &p);
    }
    close(ready[1]);
    while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
        ;
    char buf[4096];
    int n = read_all(ready[0], buf, sizeof buf);
    close(ready[0]);
    if (n == 0)
        return hull_error(err, 0, "start container %.12s: the monitor exited before starting it",
                          r->id);
    int code = 0, errnum = 0, off = 0;
    if (sscanf(buf, "%d %d %n", &code, &errnum, &off) < 2)
        return hull_error(err, 0, "start container %.12s: bad monitor report", r->id);
    if (strcmp(buf + off, "ok") == 0)
        return 0;
    hull_error(err, 0, "%s", buf + off);
    (*err)->errnum = errnum;
    (*err)->exit_code = code;
    return -1;
}

static void relay_setup(struct relay *rl, struct run_pipes *p, struct log_writer *log,
                        bool have_log, pid_t pid, bool interactive)
{
    rl->out.fd = p->out_r;
    rl->err.fd = p->err_r;
    p->out_r = p->err_r = -1; /* the relay closes them */
    rl->out.tee_fd = 1;
    rl->err.tee_fd = 2;
    rl->out.name = "stdout";
    rl->err.name = "stderr";
    rl->log = have_log ? log : NULL;
    rl->child = pid;
    rl->stdin_src = interactive ? 0 : -1;
    rl->stdin_dst = interactive ? p->in_w : -1;
    if (interactive)
        p->in_w = -1;
    rl->winsize_fd = -1;
    sigemptyset(&rl->forward);
    sigemptyset(&rl->stop_signals);
    static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof fwd / sizeof fwd[0]; i++)
        sigaddset(&rl->forward, fwd[i]);
    sigaddset(&rl->stop_signals, SIGINT);
    sigaddset(&rl->stop_signals, SIGTERM);
}

/* The probe command of an attached run's health checks: HULL --data-root ROOT __health ID. */
static char **health_probe_command(container_store *cs, container_record *r, hull_err **err)
{
    char *hull = self_exe(err);
    if (hull == NULL)
        return NULL;
    char **argv = calloc(6, sizeof *argv);
    if (argv == NULL)
        abort();
    argv[0] = hull;
    argv[1] = strdup("--data-root");
    argv[2] = strdup(cs->data_root);
    argv[3] = strdup("__health");
    argv[4] = strdup(r->id);
    return argv;
}

int container_run_attached(container_store *cs, container_record *r, int *exit_code, hull_err **err)
{
    unlinkat(r->dirfd, MONITOR_STOPPED_NAME, 0);
    cleanup_strv char **probe = NULL;
    if (r->healthcheck && (probe = health_probe_command(cs, r, err)) == NULL)
        return -1;
    sigset_t orig;
    sigprocmask(SIG_SETMASK, NULL, &orig);
    long restarts = 0;
    int code = 0;
    int rc = 0;
    for (;;) {
        pid_t pid;
        long gen;
        struct run_pipes p;
        if (launch_one(cs, r, r->interactive, true, restarts, &pid, &p, &gen, err) < 0) {
            sigprocmask(SIG_SETMASK, &orig, NULL);
            rc = -1;
            break;
        }
        struct log_writer log;
        bool have_log =
            log_writer_open(&log, r->dirfd, (off_t)r->log_max_size, r->log_max_files) == 0;
        struct relay *rl = calloc(1, sizeof *rl);
        /* `hull attach` from elsewhere works for attached runs too. */
        struct relay_attach *ra = p.attach >= 0 ? calloc(1, sizeof *ra) : NULL;
        if (rl == NULL || (p.attach >= 0 && ra == NULL))
            abort();
        relay_setup(rl, &p, &log, have_log, pid, r->interactive);
        struct health_sched hs;
        if (probe && health_sched_load(&hs, r->dirfd, probe) == 1)
            rl->health = &hs;
        if (ra) {
            attach_init(ra, steal_fd(&p.attach), r->tty);
            rl->attach = ra;
        }
        /* A terminal: ours goes raw (the container's pty does the line discipline) and
         * follows our window size. */
        struct termios saved_tio;
        bool raw = r->tty && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0;
        if (raw) {
            struct termios t = saved_tio;
            cfmakeraw(&t);
            tcsetattr(STDIN_FILENO, TCSANOW, &t);
        }
        if (r->tty) {
            rl->winsize_fd = rl->out.fd;
            relay_copy_winsize(rl->winsize_fd);
        }
        int status = 0;
        if (relay_run(rl, &status) < 0) {
            /* Cannot watch it any more: do not leave it running unsupervised. */
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
        if (raw)
            tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
        run_pipes_close(&p);
        code = relay_exit_code(status);
        bool stop = rl->stop_requested;
        free(rl);
        if (have_log)
            log_writer_close(&log);
        bool restart = !stop &&
                       monitor_should_restart(r->restart_policy, code, restarts, r->max_retries) &&
                       faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) < 0;
        exit_record_write(r->dirfd, code, gen, restart);
        if (ra) {
            attach_finish(ra, r->dirfd, code);
            free(ra);
        }
        sigprocmask(SIG_SETMASK, &orig, NULL);
        if (!restart)
            break;
        if (!monitor_backoff_sleep(monitor_backoff_ms(restarts)) ||
            faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) == 0) {
            exit_record_write(r->dirfd, code, gen, false);
            break;
        }
        restarts++;
    }
    cleanup_err hull_err *e2 = NULL;
    if (container_teardown_run(cs, r, &e2) < 0 || container_rootfs_unmount(r, false, &e2) < 0)
        hull_warn_err("clean up", e2);
    *exit_code = code;
    return rc;
}

static int finish_monitoring(container_store *cs, container_record *r, hull_err **err)
{
    if (container_teardown_run(cs, r, err) < 0 || container_rootfs_unmount(r, false, err) < 0)
        return -1;
    if (!r->auto_remove)
        return 0;
    cleanup_image_store image_store *is = NULL;
    if (image_store_open(cs->data_root, &is, err) < 0)
        return -1;
    return container_remove_all(cs, is, r, true, err);
}

int container_protect_binary(bool privileged, json_t *cap_add, hull_err **err)
{
    bool reaches = privileged;
    size_t i;
    json_t *v;
    json_array_foreach(cap_add, i, v)
    {
        const char *c = json_string_value(v) ? json_string_value(v) : "";
        if (strncasecmp(c, "CAP_", 4) == 0)
            c += 4;
        reaches |= strcasecmp(c, "ALL") == 0 || strcasecmp(c, "SYS_PTRACE") == 0;
    }
    if (!reaches || runtime_binary_is_protected())
        return 0;
    cleanup_free char *exe = self_exe(err);
    if (exe == NULL || setenv("HULL_EXE", exe, 1) < 0)
        return hull_error_prefix(err, "protect the hull binary");
    return runtime_binary_protect(err);
}

int container_record_protect_binary(const container_record *r, hull_err **err)
{
    json_t *host = json_object_get(r->doc, "HostConfig");
    return container_protect_binary(json_is_true(json_object_get(host, "Privileged")),
                                    json_object_get(host, "CapAdd"), err);
}

int container_monitor_command(container_store *cs, const char *what, const char *id, hull_err **err)
{
    /* `hull stop` may signal the monitor at any time; in this phase the marker file decides. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    cleanup_container_record container_record *r = NULL;
    if (container_record_load(cs, id, &r, err) < 0) {
        if ((*err)->errnum != ENOENT)
            return -1;
        hull_err_freep(err); /* removed meanwhile (rm -f): nothing left to do */
        return 0;
    }
    if (strcmp(what, "restart") == 0 && container_record_protect_binary(r, err) < 0)
        return -1;
    cleanup_close int lock = container_lock(r, err);
    if (lock < 0)
        return -1;
    bool restart =
        strcmp(what, "restart") == 0 && faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) < 0;
    if (!restart)
        return finish_monitoring(cs, r, err);
    struct container_run_info prev;
    if (container_run_info_read(r, &prev, err) < 0)
        return -1;
    cleanup_free char *monitor = container_helper_path("hull-monitor", err);
    cleanup_free char *hull = monitor ? self_exe(err) : NULL;
    pid_t pid;
    long gen;
    struct run_pipes p;
    if (hull == NULL ||
        launch_one(cs, r, r->interactive, false, prev.restart_count + 1, &pid, &p, &gen, err) < 0) {
        /* The restart failed: record it in the log and give up. */
        struct log_writer log;
        if (log_writer_open(&log, r->dirfd, (off_t)r->log_max_size, r->log_max_files) == 0) {
            char line[1024];
            int n = snprintf(line, sizeof line, "hull: restart failed: %s\n",
                             *err ? (*err)->msg : "unknown error");
            log_writer_line(&log, "stderr", line, (size_t)n < sizeof line ? (size_t)n : 0);
            log_writer_close(&log);
        }
        int code = *err && (*err)->exit_code ? (*err)->exit_code : 125;
        exit_record_write(r->dirfd, code, prev.generation, false);
        cleanup_err hull_err *e2 = NULL;
        if (finish_monitoring(cs, r, &e2) < 0)
            hull_warn_err("clean up", e2);
        return -1;
    }
    close(steal_fd(&lock));
    exec_monitor(cs, r, monitor, hull, pid, gen, prev.restart_count + 1, &p);
}

/* Wait up to timeout_ms for `pid` to exit; true when it did (or is gone). */
static bool wait_exit(pid_t pid, long timeout_ms)
{
    if (pid <= 0)
        return true;
    cleanup_close int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return true;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, timeout_ms > 0x7fffffff ? 0x7fffffff : (int)timeout_ms);
    while (rc < 0 && errno == EINTR);
    return rc > 0;
}

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int container_signal(container_store *cs, container_record *r, int sig, bool all, hull_err **err)
{
    struct container_state_info st;
    if (container_status_get(cs, r, &st, err) < 0)
        return -1;
    if (st.state != CONTAINER_RUNNING && st.state != CONTAINER_PAUSED)
        return hull_error(err, 0, "container %s is not running", r->name);
    struct runtime_opts ro = {.root = cs->runtime_root};
    return runtime_kill(&ro, r->id, sig, all, err);
}

int container_stop(container_store *cs, container_record *r, int sig, long timeout, hull_err **err)
{
    if (container_write_file(r->dirfd, MONITOR_STOPPED_NAME, "", 0, 0600, err) < 0)
        return -1;
    struct runtime_opts ro = {.root = cs->runtime_root};
    long long deadline = mono_ms() + timeout * 1000 + 15000;
    pid_t signalled = 0;
    for (;;) {
        struct container_state_info st;
        if (container_status_get(cs, r, &st, err) < 0)
            return -1;
        bool running = st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED;
        if (running && st.pid > 0) {
            if (st.state == CONTAINER_PAUSED) {
                /* Frozen processes cannot act on the stop signal: thaw them first. */
                cleanup_err hull_err *e = NULL;
                runtime_resume(&ro, r->id, &e);
            }
            if (signalled != st.pid) {
                cleanup_err hull_err *e = NULL;
                runtime_kill(&ro, r->id, sig, false, &e);
                signalled = st.pid;
            }
            if (!wait_exit(st.pid, timeout * 1000)) {
                cleanup_err hull_err *e = NULL;
                runtime_kill(&ro, r->id, SIGKILL, true, &e);
                wait_exit(st.pid, 5000);
            }
            continue;
        }
        if (!st.monitor_alive)
            break;
        /* Restarting (backoff) or finishing: SIGTERM cancels a pending restart; the monitor's
         * libhull phases ignore it and read the marker instead. */
        if (!running)
            kill(st.monitor_pid, SIGTERM);
        wait_exit(st.monitor_pid, 100);
        if (mono_ms() > deadline)
            return hull_error(err, 0, "container %s: its monitor (pid %d) does not finish", r->name,
                              (int)st.monitor_pid);
    }
    /* A monitor that died (crash, reboot) left the run behind: clean it up here. */
    if (faccessat(cs->dirfd, r->id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
        return 0; /* --rm: the monitor removed the container */
    cleanup_close int lock = container_lock(r, err);
    if (lock < 0)
        return -1;
    if (container_teardown_run(cs, r, err) < 0 || container_rootfs_unmount(r, false, err) < 0)
        return -1;
    return 0;
}
