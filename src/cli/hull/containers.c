/* Shared pieces of the container commands. */
#include "cli/hull/containers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/launch.h"
#include "util/cleanup.h"
#include "vm/handler.h"

/* The custom handlers hull offers the runtime (runtime/handler.h): `--runtime vm`. */
static const struct runtime_handler *const handlers[] = {&vm_runtime_handler, NULL};

int ctr_open(struct hull_cli *cli, container_store **out, hull_err **err)
{
    if (container_store_open(cli->data_root, out, err) < 0)
        return -1;
    (*out)->runtime.handlers = handlers;
    return 0;
}

void ctr_getopt_reset(void)
{
    optind = 0;
    opterr = 0;
}

int ctr_bad_option(const char *command, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (c == ':')
        return cli_usage(command, "option `%s` needs a value", arg);
    if (optopt && optopt != '?' && (arg[0] != '-' || arg[1] == '-' || strlen(arg) > 2))
        return cli_usage(command, "unknown option `-%c`", optopt);
    return cli_usage(command, "unknown option `%s`", arg);
}

int ctr_parse_stop_options(const char *command, const struct option *opts, int argc, char **argv,
                           long *timeout)
{
    *timeout = -1;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:t:", opts, NULL)) != -1) {
        if (c != 't')
            return ctr_bad_option(command, c, argv);
        char *end;
        long v = strtol(optarg, &end, 10);
        if (*optarg == '\0' || *end || v < 0 || v > 1000000)
            return cli_usage(command, "-t: invalid number of seconds `%s`", optarg);
        *timeout = v;
    }
    if (optind >= argc)
        return cli_usage(command, "expected at least one CONTAINER");
    return 0;
}

int ctr_stop_ref(container_store *cs, const char *ref, long timeout, container_record **r,
                 hull_err **err)
{
    if (container_record_find(cs, ref, r, err) < 0)
        return -1;
    return container_stop(cs, *r, (*r)->stop_signal, timeout >= 0 ? timeout : (*r)->stop_timeout,
                          err);
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
