/* hull __monitor restart|cleanup ID: hull-monitor's way back into libhull (internal). */
#include <stdio.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "container/launch.h"
#include "util/cleanup.h"

int cmd_monitor(struct hull_cli *cli, int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "restart") != 0 && strcmp(argv[1], "cleanup") != 0)) {
        fputs("usage: hull __monitor restart|cleanup ID (internal, used by hull-monitor)\n",
              stderr);
        return CLI_EXIT_USAGE;
    }
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_monitor_command(cs, argv[1], argv[2], &err) < 0)
        return cli_fail(err);
    return 0;
}
