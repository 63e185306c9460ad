/* hull images / hull image ls: list the store. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/hull/cli.h"
#include "cli/hull/format.h"
#include "image/image.h"
#include "image/reference.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull images [OPTIONS]\n"
    "       hull image ls [OPTIONS]\n"
    "\n"
    "List the images in the store: one row per name, and one `<none>` row for an image without\n"
    "names (dangling; `hull image prune` removes those). The built-in localhost/busybox:latest\n"
    "image is added to a store the first time it is used.\n"
    "\n"
    "Columns: REPOSITORY and TAG of the name, IMAGE ID (the first 12 hex digits of the config\n"
    "digest), CREATED (from the image config), SIZE (the content of the unpacked layers, as\n"
    "docker counts it: the same for every name of an image id, whatever the compression).\n"
    "\n"
    "Options:\n"
    "  --format FORMAT      table (default); json: a JSON array of objects with Id, Digest,\n"
    "                       Names, RepoTags, RepoDigests, Created, Size, Users; or a Go\n"
    "                       template with docker's fields .ID .Repository .Tag .Digest\n"
    "                       .CreatedSince .CreatedAt .Size .Containers ('table\n"
    "                       {{.Repository}}:{{.Tag}}\\t{{.Size}}' adds docker's headers)\n"
    "  --no-trunc           full image IDs\n"
    "  -q, --quiet          image IDs only, one per image\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 on success, 1 when the store can not be read, 125 for usage errors.\n";

static void human_size(int64_t n, char *buf, size_t len)
{
    const char *units[] = {"B", "kB", "MB", "GB", "TB"};
    double v = (double)n;
    size_t u = 0;
    while (v >= 1000 && u < 4) {
        v /= 1000;
        u++;
    }
    snprintf(buf, len, u ? "%.3g %s" : "%.0f %s", v, units[u]);
}

static void human_age(const char *created, char *buf, size_t len)
{
    struct tm tm = {0};
    if (created == NULL || strptime(created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL) {
        snprintf(buf, len, "unknown");
        return;
    }
    double age = difftime(time(NULL), timegm(&tm));
    static const struct {
        double secs;
        const char *unit;
    } steps[] = {{365 * 86400.0, "year"}, {30 * 86400.0, "month"}, {7 * 86400.0, "week"},
                 {86400.0, "day"},        {3600.0, "hour"},        {60.0, "minute"}};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (age >= steps[i].secs) {
            long n = (long)(age / steps[i].secs);
            snprintf(buf, len, "%ld %s%s ago", n, steps[i].unit, n == 1 ? "" : "s");
            return;
        }
    }
    snprintf(buf, len, "seconds ago");
}

/* REPOSITORY and TAG of a name ("<none>" for either when missing). */
static void split_name(const char *name, char *repo, size_t repo_len, char *tag, size_t tag_len)
{
    if (name == NULL)
        return;
    snprintf(repo, repo_len, "%s", name);
    char *colon = strrchr(repo, ':');
    if (colon && !strchr(colon, '/')) {
        snprintf(tag, tag_len, "%s", colon + 1);
        *colon = '\0';
    }
}

/* docker's `images --format` placeholders for one name of an image (formatter.imageContext). */
static json_t *template_row(const image_info *info, const char *name, int no_trunc)
{
    char repo[512] = "<none>", tag[256] = "<none>", size[32], age[64], created_at[64] = "";
    split_name(name, repo, sizeof(repo), tag, sizeof(tag));
    cli_docker_size(info->size, size, sizeof(size));
    human_age(info->config->created, age, sizeof(age));
    struct tm tm = {0};
    if (info->config->created && strptime(info->config->created, "%Y-%m-%dT%H:%M:%S", &tm)) {
        time_t t = timegm(&tm);
        if (localtime_r(&t, &tm))
            strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S %z %Z", &tm);
    }
    char id[80];
    if (no_trunc)
        snprintf(id, sizeof(id), "%s", info->id);
    else
        snprintf(id, sizeof(id), "%.12s", digest_hex(info->id));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "ID", id, "Repository", repo,
                     "Tag", tag, "Digest", info->manifest_digest ? info->manifest_digest : "<none>",
                     "CreatedSince", age, "CreatedAt", created_at, "Size", size, "Containers",
                     info->users);
}

static int print_template(image_info **list, size_t n, const char *format, int no_trunc)
{
    json_t *headers =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE ID", "Repository",
                  "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "CreatedSince", "CREATED",
                  "CreatedAt", "CREATED AT", "Size", "SIZE", "Containers", "CONTAINERS");
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        /* one row per name, one <none> row for an image without names */
        size_t names = 0;
        while (list[i]->names[names])
            names++;
        for (size_t k = 0; k < (names ? names : 1); k++)
            json_array_append_new(
                rows, template_row(list[i], names ? list[i]->names[k] : NULL, no_trunc));
    }
    return cli_format_print("images", format, headers, rows);
}

static void print_row(const image_info *info, const char *name, int no_trunc)
{
    char repo[512] = "<none>", tag[256] = "<none>", size[32], age[64];
    split_name(name, repo, sizeof(repo), tag, sizeof(tag));
    human_size(info->size, size, sizeof(size));
    human_age(info->config->created, age, sizeof(age));
    printf("%-40s %-12s %-14.*s %-16s %s\n", repo, tag, no_trunc ? 64 : 12, digest_hex(info->id),
           age, size);
}

int cmd_images(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec optspec[] = {
        {"format", 0, true, 1, "table, json or a Go template"},
        {"no-trunc", 0, false, 2, "full ids"},
        {"quiet", 'q', false, 3, "only the ids"},
        {NULL, 0, false, 0, NULL}};
    int json = 0;
    bool quiet = false, no_trunc = false;
    const char *tmpl = NULL;
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_options("images", err);
        if (id == 1 && strcmp(arg, "json") == 0)
            json = 1;
        else if (id == 1 && strcmp(arg, "table") == 0)
            json = 0;
        else if (id == 1)
            tmpl = arg;
        else if (options_bool(id == 2 ? "no-trunc" : "quiet", arg, id == 2 ? &no_trunc : &quiet,
                              &err) < 0)
            return cli_usage_options("images", err);
    }
    int first = p.index;
    if (first != argc)
        return cli_usage("images", "unexpected argument `%s`", argv[first]);
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    image_info **list = NULL;
    size_t n = 0;
    if (image_list(store, &list, &n, &err) < 0)
        return cli_fail(err);
    if (tmpl && !quiet) {
        int rc = print_template(list, n, tmpl, no_trunc);
        image_info_list_free(list, n);
        return rc;
    }
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *o = image_info_to_json(list[i]);
            json_object_set(o, "Names", json_object_get(o, "RepoTags"));
            json_array_append_new(arr, o);
        }
        char *text = json_dumps(arr, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(arr);
    } else {
        if (!quiet)
            printf("%-40s %-12s %-14s %-16s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED",
                   "SIZE");
        for (size_t i = 0; i < n; i++) {
            if (quiet) {
                printf("%.*s\n", no_trunc ? 64 : 12, digest_hex(list[i]->id));
                continue;
            }
            if (list[i]->names[0] == NULL)
                print_row(list[i], NULL, no_trunc);
            for (char **name = list[i]->names; *name; name++)
                print_row(list[i], *name, no_trunc);
        }
    }
    image_info_list_free(list, n);
    return 0;
}
