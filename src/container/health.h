/* Health checks, applied as docker applies them.
 *
 *  - configuration: the image config's Healthcheck merged with `--health-*` flags (docker's
 *    rules), validated and recorded as Config.Healthcheck in container.json;
 *  - state: DIR/health.json {"Status", "FailingStreak", "Log": [last 5 probes]}, moved by
 *    docker's rules (health_apply_result) under the container lock;
 *  - probes: one run of the test command inside the container (health_probe.c), started by the
 *    container's monitor on its schedule (health_sched.h) through `hull __health ID`, or by hand
 *    with `hull healthcheck run`. */
#ifndef HULL_CONTAINER_HEALTH_H
#define HULL_CONTAINER_HEALTH_H

#include <jansson.h>
#include <stdbool.h>

#include "container/store.h"
#include "util/error.h"

#define HEALTH_RECORD_NAME "health.json"
#define HEALTH_LOG_MAX     5    /* probes kept in Log, as docker */
#define HEALTH_OUTPUT_MAX  4096 /* bytes of a probe's output kept, as docker */
/* docker refuses durations below this (0 means "not set"). */
#define HEALTH_MIN_DURATION_NS 1000000LL

/* Go's time.ParseDuration, which docker's flags use: "1m30s", "500ms", "1.5h", "-2s", "0";
 * units ns, us (µs), ms, s, m, h. */
int health_parse_duration(const char *text, long long *ns, hull_err **err);
/* Go's Duration.String(): "30s", "1m30s", "300ms", "1h0m0s", "1.5µs", "0s". */
void health_format_duration(long long ns, char *buf, size_t size);

/* A Healthcheck as given (image config or flags): durations in ns, 0 = not set. */
struct health_config {
    const char *const *test; /* NULL-terminated; NULL or empty = not set (inherit) */
    long long interval, timeout, start_period, start_interval, retries;
};

/* docker's merge (daemon/commit.go): without flags the image's Healthcheck is used as it is;
 * with flags, every field the flags leave unset comes from the image. `disable`
 * (--no-healthcheck) records Test ["NONE"]. *out = the Config.Healthcheck object (zero fields
 * omitted, as docker's JSON does) or NULL when there is none. Durations below 1ms and negative
 * retries are refused with docker's messages. */
int health_config_merge(const struct health_config *image, const struct health_config *flags,
                        bool disable, json_t **out, hull_err **err);

/* Whether a recorded Healthcheck runs probes: Test is ["CMD", ...] or ["CMD-SHELL", cmd]. */
bool health_config_active(json_t *hc);

/* Effective values of a recorded Healthcheck: docker's defaults for what is unset. */
struct health_timing {
    long long interval, timeout, start_period, start_interval, retries;
};
#define HEALTH_DEFAULT_INTERVAL       30000000000LL
#define HEALTH_DEFAULT_TIMEOUT        30000000000LL
#define HEALTH_DEFAULT_START_INTERVAL 5000000000LL
#define HEALTH_DEFAULT_RETRIES        3
void health_timing_from_json(json_t *hc, struct health_timing *t);

/* The command a probe runs (CMD: the rest of Test; CMD-SHELL: /bin/sh -c CMD); malloc'd,
 * NULL-terminated array of strings borrowed from hc; NULL when hc is not active. */
char **health_probe_argv(json_t *hc);

enum health_status { HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };
const char *health_status_name(enum health_status s);
/* "starting" / "healthy" / "unhealthy" -> status (starting when unknown). */
enum health_status health_status_parse(const char *text);

struct health_state {
    enum health_status status;
    long long failing_streak;
};

/* docker's rules (daemon/health.go handleProbeResult): exit 0 -> healthy, streak 0; a failure
 * while still starting and inside the start period (since_start_ns < start_period) does not
 * count; otherwise the streak grows and reaching `retries` makes the container unhealthy. */
void health_apply_result(struct health_state *s, int exit_code, long long since_start_ns,
                         const struct health_timing *t);

/* One probe's outcome. */
struct health_result {
    char start[40], end[40]; /* RFC 3339, nanoseconds */
    long long start_ns;      /* CLOCK_REALTIME at the start */
    int exit_code;           /* -1: timeout or the command could not be started */
    char *output;            /* malloc'd, valid UTF-8, at most HEALTH_OUTPUT_MAX bytes + "..." */
};
void health_result_clear(struct health_result *res);

/* Read DIR/health.json; *out = NULL when there is none. */
int health_record_read(int dirfd, json_t **out, hull_err **err);
/* Apply a probe's result to DIR/health.json (Log keeps the last 5), atomically, under the
 * container lock. `started_at` is the run's StartedAt (run.json). *status gets the new one. */
int health_record_result(container_record *r, const struct health_result *res,
                         const char *started_at, enum health_status *status, hull_err **err);
/* A new run: Status starting, FailingStreak 0, the Log kept (docker does the same). Does not
 * lock: the starting process holds the lock, or no probe can run yet. */
int health_record_reset(container_record *r, hull_err **err);

/* Run the check once in the running container (health_probe.c), as docker's probe does: the
 * test command through libhull's exec (the container's user, environment, working directory
 * and confinement), stdout and stderr combined, the first 4 KiB kept; past Timeout it is
 * killed (exit -1, "Health check exceeded timeout (30s)"); a command that cannot be started is
 * exit -1 with the error as output. SIGTERM, SIGINT or SIGHUP abort the check (the command is
 * killed): -1 with "interrupted". */
int health_probe_run(container_store *cs, container_record *r, struct health_result *res,
                     hull_err **err);
/* `hull __health` and `hull healthcheck run`: probe a running container once and record the
 * result in health.json (unless the container stopped or restarted meanwhile). *passed: the
 * probe exited 0. */
int container_health_check(container_store *cs, container_record *r, bool *passed,
                           enum health_status *status, hull_err **err);

/* RFC 3339 with an optional fraction -> nanoseconds since the epoch (0 when unparsable). */
long long health_parse_time_ns(const char *text);

#endif
