/* Shared declarations of the hull-runtime front end: one file per command, each parsing its own
 * flags and calling libhull. */
#ifndef HULL_CLI_RUNTIME_CLI_H
#define HULL_CLI_RUNTIME_CLI_H

#include <stdbool.h>

#include "cli/common.h"
#include "runtime/lifecycle.h"
#include "util/error.h"
#include "util/options.h"

struct cli_ctx {
    struct runtime_opts ro;
    const char *program;
};

struct cli_command {
    const char *name;
    int (*run)(struct cli_ctx *ctx, int argc, char **argv);
    const char *summary;
    const char *help;
};

/* A usage error: message plus a pointer to --help; returns CLI_EXIT_USAGE_RUNTIME (1, as runc).
 * cli_fail (cli/common.h) reports every other error. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The usage error the option parser reported (an unknown option, a missing value); frees err. */
int cli_usage_fail(const char *command, hull_err *err);
/* Print `help` when argv asks for it; returns true if it did. */
bool cli_wants_help(int argc, char **argv, const struct cli_command *cmd);
void cli_print_help(const struct cli_command *cmd);
/* Require exactly `n` positionals. */
int cli_require_args(const char *command, struct option_parser *p, int n, const char *what);

#define CLI_COMMAND(cname)                                                                         \
    int cmd_##cname(struct cli_ctx *ctx, int argc, char **argv);                                   \
    extern const struct cli_command command_##cname

CLI_COMMAND(create);
CLI_COMMAND(start);
CLI_COMMAND(run);
CLI_COMMAND(state);
CLI_COMMAND(kill);
CLI_COMMAND(delete);
CLI_COMMAND(list);
CLI_COMMAND(spec);
CLI_COMMAND(features);
CLI_COMMAND(update);
CLI_COMMAND(pause);
CLI_COMMAND(resume);
CLI_COMMAND(ps);
CLI_COMMAND(events);
CLI_COMMAND(exec);

/* create and run share their flags. */
enum { OPT_HELP = 1000 };
struct create_flags {
    struct create_opts co;
    bool detach;
    bool remove;
    bool keep;
};
int cli_parse_create_flags(const char *command, int argc, char **argv, bool for_run,
                           struct create_flags *out, struct option_parser *p);

#endif
