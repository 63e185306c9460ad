/* hull-runtime: the OCI runtime command line, runc-compatible. Global options, then one
 * command; each command lives in its own file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/state.h"
#include "util/log.h"
#include "vm/handler.h"

/* The custom handlers this runtime offers (runtime/custom_handler.h). */
static const struct runtime_handler *const handlers[] = {&vm_runtime_handler, NULL};

static const struct cli_command *commands[] = {
    &command_create,   &command_start,  &command_run,   &command_state,
    &command_kill,     &command_delete, &command_list,  &command_spec,
    &command_features, &command_update, &command_pause, &command_resume,
    &command_ps,       &command_events, &command_exec,  NULL,
};

int cli_usage_error(const char *command, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hull_log(HULL_LOG_ERROR, "%s%s%s (see `hull-runtime %s--help`)", command ? command : "",
             command ? ": " : "", msg, command ? "" : "");
    if (command)
        fprintf(stderr, "Run `hull-runtime %s --help` for usage.\n", command);
    return CLI_EXIT_USAGE_RUNTIME;
}

int cli_usage_fail(const char *command, hull_err *err)
{
    int r = cli_usage_error(command, "%s", err->msg);
    hull_err_free(err);
    return r;
}

void cli_print_help(const struct cli_command *cmd)
{
    fputs(cmd->help, stdout);
}

bool cli_wants_help(int argc, char **argv, const struct cli_command *cmd)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            cli_print_help(cmd);
            return true;
        }
    }
    return false;
}

int cli_require_args(const char *command, struct option_parser *p, int n, const char *what)
{
    if (p->n_positionals != n)
        return cli_usage_error(command, "expected %s, got %d argument%s", what, p->n_positionals,
                               p->n_positionals == 1 ? "" : "s");
    return 0;
}

static const char main_help[] =
    "Usage: hull-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "hull-runtime runs OCI containers from bundles (a directory with config.json and a root\n"
    "filesystem). Its command line is runc's, so podman, containerd and CRI-O can drive it.\n"
    "\n"
    "Commands:\n"
    "%s"
    "\n"
    "Global options:\n"
    "  --root DIR              state directory (default /run/hull; $XDG_RUNTIME_DIR/hull for\n"
    "                          non-root users)\n"
    "  --log FILE              also write diagnostics to FILE\n"
    "  --log-format text|json  format of --log (json lines: {\"level\",\"msg\",\"time\"})\n"
    "  --debug                 log debug messages\n"
    "  --systemd-cgroup        manage cgroups through systemd (same as --cgroup-manager systemd)\n"
    "  --cgroup-manager cgroupfs|systemd|disabled\n"
    "                          how container cgroups are managed (default cgroupfs)\n"
    "  --rootless true|false|auto  accepted for runc compatibility\n"
    "  -v, --version           print the version\n"
    "  -h, --help              print this help; `hull-runtime COMMAND --help` for a command\n"
    "\n"
    "Exit status: 0 on success, 1 on any error (run: the container's exit status, 128+N when\n"
    "it was killed by signal N). Errors are one line on stderr and in the --log file.\n";

static void print_main_help(void)
{
    char list[4096] = "";
    for (const struct cli_command **c = commands; *c; c++) {
        char line[256];
        snprintf(line, sizeof line, "  %-10s %s\n", (*c)->name, (*c)->summary);
        strncat(list, line, sizeof list - strlen(list) - 1);
    }
    printf(main_help, list);
}

enum {
    G_ROOT = 1,
    G_LOG,
    G_LOG_FORMAT,
    G_DEBUG,
    G_SYSTEMD,
    G_CGMANAGER,
    G_ROOTLESS,
    G_VERSION,
    G_HELP,
    G_CRIU,
};

static const struct option_spec global_options[] = {
    {"root", 0, true, G_ROOT},
    {"log", 0, true, G_LOG},
    {"log-format", 0, true, G_LOG_FORMAT},
    {"debug", 0, false, G_DEBUG},
    {"systemd-cgroup", 0, false, G_SYSTEMD},
    {"cgroup-manager", 0, true, G_CGMANAGER},
    {"rootless", 0, true, G_ROOTLESS},
    {"criu", 0, true, G_CRIU},
    {"version", 'v', false, G_VERSION},
    {"help", 'h', false, G_HELP},
    {NULL, 0, false, 0},
};

int main(int argc, char **argv)
{
    hull_log_set_program("hull-runtime");
    cli_seed_json_hash();
    struct cli_ctx ctx = {.program = "hull-runtime"};
    ctx.ro.root = state_default_root();
    const char *base = strrchr(argv[0], '/');
    ctx.ro.handlers = handlers;
    if (strcmp(base ? base + 1 : argv[0], "hull-runtime-vm") == 0)
        ctx.ro.forced_handler = &vm_runtime_handler;
    const char *log_file = NULL;
    enum hull_log_format log_format = HULL_LOG_TEXT;
    enum hull_log_level level = HULL_LOG_WARNING;
    bool systemd = false;
    const char *manager = NULL;

    /* Global options end at the first positional: the command. */
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, global_options, argc, argv, 1, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        switch (id) {
        case -1: {
            int r = cli_usage_error(NULL, "%s", err->msg);
            hull_err_free(err);
            return r;
        }
        case G_ROOT:
            ctx.ro.root = arg;
            break;
        case G_LOG:
            log_file = arg;
            break;
        case G_LOG_FORMAT:
            if (strcmp(arg, "json") == 0)
                log_format = HULL_LOG_JSON;
            else if (strcmp(arg, "text") == 0)
                log_format = HULL_LOG_TEXT;
            else
                return cli_usage_error(NULL, "--log-format: expected text or json, got `%s`", arg);
            break;
        case G_DEBUG:
            level = HULL_LOG_DEBUG;
            break;
        case G_SYSTEMD:
            systemd = true;
            break;
        case G_CGMANAGER:
            manager = arg;
            break;
        case G_ROOTLESS:
        case G_CRIU:
            break;
        case G_VERSION:
            printf("hull-runtime version %s\nspec: 1.2.0\n", HULL_VERSION);
            return 0;
        case G_HELP:
            print_main_help();
            return 0;
        }
    }
    /* The command is the first positional; everything after it belongs to the command. */
    int cmd_index = p.stop_index;
    bool have_cmd = cmd_index > 0;
    if (hull_log_init(log_file, log_format, level) < 0) {
        fprintf(stderr, "hull-runtime: open log file `%s`: %s\n", log_file, strerror(errno));
        return 1;
    }
    if (manager) {
        if (strcmp(manager, "cgroupfs") == 0)
            ctx.ro.cgroup_manager = CGROUP_MANAGER_CGROUPFS;
        else if (strcmp(manager, "systemd") == 0)
            ctx.ro.cgroup_manager = CGROUP_MANAGER_SYSTEMD;
        else if (strcmp(manager, "disabled") == 0)
            ctx.ro.cgroup_manager = CGROUP_MANAGER_DISABLED;
        else
            return cli_usage_error(
                NULL, "--cgroup-manager: expected cgroupfs, systemd or disabled, got `%s`",
                manager);
    } else if (systemd) {
        ctx.ro.cgroup_manager = CGROUP_MANAGER_SYSTEMD;
    }
    if (!have_cmd) {
        print_main_help();
        return 1;
    }
    const char *name = argv[cmd_index];
    for (const struct cli_command **c = commands; *c; c++) {
        if (strcmp((*c)->name, name) != 0)
            continue;
        if (cli_wants_help(argc - cmd_index, argv + cmd_index, *c))
            return 0;
        return (*c)->run(&ctx, argc - cmd_index, argv + cmd_index);
    }
    return cli_usage_error(NULL, "unknown command `%s`", name);
}
