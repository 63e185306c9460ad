/* hull stats: CPU, memory and process counts of running containers. */
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "cli/hull/format.h"
#include "container/procs.h"
#include "container/status.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull stats [OPTIONS] [CONTAINER...]\n"
    "\n"
    "Show the resource use of running containers (default: all of them), refreshed every second\n"
    "until interrupted, as docker's columns: CPU % (of one CPU, over the last interval), MEM\n"
    "USAGE / LIMIT (the memory cgroup's usage without inactive page cache, as docker counts it;\n"
    "the limit is -m, else the host's memory), MEM %, BLOCK I/O (bytes read / written by the\n"
    "container's cgroup) and PIDS. CPU and, without a memory cgroup, memory come from /proc\n"
    "(every process of the container's pid namespace).\n"
    "\n"
    "Options:\n"
    "      --no-stream       print one sample (over 0.5 s) and exit\n"
    "      --format FORMAT   table (default), json (an array of {Id, Name, CPUPercent,\n"
    "                        MemUsage, MemLimit (bytes), MemPercent, NetRx, NetTx, BlockRead,\n"
    "                        BlockWrite (bytes), Pids}), or a Go template with docker's fields:\n"
    "                        .Container .Name .ID .CPUPerc .MemUsage .MemPerc .NetIO .BlockIO\n"
    "                        .PIDs ('table {{.Name}}\\t{{.CPUPerc}}' adds docker's headers)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0, 1 when a named container is unknown or not running, 125 for usage errors.\n";

struct target {
    container_record *r;
    const char *ref; /* as named on the command line, else the name */
    pid_t pid;
    unsigned long long ticks;
    long long rss; /* memory in use (cgroup, else the processes' RSS) */
    long long limit;
    long long blk_read, blk_write;
    long long net_rx, net_tx;
    size_t pids;
    double cpu;
};

/* MemTotal of /proc/meminfo in bytes (docker's LIMIT without -m). */
static long long host_memory(void)
{
    cleanup_file FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long long kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lld kB", &kib) == 1)
            break;
    return kib * 1024;
}

static long long stat_int(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    return (long long)json_integer_value(b ? json_object_get(v, b) : v);
}

/* Memory and block I/O from the container's cgroups (libhull's runtime stats, runc's shape). */
static void measure_cgroup(container_store *cs, struct target *t, long long host)
{
    cleanup_json json_t *stats = NULL;
    uint64_t ooms = 0;
    hull_err *err = NULL;
    t->limit = host;
    if (container_stats(cs, t->r, &stats, &ooms, &err) < 0) {
        hull_err_free(err);
        return;
    }
    json_t *mem = json_object_get(stats, "memory");
    json_t *raw = json_object_get(mem, "raw");
    long long usage = stat_int(mem, "usage", "usage");
    long long inactive = json_object_get(raw, "total_inactive_file")
                             ? stat_int(raw, "total_inactive_file", NULL)
                             : stat_int(raw, "inactive_file", NULL);
    if (usage > 0)
        t->rss = usage > inactive ? usage - inactive : usage;
    long long limit = stat_int(mem, "usage", "limit");
    if (limit > 0 && limit < host)
        t->limit = limit;
    size_t i;
    json_t *e;
    t->blk_read = t->blk_write = 0;
    json_array_foreach(json_object_get(json_object_get(stats, "blkio"), "ioServiceBytesRecursive"),
                       i, e)
    {
        const char *op = json_string_value(json_object_get(e, "op"));
        long long v = stat_int(e, "value", NULL);
        if (op && strcasecmp(op, "read") == 0)
            t->blk_read += v;
        else if (op && strcasecmp(op, "write") == 0)
            t->blk_write += v;
    }
}

static void measure(struct target *t)
{
    struct proc_sample *p = NULL;
    size_t n = 0;
    hull_err *err = NULL;
    t->ticks = 0;
    t->rss = 0;
    t->pids = 0;
    if (container_processes(t->pid, &p, &n, &err) < 0) {
        hull_err_free(err);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        t->ticks += p[i].cpu_ticks;
        t->rss += p[i].rss_bytes;
    }
    t->pids = n;
    free(p);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(long long bytes, char *buf, size_t size)
{
    if (bytes >= 1ll << 30)
        snprintf(buf, size, "%.2fGiB", (double)bytes / (double)(1ll << 30));
    else if (bytes >= 1ll << 20)
        snprintf(buf, size, "%.2fMiB", (double)bytes / (double)(1ll << 20));
    else
        snprintf(buf, size, "%.2fKiB", (double)bytes / 1024.0);
}

/* docker's I/O figures: decimal units (B, kB, MB, GB). */
static void human_decimal(long long bytes, char *buf, size_t size)
{
    if (bytes >= 1000000000LL)
        snprintf(buf, size, "%.3gGB", (double)bytes / 1e9);
    else if (bytes >= 1000000)
        snprintf(buf, size, "%.3gMB", (double)bytes / 1e6);
    else if (bytes >= 1000)
        snprintf(buf, size, "%.3gkB", (double)bytes / 1e3);
    else
        snprintf(buf, size, "%lldB", bytes);
}

static double mem_percent(const struct target *t)
{
    return t->limit > 0 ? 100.0 * (double)t->rss / (double)t->limit : 0;
}

/* docker's NET I/O cell: received / sent, decimal units. */
static void net_io_text(const struct target *t, char *buf, size_t size)
{
    char rx[32], tx[32];
    human_decimal(t->net_rx, rx, sizeof rx);
    human_decimal(t->net_tx, tx, sizeof tx);
    snprintf(buf, size, "%s / %s", rx, tx);
}

/* docker's `stats --format` placeholders (formatter.statsContext). */
static json_t *template_row(const struct target *t)
{
    char mem[32], lim[32], usage[80], cpu[32], memperc[32], rd[32], wr[32], io[72], net[72];
    human(t->rss, mem, sizeof mem);
    human(t->limit, lim, sizeof lim);
    snprintf(usage, sizeof usage, "%s / %s", mem, lim);
    snprintf(cpu, sizeof cpu, "%.2f%%", t->cpu);
    snprintf(memperc, sizeof memperc, "%.2f%%", mem_percent(t));
    human_decimal(t->blk_read, rd, sizeof rd);
    human_decimal(t->blk_write, wr, sizeof wr);
    snprintf(io, sizeof io, "%s / %s", rd, wr);
    net_io_text(t, net, sizeof net);
    return json_pack("{s:s, s:s, s:s%, s:s, s:s, s:s, s:s, s:s, s:I}", "Container", t->ref, "Name",
                     t->r->name, "ID", t->r->id, (size_t)CONTAINER_SHORT_LEN, "CPUPerc", cpu,
                     "MemUsage", usage, "MemPerc", memperc, "NetIO", net, "BlockIO", io, "PIDs",
                     (json_int_t)t->pids);
}

static int print_template(struct target *t, size_t n, const char *format)
{
    json_t *headers =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Container", "CONTAINER", "Name",
                  "NAME", "ID", "CONTAINER ID", "CPUPerc", "CPU %", "MemUsage", "MEM USAGE / LIMIT",
                  "MemPerc", "MEM %", "NetIO", "NET I/O", "BlockIO", "BLOCK I/O", "PIDs", "PIDS");
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, template_row(&t[i]));
    int rc = cli_format_print("stats", format, headers, rows);
    fflush(stdout);
    return rc;
}

static void print(struct target *t, size_t n, bool json)
{
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:f, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I}", "Id",
                          t[i].r->id, "Name", t[i].r->name, "CPUPercent", t[i].cpu, "MemUsage",
                          (json_int_t)t[i].rss, "MemLimit", (json_int_t)t[i].limit, "MemPercent",
                          mem_percent(&t[i]), "NetRx", (json_int_t)t[i].net_rx, "NetTx",
                          (json_int_t)t[i].net_tx, "BlockRead", (json_int_t)t[i].blk_read,
                          "BlockWrite", (json_int_t)t[i].blk_write, "Pids", (json_int_t)t[i].pids));
        char *text = json_dumps(arr, JSON_INDENT(2));
        puts(text ? text : "[]");
        free(text);
        json_decref(arr);
        return;
    }
    printf("%-12s   %-24s   %-7s   %-21s   %-7s   %-17s   %-17s   %s\n", "CONTAINER ID", "NAME",
           "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS");
    for (size_t i = 0; i < n; i++) {
        char mem[32], limit[32], usage[72], rd[32], wr[32], io[72], net[72];
        human(t[i].rss, mem, sizeof mem);
        human(t[i].limit, limit, sizeof limit);
        snprintf(usage, sizeof usage, "%s / %s", mem, limit);
        human_decimal(t[i].blk_read, rd, sizeof rd);
        human_decimal(t[i].blk_write, wr, sizeof wr);
        snprintf(io, sizeof io, "%s / %s", rd, wr);
        net_io_text(&t[i], net, sizeof net);
        printf("%-12.12s   %-24s   %6.2f%%   %-21s   %6.2f%%   %-17s   %-17s   %zu\n", t[i].r->id,
               t[i].r->name, t[i].cpu, usage, mem_percent(&t[i]), net, io, t[i].pids);
    }
    fflush(stdout);
}

int cmd_stats(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { OPT_NO_STREAM = 256, OPT_FORMAT };
    static const struct option_spec optspec[] = {
        {"no-stream", 0, false, OPT_NO_STREAM, "one sample, then exit"},
        {"format", 0, true, OPT_FORMAT, "table, json or a Go template"},
        {NULL, 0, false, 0, NULL}};
    bool stream = true, json = false;
    const char *tmpl = NULL;
    int c;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        bool no_stream = false;
        if (c == OPT_NO_STREAM && options_bool("no-stream", arg, &no_stream, &perr) < 0)
            return cli_usage_options("stats", perr);
        else if (c == OPT_NO_STREAM)
            stream = !no_stream;
        else if (c == OPT_FORMAT && (strcmp(arg, "json") == 0 || strcmp(arg, "table") == 0))
            json = strcmp(arg, "json") == 0;
        else if (c == OPT_FORMAT)
            tmpl = arg;
        else
            return cli_usage_options("stats", perr);
    }
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    if (ctr_open(cli, &cs, &err) < 0)
        return cli_fail(err);
    cleanup_strv char **ids = NULL;
    bool named = p.index < argc;
    if (!named && container_list_ids(cs, &ids, &err) < 0)
        return cli_fail(err);
    size_t max = named ? (size_t)(argc - p.index) : 0;
    for (char **id = ids; id && *id; id++)
        max++;
    struct target *t = calloc(max + 1, sizeof *t);
    size_t n = 0;
    int status = 0;
    for (size_t i = 0; i < max; i++) {
        const char *ref = named ? argv[p.index + (int)i] : ids[i];
        container_record *r = NULL;
        struct container_state_info st;
        if ((named ? container_record_find(cs, ref, &r, &err)
                   : container_record_load(cs, ref, &r, &err)) < 0 ||
            container_status_get(cs, r, &st, &err) < 0) {
            container_record_free(r);
            if (named)
                status = cli_fail(err);
            else
                hull_err_free(err);
            err = NULL;
            continue;
        }
        if ((st.state != CONTAINER_RUNNING && st.state != CONTAINER_PAUSED) || st.pid <= 0) {
            if (named)
                status = cli_fail((hull_error(&err, 0, "container %s is not running", ref), err));
            err = NULL;
            container_record_free(r);
            continue;
        }
        t[n].r = r;
        t[n].ref = named ? ref : r->name;
        t[n].pid = st.pid;
        n++;
    }
    long hz = sysconf(_SC_CLK_TCK);
    long long host = host_memory();
    for (;;) {
        unsigned long long before[n + 1];
        for (size_t i = 0; i < n; i++) {
            measure(&t[i]);
            before[i] = t[i].ticks;
        }
        double t0 = now_s();
        poll(NULL, 0, stream ? 1000 : 500);
        double dt = now_s() - t0;
        for (size_t i = 0; i < n; i++) {
            measure(&t[i]);
            measure_cgroup(cs, &t[i], host);
            hull_err *nerr = NULL;
            if (container_net_io(t[i].r, t[i].pid, &t[i].net_rx, &t[i].net_tx, &nerr) < 0)
                hull_err_free(nerr); /* exited meanwhile: no figures, as for the cgroup */
            double used = (double)(t[i].ticks - (t[i].ticks >= before[i] ? before[i] : t[i].ticks));
            t[i].cpu = dt > 0 ? 100.0 * used / (double)hz / dt : 0;
        }
        if (stream && !json)
            fputs("\033[2J\033[H", stdout);
        if (tmpl) {
            int rc = print_template(t, n, tmpl);
            if (rc != 0) {
                status = rc;
                break;
            }
        } else {
            print(t, n, json);
        }
        if (!stream)
            break;
    }
    for (size_t i = 0; i < n; i++)
        container_record_free(t[i].r);
    free(t);
    return status;
}
