/* hull top: the processes of a running container. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/procs.h"
#include "container/status.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull top CONTAINER\n"
    "\n"
    "List the processes of a running container (every process of its pid namespace) with host\n"
    "pids: PID, PPID, UID, STATE, TIME (CPU, h:mm:ss), RSS and the command line.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0, 1 when the container is unknown or not running, 125 for usage errors.\n";

int cmd_top(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    const char *v[1] = {NULL};
    int first;
    int usage = cli_options("top", cli_no_options, argc, argv, v, &first);
    if (usage)
        return usage;
    if (argc - first != 1)
        return cli_usage("top", "expected one CONTAINER");
    const char *ref = argv[first];
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    struct container_state_info st;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, ref, &r, &err) < 0 ||
        container_status_get(cs, r, &st, &err) < 0)
        return cli_fail(err);
    if ((st.state != CONTAINER_RUNNING && st.state != CONTAINER_PAUSED) || st.pid <= 0)
        return cli_fail((hull_error(&err, 0, "container %s is not running", ref), err));
    struct proc_sample *procs = NULL;
    size_t n = 0;
    if (container_processes(st.pid, &procs, &n, &err) < 0)
        return cli_fail(err);
    long hz = sysconf(_SC_CLK_TCK);
    printf("%-8s %-8s %-6s %-5s %-10s %-8s %s\n", "PID", "PPID", "UID", "STATE", "TIME", "RSS",
           "COMMAND");
    for (size_t i = 0; i < n; i++) {
        unsigned long long s = procs[i].cpu_ticks / (unsigned long long)hz;
        char rss[32];
        snprintf(rss, sizeof rss, "%lldk", procs[i].rss_bytes / 1024);
        printf("%-8d %-8d %-6u %-5c %llu:%02llu:%02llu    %-8s %s\n", (int)procs[i].pid,
               (int)procs[i].ppid, (unsigned)procs[i].uid, procs[i].state, s / 3600, s / 60 % 60,
               s % 60, rss, procs[i].cmdline);
    }
    free(procs);
    return 0;
}
