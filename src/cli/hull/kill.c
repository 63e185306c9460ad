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
    enum { K_SIGNAL = 1 };
    static const struct option_spec opts[] = {
        {"signal", 's', true, K_SIGNAL, "signal name or number"}, {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("kill", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    int sig = SIGKILL;
    hull_err *err = NULL;
    if (v[K_SIGNAL] && signal_parse(v[K_SIGNAL], &sig, &err) < 0)
        return cli_usage_options("kill", err);
    if (first >= argc)
        return cli_usage("kill", "expected at least one CONTAINER");
    return ctr_for_each(cli, first, argc, argv, kill_one, &sig);
}
