/* A container's state as docker shows it, derived from three sources that each have one
 * writer: libhull's runtime state (is the process alive?), run.json (written at every start by
 * the launching process) and exit.json (written by the monitor at every exit). A monitor that
 * died without writing exit.json (crash, reboot) leaves a container that is `exited` with an
 * unknown code (-1). */
#ifndef HULL_CONTAINER_STATUS_H
#define HULL_CONTAINER_STATUS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container/store.h"

enum container_state_kind {
    CONTAINER_CREATED,
    CONTAINER_RUNNING,
    CONTAINER_PAUSED,
    CONTAINER_RESTARTING,
    CONTAINER_EXITED,
    CONTAINER_DEAD, /* a create that was interrupted: only `rm` (or `system prune`) applies */
};

struct container_run_info {
    long generation; /* number of starts so far */
    pid_t pid;
    char started_at[40];
    long restart_count;
    pid_t monitor_pid;
    unsigned long long monitor_start_time;
};

struct container_state_info {
    enum container_state_kind state;
    pid_t pid;                         /* when running or paused */
    unsigned long long pid_start_time; /* pid's start time, as the runtime recorded it */
    int exit_code;
    bool exit_known;
    bool oom_killed; /* the last run's end was the kernel's OOM kill (exit.json) */
    char started_at[40];
    char finished_at[40];
    long restart_count;
    long generation;
    pid_t monitor_pid;
    bool monitor_alive;
    /* Running, but its monitor died (killed, crashed): nobody records its output or exit, and
     * the restart policy waits for `hull start` to give it a new monitor (container_adopt). */
    bool unmonitored;
    const char *error; /* static text, "" when none */
    /* Running with a health check: "starting", "healthy" or "unhealthy" (health.json); else "" */
    char health[16];
};

const char *container_state_name(enum container_state_kind s);

/* 0 and a zeroed info when the container never started. */
int container_run_info_read(container_record *r, struct container_run_info *out, hull_err **err);
int container_run_info_write(container_record *r, const struct container_run_info *info,
                             hull_err **err);

int container_status_get(container_store *cs, container_record *r, struct container_state_info *out,
                         hull_err **err);
/* The health docker's `ps --filter health=` sees: "none" without a health check or before its
 * first start, else the current status, or the last one recorded once the container stopped. */
void container_health_last(container_record *r, const struct container_state_info *st, char *buf,
                           size_t size);
/* docker's State object: Status, Running, Paused, Restarting, OOMKilled, Dead, Pid, ExitCode,
 * Error, StartedAt, FinishedAt (+ MonitorPid). */
json_t *container_status_json(const struct container_state_info *st);
/* "Up 3 seconds", "Up 3 seconds (healthy)", "Up 1 second (health: starting)", "Up 3 minutes
 * (unmonitored)", "Exited (0) 2 minutes ago", "Created", "Restarting (1) 1 second ago". */
void container_status_text(const struct container_state_info *st, char *buf, size_t size);

/* Whether process `pid` with start time `start` still exists (not a zombie). */
bool container_process_alive(pid_t pid, unsigned long long start);

/* docker's HumanDuration: "Less than a second", "1 second", "5 seconds", "About a minute",
 * "3 minutes", "About an hour", "5 hours", "3 days", "3 weeks", "7 months", "2 years". */
void container_human_duration(long long secs, char *buf, size_t size);

/* RFC 3339 text -> seconds since the epoch (0 when unparsable). */
long long container_parse_time(const char *text);

#endif
