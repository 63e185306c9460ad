/* Helpers shared by the `hull` subcommands. */
#include "cli/hull/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/log.h"

/* -h or --help among argv[1..], before any `--`. */
static bool help_given(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    return false;
}

int cli_wants_help(int argc, char **argv, const char *help)
{
    if (!help_given(argc, argv))
        return 0;
    fputs(help, stdout);
    return 1;
}

/* The line of `help` that lists `sub` ("  SUB" then a space or the end of the line). */
static const char *sub_help_line(const char *help, const char *sub)
{
    size_t n = strlen(sub);
    for (const char *l = help; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, "  ", 2) == 0 && strncmp(l + 2, sub, n) == 0 &&
            (l[2 + n] == ' ' || l[2 + n] == '\n'))
            return l;
    return NULL;
}

int cli_wants_sub_help(int argc, char **argv, const char *group, const char *help)
{
    if (!help_given(argc, argv))
        return 0;
    const char *line = argc > 0 ? sub_help_line(help, argv[0]) : NULL;
    if (line == NULL) {
        fputs(help, stdout);
        return 1;
    }
    /* The synopsis ends at the first run of two spaces; the rest is the description. */
    const char *start = line + 2, *eol = strchr(start, '\n');
    if (eol == NULL)
        eol = start + strlen(start);
    const char *gap = strstr(start, "  ");
    if (gap == NULL || gap > eol)
        gap = eol;
    printf("Usage: hull %s %.*s\n\n", group, (int)(gap - start), start);
    const char *text = gap;
    while (*text == ' ')
        text++;
    if (text < eol)
        printf("%.*s\n", (int)(eol - text), text);
    /* Continuation lines (indented deeper than the command lines): the description's, then
     * from the first option line on the options, as aligned in the group's help. */
    bool options = false;
    for (const char *l = *eol ? eol + 1 : eol; *l && strncmp(l, "   ", 3) == 0;) {
        const char *e = strchr(l, '\n');
        int len = (int)(e ? (size_t)(e - l) : strlen(l));
        const char *t = l + strspn(l, " ");
        if (!options && *t == '-') {
            options = true;
            fputs("\nOptions:\n", stdout);
        }
        if (options)
            printf("%.*s\n", len, l);
        else
            printf("%.*s\n", len - (int)(t - l), t);
        l = e ? e + 1 : l + len;
    }
    const char *exit_status = strstr(help, "\nExit status:");
    if (exit_status)
        printf("%s", exit_status);
    return 1;
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

const struct option_spec cli_no_options[] = {{NULL, 0, false, 0, NULL}};

int cli_options(const char *command, const struct option_spec *specs, int argc, char **argv,
                const char **values, int *first)
{
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, specs, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_options(command, err);
        const struct option_spec *s = specs;
        while (s->id != id)
            s++;
        if (!s->has_arg) {
            bool on;
            if (options_bool(s->name, arg, &on, &err) < 0)
                return cli_usage_options(command, err);
            arg = on ? "true" : "false";
        }
        values[id] = arg;
    }
    *first = p.index;
    return 0;
}

bool cli_flag(const char *value)
{
    return value != NULL && strcmp(value, "true") == 0;
}

int cli_each_operand(int first, int argc, char **argv, bool echo,
                     int (*fn)(void *ctx, const char *name, hull_err **err), void *ctx)
{
    int status = 0;
    for (int i = first; i < argc; i++) {
        hull_err *err = NULL;
        if (fn(ctx, argv[i], &err) < 0) {
            status = cli_fail(err);
            continue;
        }
        if (echo)
            puts(argv[i]);
    }
    return status;
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
