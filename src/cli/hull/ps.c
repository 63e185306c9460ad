/* hull ps: list containers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/hull/containers.h"
#include "container/inspect.h"
#include "container/status.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull ps [OPTIONS]\n"
    "\n"
    "List running containers (running, paused, restarting), newest first; with -a every\n"
    "container. A container whose monitor died without recording an exit (crash, reboot) is\n"
    "listed as `Exited (unknown)`. A running container with a health check shows it in its\n"
    "STATUS: `Up 2 minutes (healthy)`, `(unhealthy)` or `(health: starting)`.\n"
    "\n"
    "Options:\n"
    "  -a, --all             show all containers\n"
    "  -q, --quiet           print only the (short) IDs\n"
    "      --no-trunc        full IDs and commands\n"
    "      --format FORMAT   table (default) or json: an array of objects with Id, Names,\n"
    "                        Image, ImageID, Command, Created, State, Status, ExitCode, Pid,\n"
    "                        StartedAt, FinishedAt, Labels, Mounts, RestartCount, Health\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0, 1 when the store cannot be read, 125 for usage errors.\n";

struct entry {
    container_record *r;
    struct container_state_info st;
    const char *created;
};

static int by_created_desc(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return strcmp(y->created, x->created);
}

static void ago(const char *when, char *buf, size_t size)
{
    char d[48];
    container_human_duration((long long)time(NULL) - container_parse_time(when), d, sizeof d);
    snprintf(buf, size, "%s ago", d);
}

enum { COLUMNS = 6 };

/* Display width of UTF-8 text (one column per code point: enough for what ps prints). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

/* docker's table layout (a tabwriter with minimum width 10 and padding 3): every column as wide
 * as its widest cell, the last one unpadded. */
static void print_table(char *(*rows)[COLUMNS], size_t n)
{
    size_t width[COLUMNS] = {0};
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < COLUMNS; c++) {
            size_t w = text_width(rows[i][c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t i = 0; i < n; i++) {
        for (int c = 0; c < COLUMNS - 1; c++) {
            size_t w = width[c] < 10 ? 10 : width[c];
            printf("%s%*s", rows[i][c], (int)(w - text_width(rows[i][c]) + 3), "");
        }
        printf("%s\n", rows[i][COLUMNS - 1]);
    }
}

int cmd_ps(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { OPT_NO_TRUNC = 256, OPT_FORMAT };
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"no-trunc", no_argument, NULL, OPT_NO_TRUNC},
                                         {"format", required_argument, NULL, OPT_FORMAT},
                                         {NULL, 0, NULL, 0}};
    bool all = false, quiet = false, no_trunc = false, json = false;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:aq", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'q':
            quiet = true;
            break;
        case OPT_NO_TRUNC:
            no_trunc = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") == 0)
                json = true;
            else if (strcmp(optarg, "table") != 0)
                return cli_usage("ps", "--format `%s`: expected table or json", optarg);
            break;
        default:
            return ctr_bad_option("ps", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage("ps", "unexpected argument `%s`", argv[optind]);
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_strv char **ids = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_list_ids(cs, &ids, &err) < 0)
        return cli_fail(err);
    size_t n = 0;
    for (char **id = ids; *id; id++)
        n++;
    struct entry *list = calloc(n + 1, sizeof *list);
    size_t used = 0;
    for (char **id = ids; *id; id++) {
        struct entry *e = &list[used];
        hull_err *e2 = NULL;
        /* Vanishing (rm running meanwhile) or half-created containers are skipped. */
        if (container_record_load(cs, *id, &e->r, &e2) < 0 ||
            container_status_get(cs, e->r, &e->st, &e2) < 0) {
            hull_err_free(e2);
            container_record_free(e->r);
            continue;
        }
        bool active = e->st.state == CONTAINER_RUNNING || e->st.state == CONTAINER_PAUSED ||
                      e->st.state == CONTAINER_RESTARTING;
        if (!all && !active) {
            container_record_free(e->r);
            continue;
        }
        const char *created = json_string_value(json_object_get(e->r->doc, "Created"));
        e->created = created ? created : "";
        used++;
    }
    qsort(list, used, sizeof *list, by_created_desc);
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < used; i++)
            json_array_append_new(arr, container_ps_json(list[i].r, &list[i].st));
        char *text = json_dumps(arr, JSON_INDENT(2));
        puts(text ? text : "[]");
        free(text);
        json_decref(arr);
    } else if (quiet) {
        for (size_t i = 0; i < used; i++)
            printf("%.*s\n", no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_LEN, list[i].r->id);
    } else {
        char *(*rows)[COLUMNS] = calloc(used + 1, sizeof *rows);
        if (rows == NULL)
            abort();
        static const char *const head[COLUMNS] = {"CONTAINER ID", "IMAGE",  "COMMAND",
                                                  "CREATED",      "STATUS", "NAMES"};
        for (int col = 0; col < COLUMNS; col++)
            rows[0][col] = strdup(head[col]);
        for (size_t i = 0; i < used; i++) {
            char status[128], created[64];
            container_status_text(&list[i].st, status, sizeof status);
            ago(list[i].created, created, sizeof created);
            cleanup_free char *cmd = container_command_text(list[i].r);
            char quoted[64];
            if (!no_trunc && text_width(cmd) > 20)
                snprintf(quoted, sizeof quoted, "\"%.19s…\"", cmd);
            else
                snprintf(quoted, sizeof quoted, "\"%s\"", cmd);
            const char *image = json_string_value(json_object_get(list[i].r->doc, "ImageName"));
            char **row = rows[i + 1];
            row[0] = strndup(list[i].r->id, no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_LEN);
            row[1] = strdup(image ? image : "");
            if (no_trunc && asprintf(&row[2], "\"%s\"", cmd) < 0)
                abort();
            if (!no_trunc)
                row[2] = strdup(quoted);
            row[3] = strdup(created);
            row[4] = strdup(status);
            row[5] = strdup(list[i].r->name);
        }
        print_table(rows, used + 1);
        for (size_t i = 0; i < used + 1; i++)
            for (int col = 0; col < COLUMNS; col++)
                free(rows[i][col]);
        free(rows);
    }
    for (size_t i = 0; i < used; i++)
        container_record_free(list[i].r);
    free(list);
    return 0;
}
