/* Hiding the cgroup migration grace period (see cgroup.h, cgroup_warm_migration_lock).
 *
 * Every write of a pid to cgroup.procs takes the kernel's global cgroup_threadgroup_rwsem for
 * writing. On a quiet host that rwsem's readers (fork, exit) run on a per-CPU fast path, and
 * the first writer has to switch them over with synchronize_rcu(): a full RCU grace period,
 * 8-25 ms here, which was the single largest wait of a container start. The switch lasts for a
 * grace period after the last writer, so a writer that comes soon after another pays nothing.
 *
 * So the runtime starts one harmless migration — a child of it moving itself into the cgroup
 * it is already in — at the start of create, and the grace period elapses while the runtime
 * loads the config, mounts, clones and the container process sets up its mounts. Every failure
 * is ignored.
 *
 * The child is cheap: it shares the caller's memory (CLONE_VM, on a small stack of its own), so
 * nothing is copied and the caller takes no copy-on-write faults afterwards, which a fork()
 * cost (2-5 ms of CPU per container start on a paravirtualised host, where page faults and TLB
 * flushes are dear). Sharing memory (and the caller's thread pointer), it must not touch the
 * heap, errno or any libc state: the caller prepares the path, and the child makes raw system
 * calls only (getpid, open, write, exit). On architectures without those few lines of assembly
 * it falls back to fork().
 *
 * A process, not a thread: the container process is made by a raw clone(2), past glibc's fork
 * handlers. With a second thread alive it would inherit glibc's list of threads, and its
 * setresuid() (which glibc broadcasts to every thread it knows) would wait forever for one that
 * does not exist in it. The CLONE_VM child is no thread to glibc (made by the raw clone
 * wrapper, no CLONE_THREAD): glibc's list stays as it was. */
#include "linux/cgroup/cgroup.h"
#include "linux/cgroup/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#if defined(__x86_64__) || defined(__aarch64__)
#define WARMUP_SHARED_VM 1
#else
#define WARMUP_SHARED_VM 0
#endif

enum { WARMUP_STACK = 64 * 1024 };

/* The warm-up process of this process. */
static struct {
    atomic_bool started;
    pid_t child; /* 0 = none (or reaped) */
    pid_t owner; /* a forked copy of this memory must not wait for someone else's child */
    void *stack; /* the CLONE_VM child's stack, unmapped once it is reaped */
    char path[4200];
} warmup;

/* The cgroup.procs file of this process's cgroup in the first hierarchy of `host` where it is
 * known (any will do: the rwsem is global). */
static int procs_path_in(const struct cgroup_host *host, char *path, size_t size)
{
    for (size_t i = 0; i < host->n; i++) {
        if (host->h[i].own == NULL)
            continue;
        int n = snprintf(path, size, "%s%s/cgroup.procs", host->h[i].mountpoint,
                         strcmp(host->h[i].own, "/") == 0 ? "" : host->h[i].own);
        if (n > 0 && (size_t)n < size)
            return 0;
    }
    return -1;
}

static int own_procs_path(char *path, size_t size)
{
    cleanup_free char *mountinfo = NULL, *self = NULL;
    size_t len;
    cleanup_err hull_err *err = NULL;
    if (fs_read_file("/proc/self/cgroup", 0, &self, &len, &err) < 0 ||
        cgroup_mounts_text(self, &mountinfo, &err) < 0)
        return -1;
    cleanup_cgroup_host struct cgroup_host host = {0};
    if (cgroup_host_parse(&host, mountinfo, self, "", &err) < 0)
        return -1;
    return procs_path_in(&host, path, size);
}

#if WARMUP_SHARED_VM
static inline long raw_syscall3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
#else
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
#endif
}

/* The CLONE_VM child: raw system calls on data the parent prepared, nothing else. The kernel
 * takes the rwsem for a non-zero pid, so it writes its own. Returns into glibc's clone
 * trampoline, which ends the child with the exit system call. */
__attribute__((no_sanitize("address", "undefined"), no_stack_protector)) static int
shared_vm_child(void *arg)
{
    const char *path = arg;
    long pid = raw_syscall3(SYS_getpid, 0, 0, 0);
    char text[24];
    char *end = text + sizeof text;
    char *p = end;
    do {
        *--p = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid > 0 && p > text);
    long fd = raw_syscall3(SYS_openat, AT_FDCWD, (long)path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        raw_syscall3(SYS_write, fd, (long)p, end - p);
        raw_syscall3(SYS_close, fd, 0, 0);
    }
    return 0;
}
#endif

static void start(void)
{
    pid_t pid = -1;
#if WARMUP_SHARED_VM
    void *stack = mmap(NULL, WARMUP_STACK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return;
    pid = clone(shared_vm_child, (char *)stack + WARMUP_STACK, CLONE_VM | SIGCHLD, warmup.path);
    if (pid < 0) {
        munmap(stack, WARMUP_STACK);
        return;
    }
    warmup.stack = stack;
#else
    pid = fork();
    if (pid == 0) {
        int fd = open(warmup.path, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            char text[24];
            int len = snprintf(text, sizeof text, "%d", (int)getpid());
            (void)!write(fd, text, (size_t)len);
        }
        _exit(0);
    }
    if (pid < 0)
        return;
#endif
    warmup.child = pid;
    warmup.owner = getpid();
}

void cgroup_warm_migration_lock(void)
{
    if (geteuid() != 0 || atomic_exchange(&warmup.started, true))
        return;
    if (own_procs_path(warmup.path, sizeof warmup.path) == 0)
        start();
}

void cgroup_warm_migration_lock_host(const struct cgroup_host *host)
{
    if (geteuid() != 0 || atomic_exchange(&warmup.started, true))
        return;
    if (procs_path_in(host, warmup.path, sizeof warmup.path) == 0)
        start();
}

void cgroup_warm_migration_wait(void)
{
    if (warmup.child <= 0)
        return;
    pid_t child = warmup.child;
    warmup.child = 0;
    if (warmup.owner != getpid())
        return;
    /* ECHILD: a subreaper loop reaped it already; its exit is then all the same done (the
     * stack is only unmapped once the child is gone: reaped, or a zombie until then). */
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    if (warmup.stack) {
        munmap(warmup.stack, WARMUP_STACK);
        warmup.stack = NULL;
    }
}
