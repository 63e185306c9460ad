/* Event log filters and reader (see events_read.h). */
#include "container/events_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/events.h"
#include "util/cleanup.h"

struct event_filter {
    size_t n;
    struct {
        char *key, *value;
    } * v;
};

static const char *const filter_keys[] = {"type",   "event", "container", "image",  "label",
                                          "volume", "scope", "network",   "daemon", NULL};
static const char *const event_types[] = {"container", "image",  "volume",  "network",
                                          "daemon",    "plugin", "service", "node",
                                          "secret",    "config", NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

int event_filter_add(struct event_filter **fp, const char *arg, hull_err **err)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        hull_error(err, 0, "bad format of filter '%s' (expected name=value)", arg);
        (*err)->exit_code = 125;
        return -1;
    }
    cleanup_free char *key = strndup(arg, (size_t)(eq - arg));
    if (!in_list(filter_keys, key)) {
        hull_error(err, 0, "invalid filter '%s'", key);
        (*err)->exit_code = 125;
        return -1;
    }
    if (strcmp(key, "type") == 0 && !in_list(event_types, eq + 1)) {
        hull_error(err, 0, "invalid filter 'type=%s'", eq + 1);
        (*err)->exit_code = 125;
        return -1;
    }
    struct event_filter *f = *fp;
    if (f == NULL && (f = *fp = calloc(1, sizeof *f)) == NULL)
        abort();
    void *nv = realloc(f->v, (f->n + 1) * sizeof *f->v);
    if (nv == NULL)
        abort();
    f->v = nv;
    f->v[f->n].key = steal_pointer(&key);
    f->v[f->n].value = strdup(eq + 1);
    f->n++;
    return 0;
}

void event_filter_free(struct event_filter *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].key);
        free(f->v[i].value);
    }
    free(f->v);
    free(f);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* `busybox` and `busybox:latest` name the same image. */
static bool same_image(const char *a, const char *b)
{
    if (strcmp(a, b) == 0)
        return true;
    size_t la = strlen(a), lb = strlen(b);
    return (la == lb + 7 && strncmp(a, b, lb) == 0 && strcmp(a + lb, ":latest") == 0) ||
           (lb == la + 7 && strncmp(b, a, la) == 0 && strcmp(b + la, ":latest") == 0);
}

static bool match_one(const char *key, const char *v, json_t *ev)
{
    const char *type = str(ev, "Type"), *action = str(ev, "Action");
    json_t *actor = json_object_get(ev, "Actor");
    const char *id = str(actor, "ID");
    json_t *attrs = json_object_get(actor, "Attributes");
    if (strcmp(key, "type") == 0)
        return strcmp(type, v) == 0;
    if (strcmp(key, "event") == 0) {
        size_t n = strlen(v);
        return strcmp(action, v) == 0 || (strncmp(action, v, n) == 0 && action[n] == ':');
    }
    if (strcmp(key, "container") == 0)
        return strcmp(type, "container") == 0 &&
               ((*v && strncmp(id, v, strlen(v)) == 0) || strcmp(str(attrs, "name"), v) == 0);
    if (strcmp(key, "image") == 0)
        return (strcmp(type, "container") == 0 && same_image(str(attrs, "image"), v)) ||
               (strcmp(type, "image") == 0 &&
                (same_image(id, v) || same_image(str(attrs, "name"), v)));
    if (strcmp(key, "label") == 0) {
        const char *eq = strchr(v, '=');
        cleanup_free char *k = eq ? strndup(v, (size_t)(eq - v)) : strdup(v);
        json_t *have = json_object_get(attrs, k);
        return json_is_string(have) && (eq == NULL || strcmp(json_string_value(have), eq + 1) == 0);
    }
    if (strcmp(key, "volume") == 0)
        return strcmp(type, "volume") == 0 && strcmp(id, v) == 0;
    if (strcmp(key, "scope") == 0)
        return strcmp(str(ev, "scope"), v) == 0;
    return false; /* network, daemon: hull records no such events */
}

bool event_filter_match(const struct event_filter *f, json_t *ev)
{
    if (f == NULL)
        return true;
    for (size_t i = 0; i < f->n; i++) {
        /* Each key once: does any of its values match? */
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(f->v[j].key, f->v[i].key) == 0;
        if (seen)
            continue;
        bool any = false;
        /* label is docker's exception: every label filter must hold. */
        bool all = strcmp(f->v[i].key, "label") == 0;
        bool every = true;
        for (size_t j = i; j < f->n; j++) {
            if (strcmp(f->v[j].key, f->v[i].key) != 0)
                continue;
            bool m = match_one(f->v[j].key, f->v[j].value, ev);
            any = any || m;
            every = every && m;
        }
        if (all ? !every : !any)
            return false;
    }
    return true;
}

long long event_time_ns(json_t *ev)
{
    json_t *n = json_object_get(ev, "timeNano");
    if (json_is_integer(n))
        return (long long)json_integer_value(n);
    return (long long)json_integer_value(json_object_get(ev, "time")) * 1000000000LL;
}

struct event_reader {
    int rootfd;
    int in; /* inotify on the data root: the log written, created or rotated */
    int fd; /* the file being read, -1 before it exists */
    ino_t ino;
    bool on_old; /* reading events.log.1 */
    char *buf;
    size_t len, cap;
};

int event_reader_open(const char *data_root, struct event_reader **out, hull_err **err)
{
    struct event_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    r->fd = r->in = -1;
    r->rootfd = open(data_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->rootfd < 0) {
        free(r);
        return hull_error(err, errno, "open the event log under `%s`", data_root);
    }
    /* Watching before the first read: nothing written meanwhile is missed. */
    r->in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (r->in < 0 || inotify_add_watch(r->in, data_root, IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
        int e = errno;
        event_reader_close(r);
        return hull_error(err, e, "watch the event log under `%s`", data_root);
    }
    r->fd = openat(r->rootfd, EVENT_LOG_OLD_NAME, O_RDONLY | O_CLOEXEC);
    r->on_old = r->fd >= 0;
    if (!r->on_old)
        r->fd = openat(r->rootfd, EVENT_LOG_NAME, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd >= 0 && !r->on_old && fstat(r->fd, &st) == 0)
        r->ino = st.st_ino;
    *out = r;
    return 0;
}

void event_reader_close(struct event_reader *r)
{
    if (r == NULL)
        return;
    int fds[] = {r->rootfd, r->in, r->fd};
    for (size_t i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(r->buf);
    free(r);
}

/* A complete line from the buffer, parsed (torn or invalid lines are skipped). */
static json_t *take_line(struct event_reader *r, bool *got)
{
    *got = false;
    char *nl = r->len ? memchr(r->buf, '\n', r->len) : NULL;
    if (nl == NULL)
        return NULL;
    *got = true;
    size_t n = (size_t)(nl - r->buf);
    json_t *ev = json_loadb(r->buf, n, 0, NULL);
    memmove(r->buf, nl + 1, r->len - n - 1);
    r->len -= n + 1;
    return json_is_object(ev) ? ev : (json_decref(ev), NULL);
}

static bool read_more(struct event_reader *r)
{
    if (r->fd < 0)
        return false;
    if (r->cap - r->len < 4096) {
        r->cap = r->cap ? r->cap * 2 : 65536;
        r->buf = realloc(r->buf, r->cap);
        if (r->buf == NULL)
            abort();
    }
    ssize_t n;
    do
        n = read(r->fd, r->buf + r->len, r->cap - r->len);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return false;
    r->len += (size_t)n;
    return true;
}

/* At the end of the current file: move on to the current events.log when it is another file
 * (after events.log.1, or after a rotation). True when there is something new to read. */
static bool next_file(struct event_reader *r)
{
    struct stat st;
    if (fstatat(r->rootfd, EVENT_LOG_NAME, &st, 0) < 0 ||
        (!r->on_old && r->fd >= 0 && st.st_ino == r->ino))
        return false;
    int fd = openat(r->rootfd, EVENT_LOG_NAME, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = fd;
    r->on_old = false;
    r->ino = st.st_ino;
    r->len = 0; /* a torn line at the end of the old file stays torn */
    return true;
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

json_t *event_reader_next(struct event_reader *r, long long follow_until_ns)
{
    for (;;) {
        bool got;
        json_t *ev = take_line(r, &got);
        if (ev)
            return ev;
        if (got || read_more(r) || next_file(r))
            continue;
        if (follow_until_ns <= 0)
            return NULL;
        long long left = follow_until_ns - now_ns();
        if (left <= 0)
            return NULL;
        int ms = left / 1000000 + 1 > INT_MAX ? -1 : (int)(left / 1000000 + 1);
        if (follow_until_ns == LLONG_MAX)
            ms = -1;
        struct pollfd p = {.fd = r->in, .events = POLLIN};
        int rc = poll(&p, 1, ms);
        if (rc < 0 && errno != EINTR)
            return NULL;
        char buf[4096];
        while (read(r->in, buf, sizeof buf) > 0)
            ;
    }
}
