/* Config-only instructions and the stage state (see instructions.h). */
#include "builder/instructions.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/cache.h"
#include "builder/expand.h"
#include "util/cleanup.h"
#include "util/signals.h"

static char **strv_copy(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **out = calloc(n + 1, sizeof *out);
    if (out == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        out[i] = strdup(v[i]);
    return out;
}

static char **json_strv(json_t *a)
{
    size_t n = json_array_size(a), i;
    char **out = calloc(n + 1, sizeof *out);
    if (out == NULL)
        abort();
    json_t *v;
    size_t o = 0;
    json_array_foreach(a, i, v)
    {
        if (json_is_string(v))
            out[o++] = strdup(json_string_value(v));
    }
    return out;
}

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

/* vars = args, then env (so env wins in vars_get, which takes the last). */
static void sync_vars(struct build_state *st)
{
    hull_strvfree(st->vars);
    size_t na = 0, ne = 0;
    while (st->args && st->args[na])
        na++;
    while (st->env && st->env[ne])
        ne++;
    st->vars = calloc(na + ne + 1, sizeof *st->vars);
    for (size_t i = 0; i < na; i++)
        st->vars[i] = strdup(st->args[i]);
    for (size_t i = 0; i < ne; i++)
        st->vars[na + i] = strdup(st->env[i]);
}

void build_state_load_config(struct build_state *st)
{
    json_t *c = image_draft_container_config(&st->d);
    st->env = json_strv(json_object_get(c, "Env"));
    json_t *shell = json_object_get(c, "Shell");
    if (json_array_size(shell) > 0)
        st->shell = json_strv(shell);
    else {
        const char *def[] = {"/bin/sh", "-c", NULL};
        st->shell = strv_copy((char *const *)def);
    }
    const char *wd = json_string_value(json_object_get(c, "WorkingDir"));
    st->workdir = wd && *wd ? strdup(wd) : NULL;
    const char *user = json_string_value(json_object_get(c, "User"));
    st->user = user && *user ? strdup(user) : NULL;
    st->args = calloc(1, sizeof *st->args);
    sync_vars(st);
}

void build_state_init_scratch(struct build_state *st)
{
    memset(st, 0, sizeof *st);
    image_draft_init_scratch(&st->d);
    build_cache_key(st->key, "scratch", NULL);
    build_state_load_config(st);
}

int build_state_init_image(struct build_state *st, const image_info *img, hull_err **err)
{
    memset(st, 0, sizeof *st);
    if (image_draft_from_image(&st->d, img, err) < 0)
        return -1;
    snprintf(st->key, sizeof st->key, "%s", img->id);
    build_state_load_config(st);
    return 0;
}

int build_state_copy(struct build_state *dst, const struct build_state *src)
{
    memset(dst, 0, sizeof *dst);
    json_auto_t *j = image_draft_to_json(&src->d);
    cleanup_err hull_err *e = NULL;
    if (image_draft_from_json(&dst->d, j, &e) < 0)
        return -1;
    memcpy(dst->key, src->key, sizeof dst->key);
    build_state_load_config(dst);
    return 0;
}

void build_state_clear(struct build_state *st)
{
    image_draft_clear(&st->d);
    hull_strvfree(st->env);
    hull_strvfree(st->args);
    hull_strvfree(st->vars);
    hull_strvfree(st->shell);
    free(st->workdir);
    free(st->user);
    memset(st, 0, sizeof *st);
}

/* Lexical clean of an absolute path. */
static char *clean_abs(const char *path)
{
    char *out = calloc(1, strlen(path) + 2);
    size_t o = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t len = (size_t)(end - p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        out[o] = '\0';
        p = end;
    }
    if (o == 0)
        strcpy(out, "/");
    return out;
}

char *build_state_path(const struct build_state *st, const char *path)
{
    cleanup_free char *joined = NULL;
    if (path[0] == '/')
        joined = strdup(path);
    else if (asprintf(&joined, "%s/%s", st->workdir ? st->workdir : "/", path) < 0)
        abort();
    return clean_abs(joined);
}

char **build_state_command(const struct build_state *st, const struct cf_instruction *in)
{
    if (in->json)
        return strv_copy(in->argv);
    size_t n = 0;
    while (st->shell[n])
        n++;
    char **argv = calloc(n + 2, sizeof *argv);
    for (size_t i = 0; i < n; i++)
        argv[i] = strdup(st->shell[i]);
    argv[n] = strdup(in->args);
    return argv;
}

static void set_env(struct build_state *st, const char *key, const char *value)
{
    vars_set(&st->env, key, value);
    json_object_set_new(image_draft_container_config(&st->d), "Env", strv_json(st->env));
    sync_vars(st);
}

static bool valid_name(const char *k)
{
    if (*k == '\0')
        return false;
    for (; *k; k++)
        if (*k == '=' || isspace((unsigned char)*k))
            return false;
    return true;
}

/* `K=V K2="v 2"` or the legacy `K value with words`; values expanded with the state before
 * the instruction (docker's rule: `ENV a=1 b=$a` sees the old a). */
static int name_values(struct build_state *st, const struct cf_instruction *in, char escape,
                       char ***keys, char ***values, hull_err **err)
{
    cleanup_strv char **words = split_words(in->args, escape);
    size_t n = 0;
    while (words[n])
        n++;
    *keys = calloc(n + 2, sizeof **keys);
    *values = calloc(n + 2, sizeof **values);
    if (n == 0)
        return hull_error(err, 0, "requires at least one argument");
    if (strchr(words[0], '=') == NULL) {
        /* Legacy form: the first word is the name, the rest of the line the value. */
        if (n < 2)
            return hull_error(err, 0, "`%s` needs a value (NAME=VALUE or NAME VALUE)", words[0]);
        const char *rest = in->args;
        while (isspace((unsigned char)*rest))
            rest++;
        rest += strlen(words[0]);
        while (isspace((unsigned char)*rest))
            rest++;
        (*keys)[0] = strdup(words[0]);
        return expand_word(rest, escape, st->vars, &(*values)[0], err);
    }
    for (size_t i = 0; i < n; i++) {
        char *eq = strchr(words[i], '=');
        if (eq == NULL)
            return hull_error(err, 0, "`%s`: expected NAME=VALUE", words[i]);
        cleanup_free char *rawkey = strndup(words[i], (size_t)(eq - words[i]));
        if (expand_word(rawkey, escape, st->vars, &(*keys)[i], err) < 0 ||
            expand_word(eq + 1, escape, st->vars, &(*values)[i], err) < 0)
            return -1;
        if (!valid_name((*keys)[i]))
            return hull_error(err, 0, "`%s`: invalid name", words[i]);
    }
    return 0;
}

int build_state_arg(struct build_state *st, const struct cf_instruction *in, char escape,
                    char *const *build_args, char *const *meta_args, hull_err **err)
{
    cleanup_strv char **words = split_words(in->args, escape);
    if (!words[0])
        return hull_error(err, 0, "ARG requires a name");
    for (char **w = words; *w; w++) {
        char *eq = strchr(*w, '=');
        cleanup_free char *name = strndup(*w, eq ? (size_t)(eq - *w) : strlen(*w));
        if (!valid_name(name))
            return hull_error(err, 0, "`%s`: invalid ARG name", *w);
        const char *value = vars_get(build_args, name);
        cleanup_free char *def = NULL;
        if (value == NULL) {
            /* --build-arg NAME (no value): taken from hull's environment. */
            for (char *const *b = build_args; b && *b; b++)
                if (strcmp(*b, name) == 0)
                    value = getenv(name);
        }
        if (value == NULL && eq != NULL) {
            if (expand_word(eq + 1, escape, st->vars, &def, err) < 0)
                return -1;
            value = def;
        }
        if (value == NULL)
            value = vars_get(meta_args, name);
        if (value != NULL)
            vars_set(&st->args, name, value);
        char part[DIGEST_STR_LEN];
        build_cache_key(part, st->key, "ARG", name, value ? value : "", NULL);
        memcpy(st->key, part, sizeof part);
    }
    sync_vars(st);
    return 0;
}

static int exec_or_shell(struct build_state *st, const struct cf_instruction *in, json_t **out)
{
    if (in->json) {
        *out = strv_json(in->argv);
        return 0;
    }
    json_t *a = strv_json(st->shell);
    json_array_append_new(a, json_string(in->args));
    *out = a;
    return 0;
}

int parse_duration(const char *text, long long *out, hull_err **err)
{
    static const struct {
        const char *unit;
        long long ns;
    } units[] = {{"ns", 1},           {"us", 1000LL},       {"ms", 1000000LL},
                 {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL}};
    const char *p = text;
    long long total = 0;
    if (*p == '\0')
        return hull_error(err, 0, "`%s`: expected a duration such as 30s or 1m30s", text);
    if (strcmp(p, "0") == 0) {
        *out = 0;
        return 0;
    }
    while (*p) {
        char *end = NULL;
        double v = strtod(p, &end);
        if (end == p)
            return hull_error(err, 0, "`%s`: expected a duration such as 30s or 1m30s", text);
        p = end;
        size_t best = 0;
        long long mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            size_t l = strlen(units[i].unit);
            if (strncmp(p, units[i].unit, l) == 0 && l > best) {
                best = l;
                mult = units[i].ns;
            }
        }
        if (best == 0)
            return hull_error(err, 0, "`%s`: missing unit (ns, us, ms, s, m, h)", text);
        p += best;
        total += (long long)(v * (double)mult);
    }
    *out = total;
    return 0;
}

static int healthcheck(struct build_state *st, const struct cf_instruction *in, hull_err **err)
{
    json_t *c = image_draft_container_config(&st->d);
    cleanup_strv char **words = split_words(in->args, '\\');
    if (words[0] && strcasecmp(words[0], "NONE") == 0) {
        if (words[1] || (in->flags && in->flags[0]))
            return hull_error(err, 0, "HEALTHCHECK NONE takes no arguments");
        json_object_set_new(c, "Healthcheck", json_pack("{s:[s]}", "Test", "NONE"));
        return 0;
    }
    if (!words[0] || strcasecmp(words[0], "CMD") != 0)
        return hull_error(err, 0, "expected HEALTHCHECK [OPTIONS] CMD command, or NONE");
    const char *rest = in->args;
    while (isspace((unsigned char)*rest))
        rest++;
    rest += 3;
    while (isspace((unsigned char)*rest))
        rest++;
    if (*rest == '\0')
        return hull_error(err, 0, "HEALTHCHECK CMD needs a command");
    json_t *test = NULL;
    json_auto_t *parsed = rest[0] == '[' ? json_loads(rest, 0, NULL) : NULL;
    if (json_is_array(parsed)) {
        test = json_pack("[s]", "CMD");
        json_array_extend(test, parsed);
    } else {
        test = json_pack("[s,s]", "CMD-SHELL", rest);
    }
    json_t *hc = json_pack("{s:o}", "Test", test);
    static const struct {
        const char *flag, *key;
    } durations[] = {{"interval", "Interval"},
                     {"timeout", "Timeout"},
                     {"start-period", "StartPeriod"},
                     {"start-interval", "StartInterval"}};
    for (char **f = in->flags; f && *f; f++) {
        bool known = false;
        for (size_t i = 0; i < 4; i++) {
            size_t l = strlen(durations[i].flag);
            if (strncmp(*f + 2, durations[i].flag, l) == 0 && (*f)[2 + l] == '=') {
                long long ns = 0;
                if (parse_duration(*f + 3 + l, &ns, err) < 0) {
                    json_decref(hc);
                    return hull_error_prefix(err, "--%s", durations[i].flag);
                }
                json_object_set_new(hc, durations[i].key, json_integer(ns));
                known = true;
            }
        }
        if (strncmp(*f, "--retries=", 10) == 0) {
            char *end = NULL;
            long v = strtol(*f + 10, &end, 10);
            if (*end || v < 0) {
                json_decref(hc);
                return hull_error(err, 0, "%s: expected a number", *f);
            }
            json_object_set_new(hc, "Retries", json_integer(v));
            known = true;
        }
        if (!known) {
            json_decref(hc);
            return hull_error(err, 0, "unknown flag `%s`", *f);
        }
    }
    json_object_set_new(c, "Healthcheck", hc);
    return 0;
}

static int set_map_keys(struct build_state *st, const char *field, char *const *keys)
{
    json_t *c = image_draft_container_config(&st->d);
    json_t *m = json_object_get(c, field);
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(c, field, m);
    }
    for (; *keys; keys++)
        json_object_set_new(m, *keys, json_object());
    return 0;
}

int build_state_apply(struct build_state *st, const struct cf_instruction *in, char escape,
                      hull_err **err)
{
    const char *k = in->keyword;
    json_t *c = image_draft_container_config(&st->d);
    if (strcmp(k, "ENV") == 0 || strcmp(k, "LABEL") == 0) {
        cleanup_strv char **keys = NULL, **values = NULL;
        if (name_values(st, in, escape, &keys, &values, err) < 0)
            return -1;
        for (size_t i = 0; keys[i]; i++) {
            if (strcmp(k, "ENV") == 0) {
                set_env(st, keys[i], values[i]);
                continue;
            }
            json_t *labels = json_object_get(c, "Labels");
            if (!json_is_object(labels)) {
                labels = json_object();
                json_object_set_new(c, "Labels", labels);
            }
            json_object_set_new(labels, keys[i], json_string(values[i]));
        }
    } else if (strcmp(k, "MAINTAINER") == 0) {
        json_object_set_new(st->d.config, "author", json_string(in->args));
    } else if (strcmp(k, "WORKDIR") == 0) {
        cleanup_free char *x = NULL;
        if (expand_word(in->args, escape, st->vars, &x, err) < 0)
            return -1;
        char *path = build_state_path(st, x);
        free(st->workdir);
        st->workdir = path;
        json_object_set_new(c, "WorkingDir", json_string(path));
    } else if (strcmp(k, "USER") == 0) {
        cleanup_free char *x = NULL;
        if (expand_word(in->args, escape, st->vars, &x, err) < 0)
            return -1;
        if (*x == '\0' || strchr(x, ' '))
            return hull_error(err, 0, "expected USER user[:group], got `%s`", x);
        free(st->user);
        st->user = strdup(x);
        json_object_set_new(c, "User", json_string(x));
    } else if (strcmp(k, "EXPOSE") == 0) {
        cleanup_strv char **ports = NULL;
        if (expand_words(in->args, escape, st->vars, &ports, err) < 0)
            return -1;
        for (char **p = ports; *p; p++) {
            char *slash = strchr(*p, '/');
            char *end = NULL;
            long port = strtol(*p, &end, 10);
            if (end == *p || (*end && *end != '/' && *end != '-') || port < 1 || port > 65535 ||
                (slash && strcasecmp(slash, "/tcp") && strcasecmp(slash, "/udp") &&
                 strcasecmp(slash, "/sctp")))
                return hull_error(err, 0, "invalid port `%s`", *p);
            if (slash == NULL) {
                char *full = NULL;
                if (asprintf(&full, "%s/tcp", *p) < 0)
                    abort();
                free(*p);
                *p = full;
            } else {
                for (char *q = slash; *q; q++)
                    *q = (char)tolower((unsigned char)*q);
            }
        }
        set_map_keys(st, "ExposedPorts", ports);
    } else if (strcmp(k, "VOLUME") == 0) {
        cleanup_strv char **vols = NULL;
        if (in->json)
            vols = strv_copy(in->argv);
        else if (expand_words(in->args, escape, st->vars, &vols, err) < 0)
            return -1;
        for (char **v = vols; *v; v++)
            if (**v == '\0')
                return hull_error(err, 0, "VOLUME with an empty path");
        set_map_keys(st, "Volumes", vols);
    } else if (strcmp(k, "CMD") == 0 || strcmp(k, "ENTRYPOINT") == 0) {
        json_t *v = NULL;
        exec_or_shell(st, in, &v);
        if (strcmp(k, "CMD") == 0) {
            json_object_set_new(c, "Cmd", v);
            st->cmd_set = true;
        } else {
            json_object_set_new(c, "Entrypoint", v);
            /* docker: an ENTRYPOINT resets the CMD inherited from the base image */
            if (!st->cmd_set)
                json_object_del(c, "Cmd");
        }
    } else if (strcmp(k, "SHELL") == 0) {
        if (!in->json || in->argv[0] == NULL)
            return hull_error(err, 0, "SHELL requires the arguments as a JSON array");
        hull_strvfree(st->shell);
        st->shell = strv_copy(in->argv);
        json_object_set_new(c, "Shell", strv_json(in->argv));
    } else if (strcmp(k, "STOPSIGNAL") == 0) {
        cleanup_free char *x = NULL;
        if (expand_word(in->args, escape, st->vars, &x, err) < 0)
            return -1;
        int signo;
        if (signal_parse(x, &signo, err) < 0)
            return -1;
        json_object_set_new(c, "StopSignal", json_string(x));
    } else if (strcmp(k, "HEALTHCHECK") == 0) {
        return healthcheck(st, in, err);
    } else {
        return hull_error(err, 0, "%s cannot be used here", k);
    }
    return 0;
}

void build_state_add_labels(struct build_state *st, char *const *labels)
{
    json_t *c = image_draft_container_config(&st->d);
    json_t *m = json_object_get(c, "Labels");
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(c, "Labels", m);
    }
    for (; *labels; labels++) {
        const char *eq = strchr(*labels, '=');
        cleanup_free char *key = strndup(*labels, eq ? (size_t)(eq - *labels) : strlen(*labels));
        json_object_set_new(m, key, json_string(eq ? eq + 1 : ""));
    }
}
