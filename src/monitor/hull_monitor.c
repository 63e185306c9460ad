/* hull-monitor: what stays resident next to a detached container (conmon's job).
 *
 * `hull run -d` / `hull start` fork a monitor process that creates and starts the container
 * with libhull (so the container is its child), then execs this small static program, which
 * keeps the same pid, stays the container's parent and subreaper, relays the container's
 * stdout/stderr (fds 3 and 4) into DIR/container.log, feeds its stdin from `hull attach`
 * clients (fd 5: the stdin pipe or pty master with -i; fd 6: the listening DIR/attach.sock, see
 * monitor_attach.h), records the exit in DIR/exit.json (with the kernel's OOM verdict) and the
 * `oom`/`die` events (events.h), and applies the restart policy. Restarting
 * and the final clean-up need libhull again: for those it execs `hull __monitor restart|cleanup
 * ID`, which comes back here after a restart. No JSON library, no allocation in the steady state;
 * once set up it drops its mappings of code it no longer runs (drop_read_only): an idle monitor
 * is about 340 KiB RSS, 70 KiB of it private.
 *
 * Not a user command: the argument list is hull's internal contract (see usage below). */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "monitor/monitor_attach.h"
#include "monitor/monitor_io.h"

static const char usage[] =
    "usage: hull-monitor DIR PID GENERATION RESTARTS POLICY MAX_RETRIES LOG_MAX_SIZE "
    "LOG_MAX_FILES HULL DATA_ROOT ID MEMCG ATTACH_DIR\n"
    "Internal helper of `hull` (started by `hull run -d` and `hull start`); not meant to be run\n"
    "by hand. Reads the container's stdout/stderr from fds 3 and 4, writes its stdin to fd 5\n"
    "and serves attach clients on the listening socket fd 6 (each when open).\n";

/* Drop this process's mappings of its own read-only segments (code, constants). Set-up and the
 * exit path run code the steady state never runs again (argument parsing, the log rotation,
 * stdio, the locale tables of printf), but the kernel mapped it, and the pages around it, on
 * first use: about 700 KiB of a 770 KiB resident set, counted again in the RSS of every
 * monitor although the page cache holds one copy. Unmapped here, a page comes back (from the
 * page cache, no I/O, with the kernel's fault-around of 64 KiB) only when the monitor runs it
 * again, so an idle monitor keeps what its relay loop touches: about 340 KiB RSS. Only segments
 * without write permission: nothing there was ever modified, so dropping them loses nothing. */
static int drop_read_only(struct dl_phdr_info *info, size_t size, void *opaque)
{
    (void)size;
    (void)opaque;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
            continue;
        /* Whole pages inside the segment only. */
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(page - 1);
        if (end > start)
            madvise((void *)start, end - start, MADV_DONTNEED);
    }
    return 1; /* the executable comes first (and, static, is all there is) */
}

int main(int argc, char **argv)
{
    if (argc != 14) {
        fputs(usage, argc > 1 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc > 1 && strcmp(argv[1], "--help") == 0 ? 0 : 125;
    }
    const char *dir = argv[1];
    pid_t child = (pid_t)strtol(argv[2], NULL, 10);
    long generation = strtol(argv[3], NULL, 10);
    long restarts = strtol(argv[4], NULL, 10);
    const char *policy = argv[5];
    long max_retries = strtol(argv[6], NULL, 10);
    off_t max_size = (off_t)strtoll(argv[7], NULL, 10);
    int max_files = (int)strtol(argv[8], NULL, 10);
    const char *hull = argv[9], *data_root = argv[10], *id = argv[11];
    /* The run's memory cgroup directory ("-": none), for the kernel's OOM verdict at exit. */
    const char *memcg = strcmp(argv[12], "-") == 0 ? NULL : argv[12];
    /* The attach socket's directory ("-": DIR/attach.sock; else it is named ID there). */
    const char *attach_dir = argv[13];

    /* Which inherited fds are there: look before opening anything (that could reuse a number).
     * No fd 3 (no output): adopting a container whose first monitor died (`hull start`). */
    bool adopt = fcntl(3, F_GETFD) < 0;
    bool have_err = fcntl(4, F_GETFD) >= 0, have_stdin = fcntl(5, F_GETFD) >= 0,
         have_attach = fcntl(6, F_GETFD) >= 0;
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return 1;
    struct log_writer log;
    bool have_log = log_writer_open(&log, dirfd, max_size, max_files) == 0;

    static struct relay r; /* two 16 KiB line buffers: keep them off the stack */
    r.out.fd = 3;
    r.err.fd = have_err ? 4 : -1; /* a terminal has one stream */
    r.out.tee_fd = r.err.tee_fd = -1;
    r.out.name = "stdout";
    r.err.name = "stderr";
    r.log = have_log ? &log : NULL;
    r.child = child;
    r.stdin_src = r.winsize_fd = -1;
    r.stdin_dst = have_stdin ? 5 : -1; /* -i */
    if (r.stdin_dst >= 0)
        fcntl(5, F_SETFL, fcntl(5, F_GETFL) | O_NONBLOCK); /* never block the relay */
    static struct relay_attach attach;
    if (have_attach) {
        attach_init(&attach, 6, r.err.fd < 0);
        attach_accept_waiting(&attach);
        r.attach = &attach;
    }
    sigemptyset(&r.forward);
    sigemptyset(&r.stop_signals);
    /* SIGTERM to the monitor stops the container and cancels restarts. */
    sigaddset(&r.forward, SIGTERM);
    sigaddset(&r.stop_signals, SIGTERM);
    sigaddset(&r.stop_signals, SIGINT);
    signal(SIGHUP, SIG_IGN);
    /* Health probes, when the container has a health check: `hull __health ID`. */
    char *probe[] = {(char *)hull, "--data-root", (char *)data_root, "__health", (char *)id, NULL};
    static struct health_sched health;
    if (!adopt && health_sched_load(&health, dirfd, probe) == 1)
        r.health = &health;

    /* Set-up is done: from here on, resident is what the relay loop uses. */
    dl_iterate_phdr(drop_read_only, NULL);

    int status = 0;
    int exit_code = adopt                         ? monitor_watch_adopted(child, &r.stop_requested)
                    : relay_run(&r, &status) == 0 ? relay_exit_code(status)
                                                  : 255;
    if (have_log)
        log_writer_close(&log);

    bool oom = monitor_oom_killed(memcg);
    bool restart = !r.stop_requested &&
                   monitor_should_restart(policy, exit_code, restarts, max_retries) &&
                   faccessat(dirfd, MONITOR_STOPPED_NAME, F_OK, 0) < 0;
    exit_record_write(dirfd, exit_code, generation, restart, oom);
    monitor_exit_events(data_root, dirfd, id, exit_code, oom);
    if (r.attach)
        attach_finish(r.attach, attach_dir, dirfd, id,
                      exit_code); /* after the record: clients see it */
    if (restart) {
        if (!monitor_backoff_sleep(monitor_backoff_ms(restarts)) ||
            faccessat(dirfd, MONITOR_STOPPED_NAME, F_OK, 0) == 0) {
            restart = false;
            exit_record_write(dirfd, exit_code, generation, false, oom);
        }
    }
    close(dirfd);
    /* The signal mask survives exec: hand over a clean one. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    execl(hull, hull, "--data-root", data_root, "__monitor", restart ? "restart" : "cleanup", id,
          (char *)NULL);
    return 127;
}
