/* hull-runtime start: let a created container's process exec its program. */
#include "cli.h"

static const struct option_spec start_options[] = {{NULL, 0, false, 0}};

int cmd_start(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, start_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    const char *arg;
    if (options_next(&p, &arg, &err) < 0)
        return cli_usage_fail("start", err);
    if (cli_require_args("start", &p, 1, "one container id") != 0)
        return 1;
    int r = runtime_start(&ctx->ro, p.positionals[0], &err);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_start = {
    "start",
    cmd_start,
    "start a created container",
    "Usage: hull-runtime start ID\n"
    "\n"
    "Start the created container ID: its process executes the program of process.args, and\n"
    "poststart hooks run. Starting a container that is not \"created\" is an error.\n",
};
