/* hull ps: list containers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/hull/containers.h"
#include "cli/hull/format.h"
#include "container/inspect.h"
#include "container/network.h"
#include "container/ps_filter.h"
#include "container/status.h"
#include "image/image.h"
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
    "  -f, --filter KEY=VALUE\n"
    "                        show only the containers that match (repeatable, see Filters)\n"
    "  -n, --last N          show the N most recently created containers, in every state\n"
    "  -l, --latest          show the most recently created container (-n 1)\n"
    "  -q, --quiet           print only the (short) IDs\n"
    "      --no-trunc        full IDs and commands\n"
    "      --format FORMAT   table (default); json: an array of objects with Id, Names,\n"
    "                        Image, ImageID, Command, Created, State, Status, ExitCode, Pid,\n"
    "                        StartedAt, FinishedAt, Labels, Mounts, RestartCount, Health; or a\n"
    "                        Go template with docker's fields: .ID .Image .Command .CreatedAt\n"
    "                        .RunningFor .Ports .State .Status .Size .Names .Labels\n"
    "                        .Label \"KEY\" .Mounts .Networks .LocalVolumes; `table TEMPLATE`\n"
    "                        adds docker's column headers (e.g. 'table {{.ID}}\\t{{.Names}}')\n"
    "  -s, --size            refused: hull does not compute container sizes (see `hull system\n"
    "                        df`)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Filters (docker's): several values of one key match any of them, different keys must all\n"
    "match; label is the exception: every label filter must match.\n"
    "  id=PREFIX             the ID starts with PREFIX\n"
    "  name=PATTERN          the name contains PATTERN, a POSIX extended regular expression\n"
    "                        (`web` matches `myweb1`; `^web$` only `web`)\n"
    "  label=KEY, label=KEY=VALUE\n"
    "                        the container has label KEY (with that VALUE)\n"
    "  status=STATE          created, restarting, running, removing, paused, exited or dead;\n"
    "                        a status filter lists stopped containers without -a, as docker's\n"
    "  exited=CODE           exited containers with that exit code (needs -a, as in docker)\n"
    "  health=STATE          starting, healthy, unhealthy, or none (no health check)\n"
    "  ancestor=IMAGE        created from IMAGE: name[:tag], name@digest, ID or ID prefix, as\n"
    "                        the image store resolves it now\n"
    "  volume=VOLUME         mounts the named volume (or host path) or has a mount at VOLUME\n"
    "  before=C, since=C     created before / after container C\n"
    "\n"
    "Examples:\n"
    "  hull rm $(hull ps -q -f status=exited)    remove every exited container\n"
    "  hull ps -aq -f label=app=web -f name=api  IDs of containers labelled app=web named *api*\n"
    "\n"
    "Exit status: 0, 1 when the store cannot be read, 125 for usage errors (a bad filter).\n";

/* One container of the listing. The table and -q keep only what they print and what the
 * filters look at (the record is freed as soon as that is taken from it: with many containers,
 * keeping every parsed record alive cost more in page faults than the parsing itself);
 * --format json and templates keep the record. */
struct entry {
    container_record *r; /* NULL unless the output needs the whole record */
    struct container_state_info st;
    struct container_ps_facts facts; /* id, name, image_id point to the copies below */
    char *id, *name, *image_id, *created;
    char *cells[7]; /* the table's cells (table output only) */
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

enum { COLUMNS = 7 };

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

/* Resolves ancestor= images; the image store is opened on first use. Only looked up, never
 * seeded with the built-in image (a listing changes nothing). */
struct image_resolver {
    struct hull_cli *cli;
    image_store *is;
    bool opened;
};

static char *resolve_image(void *ctx, const char *ref)
{
    struct image_resolver *r = ctx;
    cleanup_err hull_err *err = NULL;
    if (!r->opened) {
        r->opened = true;
        if (image_store_open(r->cli->data_root, &r->is, &err) < 0)
            return NULL;
    }
    cleanup_image_info image_info *img = NULL;
    if (r->is == NULL || image_find(r->is, ref, &img, &err) < 0)
        return NULL;
    char *id = strdup(img->id);
    if (id == NULL)
        abort();
    return id;
}

/* A bad --filter: one line, as docker prints the daemon's answer. */
static int filter_error(hull_err *err)
{
    fprintf(stderr, "hull ps: %s\n", err->msg);
    hull_err_free(err);
    return CLI_EXIT_USAGE;
}

static void print_json(const struct entry *list, const size_t *shown, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, container_ps_json(list[shown[i]].r, &list[shown[i]].st));
    char *text = json_dumps(arr, JSON_INDENT(2));
    puts(text ? text : "[]");
    free(text);
    json_decref(arr);
}

/* docker's `ps --format` placeholders for one container (formatter.ContainerContext). */
static json_t *template_row(container_store *cs, const struct entry *e, bool no_trunc)
{
    char status[128], created_at[64] = "", running_for[64];
    container_status_text(&e->st, status, sizeof status);
    ago(e->created, running_for, sizeof running_for);
    time_t t = (time_t)container_parse_time(e->created);
    struct tm tm;
    if (localtime_r(&t, &tm))
        strftime(created_at, sizeof created_at, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
    cleanup_free char *cmd = container_command_text(e->r);
    cleanup_free char *ports = container_ports_text(cs, e->r);
    cleanup_free char *quoted = NULL;
    if (!no_trunc && text_width(cmd) > 20) {
        size_t cut = 0;
        for (size_t chars = 0; cmd[cut] && chars < 19; chars++)
            for (cut++; ((unsigned char)cmd[cut] & 0xc0) == 0x80; cut++)
                ;
        if (asprintf(&quoted, "\"%.*s…\"", (int)cut, cmd) < 0)
            abort();
    } else if (asprintf(&quoted, "\"%s\"", cmd) < 0) {
        abort();
    }
    json_t *labels = json_object_get(json_object_get(e->r->doc, "Config"), "Labels");
    json_t *label_obj = json_is_object(labels) ? json_incref(labels) : json_object();
    json_t *names = json_array();
    const char *key;
    json_t *v;
    json_object_foreach(label_obj, key, v)
    {
        cleanup_free char *kv = NULL;
        if (asprintf(&kv, "%s=%s", key, json_string_value(v) ? json_string_value(v) : "") < 0)
            abort();
        json_array_append_new(names, json_string(kv));
    }
    json_t *ps = container_ps_json(e->r, &e->st);
    json_t *mounts = json_object_get(ps, "Mounts");
    size_t i, local = 0;
    json_t *m;
    json_array_foreach(json_object_get(e->r->doc, "Mounts"), i, m) local +=
        json_is_string(json_object_get(m, "Name"));
    const char *image = json_string_value(json_object_get(e->r->doc, "ImageName"));
    const char *net =
        json_string_value(json_object_get(json_object_get(e->r->doc, "HostConfig"), "NetworkMode"));
    json_t *row = json_pack(
        "{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:I}", "ID",
        e->r->id, (size_t)(no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_LEN), "Names", e->r->name,
        "Image", image ? image : "", "Command", quoted, "CreatedAt", created_at, "RunningFor",
        running_for, "Ports", ports, "State", container_state_name(e->st.state), "Status", status,
        "Size", "0B", "Labels", "", "Label", label_obj, "Mounts", "", "Networks", net ? net : "",
        "LocalVolumes", (json_int_t)local);
    /* "k=v,k2=v2" and "vol1,vol2" as docker prints them */
    for (int pass = 0; pass < 2; pass++) {
        json_t *list = pass ? mounts : names;
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (f == NULL)
            abort();
        json_array_foreach(list, i, m) fprintf(f, "%s%s", i ? "," : "", json_string_value(m));
        fclose(f);
        json_object_set_new(row, pass ? "Mounts" : "Labels", json_string(buf));
        free(buf);
    }
    json_decref(names);
    json_decref(ps);
    return row;
}

static json_t *template_headers(void)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
                     "s:s}",
                     "ID", "CONTAINER ID", "Names", "NAMES", "Image", "IMAGE", "Command", "COMMAND",
                     "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports", "PORTS", "State",
                     "STATE", "Status", "STATUS", "Size", "SIZE", "Labels", "LABELS", "Label",
                     "LABEL", "Mounts", "MOUNTS", "Networks", "NETWORKS", "LocalVolumes",
                     "LOCAL VOLUMES");
}

static int print_template(container_store *cs, const char *format, const struct entry *list,
                          const size_t *shown, size_t n, bool no_trunc)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, template_row(cs, &list[shown[i]], no_trunc));
    return cli_format_print("ps", format, template_headers(), rows);
}

static void print_rows(const struct entry *list, const size_t *shown, size_t n)
{
    char *(*rows)[COLUMNS] = calloc(n + 1, sizeof *rows);
    if (rows == NULL)
        abort();
    static const char *const head[COLUMNS] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
                                              "STATUS",       "PORTS", "NAMES"};
    for (int col = 0; col < COLUMNS; col++)
        rows[0][col] = (char *)head[col];
    for (size_t i = 0; i < n; i++)
        for (int col = 0; col < COLUMNS; col++)
            rows[i + 1][col] = list[shown[i]].cells[col];
    print_table(rows, n + 1);
    free(rows);
}

/* The table's cells of one container, from its record and state. */
static void table_cells(container_store *cs, container_record *r,
                        const struct container_state_info *st, const char *created, bool no_trunc,
                        char **row)
{
    char status[128], ago_text[64];
    container_status_text(st, status, sizeof status);
    ago(created, ago_text, sizeof ago_text);
    cleanup_free char *cmd = container_command_text(r);
    char quoted[64];
    if (!no_trunc && text_width(cmd) > 20)
        snprintf(quoted, sizeof quoted, "\"%.19s…\"", cmd);
    else
        snprintf(quoted, sizeof quoted, "\"%s\"", cmd);
    const char *image = json_string_value(json_object_get(r->doc, "ImageName"));
    row[0] = strndup(r->id, no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_LEN);
    row[1] = strdup(image ? image : "");
    if (no_trunc) {
        if (asprintf(&row[2], "\"%s\"", cmd) < 0)
            abort();
    } else {
        row[2] = strdup(quoted);
    }
    row[3] = strdup(ago_text);
    row[4] = strdup(status);
    row[5] = container_ports_text(cs, r);
    row[6] = strdup(r->name);
    for (int col = 0; col < COLUMNS; col++)
        if (row[col] == NULL)
            abort();
}

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");
    if (d == NULL)
        abort();
    return d;
}

enum output { OUT_TABLE, OUT_QUIET, OUT_RECORDS };

/* Every container that can be read, newest first (vanishing or half-created ones skipped). */
static struct entry *load_all(container_store *cs, char **ids, enum output out, bool no_trunc,
                              size_t *count)
{
    size_t n = 0;
    for (char **id = ids; *id; id++)
        n++;
    struct entry *list = calloc(n + 1, sizeof *list);
    if (list == NULL)
        abort();
    size_t used = 0;
    for (char **id = ids; *id; id++) {
        struct entry *e = &list[used];
        hull_err *e2 = NULL;
        container_record *r = NULL;
        if (container_record_load(cs, *id, &r, &e2) < 0 ||
            container_status_get(cs, r, &e->st, &e2) < 0) {
            hull_err_free(e2);
            container_record_free(r);
            continue;
        }
        container_ps_facts_load(r, &e->st, &e->facts);
        e->id = dup_or_empty(r->id);
        e->name = dup_or_empty(r->name);
        e->image_id = e->facts.image_id ? dup_or_empty(e->facts.image_id) : NULL;
        e->created = dup_or_empty(json_string_value(json_object_get(r->doc, "Created")));
        e->facts.id = e->id;
        e->facts.name = e->name;
        e->facts.image_id = e->image_id;
        json_incref(e->facts.labels);
        json_incref(e->facts.mounts);
        if (out == OUT_TABLE)
            table_cells(cs, r, &e->st, e->created, no_trunc, e->cells);
        if (out == OUT_RECORDS)
            e->r = r;
        else
            container_record_free(r);
        used++;
    }
    qsort(list, used, sizeof *list, by_created_desc);
    *count = used;
    return list;
}

static void entries_free(struct entry *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct entry *e = &list[i];
        container_record_free(e->r);
        json_decref(e->facts.labels);
        json_decref(e->facts.mounts);
        free(e->id);
        free(e->name);
        free(e->image_id);
        free(e->created);
        for (int col = 0; col < COLUMNS; col++)
            free(e->cells[col]);
    }
    free(list);
}

int cmd_ps(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { OPT_NO_TRUNC = 256, OPT_FORMAT };
    static const struct option_spec optspec[] = {
        {"all", 'a', false, 'a', "all containers, not only running ones"},
        {"quiet", 'q', false, 'q', "only the ids"},
        {"filter", 'f', true, 'f', "KEY=VALUE"},
        {"last", 'n', true, 'n', "the N last created"},
        {"latest", 'l', false, 'l', "the last created"},
        {"size", 's', false, 's', "not supported"},
        {"no-trunc", 0, false, OPT_NO_TRUNC, "full ids and commands"},
        {"format", 0, true, OPT_FORMAT, "table, json or a Go template"},
        {NULL, 0, false, 0, NULL}};
    bool quiet = false, no_trunc = false, json = false, latest = false;
    const char *tmpl = NULL;
    struct container_ps_options sel = {.all = false, .last = -1};
    cleanup_container_ps_filter container_ps_filter *filter = container_ps_filter_new();
    int c;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        switch (c) {
        case 'a':
            if (options_bool("all", arg, &sel.all, &perr) < 0)
                return cli_usage_options("ps", perr);
            break;
        case 'q':
            if (options_bool("quiet", arg, &quiet, &perr) < 0)
                return cli_usage_options("ps", perr);
            break;
        case 'f': {
            hull_err *err = NULL;
            if (container_ps_filter_add(filter, arg, &err) < 0)
                return filter_error(err);
            break;
        }
        case 'n': {
            char *end;
            errno = 0;
            long v = strtol(arg, &end, 10);
            if (errno || end == arg || *end)
                return cli_usage("ps", "-n/--last `%s`: expected a number", arg);
            sel.last = v;
            break;
        }
        case 'l':
            if (options_bool("latest", arg, &latest, &perr) < 0)
                return cli_usage_options("ps", perr);
            break;
        case 's':
            return cli_usage("ps", "-s/--size is not supported: hull does not compute "
                                   "container sizes (`hull system df` shows disk use)");
        case OPT_NO_TRUNC:
            if (options_bool("no-trunc", arg, &no_trunc, &perr) < 0)
                return cli_usage_options("ps", perr);
            break;
        case OPT_FORMAT:
            if (strcmp(arg, "json") == 0)
                json = true;
            else if (strcmp(arg, "table") != 0)
                tmpl = arg;
            break;
        default:
            return cli_usage_options("ps", perr);
        }
    }
    if (p.index < argc)
        return cli_usage("ps", "unexpected argument `%s`", argv[p.index]);
    /* docker: --latest is -n 1 unless -n was given. */
    if (latest && sel.last == -1)
        sel.last = 1;
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_strv char **ids = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_list_ids(cs, &ids, &err) < 0)
        return cli_fail(err);
    if (container_ps_filter_has_ancestor(filter)) {
        struct image_resolver resolver = {.cli = cli};
        container_ps_filter_resolve_images(filter, resolve_image, &resolver);
        image_store_close(resolver.is);
    }
    enum output out = json || (tmpl && !quiet) ? OUT_RECORDS : quiet ? OUT_QUIET : OUT_TABLE;
    size_t n;
    struct entry *list = load_all(cs, ids, out, no_trunc, &n);
    struct container_ps_facts *facts = calloc(n + 1, sizeof *facts);
    size_t *shown = calloc(n + 1, sizeof *shown);
    if (facts == NULL || shown == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        facts[i] = list[i].facts;
    size_t count = 0;
    int rc = container_ps_select(filter, facts, n, &sel, shown, &count, &err);
    if (rc < 0)
        rc = filter_error(err);
    else if (json)
        print_json(list, shown, count);
    else if (tmpl && !quiet)
        rc = print_template(cs, tmpl, list, shown, count, no_trunc);
    else if (quiet)
        for (size_t i = 0; i < count; i++)
            printf("%.*s\n", no_trunc ? CONTAINER_ID_LEN : CONTAINER_SHORT_LEN, list[shown[i]].id);
    else
        print_rows(list, shown, count);
    entries_free(list, n);
    free(facts);
    free(shown);
    return rc;
}
