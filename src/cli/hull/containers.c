/* Shared pieces of the container commands. */
#include "cli/hull/containers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container/event_emit.h"
#include "container/launch.h"
#include "container/status.h"
#include "util/cleanup.h"
#include "vm/handler.h"

/* The custom handlers hull offers the runtime (runtime/custom_handler.h): `--runtime vm`. */
static const struct runtime_handler *const handlers[] = {&vm_runtime_handler, NULL};

int ctr_open(struct hull_cli *cli, container_store **out, hull_err **err)
{
    if (container_store_open(cli->data_root, out, err) < 0)
        return -1;
    (*out)->runtime.handlers = handlers;
    return 0;
}

int ctr_parse_stop_options(const char *command, const struct option_spec *opts, int argc,
                           char **argv, long *timeout, int *first)
{
    *timeout = -1;
    const char *v[2] = {NULL};
    int usage = cli_options(command, opts, argc, argv, v, first);
    if (usage)
        return usage;
    if (v[1]) {
        char *end;
        long t = strtol(v[1], &end, 10);
        if (*v[1] == '\0' || *end || t < 0 || t > 1000000)
            return cli_usage(command, "-t: invalid number of seconds `%s`", v[1]);
        *timeout = t;
    }
    if (*first >= argc)
        return cli_usage(command, "expected at least one CONTAINER");
    return 0;
}

int ctr_parse_no_options(const char *command, int argc, char **argv, int *first)
{
    const char *v[1] = {NULL};
    int usage = cli_options(command, cli_no_options, argc, argv, v, first);
    if (usage)
        return usage;
    if (*first >= argc)
        return cli_usage(command, "expected at least one CONTAINER");
    return 0;
}

int ctr_stop_ref(container_store *cs, const char *ref, long timeout, container_record **r,
                 hull_err **err)
{
    if (container_record_find(cs, ref, r, err) < 0)
        return -1;
    if (container_stop(cs, *r, (*r)->stop_signal, timeout >= 0 ? timeout : (*r)->stop_timeout,
                       err) < 0)
        return -1;
    container_event(cs, *r, "stop", NULL, NULL);
    return 0;
}

int ctr_for_each(struct hull_cli *cli, int first, int argc, char **argv,
                 int (*fn)(struct hull_cli *cli, container_store *cs, const char *ref, void *data),
                 void *data)
{
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    if (ctr_open(cli, &cs, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (int i = first; i < argc; i++) {
        int rc = fn(cli, cs, argv[i], data);
        if (rc != 0)
            status = rc;
    }
    return status;
}

long long ctr_time_ns(const char *text)
{
    long long secs = container_parse_time(text);
    if (secs == 0)
        return 0;
    long long ns = 0;
    const char *dot = strchr(text, '.');
    if (dot) {
        int digits = 0;
        for (const char *p = dot + 1; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
            ns = ns * 10 + (*p - '0');
        for (; digits < 9; digits++)
            ns *= 10;
    }
    return secs * 1000000000LL + ns;
}

int ctr_parse_when(const char *text, long long *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end != text && *end != '\0' && end[1] == '\0' && strchr("smh", *end)) {
        double mult = *end == 's' ? 1 : *end == 'm' ? 60 : 3600;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        *out = (long long)now.tv_sec * 1000000000LL + now.tv_nsec - (long long)(v * mult * 1e9);
        return 0;
    }
    if (end != text && *end == '\0') {
        *out = (long long)(v * 1e9);
        return 0;
    }
    long long ns = ctr_time_ns(text);
    if (ns == 0)
        return -1;
    *out = ns;
    return 0;
}
