/* hull-runtime create: set the container up and leave it waiting for `start`. */
#include <string.h>

#include "cli.h"

enum {
    C_BUNDLE = 1,
    C_PID_FILE,
    C_CONSOLE_SOCKET,
    C_NO_PIVOT,
    C_NO_NEW_KEYRING,
    C_PRESERVE_FDS,
    C_DETACH,
    C_RM,
    C_NO_SUBREAPER,
    C_KEEP,
    C_CONFIG,
};

static const struct option_spec create_options[] = {
    {"bundle", 'b', true, C_BUNDLE},           {"config", 'f', true, C_CONFIG},
    {"pid-file", 0, true, C_PID_FILE},         {"console-socket", 0, true, C_CONSOLE_SOCKET},
    {"no-pivot", 0, false, C_NO_PIVOT},        {"no-new-keyring", 0, false, C_NO_NEW_KEYRING},
    {"preserve-fds", 0, true, C_PRESERVE_FDS}, {NULL, 0, false, 0},
};

static const struct option_spec run_options[] = {
    {"bundle", 'b', true, C_BUNDLE},
    {"config", 'f', true, C_CONFIG},
    {"pid-file", 0, true, C_PID_FILE},
    {"console-socket", 0, true, C_CONSOLE_SOCKET},
    {"no-pivot", 0, false, C_NO_PIVOT},
    {"no-new-keyring", 0, false, C_NO_NEW_KEYRING},
    {"preserve-fds", 0, true, C_PRESERVE_FDS},
    {"detach", 'd', false, C_DETACH},
    {"rm", 0, false, C_RM},
    {"no-subreaper", 0, false, C_NO_SUBREAPER},
    {"keep", 0, false, C_KEEP},
    {NULL, 0, false, 0},
};

int cli_parse_create_flags(const char *command, int argc, char **argv, bool for_run,
                           struct create_flags *out, struct option_parser *p)
{
    memset(out, 0, sizeof(*out));
    out->co.bundle = ".";
    hull_err *err = NULL;
    if (options_init(p, for_run ? run_options : create_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    long n;
    bool b;
    while ((id = options_next(p, &arg, &err)) != 0) {
        switch (id) {
        case -1: {
            int r = cli_usage_error(command, "%s", err->msg);
            hull_err_free(err);
            return r;
        }
        case C_BUNDLE:
            out->co.bundle = arg;
            break;
        case C_CONFIG:
            out->co.config_file = arg;
            break;
        case C_PID_FILE:
            out->co.pid_file = arg;
            break;
        case C_CONSOLE_SOCKET:
            out->co.console_socket = arg;
            break;
        case C_NO_PIVOT:
            if (options_bool("no-pivot", arg, &out->co.no_pivot, &err) < 0)
                return cli_fail(err);
            break;
        case C_NO_NEW_KEYRING:
            if (options_bool("no-new-keyring", arg, &out->co.no_new_keyring, &err) < 0)
                return cli_fail(err);
            break;
        case C_PRESERVE_FDS:
            if (options_int("preserve-fds", arg, 0, 65536, &n, &err) < 0)
                return cli_fail(err);
            out->co.preserve_fds = (int)n;
            break;
        case C_DETACH:
            if (options_bool("detach", arg, &out->detach, &err) < 0)
                return cli_fail(err);
            break;
        case C_RM:
            if (options_bool("rm", arg, &out->remove, &err) < 0)
                return cli_fail(err);
            break;
        case C_KEEP:
            if (options_bool("keep", arg, &out->keep, &err) < 0)
                return cli_fail(err);
            break;
        case C_NO_SUBREAPER:
            if (options_bool("no-subreaper", arg, &b, &err) < 0)
                return cli_fail(err);
            break;
        }
    }
    if (cli_require_args(command, p, 1, "one container id") != 0)
        return 1;
    out->co.id = p->positionals[0];
    if (out->keep && out->remove)
        return cli_usage_error(command, "--keep and --rm contradict each other");
    return 0;
}

int cmd_create(struct cli_ctx *ctx, int argc, char **argv)
{
    struct create_flags f;
    cleanup_options struct option_parser p = {0};
    int r = cli_parse_create_flags("create", argc, argv, false, &f, &p);
    if (r != 0)
        return r;
    hull_err *err = NULL;
    pid_t pid;
    r = runtime_create(&ctx->ro, &f.co, &pid, false, &err);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_create = {
    "create",
    cmd_create,
    "create a container from a bundle, ready to start",
    "Usage: hull-runtime create [OPTIONS] ID\n"
    "\n"
    "Create the container ID from the bundle: namespaces, mounts, pivot_root, devices, hostname\n"
    "and sysctls are set up and the container's process waits, before executing the program,\n"
    "until `hull-runtime start ID`. `state ID` then reports \"created\" with the real pid.\n"
    "The process inherits this command's stdio.\n"
    "\n"
    "Options:\n"
    "  -b, --bundle DIR        bundle directory holding config.json (default: .)\n"
    "  -f, --config FILE       the config file (default: config.json; relative to the bundle,\n"
    "                          as crun's --config)\n"
    "  --pid-file FILE         write the container process's pid to FILE\n"
    "  --console-socket PATH   unix socket to send the terminal's master fd to\n"
    "                          (needs process.terminal=true)\n"
    "  --no-pivot              use MS_MOVE + chroot instead of pivot_root (for ramfs roots)\n"
    "  --no-new-keyring        keep the caller's session keyring\n"
    "  --preserve-fds N        pass N extra fds (3 .. 3+N-1) to the container\n"
    "\n"
    "Errors name the file, the JSON path and the reason, e.g.\n"
    "  config.json: process.args: expected array of strings\n"
    "and leave nothing behind (no state, mounts or processes).\n",
};
