/* hull exec: run a command in a running container. */
#include <stdio.h>

#include "cli/hull/containers.h"

static const char help[] =
    "Usage: hull exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
    "\n"
    "Run COMMAND inside a running container (its namespaces, root, user and environment).\n"
    "\n"
    "Not supported yet: this build of hull-runtime has no exec support. The command fails\n"
    "instead of pretending.\n"
    "\n"
    "Options:\n"
    "  -i, --interactive      keep stdin open\n"
    "  -t, --tty              allocate a pseudo-terminal\n"
    "  -d, --detach           run in the background\n"
    "  -u, --user USER[:GROUP]\n"
    "  -e, --env KEY=VALUE\n"
    "  -w, --workdir DIR\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: COMMAND's exit status; 125 when hull fails, 126/127 when COMMAND cannot be\n"
    "executed / is not found.\n";

int cmd_exec(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, help))
        return 0;
    return cli_usage("exec", "not supported yet (needs exec support in hull-runtime)");
}
