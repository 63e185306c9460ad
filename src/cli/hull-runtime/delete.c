/* hull-runtime delete: remove a container and everything it holds. */
#include "cli.h"

enum { D_FORCE = 1 };
static const struct option_spec delete_options[] = {{"force", 'f', false, D_FORCE},
                                                    {NULL, 0, false, 0}};

int cmd_delete(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, delete_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    bool force = false;
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_fail("delete", err);
        if (id == D_FORCE && options_bool("force", arg, &force, &err) < 0)
            return cli_fail(err);
    }
    if (cli_require_args("delete", &p, 1, "one container id") != 0)
        return 1;
    int r = runtime_delete(&ctx->ro, p.positionals[0], force, &err);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_delete = {
    "delete",
    cmd_delete,
    "delete a container",
    "Usage: hull-runtime delete [--force] ID\n"
    "\n"
    "Delete container ID: its state, and (through its namespaces) its mounts. A running or\n"
    "paused container is refused unless --force, which kills it first. Created and stopped\n"
    "containers are deleted directly; poststop hooks run. A container left half-made by a\n"
    "killed `create` is cleaned up too.\n"
    "\n"
    "Options:\n"
    "  -f, --force    kill the container (SIGKILL) if it is still running\n",
};
