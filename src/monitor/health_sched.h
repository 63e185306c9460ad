/* When a container's monitor probes its health: docker's schedule on a timerfd.
 *
 * The first probe comes one interval after the start; the next one interval after the previous
 * probe ended (only one is ever in flight). The interval is StartInterval while the start period
 * lasts and no probe has succeeded yet, Interval otherwise. A probe is `hull --data-root ROOT
 * __health ID`, a child of the monitor (health_probe.c runs the check and records the result);
 * its exit status 0 means the check passed.
 *
 * libc only, no allocation: linked into the static hull-monitor (with monitor_io.c) and into
 * libhull for attached runs. The schedule comes from DIR/health-schedule, written at create:
 * one line "INTERVAL_NS START_PERIOD_NS START_INTERVAL_NS" (no file: no health check). */
#ifndef HULL_MONITOR_HEALTH_SCHED_H
#define HULL_MONITOR_HEALTH_SCHED_H

#include <stdbool.h>
#include <sys/types.h>

#define HEALTH_SCHEDULE_NAME "health-schedule"

struct health_sched {
    long long interval_ns, start_period_ns, start_interval_ns;
    char *const *probe_argv; /* HULL --data-root ROOT __health ID (caller-owned) */
    int timer_fd;            /* -1 until started */
    pid_t probe;             /* in flight, 0 = none */
    bool succeeded;          /* a probe passed since the start */
    long long started_ns;    /* CLOCK_MONOTONIC at the start */
};

/* Write DIR/health-schedule (atomically). Returns -1 with errno on failure. */
int health_schedule_write(int dirfd, long long interval_ns, long long start_period_ns,
                          long long start_interval_ns);
/* Fill h from DIR/health-schedule: 1 when the container has a health check, 0 when not. */
int health_sched_load(struct health_sched *h, int dirfd, char *const *probe_argv);

/* The delay before the next probe, `now_ns` on the same clock as started_ns (pure). */
long long health_sched_next_delay(const struct health_sched *h, long long now_ns);

/* Create the timer and arm it for the first probe; -1 with errno on failure. */
int health_sched_start(struct health_sched *h);
/* The timer fired: start a probe (unless one is in flight). */
void health_sched_on_timer(struct health_sched *h);
/* A child was reaped: when it is the probe, note the result and arm the timer again.
 * Returns whether it was the probe. */
bool health_sched_reaped(struct health_sched *h, pid_t pid, int status);
/* The container exited: stop a probe in flight (SIGTERM: it records nothing; SIGKILL after
 * 2 s), reap it, close the timer. */
void health_sched_stop(struct health_sched *h);

#endif
