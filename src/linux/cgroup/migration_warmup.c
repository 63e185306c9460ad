/* Hiding the cgroup migration grace period (see cgroup.h, cgroup_warm_migration_lock).
 *
 * Every write of a pid to cgroup.procs takes the kernel's global cgroup_threadgroup_rwsem for
 * writing. On a quiet host that rwsem's readers (fork, exit) run on a per-CPU fast path, and
 * the first writer has to switch them over with synchronize_rcu(): a full RCU grace period,
 * 8-25 ms here, which was the single largest wait of a container start. The switch lasts for a
 * grace period after the last writer, so a writer that comes soon after another pays nothing.
 *
 * So the runtime starts one harmless migration — a forked child of it moving itself into the
 * cgroup it is already in — at the start of create, and the grace period elapses while the
 * runtime loads the config, mounts, clones and the container process sets up its mounts. The
 * child finds its cgroup with cgroup_host_detect (layout.c) and ignores every failure.
 *
 * A process, not a thread: the container process is made by a raw clone(2), past glibc's fork
 * handlers. With a second thread alive it would inherit glibc's list of threads, and its
 * setresuid() (which glibc broadcasts to every thread it knows) would wait forever for one that
 * does not exist in it. */
#include "linux/cgroup/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

/* In the forked child: move itself into the cgroup it is already in, in any hierarchy (the
 * rwsem is global). The kernel takes the rwsem for a non-zero pid (for "0" it would not). */
static void migrate_self(void)
{
    struct cgroup_host host;
    cleanup_err hull_err *err = NULL;
    if (cgroup_host_detect(&host, &err) < 0)
        return;
    bool moved = false;
    for (size_t i = 0; i < host.n && !moved; i++) {
        if (host.h[i].own == NULL)
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s%s/cgroup.procs", host.h[i].mountpoint,
                 strcmp(host.h[i].own, "/") == 0 ? "" : host.h[i].own);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        char text[24];
        int len = snprintf(text, sizeof text, "%d", (int)getpid());
        moved = write(fd, text, (size_t)len) == len;
        close(fd);
    }
    cgroup_host_clear(&host);
}

/* The warm-up process of this process (fork()ed, so that the raw clone() of the container
 * process never copies a second thread: see above). */
static struct {
    atomic_bool started;
    pid_t child; /* 0 = none (or reaped) */
    pid_t owner; /* a forked copy of this memory must not wait for someone else's child */
} warmup;

void cgroup_warm_migration_lock(void)
{
    if (geteuid() != 0 || atomic_exchange(&warmup.started, true))
        return;
    pid_t pid = fork();
    if (pid != 0) {
        if (pid > 0) {
            warmup.child = pid;
            warmup.owner = getpid();
        }
        return;
    }
    /* The child (of a single-threaded process: it may allocate): finding its cgroup, which
     * takes a mountinfo parse, is off the caller's path too. _exit: no atexit handlers. */
    migrate_self();
    _exit(0);
}

void cgroup_warm_migration_wait(void)
{
    if (warmup.child <= 0)
        return;
    pid_t child = warmup.child;
    warmup.child = 0;
    if (warmup.owner != getpid())
        return;
    /* ECHILD: a subreaper loop reaped it already. */
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
}
