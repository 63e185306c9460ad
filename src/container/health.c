/* Health check configuration, state transitions and health.json (see health.h). */
#include "container/health.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "container/status.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

/* ---- durations in Go's syntax ---------------------------------------------------------- */

static const struct {
    const char *name;
    long long ns;
} duration_units[] = {
    {"ns", 1LL},           {"us", 1000LL},      {"\xc2\xb5s", 1000LL}, /* U+00B5 micro sign */
    {"\xce\xbcs", 1000LL},                                             /* U+03BC Greek mu */
    {"ms", 1000000LL},     {"s", 1000000000LL}, {"m", 60000000000LL},  {"h", 3600000000000LL},
};

static int bad_duration(const char *text, const char *why, hull_err **err)
{
    return hull_error(err, 0, "invalid duration `%s`: %s (e.g. 30s, 1m30s, 500ms)", text, why);
}

int health_parse_duration(const char *text, long long *ns, hull_err **err)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-' || *p == '+')
        negative = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *ns = 0;
        return 0;
    }
    if (*p == '\0')
        return bad_duration(text, "empty", err);
    /* Exact integer arithmetic, like Go's; digits beyond 18 of a fraction are ignored. */
    __int128 total = 0;
    while (*p) {
        if (!(isdigit((unsigned char)*p) || *p == '.'))
            return bad_duration(text, "expected a number", err);
        __int128 whole = 0;
        long long frac = 0, scale = 1;
        bool digits = false;
        for (; isdigit((unsigned char)*p); p++, digits = true) {
            whole = whole * 10 + (*p - '0');
            if (whole > INT64_MAX)
                return bad_duration(text, "out of range", err);
        }
        if (*p == '.') {
            for (p++; isdigit((unsigned char)*p); p++, digits = true)
                if (scale < 1000000000000000000LL) {
                    frac = frac * 10 + (*p - '0');
                    scale *= 10;
                }
        }
        if (!digits)
            return bad_duration(text, "expected a number", err);
        const char *unit = p;
        while (*p && !isdigit((unsigned char)*p) && *p != '.')
            p++;
        size_t ulen = (size_t)(p - unit);
        if (ulen == 0)
            return bad_duration(text, "missing unit", err);
        long long mult = 0;
        for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++)
            if (strlen(duration_units[i].name) == ulen &&
                memcmp(duration_units[i].name, unit, ulen) == 0)
                mult = duration_units[i].ns;
        if (mult == 0)
            return bad_duration(text, "unknown unit (use ns, us, ms, s, m or h)", err);
        total += whole * mult + (__int128)frac * mult / scale;
        if (total > INT64_MAX)
            return bad_duration(text, "out of range", err);
    }
    *ns = negative ? -(long long)total : (long long)total;
    return 0;
}

/* Append "<v>[.<frac>]" where v/frac are `ns` split at `unit` digits, trailing zeros dropped. */
static size_t put_fraction(char *buf, size_t size, unsigned long long v, int digits)
{
    unsigned long long div = 1;
    for (int i = 0; i < digits; i++)
        div *= 10;
    unsigned long long whole = v / div, frac = v % div;
    int n = snprintf(buf, size, "%llu", whole);
    size_t o = n < 0 ? 0 : (size_t)n;
    if (frac == 0 || o >= size)
        return o;
    char f[24];
    snprintf(f, sizeof f, "%0*llu", digits, frac);
    size_t len = strlen(f);
    while (len > 0 && f[len - 1] == '0')
        f[--len] = '\0';
    n = snprintf(buf + o, size - o, ".%s", f);
    return o + (n < 0 ? 0 : (size_t)n);
}

void health_format_duration(long long ns, char *buf, size_t size)
{
    if (size == 0)
        return;
    if (ns == 0) {
        snprintf(buf, size, "0s");
        return;
    }
    size_t o = 0;
    if (ns < 0 && size > 1)
        buf[o++] = '-';
    unsigned long long u = ns < 0 ? (unsigned long long)(-(ns + 1)) + 1 : (unsigned long long)ns;
    if (u < 1000000000ULL) {
        const char *unit;
        int digits;
        if (u < 1000ULL)
            unit = "ns", digits = 0;
        else if (u < 1000000ULL)
            unit = "\xc2\xb5s", digits = 3;
        else
            unit = "ms", digits = 6;
        o += put_fraction(buf + o, size - o, u, digits);
        if (o < size)
            snprintf(buf + o, size - o, "%s", unit);
        return;
    }
    unsigned long long secs_ns = u % 60000000000ULL;
    unsigned long long mins = u / 60000000000ULL;
    int n = 0;
    if (mins >= 60)
        n = snprintf(buf + o, size - o, "%lluh%llum", mins / 60, mins % 60);
    else if (mins > 0)
        n = snprintf(buf + o, size - o, "%llum", mins);
    o += n < 0 ? 0 : (size_t)n;
    if (o >= size)
        return;
    o += put_fraction(buf + o, size - o, secs_ns, 9);
    if (o < size)
        snprintf(buf + o, size - o, "s");
}

/* ---- configuration --------------------------------------------------------------------- */

static bool test_set(const char *const *test)
{
    return test != NULL && test[0] != NULL;
}

static int check_min(const char *what, long long ns, hull_err **err)
{
    if (ns != 0 && ns < HEALTH_MIN_DURATION_NS)
        return hull_error(err, 0, "%s in Healthcheck cannot be less than 1ms", what);
    return 0;
}

int health_config_merge(const struct health_config *image, const struct health_config *flags,
                        bool disable, json_t **out, hull_err **err)
{
    *out = NULL;
    if (disable) {
        *out = json_pack("{s:[s]}", "Test", "NONE");
        return 0;
    }
    if (image == NULL && flags == NULL)
        return 0;
    struct health_config m = flags ? *flags : *image;
    if (flags && image) {
        if (!test_set(m.test))
            m.test = image->test;
        if (m.interval == 0)
            m.interval = image->interval;
        if (m.timeout == 0)
            m.timeout = image->timeout;
        if (m.start_period == 0)
            m.start_period = image->start_period;
        if (m.start_interval == 0)
            m.start_interval = image->start_interval;
        if (m.retries == 0)
            m.retries = image->retries;
    }
    if (check_min("Interval", m.interval, err) < 0 || check_min("Timeout", m.timeout, err) < 0 ||
        check_min("StartPeriod", m.start_period, err) < 0 ||
        check_min("StartInterval", m.start_interval, err) < 0)
        return -1;
    if (m.retries < 0)
        return hull_error(err, 0, "Retries in Healthcheck cannot be negative");
    json_t *o = json_object();
    if (test_set(m.test)) {
        json_t *t = json_array();
        for (const char *const *s = m.test; *s; s++)
            json_array_append_new(t, json_string(*s));
        json_object_set_new(o, "Test", t);
    }
    static const char *const keys[] = {"Interval", "Timeout", "StartPeriod", "StartInterval",
                                       "Retries"};
    const long long vals[] = {m.interval, m.timeout, m.start_period, m.start_interval, m.retries};
    for (size_t i = 0; i < 5; i++)
        if (vals[i] != 0)
            json_object_set_new(o, keys[i], json_integer(vals[i]));
    *out = o;
    return 0;
}

static const char *test_kind(json_t *hc)
{
    return json_string_value(json_array_get(json_object_get(hc, "Test"), 0));
}

bool health_config_active(json_t *hc)
{
    const char *kind = test_kind(hc);
    json_t *test = json_object_get(hc, "Test");
    if (kind == NULL)
        return false;
    if (strcmp(kind, "CMD") == 0)
        return json_array_size(test) >= 2;
    if (strcmp(kind, "CMD-SHELL") == 0)
        return json_array_size(test) == 2;
    return false;
}

static long long or_default(json_t *hc, const char *key, long long dflt)
{
    long long v = json_integer_value(json_object_get(hc, key));
    return v > 0 ? v : dflt;
}

void health_timing_from_json(json_t *hc, struct health_timing *t)
{
    t->interval = or_default(hc, "Interval", HEALTH_DEFAULT_INTERVAL);
    t->timeout = or_default(hc, "Timeout", HEALTH_DEFAULT_TIMEOUT);
    t->start_period = or_default(hc, "StartPeriod", 0);
    t->start_interval = or_default(hc, "StartInterval", HEALTH_DEFAULT_START_INTERVAL);
    t->retries = or_default(hc, "Retries", HEALTH_DEFAULT_RETRIES);
}

char **health_probe_argv(json_t *hc)
{
    if (!health_config_active(hc))
        return NULL;
    json_t *test = json_object_get(hc, "Test");
    size_t n = json_array_size(test);
    char **argv = calloc(n + 3, sizeof *argv);
    if (argv == NULL)
        abort();
    if (strcmp(test_kind(hc), "CMD-SHELL") == 0) {
        argv[0] = (char *)"/bin/sh";
        argv[1] = (char *)"-c";
        argv[2] = (char *)json_string_value(json_array_get(test, 1));
        return argv;
    }
    for (size_t i = 1; i < n; i++)
        argv[i - 1] = (char *)json_string_value(json_array_get(test, i));
    return argv;
}

/* ---- state ----------------------------------------------------------------------------- */

const char *health_status_name(enum health_status s)
{
    switch (s) {
    case HEALTH_HEALTHY:
        return "healthy";
    case HEALTH_UNHEALTHY:
        return "unhealthy";
    case HEALTH_STARTING:
        break;
    }
    return "starting";
}

enum health_status health_status_parse(const char *text)
{
    if (text && strcmp(text, "healthy") == 0)
        return HEALTH_HEALTHY;
    if (text && strcmp(text, "unhealthy") == 0)
        return HEALTH_UNHEALTHY;
    return HEALTH_STARTING;
}

void health_apply_result(struct health_state *s, int exit_code, long long since_start_ns,
                         const struct health_timing *t)
{
    if (exit_code == 0) {
        s->status = HEALTH_HEALTHY;
        s->failing_streak = 0;
        return;
    }
    /* Never healthy yet and still inside the start period: the failure does not count. */
    if (s->status == HEALTH_STARTING && since_start_ns < t->start_period)
        return;
    s->failing_streak++;
    if (s->failing_streak >= t->retries)
        s->status = HEALTH_UNHEALTHY;
}

void health_result_clear(struct health_result *res)
{
    free(res->output);
    memset(res, 0, sizeof *res);
}

long long health_parse_time_ns(const char *text)
{
    long long secs = container_parse_time(text);
    if (secs == 0)
        return 0;
    const char *dot = strchr(text, '.');
    long long frac = 0;
    int digits = 0;
    if (dot)
        for (const char *p = dot + 1; isdigit((unsigned char)*p) && digits < 9; p++, digits++)
            frac = frac * 10 + (*p - '0');
    for (; digits < 9; digits++)
        frac *= 10;
    return secs * 1000000000LL + frac;
}

/* ---- health.json ----------------------------------------------------------------------- */

int health_record_read(int dirfd, json_t **out, hull_err **err)
{
    return container_read_json(dirfd, HEALTH_RECORD_NAME, out, err);
}

static json_t *record_doc(const struct health_state *s, json_t *log)
{
    return json_pack("{s:s, s:I, s:O}", "Status", health_status_name(s->status), "FailingStreak",
                     (json_int_t)s->failing_streak, "Log", log);
}

static void state_of(json_t *doc, struct health_state *s)
{
    s->status = health_status_parse(json_string_value(json_object_get(doc, "Status")));
    s->failing_streak = json_integer_value(json_object_get(doc, "FailingStreak"));
}

int health_record_result(container_record *r, const struct health_result *res,
                         const char *started_at, enum health_status *status, hull_err **err)
{
    struct health_timing t;
    health_timing_from_json(r->healthcheck, &t);
    cleanup_close int lock = container_lock(r, err);
    if (lock < 0)
        return -1;
    cleanup_json json_t *old = NULL;
    if (health_record_read(r->dirfd, &old, err) < 0)
        return -1;
    struct health_state s = {HEALTH_STARTING, 0};
    if (old)
        state_of(old, &s);
    long long since = res->start_ns - health_parse_time_ns(started_at);
    health_apply_result(&s, res->exit_code, since, &t);
    json_t *log = json_copy(json_object_get(old, "Log"));
    if (!json_is_array(log)) {
        json_decref(log);
        log = json_array();
    }
    json_array_append_new(log, json_pack("{s:s, s:s, s:i, s:s}", "Start", res->start, "End",
                                         res->end, "ExitCode", res->exit_code, "Output",
                                         res->output ? res->output : ""));
    while (json_array_size(log) > HEALTH_LOG_MAX)
        json_array_remove(log, 0);
    cleanup_json json_t *doc = record_doc(&s, log);
    json_decref(log);
    if (container_write_json(r->dirfd, HEALTH_RECORD_NAME, doc, err) < 0)
        return -1;
    *status = s.status;
    return 0;
}

int health_record_reset(container_record *r, hull_err **err)
{
    if (r->healthcheck == NULL)
        return 0;
    cleanup_json json_t *old = NULL;
    if (health_record_read(r->dirfd, &old, err) < 0)
        return -1;
    json_t *log = json_object_get(old, "Log");
    struct health_state s = {HEALTH_STARTING, 0};
    cleanup_json json_t *empty = json_array();
    cleanup_json json_t *doc = record_doc(&s, json_is_array(log) ? log : empty);
    return container_write_json(r->dirfd, HEALTH_RECORD_NAME, doc, err);
}
