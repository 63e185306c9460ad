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
#include "container/event_emit.h"
#include "container/health.h"
#include "monitor/events.h"
#include "monitor/monitor_attach.h"
#include "monitor/monitor_io.h"
#include "container/network.h"
#include "container/programs.h"
#include "container/rootfs.h"
#include "container/status.h"
#include "container/volume.h"
#include "image/rootfs.h"
#include "linux/cgroup/cgroup.h"
#include "linux/exe_protect.h"
#include "oci/json_read.h"
#include "runtime/cgroup.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/time.h"
#include "util/fs.h"

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
    int attach; /* the listening attach socket (attach.h), -1 when it could not be created */
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

/* What create made for one run, kept by a caller that waits for the run in this process
 * (container_run_attached): its memory cgroup and its teardown then read nothing back. */
struct launch_made {
    struct state_dir dir;      /* the state directory (create_opts.state_dir_out) */
    struct cgroup_set cgroups; /* the cgroup set (create_opts.cgroups_out) */
    bool start_hooks, poststop_hooks;
};

static void launch_made_clear(struct launch_made *m)
{
    state_dir_close(&m->dir);
    cgroup_set_clear(&m->cgroups);
    *m = (struct launch_made){.dir = {.dirfd = -1}};
}

static int prefill_volumes(container_record *r, hull_err **err)
{
    cleanup_free char *rootfs = container_rootfs_path(r);
    cleanup_close int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return hull_error(err, errno, "open `%s`", rootfs);
    return volume_prefill_from_image(r, rootfd, err);
}

/* Create and start one run of the container with its stdio on fresh pipes. This process
 * becomes the container's parent. */
/* attach_client: a socket of the caller's (or -1), connected to the attach endpoint before the
 * process starts, so that client sees all of its output. */
/* keep: filled with what create made (the caller clears it), or NULL. */
static int launch_one(container_store *cs, container_record *r, bool stdin_pipe,
                      bool keep_signals_blocked, long restart_count, int attach_client,
                      pid_t *pid_out, struct run_pipes *ours, long *generation,
                      struct launch_made *keep, hull_err **err)
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
    const struct runtime_opts *ro = &cs->runtime;
    int master = -1;
    /* hull writes the bundle's config.json only through rename (container_write_json): the
     * runtime's copy of it is a hard link when they share a file system, else the text written
     * (a runtime root on a tmpfs, store.h). */
    struct create_opts co = {.id = r->id,
                             .bundle = r->bundle,
                             .cgroup_host = cs->cgroup_host,
                             .config = r->bundle_config,
                             .config_text = r->bundle_config_text,
                             .config_replaced_by_rename = cs->runtime_root_in_data_root};
    /* What create made, for a start that reads nothing back (runtime_start_made), and for the
     * caller's teardown. */
    __attribute__((cleanup(launch_made_clear))) struct launch_made local = {.dir = {.dirfd = -1}};
    struct launch_made *made = keep ? keep : &local;
    *made = (struct launch_made){.dir = {.dirfd = -1}, .start_hooks = true, .poststop_hooks = true};
    co.state_dir_out = &made->dir;
    co.start_hooks = &made->start_hooks;
    if (keep) {
        co.cgroups_out = &made->cgroups;
        co.poststop_hooks = &made->poststop_hooks;
    }
    if (tty)
        co.terminal_master = &master;
    pid_t pid = 0;
    int rc = runtime_create(ro, &co, &pid, keep_signals_blocked, err);
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
        runtime_delete(ro, r->id, true, &e2);
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
    time_rfc3339_now(info.started_at, true);
    cleanup_err hull_err *health_err = NULL;
    if (health_record_reset(r, &health_err) < 0)
        hull_warn_err("reset health status", health_err);
    /* Listening before the process runs: whoever sees it running can attach. Without the
     * socket the container still runs (only `hull attach` cannot reach it). */
    cleanup_err hull_err *attach_err = NULL;
    ours->attach = attach_listen(cs, r, &attach_err);
    if (ours->attach < 0)
        hull_warn_err("container attach endpoint", attach_err);
    else if (attach_client >= 0 && attach_connect_fd(attach_client, cs, r) < 0)
        hull_warn("container %.12s: connect to its attach endpoint: %s", r->id, strerror(errno));
    if (container_run_info_write(r, &info, err) < 0 ||
        (made->start_hooks ? runtime_start(ro, r->id, err)
                           : runtime_start_made(ro, r->id, &made->dir, err)) < 0) {
        cleanup_err hull_err *e2 = NULL;
        runtime_delete(ro, r->id, true, &e2);
        container_network_teardown(cs, r, &e2);
        run_pipes_close(ours);
        attach_remove(cs, r);
        if (!keep_signals_blocked)
            return -1;
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        return -1;
    }
    container_event(cs, r, "start", NULL, NULL);
    *pid_out = pid;
    *generation = info.generation;
    return 0;
}

/* The memory cgroup directory of the container's current run (as its runtime state records
 * the cgroup set), NULL when there is none. */
static char *memory_cgroup_dir(container_store *cs, const char *id)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s", cs->runtime_root, id) < 0)
        abort();
    cleanup_close int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_cgroup_set struct cgroup_set set = {0};
    cleanup_err hull_err *e = NULL;
    if (dirfd < 0 || runtime_cgroup_load(dirfd, NULL, &set, &e) <= 0)
        return NULL;
    const struct cgroup_dir *mem = cgroup_set_dir_for(&set, CG_MEMORY);
    return mem ? strdup(mem->path) : NULL;
}

/* Become hull-monitor (same pid: still the container's parent). Never returns. */
static __attribute__((noreturn)) void exec_monitor(container_store *cs, container_record *r,
                                                   const char *monitor, const char *hull, pid_t pid,
                                                   long generation, long restart_count,
                                                   struct run_pipes *p)
{
    /* The monitor's events carry the container's attributes from this file. */
    if (faccessat(r->dirfd, EVENT_ATTRS_NAME, F_OK, 0) < 0) {
        cleanup_err hull_err *attrs_err = NULL;
        if (container_event_attrs_write(r, &attrs_err) < 0)
            hull_warn_err("container event attributes", attrs_err);
    }
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
    cleanup_free char *memcg = memory_cgroup_dir(cs, r->id);
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
          a_size, a_files, hull, cs->data_root, r->id, memcg ? memcg : "-", attach_monitor_dir(cs),
          (char *)NULL);
    /* No monitor: the container must not run unsupervised. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    exit_record_write(r->dirfd, 127, generation, false, false);
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

static int refuse_dead(const container_record *r, hull_err **err)
{
    return hull_error(err, 0,
                      "container %s is dead (its creation was interrupted): remove it with "
                      "`hull rm`",
                      *r->name ? r->name : r->id);
}

/* What the new monitor process watches: the run it started, or the one it adopts. */
struct monitor_run {
    pid_t pid;
    long generation;
    long restart_count;
    struct run_pipes pipes; /* all -1 when adopting: the output died with the old monitor */
    int attach_client;      /* in: launch_one's attach_client */
};

/* In the monitor process, before it becomes hull-monitor. */
typedef int (*monitor_prepare)(container_store *cs, container_record *r, struct monitor_run *mr,
                               hull_err **err);

static int prepare_start(container_store *cs, container_record *r, struct monitor_run *mr,
                         hull_err **err)
{
    mr->restart_count = 0;
    return launch_one(cs, r, r->interactive, false, 0, mr->attach_client, &mr->pid, &mr->pipes,
                      &mr->generation, NULL, err);
}

static int prepare_adopt(container_store *cs, container_record *r, struct monitor_run *mr,
                         hull_err **err)
{
    (void)cs;
    struct container_run_info run;
    if (container_run_info_read(r, &run, err) < 0)
        return -1;
    /* The same run (generation, pid, start), watched by this process from now on. */
    run.monitor_pid = getpid();
    run.monitor_start_time = proc_start_time(getpid());
    if (container_run_info_write(r, &run, err) < 0)
        return -1;
    *mr = (struct monitor_run){run.pid, run.generation, run.restart_count, {-1, -1, -1, -1}, -1};
    return 0;
}

/* Double-fork a monitor that runs `prepare`, reports over a pipe, then execs hull-monitor;
 * returns once it reported (the error it reported, with its exit code and errno). */
static int spawn_monitor(container_store *cs, container_record *r, monitor_prepare prepare,
                         const char *what, int attach_client, hull_err **err)
{
    cleanup_free char *monitor = container_helper_path("hull-monitor", err);
    if (monitor == NULL)
        return -1;
    cleanup_free char *hull = runtime_binary_path(err);
    if (hull == NULL)
        return -1;
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
        struct monitor_run mr = {.attach_client = attach_client};
        if (prepare(cs, r, &mr, &e) < 0) {
            dprintf(ready[1], "%d %d %s", e->exit_code, e->errnum, e->msg);
            _exit(1);
        }
        /* The hull that waits for this may have been killed: the container runs anyway and
         * needs its monitor, so neither SIGPIPE nor a failed write may end us here. */
        signal(SIGPIPE, SIG_IGN);
        ssize_t told = write(ready[1], "0 0 ok", 6);
        (void)told;
        signal(SIGPIPE, SIG_DFL);
        close(ready[1]);
        exec_monitor(cs, r, monitor, hull, mr.pid, mr.generation, mr.restart_count, &mr.pipes);
    }
    close(ready[1]);
    while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
        ;
    char buf[4096];
    int n = read_all(ready[0], buf, sizeof buf);
    close(ready[0]);
    if (n == 0)
        return hull_error(err, 0, "%s container %.12s: the monitor exited before reporting", what,
                          r->id);
    int code = 0, errnum = 0, off = 0;
    if (sscanf(buf, "%d %d %n", &code, &errnum, &off) < 2)
        return hull_error(err, 0, "%s container %.12s: bad monitor report", what, r->id);
    if (strcmp(buf + off, "ok") == 0)
        return 0;
    hull_error(err, 0, "%s", buf + off);
    (*err)->errnum = errnum;
    (*err)->exit_code = code;
    return -1;
}

int container_start_detached(container_store *cs, container_record *r, hull_err **err)
{
    return container_start_detached_attach(cs, r, -1, err);
}

int container_start_detached_attach(container_store *cs, container_record *r, int client,
                                    hull_err **err)
{
    if (r->dead)
        return refuse_dead(r, err);
    unlinkat(r->dirfd, MONITOR_STOPPED_NAME, 0);
    return spawn_monitor(cs, r, prepare_start, "start", client, err);
}

int container_adopt(container_store *cs, container_record *r, hull_err **err)
{
    return spawn_monitor(cs, r, prepare_adopt, "adopt", -1, err);
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
    char *hull = runtime_binary_path(err);
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
    if (r->dead)
        return refuse_dead(r, err);
    unlinkat(r->dirfd, MONITOR_STOPPED_NAME, 0);
    cleanup_strv char **probe = NULL;
    if (r->healthcheck && (probe = health_probe_command(cs, r, err)) == NULL)
        return -1;
    sigset_t orig;
    sigprocmask(SIG_SETMASK, NULL, &orig);
    long restarts = 0;
    int code = 0;
    int rc = 0;
    /* The last run's, for its memory cgroup and its teardown (none read back). */
    __attribute__((cleanup(launch_made_clear))) struct launch_made made = {.dir = {.dirfd = -1}};
    for (;;) {
        pid_t pid;
        long gen;
        struct run_pipes p;
        launch_made_clear(&made);
        if (launch_one(cs, r, r->interactive, true, restarts, -1, &pid, &p, &gen, &made, err) < 0) {
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
        const struct cgroup_dir *mem = cgroup_set_dir_for(&made.cgroups, CG_MEMORY);
        cleanup_free char *memcg = mem ? strdup(mem->path) : memory_cgroup_dir(cs, r->id);
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
        bool oom = monitor_oom_killed(memcg);
        bool restart = !stop &&
                       monitor_should_restart(r->restart_policy, code, restarts, r->max_retries) &&
                       faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) < 0;
        exit_record_write(r->dirfd, code, gen, restart, oom);
        /* As the monitor's exit events (monitor_exit_events), from the record. */
        if (oom)
            container_event(cs, r, "oom", NULL, NULL);
        char code_text[16];
        snprintf(code_text, sizeof code_text, "%d", code);
        container_event(cs, r, "die", "exitCode", code_text);
        if (ra) {
            attach_finish(ra, attach_monitor_dir(cs), r->dirfd, r->id, code);
            free(ra);
        }
        sigprocmask(SIG_SETMASK, &orig, NULL);
        if (!restart)
            break;
        if (!monitor_backoff_sleep(monitor_backoff_ms(restarts)) ||
            faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) == 0) {
            exit_record_write(r->dirfd, code, gen, false, oom);
            break;
        }
        restarts++;
    }
    cleanup_err hull_err *e2 = NULL;
    if ((rc == 0
             ? container_teardown_made(cs, r, &made.cgroups, &made.dir, made.poststop_hooks, &e2)
             : container_teardown_run(cs, r, &e2)) < 0 ||
        container_rootfs_unmount(r, false, &e2) < 0)
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
    cleanup_free char *exe = runtime_binary_path(err);
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
    if (lock < 0) {
        if ((*err)->errnum != ENOENT)
            return -1;
        hull_err_freep(err); /* removed while we waited for the lock */
        return 0;
    }
    if (r->dead)
        return 0; /* its record is gone: an rm is finishing it off */
    bool restart =
        strcmp(what, "restart") == 0 && faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) < 0;
    if (!restart) {
        /* A newer run started (`start` right after the exit record, before this clean-up got
         * the lock): its monitor is another process, and the rootfs and network are its. */
        struct container_run_info now;
        if (container_run_info_read(r, &now, err) < 0)
            return -1;
        if (now.monitor_pid > 0 && now.monitor_pid != getpid())
            return 0;
        return finish_monitoring(cs, r, err);
    }
    struct container_run_info prev;
    if (container_run_info_read(r, &prev, err) < 0)
        return -1;
    cleanup_free char *monitor = container_helper_path("hull-monitor", err);
    cleanup_free char *hull = monitor ? runtime_binary_path(err) : NULL;
    pid_t pid;
    long gen;
    struct run_pipes p;
    if (hull == NULL || launch_one(cs, r, r->interactive, false, prev.restart_count + 1, -1, &pid,
                                   &p, &gen, NULL, err) < 0) {
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
        exit_record_write(r->dirfd, code, prev.generation, false, false);
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

static void kill_event(container_store *cs, const container_record *r, int sig)
{
    char num[16];
    snprintf(num, sizeof num, "%d", sig);
    container_event(cs, r, "kill", "signal", num);
}

int container_signal(container_store *cs, container_record *r, int sig, bool all, hull_err **err)
{
    struct container_state_info st;
    if (container_status_get(cs, r, &st, err) < 0)
        return -1;
    if (st.state != CONTAINER_RUNNING && st.state != CONTAINER_PAUSED)
        return hull_error(err, 0, "container %s is not running", r->name);
    /* Recorded before the signal goes: the monitor's `die` for a fatal signal must follow it. */
    kill_event(cs, r, sig);
    struct runtime_proc proc = {r->id, st.pid, st.pid_start_time};
    if (runtime_signal(&cs->runtime, &proc, sig, all, err) < 0)
        return -1;
    return 0;
}

int container_pause(container_store *cs, container_record *r, bool pause, hull_err **err)
{
    return pause ? runtime_pause(&cs->runtime, r->id, err)
                 : runtime_resume(&cs->runtime, r->id, err);
}

void container_launch_detect_cgroups(container_store *cs)
{
    if (geteuid() != 0 || cs->runtime.cgroup_manager == CGROUP_MANAGER_DISABLED ||
        cs->cgroup_host != NULL)
        return;
    struct cgroup_host *host = calloc(1, sizeof(*host));
    cleanup_err hull_err *err = NULL;
    if (host && cgroup_host_detect(host, &err) == 0 && host->n > 0) {
        cs->cgroup_host = host;
        return;
    }
    if (host)
        cgroup_host_clear(host);
    free(host);
}

int container_stop(container_store *cs, container_record *r, int sig, long timeout, hull_err **err)
{
    /* Written once: concurrent stops (parallel `rm -f`) write nothing into a directory that
     * the first rm may already be emptying. */
    if (faccessat(r->dirfd, MONITOR_STOPPED_NAME, F_OK, 0) < 0 &&
        container_write_file(r->dirfd, MONITOR_STOPPED_NAME, "", 0, 0600, err) < 0)
        return -1;
    const struct runtime_opts *ro = &cs->runtime;
    long long deadline = time_monotonic_ms() + timeout * 1000 + 15000;
    pid_t signalled = 0;
    struct container_state_info st = {0};
    for (;;) {
        /* The runtime's state is loaded once per run: once the process we signalled is gone,
         * the monitor's record alone says what is left to wait for. */
        struct container_run_info run;
        bool gone = signalled > 0 && !container_process_alive(signalled, st.pid_start_time);
        if (gone && container_run_info_read(r, &run, err) < 0)
            return -1;
        if (gone && run.generation == st.generation) {
            st.state = CONTAINER_EXITED;
            st.pid = 0;
            st.monitor_pid = run.monitor_pid;
            st.monitor_alive = container_process_alive(run.monitor_pid, run.monitor_start_time);
        } else if (container_status_get(cs, r, &st, err) < 0) {
            return -1;
        }
        bool running = st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED;
        if (running && st.pid > 0) {
            if (st.state == CONTAINER_PAUSED) {
                /* Frozen processes cannot act on the stop signal: thaw them first. */
                cleanup_err hull_err *e = NULL;
                runtime_resume(ro, r->id, &e);
            }
            struct runtime_proc proc = {r->id, st.pid, st.pid_start_time};
            /* Each kill event is recorded before its signal goes, so the monitor's `die` for a
             * fatal signal always follows it. */
            if (signalled != st.pid) {
                cleanup_err hull_err *e = NULL;
                kill_event(cs, r, sig);
                runtime_signal(ro, &proc, sig, false, &e);
                signalled = st.pid;
            }
            if (!wait_exit(st.pid, timeout * 1000)) {
                cleanup_err hull_err *e = NULL;
                if (sig != SIGKILL)
                    kill_event(cs, r, SIGKILL);
                runtime_signal(ro, &proc, SIGKILL, true, &e);
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
        if (time_monotonic_ms() > deadline)
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
