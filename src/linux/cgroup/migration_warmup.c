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
 * child makes raw system calls only and ignores every failure.
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

/* The cgroup.procs file of this process's cgroup in one hierarchy: a v1 one of the usual layout
 * (any v1 hierarchy does: the rwsem is global), else cgroup2 (hybrid or unified). */
static bool own_procs_file(char *out, size_t size)
{
    char buf[4096];
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char unified[1024] = "";
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        /* "ID:CONTROLLERS:PATH" */
        char *c = strchr(line, ':');
        char *p = c ? strchr(c + 1, ':') : NULL;
        if (p == NULL)
            continue;
        *p++ = '\0';
        const char *controllers = c + 1;
        if (*controllers == '\0') {
            snprintf(unified, sizeof unified, "%s", p);
            continue;
        }
        if (strcmp(controllers, "pids") == 0) {
            int len = snprintf(out, size, "/sys/fs/cgroup/pids%s/cgroup.procs", p);
            if (len > 0 && (size_t)len < size && access(out, W_OK) == 0)
                return true;
        }
    }
    static const char *const v2_roots[] = {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
    if (unified[0] == '\0')
        return false;
    for (size_t i = 0; i < sizeof v2_roots / sizeof v2_roots[0]; i++) {
        int len = snprintf(out, size, "%s%s/cgroup.procs", v2_roots[i],
                           strcmp(unified, "/") == 0 ? "" : unified);
        if (len > 0 && (size_t)len < size && access(out, W_OK) == 0)
            return true;
    }
    return false;
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
    char path[1200];
    if (!own_procs_file(path, sizeof path))
        return;
    pid_t pid = fork();
    if (pid != 0) {
        if (pid > 0) {
            warmup.child = pid;
            warmup.owner = getpid();
        }
        return;
    }
    /* The child: one write of its own pid (the kernel takes the rwsem for a non-zero pid; for
     * "0" it would not), raw system calls only, then gone. */
    char text[24];
    int len = snprintf(text, sizeof text, "%d", (int)getpid());
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = write(fd, text, (size_t)len);
        (void)n;
    }
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
