/* Helpers shared by the `hull` subcommands. */
#include "cli/hull/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/image.h"
#include "util/log.h"

int cli_wants_help(int argc, char **argv, const char *help)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(help, stdout);
            return 1;
        }
    }
    return 0;
}

int cli_usage(const char *command, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "hull %s: %s\nSee `hull %s --help`.\n", command, msg, command);
    return CLI_EXIT_USAGE;
}

int cli_usage_options(const char *command, hull_err *err)
{
    int rc = cli_usage(command, "%s", err ? err->msg : "invalid options");
    hull_err_free(err);
    return rc;
}

int cli_open_store(struct hull_cli *cli, image_store **out, hull_err **err)
{
    if (image_store_open(cli->data_root, out, err) < 0)
        return -1;
    /* First use of a store: add the built-in busybox image (offline, once per store). */
    hull_err *seed_err = NULL;
    if (image_store_ensure_builtin(*out, &seed_err) < 0) {
        hull_warn("built-in busybox image not available: %s", seed_err->msg);
        hull_err_free(seed_err);
    }
    return 0;
}

void cli_print_commands(const struct hull_command *table)
{
    for (const struct hull_command *c = table; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
}

int cli_dispatch(struct hull_cli *cli, const struct hull_command *table, const char *prefix,
                 int argc, char **argv)
{
    for (const struct hull_command *c = table; c->name; c++)
        if (strcmp(c->name, argv[0]) == 0)
            return c->run(cli, argc, argv);
    fprintf(stderr, "%s: unknown command `%s`\nSee `%s --help`.\n", prefix, argv[0], prefix);
    return CLI_EXIT_USAGE;
}
