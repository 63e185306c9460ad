/* hull-runtime run: create + start; attached by default. */
#include "cli.h"

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
    struct create_flags f;
    cleanup_options struct option_parser p = {0};
    int r = cli_parse_create_flags("run", argc, argv, true, &f, &p);
    if (r != 0)
        return r;
    hull_err *err = NULL;
    int exit_code = 0;
    /* As runc: an attached run deletes its container when it exits, unless --keep. */
    bool remove = f.remove || (!f.detach && !f.keep);
    r = runtime_run(&ctx->ro, &f.co, f.detach, remove, &exit_code, &err);
    if (r < 0)
        return cli_fail(err);
    return exit_code;
}

const struct cli_command command_run = {
    "run",
    cmd_run,
    "create and start a container, and wait for it",
    "Usage: hull-runtime run [OPTIONS] ID\n"
    "\n"
    "Create and start the container ID from the bundle. Attached (the default), stdio is passed\n"
    "through, every signal hull-runtime receives is forwarded to the container's process, and\n"
    "the exit status is the container's (128+N when it was killed by signal N).\n"
    "\n"
    "Options: those of `create`, plus\n"
    "  -d, --detach            return once the container runs (its stdio stays on the caller's)\n"
    "  --rm                    delete the container when it exits (the default of attached\n"
    "                          runs, as in runc)\n"
    "  --keep                  keep the stopped container after an attached run\n"
    "  -b, --bundle DIR        bundle directory holding config.json (default: .)\n"
    "  -f, --config FILE       the config file (default: config.json; relative to the bundle,\n"
    "                          as crun's --config)\n"
    "  --pid-file FILE         write the container process's pid to FILE\n"
    "  --console-socket PATH   unix socket to send the terminal's master fd to\n"
    "  --no-pivot              use MS_MOVE + chroot instead of pivot_root\n"
    "  --no-new-keyring        keep the caller's session keyring\n"
    "  --preserve-fds N        pass N extra fds (3 .. 3+N-1) to the container\n",
};
