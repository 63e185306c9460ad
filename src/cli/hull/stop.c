/* hull stop: the stop signal, then SIGKILL after a timeout. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/hull/containers.h"
#include "container/launch.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull stop [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Send each container's stop signal (--stop-signal at create, else the image's StopSignal,\n"
    "else SIGTERM) to its first process, wait up to the timeout for it to exit, then SIGKILL\n"
    "every process of the container. A stopped container is not restarted by its restart\n"
    "policy (a pending restart is cancelled). Returns once the container's monitor has recorded\n"
    "the exit and cleaned up. Stopping a stopped container does nothing.\n"
    "\n"
    "Note: PID 1 of a pid namespace ignores signals it has no handler for; a program that does\n"
    "not handle the stop signal is killed when the timeout expires (use --init to avoid that).\n"
    "\n"
    "Options:\n"
    "  -t, --time N   seconds to wait before SIGKILL (default: --stop-timeout at create, else 10)\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 when every container is stopped, 1 otherwise, 125 for usage errors.\n";

static int stop_one(struct hull_cli *cli, container_store *cs, const char *ref, void *data)
{
    (void)cli;
    long timeout = *(long *)data;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_stop_ref(cs, ref, timeout, &r, &err) < 0)
        return cli_fail(err);
    puts(ref);
    return 0;
}

int cmd_stop(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {
        {"time", 't', true, 1, "seconds to wait before killing"},
        {"timeout", 0, true, 1, "alias of --time"},
        {NULL, 0, false, 0, NULL}};
    long timeout;
    int first;
    int status = ctr_parse_stop_options("stop", opts, argc, argv, &timeout, &first);
    if (status != 0)
        return status;
    return ctr_for_each(cli, first, argc, argv, stop_one, &timeout);
}
