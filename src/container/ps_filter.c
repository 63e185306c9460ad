/* `hull ps` selection: -a, -n and docker's --filter keys (see ps_filter.h). */
#include "container/ps_filter.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

enum ps_key {
    KEY_ID,
    KEY_NAME,
    KEY_LABEL,
    KEY_STATUS,
    KEY_EXITED,
    KEY_HEALTH,
    KEY_ANCESTOR,
    KEY_VOLUME,
    KEY_BEFORE,
    KEY_SINCE,
    N_KEYS,
};

static const char *const key_names[N_KEYS] = {
    "id", "name", "label", "status", "exited", "health", "ancestor", "volume", "before", "since",
};

struct ps_value {
    char *text;
    bool has_re; /* name: compiled */
    regex_t re;
    int code;       /* exited */
    char *image_id; /* ancestor, once resolved */
};

struct container_ps_filter {
    struct ps_value *values[N_KEYS];
    size_t n[N_KEYS];
};

container_ps_filter *container_ps_filter_new(void)
{
    container_ps_filter *f = calloc(1, sizeof *f);
    if (f == NULL)
        abort();
    return f;
}

void container_ps_filter_free(container_ps_filter *f)
{
    if (f == NULL)
        return;
    for (int k = 0; k < N_KEYS; k++) {
        for (size_t i = 0; i < f->n[k]; i++) {
            struct ps_value *v = &f->values[k][i];
            if (v->has_re)
                regfree(&v->re);
            free(v->text);
            free(v->image_id);
        }
        free(f->values[k]);
    }
    free(f);
}

void container_ps_filter_freep(container_ps_filter **f)
{
    container_ps_filter_free(*f);
}

static bool one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

/* Go's strconv.Atoi, which docker uses for exited=: optional sign, decimal digits. */
static bool parse_code(const char *s, int *out)
{
    const char *p = s + (*s == '+' || *s == '-');
    if (*p == '\0')
        return false;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno || v < INT_MIN || v > INT_MAX)
        return false;
    *out = (int)v;
    return true;
}

/* Check and prepare a value of key k. */
static int prepare(enum ps_key k, struct ps_value *v, hull_err **err)
{
    static const char *const states[] = {"created", "restarting", "running", "removing",
                                         "paused",  "exited",     "dead",    NULL};
    static const char *const healths[] = {"starting", "healthy", "unhealthy", "none", NULL};
    switch (k) {
    case KEY_STATUS:
        if (!one_of(v->text, states))
            return hull_error(err, 0, "invalid filter 'status=%s'", v->text);
        return 0;
    case KEY_HEALTH:
        if (!one_of(v->text, healths))
            return hull_error(err, 0, "Unrecognised filter value for health: %s", v->text);
        return 0;
    case KEY_EXITED:
        if (!parse_code(v->text, &v->code))
            return hull_error(err, 0, "invalid filter 'exited=%s': expected an exit code", v->text);
        return 0;
    case KEY_NAME:
        /* docker ignores an expression Go cannot compile (exact match only): so do we. */
        v->has_re = regcomp(&v->re, v->text, REG_EXTENDED | REG_NOSUB) == 0;
        return 0;
    default:
        return 0;
    }
}

static char *trimmed(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = strndup(s, len);
    if (out == NULL)
        abort();
    return out;
}

int container_ps_filter_add(container_ps_filter *f, const char *expr, hull_err **err)
{
    if (*expr == '\0')
        return 0;
    const char *eq = strchr(expr, '=');
    if (eq == NULL)
        return hull_error(err, 0, "bad format of filter '%s' (expected name=value)", expr);
    cleanup_free char *key = trimmed(expr, (size_t)(eq - expr));
    for (char *p = key; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    int k = 0;
    while (k < N_KEYS && strcmp(key_names[k], key) != 0)
        k++;
    if (k == N_KEYS) {
        static const char *const docker_only[] = {"network",   "publish", "expose",
                                                  "isolation", "is-task", NULL};
        if (one_of(key, docker_only))
            return hull_error(err, 0, "invalid filter '%s' (not supported by hull)", key);
        return hull_error(err, 0, "invalid filter '%s'", key);
    }
    struct ps_value v = {.text = trimmed(eq + 1, strlen(eq + 1))};
    if (prepare((enum ps_key)k, &v, err) < 0) {
        free(v.text);
        return -1;
    }
    struct ps_value *grown = realloc(f->values[k], (f->n[k] + 1) * sizeof *grown);
    if (grown == NULL)
        abort();
    grown[f->n[k]++] = v;
    f->values[k] = grown;
    return 0;
}

bool container_ps_filter_lists_all(const container_ps_filter *f)
{
    return f->n[KEY_STATUS] > 0;
}

bool container_ps_filter_has_ancestor(const container_ps_filter *f)
{
    return f->n[KEY_ANCESTOR] > 0;
}

void container_ps_filter_resolve_images(container_ps_filter *f,
                                        char *(*resolve)(void *ctx, const char *ref), void *ctx)
{
    for (size_t i = 0; i < f->n[KEY_ANCESTOR]; i++) {
        struct ps_value *v = &f->values[KEY_ANCESTOR][i];
        free(v->image_id);
        v->image_id = resolve(ctx, v->text);
    }
}

static bool name_matches(const struct ps_value *v, const char *name)
{
    if (strcmp(v->text, name) == 0)
        return true;
    if (!v->has_re)
        return v->text[0] == '/' && strcmp(v->text + 1, name) == 0;
    char slashed[256];
    snprintf(slashed, sizeof slashed, "/%s", name);
    return regexec(&v->re, name, 0, NULL, 0) == 0 || regexec(&v->re, slashed, 0, NULL, 0) == 0;
}

/* docker's MatchKVList: every label filter must hold. */
static bool labels_match(const struct ps_value *v, size_t n, json_t *labels)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(v[i].text, '=');
        cleanup_free char *key =
            eq ? strndup(v[i].text, (size_t)(eq - v[i].text)) : strdup(v[i].text);
        json_t *have = json_object_get(labels, key);
        if (have == NULL)
            return false;
        const char *value = json_string_value(have);
        if (eq && strcmp(value ? value : "", eq + 1) != 0)
            return false;
    }
    return true;
}

static bool volume_matches(const char *want, json_t *mounts)
{
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *name = json_string_value(json_object_get(m, "Name"));
        const char *source = json_string_value(json_object_get(m, "Source"));
        const char *dest = json_string_value(json_object_get(m, "Destination"));
        /* docker: by Name, or by Source when the mount has no name (bind mounts). */
        const char *by_name = name && *name ? name : source;
        if ((dest && strcmp(dest, want) == 0) || (by_name && strcmp(by_name, want) == 0))
            return true;
    }
    return false;
}

static bool value_matches(enum ps_key k, const struct ps_value *v,
                          const struct container_ps_facts *c)
{
    switch (k) {
    case KEY_ID:
        return strncmp(c->id, v->text, strlen(v->text)) == 0;
    case KEY_NAME:
        return name_matches(v, c->name);
    case KEY_STATUS:
        return strcmp(container_state_name(c->state), v->text) == 0;
    case KEY_EXITED:
        return c->state == CONTAINER_EXITED && c->exit_code == v->code;
    case KEY_HEALTH:
        return strcmp(c->health, v->text) == 0;
    case KEY_ANCESTOR:
        return v->image_id && c->image_id && strcmp(v->image_id, c->image_id) == 0;
    case KEY_VOLUME:
        return volume_matches(v->text, c->mounts);
    default: /* label, before, since: not per value */
        return true;
    }
}

bool container_ps_filter_match(const container_ps_filter *f, const struct container_ps_facts *c)
{
    for (int k = 0; k < N_KEYS; k++) {
        if (f->n[k] == 0 || k == KEY_BEFORE || k == KEY_SINCE)
            continue;
        if (k == KEY_LABEL) {
            if (!labels_match(f->values[k], f->n[k], c->labels))
                return false;
            continue;
        }
        bool any = false;
        for (size_t i = 0; i < f->n[k] && !any; i++)
            any = value_matches((enum ps_key)k, &f->values[k][i], c);
        if (!any)
            return false;
    }
    return true;
}

/* A before/since container: a full ID, a name (docker accepts "/name"), or an unambiguous ID
 * prefix; of several values the last one counts. -1 when the key is not used. */
static int find_container(const container_ps_filter *f, enum ps_key k,
                          const struct container_ps_facts *list, size_t n, long *index,
                          hull_err **err)
{
    *index = -1;
    if (f->n[k] == 0)
        return 0;
    const char *ref = f->values[k][f->n[k] - 1].text;
    const char *name = ref[0] == '/' ? ref + 1 : ref;
    long prefix = -1;
    size_t prefixes = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i].id, ref) == 0 || strcmp(list[i].name, name) == 0) {
            *index = (long)i;
            return 0;
        }
        if (*ref && strncmp(list[i].id, ref, strlen(ref)) == 0) {
            prefix = (long)i;
            prefixes++;
        }
    }
    if (prefixes == 1) {
        *index = prefix;
        return 0;
    }
    if (prefixes > 1)
        return hull_error(err, 0, "%s=%s: the ID prefix names several containers", key_names[k],
                          ref);
    return hull_error(err, 0, "no such container: %s", ref);
}

static bool active(enum container_state_kind s)
{
    return s == CONTAINER_RUNNING || s == CONTAINER_PAUSED || s == CONTAINER_RESTARTING;
}

int container_ps_select(container_ps_filter *f, const struct container_ps_facts *list, size_t n,
                        const struct container_ps_options *opt, size_t *out, size_t *count,
                        hull_err **err)
{
    *count = 0;
    long before, since;
    if (find_container(f, KEY_BEFORE, list, n, &before, err) < 0 ||
        find_container(f, KEY_SINCE, list, n, &since, err) < 0)
        return -1;
    bool all = opt->all || container_ps_filter_lists_all(f);
    /* Newest first: `before` skips up to and including its container, `since` stops there. */
    size_t first = before >= 0 ? (size_t)before + 1 : 0;
    size_t end = since >= 0 ? (size_t)since : n;
    for (size_t i = first; i < end; i++) {
        if (!active(list[i].state) && !all && opt->last <= 0)
            continue;
        if (!container_ps_filter_match(f, &list[i]))
            continue;
        if (opt->last > 0 && *count == (size_t)opt->last)
            break;
        out[(*count)++] = i;
    }
    return 0;
}

void container_ps_facts_load(container_record *r, const struct container_state_info *st,
                             struct container_ps_facts *out)
{
    out->id = r->id;
    out->name = r->name;
    out->state = st->state;
    out->exit_code = st->exit_code;
    container_health_last(r, st, out->health, sizeof out->health);
    out->labels = json_object_get(json_object_get(r->doc, "Config"), "Labels");
    out->mounts = json_object_get(r->doc, "Mounts");
    out->image_id = json_string_value(json_object_get(r->doc, "Image"));
}
