/* hull events: print the event log (src/monitor/events.h), as `docker events` does. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/hull/containers.h"
#include "container/events_read.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/template.h"

static const char help[] =
    "Usage: hull events [OPTIONS]\n"
    "\n"
    "Print what happens to containers, images and volumes, from the event log every hull\n"
    "command and every container monitor appends to (DATA_ROOT/events.log). Without --since\n"
    "only new events are printed; without --until hull keeps following (ctrl-c ends it).\n"
    "\n"
    "Events (docker's names): container create, start, die (exitCode), kill (signal), oom,\n"
    "stop, restart, pause, unpause, destroy, health_status: STATUS; image pull, load, untag,\n"
    "delete;\n"
    "volume create, destroy.\n"
    "\n"
    "Options:\n"
    "      --since TIME       events at or after TIME: RFC 3339, Unix seconds, or a duration\n"
    "                         before now (10s, 5m, 2h)\n"
    "      --until TIME       events up to TIME (same forms); a time ahead is waited for\n"
    "  -f, --filter K=V       container, event, image, label (K or K=V), type (container,\n"
    "                         image, volume, ...), volume, scope; repeatable: values of one key\n"
    "                         are alternatives, keys must all match (every label must)\n"
    "      --format FORMAT    a Go template per event: `{{json .}}` (docker's JSON shape),\n"
    "                         `{{.Action}} {{.Actor.Attributes.name}}`, `{{if ...}}`, ...\n"
    "  -h, --help             show this help\n"
    "\n"
    "Default line: TIME TYPE ACTION ID (attribute=value, ...).\n"
    "\n"
    "Exit status: 0, 1 when the log cannot be read, 125 for usage errors.\n";

/* docker's RFC3339NanoFixed in local time: 2024-05-01T12:00:00.123456789+02:00. */
static void format_time(long long ns, char *buf, size_t size)
{
    time_t secs = (time_t)(ns / 1000000000LL);
    struct tm tm;
    localtime_r(&secs, &tm);
    char date[32], zone[8];
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm);
    if (strcmp(zone, "+0000") == 0)
        snprintf(zone, sizeof zone, "Z");
    else
        snprintf(zone + 3, sizeof zone - 3, ":%c%c", zone[3] == ':' ? zone[4] : zone[3],
                 zone[3] == ':' ? zone[5] : zone[4]);
    snprintf(buf, size, "%s.%09lld%s", date, ns % 1000000000LL, zone);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_default(json_t *ev)
{
    char when[64];
    format_time(event_time_ns(ev), when, sizeof when);
    json_t *actor = json_object_get(ev, "Actor");
    json_t *attrs = json_object_get(actor, "Attributes");
    printf("%s %s %s %s", when, json_string_value(json_object_get(ev, "Type")),
           json_string_value(json_object_get(ev, "Action")),
           json_string_value(json_object_get(actor, "ID")));
    size_t n = json_object_size(attrs);
    if (n) {
        const char **keys = calloc(n, sizeof *keys);
        size_t i = 0;
        const char *k;
        json_t *v;
        json_object_foreach(attrs, k, v) keys[i++] = k;
        qsort(keys, n, sizeof *keys, by_key);
        printf(" (");
        for (i = 0; i < n; i++)
            printf("%s%s=%s", i ? ", " : "", keys[i],
                   json_string_value(json_object_get(attrs, keys[i])));
        printf(")");
        free(keys);
    }
    putchar('\n');
}

/* One event through the user's Go template (util/template.h), a line per event as docker. */
static int print_template(const hull_template *tmpl, json_t *ev, hull_err **err)
{
    cleanup_free char *text = NULL;
    if (template_execute(tmpl, ev, &text, err) < 0)
        return -1;
    fputs(text, stdout);
    putchar('\n');
    return 0;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cmd_events(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { OPT_SINCE = 1, OPT_UNTIL, OPT_FILTER, OPT_FORMAT };
    static const struct option_spec optspec[] = {
        {"since", 0, true, OPT_SINCE, "from this time on"},
        {"until", 0, true, OPT_UNTIL, "up to this time, then exit"},
        {"filter", 'f', true, OPT_FILTER, "KEY=VALUE"},
        {"format", 0, true, OPT_FORMAT, "a Go template or json"},
        {NULL, 0, false, 0, NULL}};
    long long since = 0, until = 0;
    bool have_since = false, have_until = false;
    const char *format = NULL;
    struct event_filter *filter = NULL;
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int c;
    const char *arg;
    while ((c = options_next(&p, &arg, &err)) != 0) {
        switch (c) {
        case OPT_SINCE:
        case OPT_UNTIL:
            if (ctr_parse_when(arg, c == OPT_SINCE ? &since : &until) < 0) {
                event_filter_free(filter);
                return cli_usage("events",
                                 "--%s `%s`: expected RFC 3339, Unix seconds or a duration "
                                 "like 10s, 5m, 2h",
                                 c == OPT_SINCE ? "since" : "until", arg);
            }
            *(c == OPT_SINCE ? &have_since : &have_until) = true;
            break;
        case OPT_FILTER:
            if (event_filter_add(&filter, arg, &err) < 0) {
                event_filter_free(filter);
                return cli_fail(err);
            }
            break;
        case OPT_FORMAT:
            format = arg;
            break;
        default:
            event_filter_free(filter);
            return cli_usage_options("events", err);
        }
    }
    if (p.index < argc) {
        event_filter_free(filter);
        return cli_usage("events", "unexpected argument `%s`", argv[p.index]);
    }
    cleanup_template hull_template *tmpl = NULL;
    if (format != NULL && template_parse(format, &tmpl, &err) < 0) {
        event_filter_free(filter);
        int rc = cli_usage("events", "--format: %s", err->msg);
        hull_err_free(err);
        return rc;
    }
    cleanup_container_store container_store *cs = NULL;
    struct event_reader *rd = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || event_reader_open(cs->data_root, &rd, &err) < 0) {
        event_filter_free(filter);
        return cli_fail(err);
    }
    long long start = now_ns();
    if (!have_since)
        since = start; /* docker: only what happens from now on */
    long long follow = !have_until ? LLONG_MAX : until > start ? until : 0;
    int status = 0;
    json_t *ev;
    while ((ev = event_reader_next(rd, follow)) != NULL) {
        long long t = event_time_ns(ev);
        bool show = t >= since && (!have_until || t <= until) && event_filter_match(filter, ev);
        if (show) {
            if (tmpl == NULL)
                print_default(ev);
            else if (print_template(tmpl, ev, &err) < 0) {
                json_decref(ev);
                status = cli_fail(err);
                break;
            }
            fflush(stdout);
        }
        json_decref(ev);
    }
    event_reader_close(rd);
    event_filter_free(filter);
    return status;
}
