/* Hiding the cgroup migration grace period (see cgroup.h, cgroup_warm_migration_lock).
 *
 * Every write of a pid to cgroup.procs takes the kernel's global cgroup_threadgroup_rwsem for
 * writing. On a quiet host that rwsem's readers (fork, exit) run on a per-CPU fast path, and
 * the first writer has to switch them over with synchronize_rcu(): a full RCU grace period,
 * 8-25 ms here, which was the single largest wait of a container start. The switch lasts for a
 * grace period after the last writer, so a writer that comes soon after another pays nothing.
 *
 * So the runtime starts one harmless migration — this process into the cgroup it is already in —
 * on a thread at the start of create, and the grace period elapses while the main thread loads
 * the config, mounts and clones. The thread only makes raw system calls (no locks a concurrent
 * fork could inherit), touches nothing it does not own and ignores every failure.
 *
 * It is joined before the container process is cloned. That clone is a raw clone(2), past
 * glibc's fork handlers: with a second thread alive the child would inherit glibc's list of
 * threads, and its setresuid() (which glibc broadcasts to every thread it knows) would wait
 * forever for one that does not exist in the child; a thread on its way out may also hold the
 * malloc arena lock. Joining costs only what is left of the grace period, which the container's
 * own migration would have waited for anyway. */
#include "linux/cgroup/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
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

/* The one warm-up thread of this process. */
static struct {
    atomic_bool started;
    bool running;
    pid_t owner; /* a forked child inherits this memory but not the thread */
    pthread_t thread;
} warmup;

static void *warm(void *arg)
{
    (void)arg;
    char path[1200], pid[24];
    if (!own_procs_file(path, sizeof path))
        return NULL;
    int len = snprintf(pid, sizeof pid, "%d", (int)warmup.owner);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    /* The kernel takes the rwsem for a non-zero pid (for "0" it would not). */
    ssize_t n = write(fd, pid, (size_t)len);
    (void)n;
    close(fd);
    return NULL;
}

void cgroup_warm_migration_lock(void)
{
    if (geteuid() != 0 || atomic_exchange(&warmup.started, true))
        return;
    warmup.owner = getpid();
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return;
    pthread_attr_setstacksize(&attr, 64 * 1024);
    /* Signals are the main thread's business (signalfd relays): none may land on ours. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    warmup.running = pthread_create(&warmup.thread, &attr, warm, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
}

void cgroup_warm_migration_wait(void)
{
    if (!warmup.running)
        return;
    warmup.running = false;
    if (warmup.owner == getpid()) /* else a forked copy: the thread is not ours */
        pthread_join(warmup.thread, NULL);
}
