/* hull logs: print (and follow) a container's JSON-lines log. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "monitor/monitor_io.h"
#include "container/net_policy.h"
#include "container/status.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char help[] =
    "Usage: hull logs [OPTIONS] CONTAINER\n"
    "\n"
    "Print what the container wrote to stdout (on stdout) and stderr (on stderr), from every run\n"
    "(restarts included) and every rotated file still kept. The log is docker's json-file\n"
    "format: one {\"log\",\"stream\",\"time\"} object per line in\n"
    "DATA_ROOT/containers/ID/container.log (rotated to .1, .2, ...).\n"
    "\n"
    "Options:\n"
    "  -f, --follow        keep printing new output until the container stops for good (no\n"
    "                      restart pending)\n"
    "  -n, --tail N        only the last N lines (default: all)\n"
    "  -t, --timestamps    prefix each line with its RFC 3339 time (nanoseconds)\n"
    "      --since TIME    only lines at or after TIME: RFC 3339 (2024-05-01T10:00:00Z), Unix\n"
    "                      seconds, or a duration ago (30s, 5m, 2h)\n"
    "      --until TIME    only lines before TIME (same forms)\n"
    "      --egress        the egress allow-list's drops instead (`hull run --egress-allow`):\n"
    "                      one `hull-egress-denied: SRC= DST= PROTO= [SPT= DPT=]` line per\n"
    "                      dropped packet, from DATA_ROOT/containers/ID/egress.log\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0, 1 when the container is unknown or its log unreadable, 125 for usage\n"
    "errors.\n";

struct logs_opts {
    bool follow, timestamps;
    long tail; /* -1 = all */
    long long since_ns, until_ns;
    bool egress;
};

/* --egress: the drops the egress logger wrote (plain lines, newest last). */
static int egress_log(const struct logs_opts *o, container_record *r)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    hull_err *err = NULL;
    if (fs_read_file_at(r->dirfd, CONTAINER_EGRESS_LOG, 64u << 20, &text, &len, &err) < 0) {
        if (err->errnum != ENOENT)
            return cli_fail(err);
        hull_err_free(err);
        return 0;
    }
    size_t from = 0;
    if (o->tail >= 0) {
        long n = 0;
        for (size_t i = len; i-- > 0;) {
            if (text[i] == '\n' && i + 1 < len && ++n == o->tail) {
                from = i + 1;
                break;
            }
        }
        if (o->tail == 0)
            from = len;
    }
    fwrite(text + from, 1, len - from, stdout);
    return 0;
}

/* Print one record if it passes the filters. */
static void emit(const struct logs_opts *o, const char *line, size_t len)
{
    json_error_t je;
    json_t *rec = json_loadb(line, len, 0, &je);
    if (rec == NULL)
        return; /* a torn last line of a crashed monitor */
    const char *log = json_string_value(json_object_get(rec, "log"));
    const char *stream = json_string_value(json_object_get(rec, "stream"));
    const char *when = json_string_value(json_object_get(rec, "time"));
    size_t log_len = json_string_length(json_object_get(rec, "log"));
    long long t = when ? ctr_time_ns(when) : 0;
    if (log && (o->since_ns == 0 || t >= o->since_ns) && (o->until_ns == 0 || t < o->until_ns)) {
        FILE *out = stream && strcmp(stream, "stderr") == 0 ? stderr : stdout;
        if (o->timestamps)
            fprintf(out, "%s ", when ? when : "");
        fwrite(log, 1, log_len, out);
    }
    json_decref(rec);
}

struct lines {
    char **v;
    size_t n, cap;
};

static void lines_add(struct lines *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (l->v == NULL)
            abort();
    }
    l->v[l->n++] = strndup(s, len);
}

/* Split buffered bytes into lines; the incomplete tail stays in buf. */
static void split_lines(char *buf, size_t *len, struct lines *l)
{
    size_t start = 0;
    for (;;) {
        char *nl = memchr(buf + start, '\n', *len - start);
        if (nl == NULL)
            break;
        lines_add(l, buf + start, (size_t)(nl - (buf + start)));
        start = (size_t)(nl - buf) + 1;
    }
    memmove(buf, buf + start, *len - start);
    *len -= start;
}

struct follow_state {
    int fd;
    ino_t ino;
    char buf[1 << 16];
    size_t len;
};

static void read_fd(struct follow_state *f, struct lines *l)
{
    for (;;) {
        if (f->len == sizeof f->buf) {
            lines_add(l, f->buf, f->len); /* an absurdly long line: pass it on as is */
            f->len = 0;
        }
        ssize_t n = read(f->fd, f->buf + f->len, sizeof f->buf - f->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        f->len += (size_t)n;
        split_lines(f->buf, &f->len, l);
    }
}

static void print_lines(const struct logs_opts *o, struct lines *l, size_t from)
{
    for (size_t i = from; i < l->n; i++) {
        emit(o, l->v[i], strlen(l->v[i]));
        free(l->v[i]);
    }
    for (size_t i = 0; i < from; i++)
        free(l->v[i]);
    l->n = 0;
    fflush(stdout);
    fflush(stderr);
}

/* Whether more output can come. A container that runs on without its monitor writes nothing
 * more to the log (*unmonitored): following it would block for ever. */
static bool still_active(container_store *cs, container_record *r, bool *unmonitored)
{
    if (faccessat(cs->dirfd, r->id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
        return false;
    struct container_state_info st;
    hull_err *err = NULL;
    if (container_status_get(cs, r, &st, &err) < 0) {
        hull_err_free(err);
        return false;
    }
    *unmonitored = st.unmonitored;
    return !st.unmonitored &&
           (st.monitor_alive || st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED);
}

static int follow(const struct logs_opts *o, container_store *cs, container_record *r,
                  struct follow_state *f)
{
    cleanup_close int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (in >= 0)
        inotify_add_watch(in, r->dir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF);
    struct lines l = {0};
    bool last_round = false, unmonitored = false;
    for (;;) {
        read_fd(f, &l);
        /* Rotated (or created after we started): finish the old file, open the new one. */
        struct stat st;
        if (fstatat(r->dirfd, MONITOR_LOG_NAME, &st, 0) == 0 && st.st_ino != f->ino) {
            int nfd = openat(r->dirfd, MONITOR_LOG_NAME, O_RDONLY | O_CLOEXEC);
            if (nfd >= 0) {
                if (f->fd >= 0) {
                    read_fd(f, &l);
                    close(f->fd);
                }
                f->fd = nfd;
                f->ino = st.st_ino;
                f->len = 0;
                read_fd(f, &l);
            }
        }
        print_lines(o, &l, 0);
        if (last_round)
            break;
        if (!still_active(cs, r, &unmonitored)) {
            last_round = true; /* one more pass for what was written just before the end */
            continue;
        }
        struct pollfd p = {.fd = in, .events = POLLIN};
        if (poll(in >= 0 ? &p : NULL, in >= 0 ? 1 : 0, 250) > 0) {
            char ev[4096];
            while (read(in, ev, sizeof ev) > 0)
                ;
        }
    }
    free(l.v);
    if (unmonitored)
        fprintf(stderr,
                "hull: the monitor of container %s died: its output is no longer recorded "
                "(`hull start %s` gives it a new monitor)\n",
                r->name, r->name);
    return 0;
}

static int logs(const struct logs_opts *o, container_store *cs, container_record *r)
{
    struct lines l = {0};
    /* Oldest first: the highest-numbered rotated file down to .1. */
    for (int i = 100; i >= 1; i--) {
        char name[64];
        snprintf(name, sizeof name, "%s.%d", MONITOR_LOG_NAME, i);
        cleanup_free char *text = NULL;
        size_t len = 0;
        hull_err *e = NULL;
        if (fs_read_file_at(r->dirfd, name, 1u << 30, &text, &len, &e) < 0) {
            hull_err_free(e);
            continue;
        }
        split_lines(text, &len, &l);
        if (len)
            lines_add(&l, text, len);
    }
    static struct follow_state f;
    f.fd = openat(r->dirfd, MONITOR_LOG_NAME, O_RDONLY | O_CLOEXEC);
    f.len = 0;
    f.ino = 0;
    if (f.fd >= 0) {
        struct stat st;
        if (fstat(f.fd, &st) == 0)
            f.ino = st.st_ino;
        read_fd(&f, &l);
    }
    size_t from = 0;
    if (o->tail >= 0 && l.n > (size_t)o->tail)
        from = l.n - (size_t)o->tail;
    print_lines(o, &l, from);
    free(l.v);
    int rc = 0;
    if (o->follow)
        rc = follow(o, cs, r, &f);
    if (f.fd >= 0)
        close(f.fd);
    return rc;
}

int cmd_logs(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec optspec[] = {
        {"follow", 'f', false, 1, "keep printing new output"},
        {"tail", 'n', true, 2, "the last N lines, or all"},
        {"timestamps", 't', false, 3, "prefix each line with its time"},
        {"since", 0, true, 4, "from this time on"},
        {"until", 0, true, 5, "up to this time"},
        {"egress", 0, false, 6, "the egress log"},
        {NULL, 0, false, 0, NULL}};
    struct logs_opts o = {.tail = -1};
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int oid;
    const char *arg;
    while ((oid = options_next(&p, &arg, &err)) != 0) {
        if (oid < 0)
            return cli_usage_options("logs", err);
        switch (oid) {
        case 1:
        case 3:
            if (options_bool(p.specs[oid - 1].name, arg, oid == 1 ? &o.follow : &o.timestamps,
                             &err) < 0)
                return cli_usage_options("logs", err);
            break;
        case 2: {
            if (strcmp(arg, "all") == 0) {
                o.tail = -1;
                break;
            }
            char *end;
            o.tail = strtol(arg, &end, 10);
            if (*arg == '\0' || *end || o.tail < 0)
                return cli_usage("logs", "--tail: expected a number of lines or `all`, got `%s`",
                                 arg);
            break;
        }
        case 6:
            if (options_bool("egress", arg, &o.egress, &err) < 0)
                return cli_usage_options("logs", err);
            break;
        default:
            if (ctr_parse_when(arg, oid == 4 ? &o.since_ns : &o.until_ns) < 0)
                return cli_usage("logs",
                                 "--%s `%s`: expected RFC 3339, Unix seconds or a "
                                 "duration like 10s, 5m, 2h",
                                 oid == 4 ? "since" : "until", arg);
            break;
        }
    }
    int first = p.index;
    if (argc - first != 1)
        return cli_usage("logs", "expected exactly one CONTAINER");
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, argv[first], &r, &err) < 0)
        return cli_fail(err);
    if (o.egress)
        return egress_log(&o, r);
    return logs(&o, cs, r);
}
