/* hull pause / hull unpause: freeze and thaw every process of a container. */
#include <stdio.h>
#include <string.h>

#include "cli/hull/containers.h"

static const char help[] =
    "Usage: hull pause CONTAINER [CONTAINER...]\n"
    "       hull unpause CONTAINER [CONTAINER...]\n"
    "\n"
    "Freeze (pause) or thaw (unpause) every process of running containers with the cgroup\n"
    "freezer.\n"
    "\n"
    "Not supported yet: this build of hull-runtime has no cgroup support, so there is nothing\n"
    "to freeze with. The command fails instead of pretending.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on failure, 125 for usage errors.\n";

static int pause_common(const char *command, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    if (argc < 2)
        return cli_usage(command, "expected at least one CONTAINER");
    fprintf(stderr, "hull: %s: not supported yet (needs the cgroup freezer in hull-runtime)\n",
            command);
    return 1;
}

int cmd_pause(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    return pause_common("pause", argc, argv);
}

int cmd_unpause(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    return pause_common("unpause", argc, argv);
}
