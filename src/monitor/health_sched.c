/* The health probe schedule of a container monitor (libc only, see health_sched.h). */
#include "monitor/health_sched.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a probe may take to stop after SIGTERM when the container exited. */
#define PROBE_STOP_GRACE_MS 2000

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int health_schedule_write(int dirfd, long long interval_ns, long long start_period_ns,
                          long long start_interval_ns)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, "%lld %lld %lld\n", interval_ns, start_period_ns,
                     start_interval_ns);
    int fd =
        openat(dirfd, HEALTH_SCHEDULE_NAME ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    bool ok = write(fd, buf, (size_t)n) == n;
    close(fd);
    if (!ok || renameat(dirfd, HEALTH_SCHEDULE_NAME ".tmp", dirfd, HEALTH_SCHEDULE_NAME) < 0)
        return -1;
    return 0;
}

int health_sched_load(struct health_sched *h, int dirfd, char *const *probe_argv)
{
    memset(h, 0, sizeof *h);
    h->timer_fd = -1;
    h->probe_argv = probe_argv;
    int fd = openat(dirfd, HEALTH_SCHEDULE_NAME, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[96];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *p = buf, *end;
    long long v[3];
    for (int i = 0; i < 3; i++) {
        v[i] = strtoll(p, &end, 10);
        if (end == p || v[i] < 0)
            return 0;
        p = end;
    }
    if (v[0] <= 0)
        return 0;
    h->interval_ns = v[0];
    h->start_period_ns = v[1];
    h->start_interval_ns = v[2] > 0 ? v[2] : v[0];
    return 1;
}

long long health_sched_next_delay(const struct health_sched *h, long long now_ns)
{
    bool in_start_period = now_ns - h->started_ns < h->start_period_ns;
    return in_start_period && !h->succeeded ? h->start_interval_ns : h->interval_ns;
}

static void arm(struct health_sched *h)
{
    long long d = health_sched_next_delay(h, mono_ns());
    struct itimerspec its = {.it_value = {.tv_sec = d / 1000000000LL, .tv_nsec = d % 1000000000LL}};
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1; /* all zero would disarm */
    timerfd_settime(h->timer_fd, 0, &its, NULL);
}

int health_sched_start(struct health_sched *h)
{
    h->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (h->timer_fd < 0)
        return -1;
    h->started_ns = mono_ns();
    h->succeeded = false;
    h->probe = 0;
    arm(h);
    return 0;
}

/* In the forked child: a clean slate for `hull __health` (no inherited mask, ignored signals,
 * terminal or container pipes), then exec. */
static __attribute__((noreturn)) void exec_probe(char *const *argv)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    /* Its own process group: a Ctrl-C meant for an attached `hull run` is not for the probe. */
    setpgid(0, 0);
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
        if (null >= 0)
            dup2(null, fd);
    syscall(SYS_close_range, 3U, ~0U, 0U);
    execv(argv[0], argv);
    _exit(127);
}

void health_sched_on_timer(struct health_sched *h)
{
    uint64_t expirations;
    if (read(h->timer_fd, &expirations, sizeof expirations) < 0 && errno == EAGAIN)
        return;
    if (h->probe > 0)
        return;
    pid_t pid = fork();
    if (pid == 0)
        exec_probe(h->probe_argv);
    if (pid < 0) {
        arm(h); /* try again next time */
        return;
    }
    h->probe = pid;
}

bool health_sched_reaped(struct health_sched *h, pid_t pid, int status)
{
    if (h->probe <= 0 || pid != h->probe)
        return false;
    h->probe = 0;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        h->succeeded = true;
    if (h->timer_fd >= 0)
        arm(h);
    return true;
}

/* Whether `pid` (our child) exits within `ms`. */
static bool exits_within(pid_t pid, int ms)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return false;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int rc;
    do
        rc = poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    close(fd);
    return rc > 0;
}

void health_sched_stop(struct health_sched *h)
{
    if (h->probe > 0) {
        /* SIGTERM: the probe stops its check and records nothing; SIGKILL if it lingers. */
        kill(h->probe, SIGTERM);
        if (!exits_within(h->probe, PROBE_STOP_GRACE_MS))
            kill(h->probe, SIGKILL);
        while (waitpid(h->probe, NULL, 0) < 0 && errno == EINTR)
            ;
        h->probe = 0;
    }
    if (h->timer_fd >= 0) {
        close(h->timer_fd);
        h->timer_fd = -1;
    }
}
