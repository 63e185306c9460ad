/* hull kill: send a signal to a running container. */
#include <signal.h>
#include <stdio.h>

#include "cli/hull/containers.h"
#include "container/launch.h"
#include "monitor/monitor_io.h"
#include "util/cleanup.h"
#include "util/signals.h"

static const char help[] =
    "Usage: hull kill [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Send a signal to the first process of each running container (SIGKILL by default). Killing\n"
    "with SIGKILL or the container's stop signal counts as a manual stop: the restart policy\n"
    "does not restart it.\n"
    "\n"
    "Options:\n"
    "  -s, --signal SIG   signal name or number (KILL, SIGTERM, 15, ...)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 when every container was signalled, 1 otherwise (not running, unknown),\n"
    "125 for usage errors.\n";

static int kill_one(struct hull_cli *cli, container_store *cs, const char *ref, void *data)
{
    (void)cli;
    int sig = *(int *)data;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, ref, &r, &err) < 0)
        return cli_fail(err);
    if (sig == SIGKILL || sig == r->stop_signal)
        container_write_file(r->dirfd, MONITOR_STOPPED_NAME, "", 0, 0600, NULL);
    if (container_signal(cs, r, sig, false, &err) < 0)
        return cli_fail(err);
    puts(ref);
    return 0;
}

int cmd_kill(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option opts[] = {{"signal", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    int sig = SIGKILL;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:s:", opts, NULL)) != -1) {
        if (c != 's')
            return ctr_bad_option("kill", c, argv);
        hull_err *err = NULL;
        if (signal_parse(optarg, &sig, &err) < 0) {
            int rc = cli_usage("kill", "%s", err->msg);
            hull_err_free(err);
            return rc;
        }
    }
    if (optind >= argc)
        return cli_usage("kill", "expected at least one CONTAINER");
    return ctr_for_each(cli, optind, argc, argv, kill_one, &sig);
}
