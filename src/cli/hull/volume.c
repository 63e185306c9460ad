/* hull volume create|ls|rm|inspect|prune */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "cli/hull/format.h"
#include "container/volume.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull volume COMMAND [ARGS...]\n"
    "\n"
    "Manage volumes: directories under DATA_ROOT/volumes/NAME/_data that containers mount with\n"
    "-v NAME:/path (created on first use) and that outlive containers.\n"
    "\n"
    "Commands:\n"
    "  create [NAME]          create a volume (default: an anonymous one with a random name);\n"
    "                         prints its name; creating an existing volume is not an error\n"
    "  ls [-q] [--format json|TEMPLATE]\n"
    "                         list volumes (-q: names only); a Go template has docker's\n"
    "                         fields .Name .Driver .Scope .Mountpoint .Labels .Label \"KEY\"\n"
    "                         .CreatedAt ('table {{.Name}}\\t{{.Mountpoint}}' adds headers)\n"
    "  rm [-f] NAME...        remove volumes; refused while a container (even a stopped one)\n"
    "                         uses it, unless -f\n"
    "  inspect [-f TEMPLATE] NAME...\n"
    "                         JSON array: Name, Driver, Mountpoint, CreatedAt, Anonymous,\n"
    "                         Labels, Scope, UsedBy; -f: a Go template per NAME instead\n"
    "  prune [-f]             remove every volume no container uses; prints their names\n"
    "\n"
    "Exit status: 0, 1 when an operation failed, 125 for usage errors.\n";

static int v_create(container_store *cs, int argc, char **argv)
{
    const char *v[1] = {NULL};
    int first;
    int usage = cli_options("volume create", cli_no_options, argc, argv, v, &first);
    if (usage)
        return usage;
    if (argc - first > 1)
        return cli_usage("volume create", "expected at most one NAME");
    const char *want = first < argc ? argv[first] : NULL;
    hull_err *err = NULL;
    cleanup_free char *name = NULL;
    cleanup_free char *path = NULL;
    bool created;
    if (want && volume_name_validate(want, &err) < 0) {
        int rc = cli_usage("volume create", "%s", err->msg);
        hull_err_free(err);
        return rc;
    }
    if (volume_ensure(cs, want, false, &name, &path, &created, &err) < 0)
        return cli_fail(err);
    puts(name);
    return 0;
}

/* docker's `volume ls --format` placeholders: the inspect document with Labels as "k=v,..." and
 * Label as the object .Label "KEY" indexes. */
static json_t *template_row(json_t *doc)
{
    json_t *row = json_deep_copy(doc);
    json_t *labels = json_object_get(doc, "Labels");
    json_object_set(row, "Label", json_is_object(labels) ? labels : json_object());
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL)
        abort();
    const char *k;
    json_t *v;
    bool first = true;
    json_object_foreach(labels, k, v)
    {
        fprintf(f, "%s%s=%s", first ? "" : ",", k,
                json_string_value(v) ? json_string_value(v) : "");
        first = false;
    }
    fclose(f);
    json_object_set_new(row, "Labels", json_string(buf));
    free(buf);
    json_object_set_new(row, "Links", json_string("N/A"));
    json_object_set_new(row, "Size", json_string("N/A"));
    return row;
}

static int ls_template(container_store *cs, char **names, const char *format)
{
    json_t *headers =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "VOLUME NAME", "Driver",
                  "DRIVER", "Scope", "SCOPE", "Mountpoint", "MOUNTPOINT", "Labels", "LABELS",
                  "Label", "LABEL", "Links", "LINKS", "Size", "SIZE", "CreatedAt", "CREATED AT");
    json_t *rows = json_array();
    for (char **n = names; *n; n++) {
        json_t *doc = NULL;
        cleanup_err hull_err *err = NULL;
        if (volume_inspect(cs, *n, &doc, &err) < 0)
            continue; /* removed meanwhile */
        json_array_append_new(rows, template_row(doc));
        json_decref(doc);
    }
    return cli_format_print("volume ls", format, headers, rows);
}

static int v_ls(container_store *cs, int argc, char **argv)
{
    static const struct option_spec opts[] = {{"quiet", 'q', false, 1, "only the names"},
                                              {"format", 0, true, 2, "json, table or a template"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[3] = {NULL};
    int first;
    int usage = cli_options("volume ls", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first < argc)
        return cli_usage("volume ls", "unexpected argument `%s`", argv[first]);
    const char *format = v[2];
    bool quiet = cli_flag(v[1]), json = format && strcmp(format, "json") == 0;
    const char *tmpl = format && !json && strcmp(format, "table") != 0 ? format : NULL;
    hull_err *err = NULL;
    cleanup_strv char **names = NULL;
    if (volume_list(cs, &names, &err) < 0)
        return cli_fail(err);
    if (tmpl && !quiet)
        return ls_template(cs, names, tmpl);
    if (json) {
        json_t *arr = json_array();
        for (char **n = names; *n; n++) {
            json_t *doc = NULL;
            if (volume_inspect(cs, *n, &doc, &err) == 0)
                json_array_append_new(arr, doc);
            else
                hull_err_free(err), err = NULL;
        }
        char *text = json_dumps(arr, JSON_INDENT(2));
        puts(text ? text : "[]");
        free(text);
        json_decref(arr);
        return 0;
    }
    if (!quiet)
        printf("%-8s  %s\n", "DRIVER", "VOLUME NAME");
    for (char **n = names; *n; n++) {
        if (quiet)
            puts(*n);
        else
            printf("%-8s  %s\n", "local", *n);
    }
    return 0;
}

struct v_each {
    container_store *cs;
    bool force;
    json_t *docs;
};

static int v_remove_one(void *ctx, const char *name, hull_err **err)
{
    struct v_each *e = ctx;
    return volume_remove(e->cs, name, e->force, err);
}

static int v_rm(container_store *cs, int argc, char **argv)
{
    static const struct option_spec opts[] = {
        {"force", 'f', false, 1, "also when containers use it"}, {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("volume rm", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first >= argc)
        return cli_usage("volume rm", "expected at least one NAME");
    struct v_each e = {.cs = cs, .force = cli_flag(v[1])};
    return cli_each_operand(first, argc, argv, true, v_remove_one, &e);
}

static int v_inspect_one(void *ctx, const char *name, hull_err **err)
{
    struct v_each *e = ctx;
    json_t *doc = NULL;
    if (volume_inspect(e->cs, name, &doc, err) < 0)
        return -1;
    json_array_append_new(e->docs, doc);
    return 0;
}

static int v_inspect(container_store *cs, int argc, char **argv)
{
    static const struct option_spec opts[] = {{"format", 'f', true, 1, "a Go template"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("volume inspect", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *format = v[1];
    if (first >= argc)
        return cli_usage("volume inspect", "expected at least one NAME");
    json_t *arr = json_array();
    struct v_each e = {.cs = cs, .docs = arr};
    int status = cli_each_operand(first, argc, argv, false, v_inspect_one, &e);
    if (format) {
        int rc = cli_format_print("volume inspect", format, NULL, arr);
        return rc ? rc : status;
    }
    char *text = json_dumps(arr, JSON_INDENT(4));
    puts(text ? text : "[]");
    free(text);
    json_decref(arr);
    return status;
}

static int v_prune(container_store *cs, int argc, char **argv)
{
    static const struct option_spec opts[] = {
        {"force", 'f', false, 1, "do not prompt (hull never does)"}, {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("volume prune", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first < argc)
        return cli_usage("volume prune", "takes no arguments");
    hull_err *err = NULL;
    cleanup_strv char **names = NULL;
    if (volume_list(cs, &names, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (char **n = names; *n; n++) {
        cleanup_strv char **users = NULL;
        if (volume_users(cs, *n, &users, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        if (users[0])
            continue;
        if (volume_remove(cs, *n, false, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        printf("Deleted: %s\n", *n);
    }
    return status;
}

int cmd_volume(struct hull_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (cli_wants_sub_help(argc - 1, argv + 1, "volume", help))
        return 0;
    static const struct {
        const char *name;
        int (*fn)(container_store *, int, char **);
    } cmds[] = {{"create", v_create}, {"ls", v_ls},           {"list", v_ls},    {"rm", v_rm},
                {"remove", v_rm},     {"inspect", v_inspect}, {"prune", v_prune}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        hull_err *err = NULL;
        cleanup_container_store container_store *cs = NULL;
        if (ctr_open(cli, &cs, &err) < 0)
            return cli_fail(err);
        return cmds[i].fn(cs, argc - 1, argv + 1);
    }
    return cli_usage("volume", "unknown command `%s`", argv[1]);
}
