/* Shared pieces of the container commands. */
#include "cli/hull/containers.h"

#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

int ctr_open(struct hull_cli *cli, container_store **out, hull_err **err)
{
    return container_store_open(cli->data_root, out, err);
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

int ctr_parse_timeout(const char *command, const char *arg, long *out)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg == '\0' || *end || v < 0 || v > 1000000)
        return cli_usage(command, "-t: invalid number of seconds `%s`", arg);
    *out = v;
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
