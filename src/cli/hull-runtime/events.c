/* hull-runtime events: a container's statistics and OOM events as runc's JSON event stream. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "oci/json_read.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/time.h"

enum { E_STATS = 1, E_INTERVAL };
static const struct option_spec events_options[] = {
    {"stats", 0, false, E_STATS}, {"interval", 0, true, E_INTERVAL}, {NULL, 0, false, 0}};

/* Go-style durations as runc takes them: "5s", "100ms", "1.5s", "1m", "250us". */
static int parse_duration_ms(const char *text, long *out_ms, hull_err **err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || v < 0)
        return hull_error(err, EINVAL, "--interval: invalid duration `%s`", text);
    double ms;
    if (strcmp(end, "ms") == 0)
        ms = v;
    else if (strcmp(end, "s") == 0)
        ms = v * 1000;
    else if (strcmp(end, "m") == 0)
        ms = v * 60000;
    else if (strcmp(end, "h") == 0)
        ms = v * 3600000;
    else if (strcmp(end, "us") == 0 || strcmp(end, "µs") == 0)
        ms = v / 1000;
    else if (strcmp(end, "ns") == 0)
        ms = v / 1000000;
    else
        return hull_error(err, EINVAL, "--interval: `%s`: expected a duration like 5s or 100ms",
                          text);
    if (ms < 1 || ms > 86400000.0)
        return hull_error(err, EINVAL, "--interval: `%s` is out of range 1ms..24h", text);
    *out_ms = (long)ms;
    return 0;
}

static void print_event(const char *type, const char *id, json_t *data)
{
    cleanup_json json_t *ev = json_object();
    json_object_set_new(ev, "type", json_string(type));
    json_object_set_new(ev, "id", json_string(id));
    if (data)
        json_object_set(ev, "data", data);
    cleanup_free char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text) {
        puts(text);
        fflush(stdout);
    }
}

/* Stream until the container stops: stats every interval, an oom event whenever the kernel's
 * OOM-kill counter grows (woken early by the memory cgroup's notification fd). */
static int stream(struct cli_ctx *ctx, const char *id, long interval_ms, hull_err **err)
{
    uint64_t seen = 0;
    cleanup_json json_t *first = NULL;
    if (runtime_stats(&ctx->ro, id, &first, &seen, err) < 0)
        return -1;
    hull_err *notify_err = NULL;
    cleanup_close int notify = runtime_oom_notify_fd(&ctx->ro, id, &notify_err);
    hull_err_free(notify_err);
    print_event("stats", id, first);
    long long next_tick = time_monotonic_ms() + interval_ms;
    for (;;) {
        long long wait = next_tick - time_monotonic_ms();
        if (wait < 0)
            wait = 0;
        struct pollfd pfd = {.fd = notify, .events = POLLIN};
        int r = poll(&pfd, notify >= 0 ? 1 : 0, (int)wait);
        if (r > 0) {
            char drain[4096];
            while (read(notify, drain, sizeof drain) > 0)
                ;
        }
        bool tick = time_monotonic_ms() >= next_tick;
        cleanup_json json_t *stats = NULL;
        uint64_t kills = 0;
        hull_err *e = NULL;
        if (runtime_stats(&ctx->ro, id, &stats, &kills, &e) < 0) {
            hull_err_free(e); /* the container stopped: the stream ends */
            return 0;
        }
        for (; seen < kills; seen++)
            print_event("oom", id, NULL);
        if (tick) {
            print_event("stats", id, stats);
            next_tick += interval_ms;
        }
    }
}

int cmd_events(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, events_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    bool stats_only = false;
    long interval_ms = 5000;
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        int rc = 0;
        if (id < 0)
            return cli_usage_fail("events", err);
        if (id == E_STATS)
            rc = options_bool("stats", arg, &stats_only, &err);
        else if (id == E_INTERVAL)
            rc = parse_duration_ms(arg, &interval_ms, &err);
        if (rc < 0)
            return cli_fail(err);
    }
    if (cli_require_args("events", &p, 1, "one container id") != 0)
        return 1;
    const char *cid = p.positionals[0];
    int rc;
    if (stats_only) {
        cleanup_json json_t *stats = NULL;
        rc = runtime_stats(&ctx->ro, cid, &stats, NULL, &err);
        if (rc == 0)
            print_event("stats", cid, stats);
    } else {
        rc = stream(ctx, cid, interval_ms, &err);
    }
    return rc < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_events = {
    "events",
    cmd_events,
    "print a container's resource statistics and OOM events",
    "Usage: hull-runtime events [--stats] [--interval DURATION] ID\n"
    "\n"
    "Print container ID's events as JSON lines, in runc's format:\n"
    "  {\"type\":\"stats\",\"id\":ID,\"data\":{\"cpu\":...,\"memory\":...,\"pids\":...,\n"
    "   \"blkio\":...,\"hugetlb\":...}}\n"
    "  {\"type\":\"oom\",\"id\":ID}   when the kernel OOM-killed a process of the container\n"
    "Without --stats the stream goes on until the container stops: statistics every\n"
    "interval, OOM events as they happen. cpu times are in nanoseconds, memory in bytes.\n"
    "\n"
    "Options:\n"
    "  --stats                print the statistics once and exit\n"
    "  --interval DURATION    time between statistics, e.g. 5s, 500ms (default 5s)\n",
};
