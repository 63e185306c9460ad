/* hull healthcheck run CONTAINER (podman's command) and hull __health ID (the monitor's probe,
 * internal): one health check of a running container, recorded in its health.json. */
#include <stdio.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "container/health.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull healthcheck run CONTAINER\n"
    "\n"
    "Run the health check of a running container once, now, as its monitor does on its\n"
    "schedule: the test command (--health-cmd, or the image's HEALTHCHECK) runs inside the\n"
    "container; the result is recorded in the container's health (State.Health in `hull\n"
    "inspect`, the STATUS of `hull ps`) by docker's rules. Prints `healthy` when the command\n"
    "exited 0 within the timeout, else `unhealthy`.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 healthy, 1 unhealthy, 125 when the check cannot run (no such container,\n"
    "not running, no health check).\n";

/* One check of `ref`; 0 passed, 1 failed, the error's status otherwise. */
static int check_once(struct hull_cli *cli, const char *ref, bool print)
{
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    bool passed = false;
    enum health_status status;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, ref, &r, &err) < 0 ||
        container_health_check(cs, r, &passed, &status, &err) < 0) {
        if (err && err->exit_code == 0)
            err->exit_code = CLI_EXIT_USAGE;
        return cli_fail(err);
    }
    if (print)
        puts(passed ? "healthy" : "unhealthy");
    return passed ? 0 : 1;
}

int cmd_healthcheck(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    if (argc < 2)
        return cli_usage("healthcheck", "expected a subcommand: run CONTAINER");
    if (strcmp(argv[1], "run") != 0)
        return cli_usage("healthcheck", "unknown subcommand `%s` (expected run)", argv[1]);
    const char *v[1] = {NULL};
    int first;
    int usage = cli_options("healthcheck run", cli_no_options, argc - 1, argv + 1, v, &first);
    if (usage)
        return usage;
    if (argc - 1 - first != 1)
        return cli_usage("healthcheck", "run: expected exactly one CONTAINER");
    return check_once(cli, argv[1 + first], true);
}

int cmd_health_probe(struct hull_cli *cli, int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: hull __health ID (internal, used by container monitors)\n", stderr);
        return CLI_EXIT_USAGE;
    }
    return check_once(cli, argv[1], false);
}
