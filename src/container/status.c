/* Container state derivation (see status.h). */
#include "container/status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container/health.h"
#include "monitor/monitor_io.h"
#include "oci/json_read.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"
#include "util/cleanup.h"

const char *container_state_name(enum container_state_kind s)
{
    switch (s) {
    case CONTAINER_CREATED:
        return "created";
    case CONTAINER_RUNNING:
        return "running";
    case CONTAINER_PAUSED:
        return "paused";
    case CONTAINER_RESTARTING:
        return "restarting";
    case CONTAINER_EXITED:
        return "exited";
    case CONTAINER_DEAD:
        return "dead";
    }
    return "unknown";
}

bool container_process_alive(pid_t pid, unsigned long long start)
{
    return pid > 0 && start != 0 && proc_start_time(pid) == start;
}

static void copy_str(char *dst, size_t size, json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, size, "%s", s ? s : "");
}

int container_run_info_read(container_record *r, struct container_run_info *out, hull_err **err)
{
    memset(out, 0, sizeof *out);
    cleanup_json json_t *doc = NULL;
    if (container_read_json(r->dirfd, CONTAINER_RUN_INFO, &doc, err) < 0)
        return -1;
    if (doc == NULL)
        return 0;
    out->generation = (long)json_integer_value(json_object_get(doc, "Generation"));
    out->pid = (pid_t)json_integer_value(json_object_get(doc, "Pid"));
    copy_str(out->started_at, sizeof out->started_at, json_object_get(doc, "StartedAt"));
    out->restart_count = (long)json_integer_value(json_object_get(doc, "RestartCount"));
    out->monitor_pid = (pid_t)json_integer_value(json_object_get(doc, "MonitorPid"));
    out->monitor_start_time =
        (unsigned long long)json_integer_value(json_object_get(doc, "MonitorStartTime"));
    return 0;
}

int container_run_info_write(container_record *r, const struct container_run_info *info,
                             hull_err **err)
{
    cleanup_json json_t *doc =
        json_pack("{s:I, s:i, s:s, s:I, s:i, s:I}", "Generation", (json_int_t)info->generation,
                  "Pid", (int)info->pid, "StartedAt", info->started_at, "RestartCount",
                  (json_int_t)info->restart_count, "MonitorPid", (int)info->monitor_pid,
                  "MonitorStartTime", (json_int_t)info->monitor_start_time);
    return container_write_json(r->dirfd, CONTAINER_RUN_INFO, doc, err);
}

/* health.json's Status ("starting" until the first probe), NULL when there is no record. */
static const char *recorded_health(container_record *r)
{
    cleanup_json json_t *doc = NULL;
    cleanup_err hull_err *e = NULL;
    if (health_record_read(r->dirfd, &doc, &e) < 0 || doc == NULL)
        return NULL;
    const char *s = json_string_value(json_object_get(doc, "Status"));
    return health_status_name(health_status_parse(s ? s : "starting"));
}

/* The health status of a running container with a health check (health.json). */
static void read_health(container_record *r, struct container_state_info *out)
{
    if (r->healthcheck == NULL)
        return;
    const char *s = recorded_health(r);
    snprintf(out->health, sizeof out->health, "%s", s ? s : "starting");
}

void container_health_last(container_record *r, const struct container_state_info *st, char *buf,
                           size_t size)
{
    const char *s = st->health[0]                    ? st->health
                    : r->healthcheck == NULL         ? NULL
                    : st->state == CONTAINER_RUNNING ? "starting"
                                                     : recorded_health(r);
    snprintf(buf, size, "%s", s ? s : "none");
}

int container_status_get(container_store *cs, container_record *r, struct container_state_info *out,
                         hull_err **err)
{
    memset(out, 0, sizeof *out);
    out->error = "";
    if (r->dead) {
        /* Its create still runs (lock held), or was interrupted: then it is dead. */
        out->exit_code = -1;
        out->state = container_lock_busy(r) ? CONTAINER_CREATED : CONTAINER_DEAD;
        if (out->state == CONTAINER_DEAD)
            out->error = "the container's creation was interrupted: remove it (hull rm)";
        return 0;
    }
    struct container_run_info run;
    if (container_run_info_read(r, &run, err) < 0)
        return -1;
    cleanup_json json_t *ex = NULL;
    if (container_read_json(r->dirfd, MONITOR_EXIT_NAME, &ex, err) < 0)
        return -1;
    long exit_gen = ex ? (long)json_integer_value(json_object_get(ex, "Generation")) : 0;
    out->generation = run.generation;
    out->restart_count = run.restart_count;
    memcpy(out->started_at, run.started_at, sizeof out->started_at);
    out->monitor_pid = run.monitor_pid;
    out->monitor_alive = container_process_alive(run.monitor_pid, run.monitor_start_time);
    if (ex) {
        out->exit_code = (int)json_integer_value(json_object_get(ex, "ExitCode"));
        out->exit_known = out->exit_code != -1; /* -1: an adopted run's, reaped by another */
        out->oom_killed = json_is_true(json_object_get(ex, "OOMKilled"));
        copy_str(out->finished_at, sizeof out->finished_at, json_object_get(ex, "FinishedAt"));
    }

    /* libhull's view; a state it cannot read counts as no process */
    enum runtime_status rt;
    struct runtime_proc proc;
    cleanup_err hull_err *rt_err = NULL;
    if (runtime_status_get(&cs->runtime, r->id, &rt, &proc, &rt_err) < 0) {
        rt = RUNTIME_STOPPED;
        proc.pid = 0;
        proc.start_time = 0;
    }
    pid_t pid = proc.pid;
    out->pid_start_time = proc.start_time;
    if (rt == RUNTIME_RUNNING || rt == RUNTIME_PAUSED) {
        out->state = rt == RUNTIME_RUNNING ? CONTAINER_RUNNING : CONTAINER_PAUSED;
        out->pid = pid;
        if (run.monitor_pid > 0 && !out->monitor_alive) {
            out->unmonitored = true;
            out->error = "the container's monitor died: its output is no longer logged, its exit "
                         "code will not be known, health checks and the restart policy wait for "
                         "`hull start` to give it a new monitor";
            return 0;
        }
        read_health(r, out);
        return 0;
    }
    if (run.generation == 0) {
        out->state = CONTAINER_CREATED;
        return 0;
    }
    if (ex && exit_gen == run.generation) {
        bool restarting = json_is_true(json_object_get(ex, "Restarting"));
        out->state = restarting && out->monitor_alive ? CONTAINER_RESTARTING : CONTAINER_EXITED;
        return 0;
    }
    if (out->monitor_alive) {
        /* Starting, or exited a moment ago and not recorded yet. */
        out->state = CONTAINER_RUNNING;
        out->pid = rt != RUNTIME_STOPPED ? pid : 0;
        return 0;
    }
    out->state = CONTAINER_EXITED;
    out->exit_code = -1;
    out->exit_known = false;
    out->error = "the container's monitor ended without recording an exit status (crash or "
                 "reboot)";
    return 0;
}

json_t *container_status_json(const struct container_state_info *st)
{
    const char *finished = st->finished_at[0] ? st->finished_at : "0001-01-01T00:00:00Z";
    const char *started = st->started_at[0] ? st->started_at : "0001-01-01T00:00:00Z";
    return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s, s:i}", "Status",
                     container_state_name(st->state), "Running",
                     st->state == CONTAINER_RUNNING || st->state == CONTAINER_PAUSED, "Paused",
                     st->state == CONTAINER_PAUSED, "Restarting", st->state == CONTAINER_RESTARTING,
                     "OOMKilled", st->oom_killed, "Dead", st->state == CONTAINER_DEAD, "Pid",
                     (int)st->pid, "ExitCode", st->exit_code, "Error", st->error, "StartedAt",
                     started, "FinishedAt",
                     st->state == CONTAINER_RUNNING ? "0001-01-01T00:00:00Z" : finished,
                     "MonitorPid", st->monitor_alive ? (int)st->monitor_pid : 0);
}

long long container_parse_time(const char *text)
{
    struct tm tm = {0};
    if (text == NULL || strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return (long long)timegm(&tm);
}

void container_human_duration(long long secs, char *buf, size_t size)
{
    if (secs < 1)
        snprintf(buf, size, "Less than a second");
    else if (secs == 1)
        snprintf(buf, size, "1 second");
    else if (secs < 60)
        snprintf(buf, size, "%lld seconds", secs);
    else if (secs < 120)
        snprintf(buf, size, "About a minute");
    else if (secs < 3600)
        snprintf(buf, size, "%lld minutes", secs / 60);
    else if (secs < 7200)
        snprintf(buf, size, "About an hour");
    else if (secs < 48 * 3600)
        snprintf(buf, size, "%lld hours", secs / 3600);
    else if (secs < 14 * 86400)
        snprintf(buf, size, "%lld days", secs / 86400);
    else if (secs < 60 * 86400)
        snprintf(buf, size, "%lld weeks", secs / (7 * 86400));
    else if (secs < 730 * 86400)
        snprintf(buf, size, "%lld months", secs / (30 * 86400));
    else
        snprintf(buf, size, "%lld years", secs / (365 * 86400));
}

void container_status_text(const struct container_state_info *st, char *buf, size_t size)
{
    char d[64];
    long long now = (long long)time(NULL);
    switch (st->state) {
    case CONTAINER_CREATED:
        snprintf(buf, size, "Created");
        return;
    case CONTAINER_RUNNING:
    case CONTAINER_PAUSED:
        container_human_duration(now - container_parse_time(st->started_at), d, sizeof d);
        if (st->state == CONTAINER_PAUSED)
            snprintf(buf, size, "Up %s (Paused)", d);
        else if (st->unmonitored)
            snprintf(buf, size, "Up %s (unmonitored)", d);
        else if (strcmp(st->health, "starting") == 0)
            snprintf(buf, size, "Up %s (health: starting)", d);
        else if (st->health[0])
            snprintf(buf, size, "Up %s (%s)", d, st->health);
        else
            snprintf(buf, size, "Up %s", d);
        return;
    case CONTAINER_RESTARTING:
        container_human_duration(now - container_parse_time(st->finished_at), d, sizeof d);
        snprintf(buf, size, "Restarting (%d) %s ago", st->exit_code, d);
        return;
    case CONTAINER_EXITED:
        container_human_duration(now - container_parse_time(st->finished_at), d, sizeof d);
        if (st->exit_known)
            snprintf(buf, size, "Exited (%d) %s ago", st->exit_code, d);
        else
            snprintf(buf, size, "Exited (unknown)");
        return;
    case CONTAINER_DEAD:
        snprintf(buf, size, "Dead");
        return;
    }
}
