/* hull-runtime list: every container under --root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oci/json_read.h"

enum { L_FORMAT = 1, L_QUIET };
static const struct option_spec list_options[] = {
    {"format", 'f', true, L_FORMAT}, {"quiet", 'q', false, L_QUIET}, {NULL, 0, false, 0}};

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

int cmd_list(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, list_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    bool json = false, quiet = false;
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_fail("list", err);
        if (id == L_FORMAT) {
            if (strcmp(arg, "json") == 0)
                json = true;
            else if (strcmp(arg, "table") != 0)
                return cli_usage_error("list", "--format: expected table or json, got `%s`", arg);
        } else if (id == L_QUIET && options_bool("quiet", arg, &quiet, &err) < 0) {
            return cli_fail(err);
        }
    }
    int extra = p.n_positionals;
    if (extra)
        return cli_usage_error("list", "takes no arguments");
    cleanup_json json_t *all = NULL;
    if (runtime_list(&ctx->ro, &all, &err) < 0)
        return cli_fail(err);
    size_t i;
    json_t *c;
    if (quiet) {
        json_array_foreach(all, i, c) puts(str(c, "id"));
        return 0;
    }
    if (json) {
        char *text = json_dumps(all, JSON_COMPACT | JSON_PRESERVE_ORDER);
        puts(text);
        free(text);
        return 0;
    }
    printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
           "OWNER");
    json_array_foreach(all, i, c)
    {
        printf("%-20s %-8lld %-10s %-40s %-32s %s\n", str(c, "id"),
               (long long)json_integer_value(json_object_get(c, "pid")), str(c, "status"),
               str(c, "bundle"), str(c, "created"), geteuid() == 0 ? "root" : str(c, "owner"));
    }
    return 0;
}

const struct cli_command command_list = {
    "list",
    cmd_list,
    "list containers",
    "Usage: hull-runtime list [--format table|json] [--quiet]\n"
    "\n"
    "List the containers under --root with their pid, status, bundle and creation time.\n"
    "\n"
    "Options:\n"
    "  -f, --format table|json   output format (json: an array of state documents)\n"
    "  -q, --quiet               print only the container ids\n",
};
