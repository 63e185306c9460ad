/* hull-runtime pause and resume: freeze and thaw every process of a container. */
#include "cli.h"
#include "runtime/cgroup.h"

static const struct option_spec no_options[] = {{NULL, 0, false, 0}};

static int freeze_command(struct cli_ctx *ctx, const char *name, int argc, char **argv,
                          int (*op)(const struct runtime_opts *, const char *, hull_err **))
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, no_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    const char *arg;
    if (options_next(&p, &arg, &err) < 0) {
        int r = cli_usage_error(name, "%s", err->msg);
        hull_err_free(err);
        return r;
    }
    if (cli_require_args(name, &p, 1, "one container id") != 0)
        return 1;
    int r = op(&ctx->ro, p.positionals[0], &err);
    return r < 0 ? cli_fail(err) : 0;
}

int cmd_pause(struct cli_ctx *ctx, int argc, char **argv)
{
    return freeze_command(ctx, "pause", argc, argv, runtime_pause);
}

int cmd_resume(struct cli_ctx *ctx, int argc, char **argv)
{
    return freeze_command(ctx, "resume", argc, argv, runtime_resume);
}

const struct cli_command command_pause = {
    "pause",
    cmd_pause,
    "suspend every process of a container",
    "Usage: hull-runtime pause ID\n"
    "\n"
    "Freeze every process of running container ID with the cgroup freezer (v1 freezer.state,\n"
    "or cgroup.freeze on cgroup v2) and wait until the kernel reports them frozen. `state`\n"
    "then reports `paused`; `resume` continues them. Containers created with\n"
    "--cgroup-manager disabled cannot be paused.\n",
};

const struct cli_command command_resume = {
    "resume",
    cmd_resume,
    "resume a paused container",
    "Usage: hull-runtime resume ID\n"
    "\n"
    "Thaw every process of paused container ID (see `pause`); `state` reports `running` again.\n",
};
