/* hull-runtime state: the runtime-spec state of one container, as JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "oci/json_read.h"

static const struct option_spec state_options[] = {{NULL, 0, false, 0}};

int cmd_state(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, state_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    const char *arg;
    if (options_next(&p, &arg, &err) < 0)
        return cli_usage_fail("state", err);
    if (cli_require_args("state", &p, 1, "one container id") != 0)
        return 1;
    cleanup_json json_t *st = NULL;
    int r = runtime_state_json(&ctx->ro, p.positionals[0], &st, &err);
    if (r < 0)
        return cli_fail(err);
    char *text = json_dumps(st, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    puts(text);
    free(text);
    return 0;
}

const struct cli_command command_state = {
    "state",
    cmd_state,
    "print the state of a container as JSON",
    "Usage: hull-runtime state ID\n"
    "\n"
    "Print the runtime-spec state of container ID: ociVersion, id, status (creating, created,\n"
    "running, paused or stopped), pid (0 once stopped), bundle, rootfs, created, owner and\n"
    "annotations.\n",
};
