/* Shared pieces of the `hull` command: the global options every subcommand sees, the command
 * table type and helpers to open the image store and report errors. */
#ifndef HULL_CLI_HULL_CLI_H
#define HULL_CLI_HULL_CLI_H

#include <stdbool.h>

#include "cli/common.h"
#include "image/store.h"
#include "util/error.h"
#include "util/options.h"

struct hull_cli {
    const char *data_root; /* --data-root, else $HULL_ROOT, else /var/lib/hull */
};

struct hull_command {
    const char *name;
    int (*run)(struct hull_cli *cli, int argc, char **argv);
    const char *summary;
};

/* Print the help text when argv holds -h/--help; returns 1 when it did. */
int cli_wants_help(int argc, char **argv, const char *help);
/* `hull GROUP SUB --help` for a group whose help lists its commands (`  SUB SYNOPSIS  text`,
 * continuation lines indented deeper): prints `Usage: hull GROUP SUB SYNOPSIS`, the text and
 * the group's `Exit status` paragraph. Returns 1 when argv (SUB's) holds -h/--help (the
 * group's whole help when SUB is not listed), 0 otherwise. */
int cli_wants_sub_help(int argc, char **argv, const char *group, const char *help);
/* Usage error: message plus a hint, exit status 125 like docker/podman. */
int cli_usage(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error from util/options.c (options_next returned -1): printed like cli_usage, err
 * freed; returns CLI_EXIT_USAGE. */
int cli_usage_options(const char *command, hull_err *err);
/* Parse a command's options with docker's convention (util/options.h, OPTIONS_POSIX: options
 * before operands, `--` ends them, short clusters, --flag=true|false) for the commands whose
 * options are plain values and flags. `values` has a slot per option id (ids 1..N, aliases may
 * share one): the last value given, for a flag "true" or "false", NULL when absent. *first is
 * the first operand. Returns 0, or the usage error's exit status (125, message printed). */
int cli_options(const char *command, const struct option_spec *specs, int argc, char **argv,
                const char **values, int *first);
/* The table of a command without options (its values: one slot). */
extern const struct option_spec cli_no_options[];
/* A flag slot of cli_options: given and not =false. */
bool cli_flag(const char *value);
/* Run fn on each operand argv[first..argc) (volume rm, network rm, their inspect): a failure is
 * printed once and the others still run; with `echo`, each name done is printed. Returns 0, or
 * the status of the last failure. */
int cli_each_operand(int first, int argc, char **argv, bool echo,
                     int (*fn)(void *ctx, const char *name, hull_err **err), void *ctx);
int cli_open_store(struct hull_cli *cli, image_store **out, hull_err **err);

/* Run a subcommand from `table` (argv[0] names it). */
int cli_dispatch(struct hull_cli *cli, const struct hull_command *table, const char *prefix,
                 int argc, char **argv);
void cli_print_commands(const struct hull_command *table);

#define CLI_EXIT_USAGE CLI_EXIT_USAGE_HULL

int cmd_pull(struct hull_cli *cli, int argc, char **argv);
int cmd_load(struct hull_cli *cli, int argc, char **argv);
int cmd_save(struct hull_cli *cli, int argc, char **argv);
int cmd_images(struct hull_cli *cli, int argc, char **argv);
int cmd_rmi(struct hull_cli *cli, int argc, char **argv);
int cmd_image(struct hull_cli *cli, int argc, char **argv);
int cmd_image_inspect(struct hull_cli *cli, int argc, char **argv);
int cmd_image_prune(struct hull_cli *cli, int argc, char **argv);
int cmd_image_bootstrap(struct hull_cli *cli, int argc, char **argv);
int cmd_build(struct hull_cli *cli, int argc, char **argv);
int cmd_commit(struct hull_cli *cli, int argc, char **argv);
/* `app` -> localhost/app:latest, full names normalised (build, commit, image bootstrap). */
int cli_normalise_local_name(const char *text, char **out, hull_err **err);
int cmd_login(struct hull_cli *cli, int argc, char **argv);
int cmd_logout(struct hull_cli *cli, int argc, char **argv);
int cmd_tag(struct hull_cli *cli, int argc, char **argv);
int cmd_push(struct hull_cli *cli, int argc, char **argv);
int cmd_history(struct hull_cli *cli, int argc, char **argv);
int cmd_import(struct hull_cli *cli, int argc, char **argv);
int cmd_export(struct hull_cli *cli, int argc, char **argv);
/* Containers (src/cli/hull/containers.h and one file per command). */
int cmd_run(struct hull_cli *cli, int argc, char **argv);
int cmd_create(struct hull_cli *cli, int argc, char **argv);
int cmd_start(struct hull_cli *cli, int argc, char **argv);
int cmd_attach(struct hull_cli *cli, int argc, char **argv);
int cmd_ps(struct hull_cli *cli, int argc, char **argv);
int cmd_logs(struct hull_cli *cli, int argc, char **argv);
int cmd_exec(struct hull_cli *cli, int argc, char **argv);
int cmd_stop(struct hull_cli *cli, int argc, char **argv);
int cmd_kill(struct hull_cli *cli, int argc, char **argv);
int cmd_restart(struct hull_cli *cli, int argc, char **argv);
int cmd_rm(struct hull_cli *cli, int argc, char **argv);
int cmd_wait(struct hull_cli *cli, int argc, char **argv);
int cmd_inspect(struct hull_cli *cli, int argc, char **argv);
int cmd_top(struct hull_cli *cli, int argc, char **argv);
int cmd_stats(struct hull_cli *cli, int argc, char **argv);
int cmd_events(struct hull_cli *cli, int argc, char **argv);
int cmd_pause(struct hull_cli *cli, int argc, char **argv);
int cmd_unpause(struct hull_cli *cli, int argc, char **argv);
int cmd_healthcheck(struct hull_cli *cli, int argc, char **argv);
int cmd_health_probe(struct hull_cli *cli, int argc, char **argv);
int cmd_cp(struct hull_cli *cli, int argc, char **argv);
int cmd_volume(struct hull_cli *cli, int argc, char **argv);
int cmd_network(struct hull_cli *cli, int argc, char **argv);
int cmd_port(struct hull_cli *cli, int argc, char **argv);
int cmd_system(struct hull_cli *cli, int argc, char **argv);
int cmd_sandbox(struct hull_cli *cli, int argc, char **argv);
int cmd_seccomp(struct hull_cli *cli, int argc, char **argv);
int cmd_version(struct hull_cli *cli, int argc, char **argv);
int cmd_monitor(struct hull_cli *cli, int argc, char **argv);
/* Stacks (compose.c). */
int cmd_compose(struct hull_cli *cli, int argc, char **argv);
int cmd_compose_up(struct hull_cli *cli, int argc, char **argv);
int cmd_compose_down(struct hull_cli *cli, int argc, char **argv);
/* hull-images (images_tool.c): its argv (TOOL [--data-root ROOT] [--debug] ARGS...), and a
 * run of it as a child (*status: the wait status), stdout optionally sent to our stderr. */
char **images_tool_argv(const char *tool, const char *data_root, int argc, char **argv);
int images_tool_run(const char *data_root, int argc, char **argv, bool stdout_to_stderr,
                    int *status, hull_err **err);
/* The light `hull` (light.c) forwards image commands to hull-images, which seeds busybox. */
int cmd_images_delegate(struct hull_cli *cli, int argc, char **argv);
int cmd_seed_busybox(struct hull_cli *cli, int argc, char **argv);

#endif
