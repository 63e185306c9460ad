/* hull history / hull image history: the steps an image was made of, newest first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/hull/cli.h"
#include "cli/hull/format.h"
#include "container/status.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull history [OPTIONS] IMAGE\n"
    "       hull image history [OPTIONS] IMAGE\n"
    "\n"
    "Show the history of IMAGE (a name, digest or ID) from its config, newest step first, in\n"
    "docker's columns: IMAGE (the image ID on the newest step, <missing> below it, as docker\n"
    "shows pulled images), CREATED, CREATED BY, SIZE (the layer blob the step added, as stored;\n"
    "0B for steps that changed only the config) and COMMENT. An image without history shows\n"
    "one row per layer.\n"
    "\n"
    "Options:\n"
    "  -H, --human=true|false  human sizes and ages (default true); false: bytes and RFC 3339\n"
    "      --no-trunc          full IDs and CREATED BY\n"
    "  -q, --quiet             only the IDs\n"
    "      --format FORMAT     a Go template over docker's fields .ID .CreatedSince .CreatedAt\n"
    "                          .CreatedBy .Size .Comment ('table ...' adds the headers)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0, 1 when IMAGE is unknown, 125 for usage errors.\n";

static const char default_format[] =
    "table {{.ID}}\\t{{.CreatedSince}}\\t{{.CreatedBy}}\\t{{.Size}}\\t{{.Comment}}";

struct history_options {
    bool human, no_trunc;
};

/* One step as docker's formatter.historyContext shows it. */
static json_t *step_row(const char *id, json_t *h, int64_t size, const struct history_options *o)
{
    const char *created = json_string_value(json_object_get(h, "created"));
    const char *by = json_string_value(json_object_get(h, "created_by"));
    const char *comment = json_string_value(json_object_get(h, "comment"));
    char since[80] = "N/A", sizebuf[32];
    if (created && o->human) {
        char d[48];
        long long t = container_parse_time(created);
        container_human_duration((long long)time(NULL) - t, d, sizeof d);
        snprintf(since, sizeof since, "%s ago", d);
    } else if (created) {
        snprintf(since, sizeof since, "%s", created);
    }
    if (o->human)
        cli_docker_size(size, sizebuf, sizeof sizebuf);
    else
        snprintf(sizebuf, sizeof sizebuf, "%lld", (long long)size);
    cleanup_free char *shown_by = strdup(by ? by : "");
    /* docker's Ellipsis(createdBy, 45) */
    size_t chars = 0, cut = 0;
    for (const char *p = shown_by; *p; p++)
        if (((unsigned char)*p & 0xc0) != 0x80 && ++chars == 45)
            cut = (size_t)(p - shown_by);
    if (!o->no_trunc && chars > 45) {
        shown_by[cut] = '\0';
        char *t = NULL;
        if (asprintf(&t, "%s…", shown_by) < 0)
            abort();
        free(shown_by);
        shown_by = t;
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", id, "CreatedSince", since, "CreatedAt",
                     created ? created : "", "CreatedBy", shown_by, "Size", sizebuf, "Comment",
                     comment ? comment : "");
}

/* Rows newest first: history entries paired with the manifest's layers bottom-up. */
static json_t *history_rows(const image_info *img, const struct history_options *o)
{
    json_auto_t *config = json_loads(img->config_json ? img->config_json : "{}", 0, NULL);
    json_t *history = json_object_get(config, "history");
    json_t *steps = json_array();
    size_t layer = 0;
    if (json_array_size(history) > 0) {
        size_t i;
        json_t *h;
        json_array_foreach(history, i, h)
        {
            int64_t size = 0;
            if (!json_is_true(json_object_get(h, "empty_layer")) && layer < img->manifest->n_layers)
                size = img->manifest->layers[layer++].size;
            json_array_append_new(steps, json_pack("{s:O, s:I}", "h", h, "size", (json_int_t)size));
        }
    } else {
        for (; layer < img->manifest->n_layers; layer++)
            json_array_append_new(steps,
                                  json_pack("{s:{s:s?}, s:I}", "h", "created", img->config->created,
                                            "size", (json_int_t)img->manifest->layers[layer].size));
    }
    char id[80];
    snprintf(id, sizeof id, "%s", o->no_trunc ? img->id : digest_hex(img->id));
    if (!o->no_trunc)
        id[12] = '\0';
    json_t *rows = json_array();
    for (size_t k = json_array_size(steps); k-- > 0;) {
        json_t *s = json_array_get(steps, k);
        json_array_append_new(rows, step_row(k + 1 == json_array_size(steps) ? id : "<missing>",
                                             json_object_get(s, "h"),
                                             json_integer_value(json_object_get(s, "size")), o));
    }
    json_decref(steps);
    return rows;
}

int cmd_history(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {
        {"human", 'H', false, 1, "sizes and dates in human form"},
        {"no-trunc", 0, false, 2, "do not truncate output"},
        {"quiet", 'q', false, 3, "only the ids"},
        {"format", 0, true, 4, "a Go template or table"},
        {NULL, 0, false, 0, NULL}};
    const char *v[5] = {NULL};
    int first;
    int usage = cli_options("history", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    struct history_options o = {.human = v[1] == NULL || cli_flag(v[1]),
                                .no_trunc = cli_flag(v[2])};
    bool quiet = cli_flag(v[3]);
    const char *format = v[4] == NULL || strcmp(v[4], "table") == 0 ? default_format : v[4];
    hull_err *err = NULL;
    if (first != argc - 1)
        return cli_usage("history", "expected exactly one IMAGE");
    if (quiet)
        format = "{{.ID}}";
    cleanup_image_store image_store *store = NULL;
    cleanup_image_info image_info *img = NULL;
    if (cli_open_store(cli, &store, &err) < 0 || image_lookup(store, argv[first], &img, &err) < 0)
        return cli_fail(err);
    json_t *headers = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince",
                                "CREATED", "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY",
                                "Size", "SIZE", "Comment", "COMMENT");
    return cli_format_print("history", format, headers, history_rows(img, &o));
}
