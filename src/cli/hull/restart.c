/* hull restart: stop, then start again under a new monitor. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/hull/containers.h"
#include "container/event_emit.h"
#include "container/launch.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull restart [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Stop each container as `hull stop` does (when it runs), then start it detached as\n"
    "`hull start` does. Filesystem changes are kept.\n"
    "\n"
    "Options:\n"
    "  -t, --time N   seconds to wait before SIGKILL (default: the container's stop timeout)\n"
    "  -h, --help     show this help\n"
    "\n"
    "Exit status: 0 when every container was restarted, 1 otherwise, 125 for usage errors.\n";

static int restart_one(struct hull_cli *cli, container_store *cs, const char *ref, void *data)
{
    (void)cli;
    long timeout = *(long *)data;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_stop_ref(cs, ref, timeout, &r, &err) < 0)
        return cli_fail(err);
    /* It may re-execute hull (CVE-2019-5736): the stop is done, the second one a no-op. */
    if (container_record_protect_binary(r, &err) < 0)
        return cli_fail(err);
    cleanup_close int lock = container_lock(r, &err);
    if (lock < 0 || container_start_detached(cs, r, &err) < 0)
        return cli_fail(err);
    container_event(cs, r, "restart", NULL, NULL);
    puts(ref);
    return 0;
}

int cmd_restart(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {
        {"time", 't', true, 1, "seconds to wait before killing"}, {NULL, 0, false, 0, NULL}};
    long timeout;
    int first;
    int status = ctr_parse_stop_options("restart", opts, argc, argv, &timeout, &first);
    if (status != 0)
        return status;
    return ctr_for_each(cli, first, argc, argv, restart_one, &timeout);
}
