/* Compose reader (compose.h): one function per key family, each checking types against the
 * compose specification and writing the canonical form. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/health.h"
#include "container/request.h"
#include "stack/compose.h"
#include "stack/merge.h"
#include "util/cleanup.h"
#include "util/log.h"

struct conv {
    const char *project;
    const char *project_dir;
    const struct stack_env *env;
    hull_err **err;
    char path[1024];
};

/* path helpers: push returns the old length, pop restores it */
static size_t push(struct conv *c, const char *key)
{
    size_t len = strlen(c->path);
    snprintf(c->path + len, sizeof(c->path) - len, "%s%s", len ? "." : "", key);
    return len;
}

static size_t push_index(struct conv *c, size_t i)
{
    size_t len = strlen(c->path);
    snprintf(c->path + len, sizeof(c->path) - len, "[%zu]", i);
    return len;
}

static void pop(struct conv *c, size_t len)
{
    c->path[len] = '\0';
}

static int fail(struct conv *c, const struct stack_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct conv *c, const struct stack_node *n, const char *fmt, ...)
{
    char msg[600], where[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    stack_node_where(n, where, sizeof(where));
    return hull_error(c->err, 0, "%s: %s: %s", where, c->path, msg);
}

static int type_error(struct conv *c, const struct stack_node *n, const char *want)
{
    return fail(c, n, "must be %s, not %s", want, stack_node_kind_name(n->kind));
}

static void warn_unknown(struct conv *c, const struct stack_node *n, const char *key)
{
    char where[600];
    if (strncmp(key, "x-", 2) == 0)
        return;
    size_t l = push(c, key);
    hull_warn("%s: unknown key %s (ignored)", stack_node_where(n, where, sizeof(where)), c->path);
    pop(c, l);
}

/* A scalar's text (YAML scalars; TOML numbers and booleans formatted). NULL for others. */
static const char *scalar_text(const struct stack_node *n, char *buf, size_t size)
{
    switch (n->kind) {
    case STACK_NODE_STRING:
        return n->str;
    case STACK_NODE_INT:
        snprintf(buf, size, "%lld", n->i);
        return buf;
    case STACK_NODE_FLOAT:
        snprintf(buf, size, "%g", n->f);
        return buf;
    case STACK_NODE_BOOL:
        return n->b ? "true" : "false";
    default:
        return NULL;
    }
}

static int get_string(struct conv *c, const struct stack_node *n, json_t **out)
{
    char buf[64];
    const char *s = scalar_text(n, buf, sizeof(buf));
    if (s == NULL)
        return type_error(c, n, "a string");
    *out = json_string(s);
    return 0;
}

static int get_bool(struct conv *c, const struct stack_node *n, bool *out)
{
    if (n->kind == STACK_NODE_BOOL) {
        *out = n->b;
        return 0;
    }
    if (n->kind == STACK_NODE_STRING) {
        const char *s = n->str;
        if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
            *out = true;
            return 0;
        }
        if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
            *out = false;
            return 0;
        }
    }
    return type_error(c, n, "a boolean");
}

static int get_int(struct conv *c, const struct stack_node *n, long long *out)
{
    if (n->kind == STACK_NODE_INT) {
        *out = n->i;
        return 0;
    }
    if (n->kind == STACK_NODE_STRING && n->str[0]) {
        char *end;
        errno = 0;
        long long v = strtoll(n->str, &end, 0);
        if (*end == '\0' && errno == 0) {
            *out = v;
            return 0;
        }
        if (strncmp(n->str, "0o", 2) == 0) {
            v = strtoll(n->str + 2, &end, 8);
            if (*end == '\0' && errno == 0) {
                *out = v;
                return 0;
            }
        }
    }
    return type_error(c, n, "an integer");
}

static int get_duration(struct conv *c, const struct stack_node *n, json_t **out)
{
    char buf[64];
    const char *s = scalar_text(n, buf, sizeof(buf));
    if (s == NULL)
        return type_error(c, n, "a duration");
    long long ns;
    cleanup_err hull_err *e = NULL;
    if (n->kind == STACK_NODE_INT)
        ns = n->i * 1000000000LL;
    else if (health_parse_duration(s, &ns, &e) < 0)
        return fail(c, n, "invalid duration '%s' (like 30s, 1m30s, 500ms)", s);
    char text[64];
    health_format_duration(ns, text, sizeof(text));
    *out = json_string(text);
    return 0;
}

static int get_size(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind == STACK_NODE_INT) {
        *out = json_integer(n->i);
        return 0;
    }
    char buf[64];
    const char *s = scalar_text(n, buf, sizeof(buf));
    long long v;
    cleanup_err hull_err *e = NULL;
    if (s == NULL)
        return type_error(c, n, "a size");
    if (parse_size(s, &v, &e) < 0)
        return fail(c, n, "invalid size '%s' (like 512m, 2g)", s);
    *out = json_integer(v);
    return 0;
}

/* Split a command line the way compose does (shell words, quotes, backslashes). */
static int shell_split(struct conv *c, const struct stack_node *n, json_t **out)
{
    json_t *arr = json_array();
    const char *s = n->str;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        char *word = malloc(strlen(s) + 1);
        size_t w = 0;
        char quote = 0;
        while (*s && (quote || (*s != ' ' && *s != '\t' && *s != '\n'))) {
            if (quote) {
                if (*s == quote)
                    quote = 0;
                else if (quote == '"' && *s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                    word[w++] = *++s;
                else
                    word[w++] = *s;
            } else if (*s == '\'' || *s == '"') {
                quote = *s;
            } else if (*s == '\\' && s[1]) {
                word[w++] = *++s;
            } else {
                word[w++] = *s;
            }
            s++;
        }
        word[w] = '\0';
        json_array_append_new(arr, json_string(word));
        free(word);
        if (quote) {
            json_decref(arr);
            return fail(c, n, "unterminated quote in '%s'", n->str);
        }
    }
    *out = arr;
    return 0;
}

/* A list of strings; a string is split as a command line when `split`, else one item. */
static int get_strv(struct conv *c, const struct stack_node *n, bool split, json_t **out)
{
    if (n->kind == STACK_NODE_STRING) {
        if (split)
            return shell_split(c, n, out);
        *out = json_pack("[s]", n->str);
        return 0;
    }
    if (n->kind != STACK_NODE_SEQ)
        return type_error(c, n, "a list of strings");
    json_t *arr = json_array();
    for (size_t i = 0; i < n->n; i++) {
        json_t *s = NULL;
        size_t l = push_index(c, i);
        if (get_string(c, n->items[i], &s) < 0) {
            json_decref(arr);
            return -1;
        }
        pop(c, l);
        json_array_append_new(arr, s);
    }
    *out = arr;
    return 0;
}

/* environment / labels / sysctls / args: a mapping or a list of K=V. With `from_env`, a key
 * without a value takes the variable of the same name (and is dropped when unset). */
static int get_kv(struct conv *c, const struct stack_node *n, bool from_env, json_t *obj)
{
    if (n->kind != STACK_NODE_MAP && n->kind != STACK_NODE_SEQ)
        return type_error(c, n, "a mapping or a list of KEY=VALUE");
    if (n->kind == STACK_NODE_SEQ)
        for (size_t i = 0; i < n->n; i++)
            if (n->items[i]->kind != STACK_NODE_STRING) {
                push_index(c, i);
                return type_error(c, n->items[i], "a KEY=VALUE string");
            }
    cleanup_stack_node struct stack_node *m = stack_node_list_to_map(n);
    for (size_t i = 0; i < m->n; i++) {
        const struct stack_node *v = m->items[i];
        if (v->kind == STACK_NODE_NULL) {
            const char *e = from_env ? stack_env_get(c->env, m->keys[i]) : NULL;
            if (e)
                json_object_set_new(obj, m->keys[i], json_string(e));
            else if (!from_env)
                json_object_set_new(obj, m->keys[i], json_string(""));
            continue;
        }
        json_t *s = NULL;
        size_t l = push(c, m->keys[i]);
        if (get_string(c, v, &s) < 0)
            return -1;
        pop(c, l);
        json_object_set_new(obj, m->keys[i], s);
    }
    return 0;
}

static char *abs_path(struct conv *c, const char *p)
{
    char *out = NULL;
    if (p[0] == '/')
        out = strdup(p);
    else if (p[0] == '~' && (p[1] == '/' || p[1] == '\0') && getenv("HOME"))
        (void)!asprintf(&out, "%s%s", getenv("HOME"), p + 1);
    else if (strcmp(p, ".") == 0)
        out = strdup(c->project_dir);
    else
        (void)!asprintf(&out, "%s/%s", c->project_dir, strncmp(p, "./", 2) == 0 ? p + 2 : p);
    if (out == NULL)
        abort();
    /* drop a trailing slash (but keep "/") */
    size_t l = strlen(out);
    while (l > 1 && out[l - 1] == '/')
        out[--l] = '\0';
    return out;
}

static json_t *json_path(struct conv *c, const char *p)
{
    cleanup_free char *a = abs_path(c, p);
    return json_string(a);
}

static int read_env_files(struct conv *c, const struct stack_node *n, json_t *envobj)
{
    json_t *files = NULL;
    if (n->kind == STACK_NODE_SEQ) {
        files = json_array();
        for (size_t i = 0; i < n->n; i++) {
            const struct stack_node *it = n->items[i];
            size_t l = push_index(c, i);
            const struct stack_node *p =
                it->kind == STACK_NODE_MAP ? stack_node_get(it, "path") : it;
            if (p == NULL || p->kind != STACK_NODE_STRING) {
                json_decref(files);
                return type_error(c, p ? p : it, "a file path");
            }
            const struct stack_node *req = stack_node_get(it, "required");
            bool required = true;
            if (req && get_bool(c, req, &required) < 0) {
                json_decref(files);
                return -1;
            }
            pop(c, l);
            json_array_append_new(files,
                                  json_pack("{s:s,s:b}", "path", p->str, "required", required));
        }
    } else if (n->kind == STACK_NODE_STRING) {
        files = json_pack("[{s:s,s:b}]", "path", n->str, "required", 1);
    } else {
        return type_error(c, n, "a file path or a list of them");
    }
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        cleanup_free char *path = abs_path(c, json_string_value(json_object_get(f, "path")));
        struct stack_env fe = {0};
        /* values in env files may refer to the project's variables */
        for (char **v = c->env->vars; v && *v; v++) {
            char *eq = strchr(*v, '=');
            cleanup_free char *name = strndup(*v, (size_t)(eq - *v));
            stack_env_set(&fe, name, eq + 1);
        }
        struct stack_env only = {0};
        if (stack_env_read_file(&only, path, json_is_true(json_object_get(f, "required")), c->err) <
            0) {
            stack_env_clear(&fe);
            json_decref(files);
            char where[600];
            return hull_error_prefix(c->err, "%s: %s", stack_node_where(n, where, sizeof(where)),
                                     c->path);
        }
        for (char **v = only.vars; v && *v; v++) {
            char *eq = strchr(*v, '=');
            cleanup_free char *name = strndup(*v, (size_t)(eq - *v));
            json_object_set_new(envobj, name, json_string(eq + 1));
        }
        stack_env_clear(&only);
        stack_env_clear(&fe);
    }
    json_decref(files);
    return 0;
}

static int parse_port_number(const char *s, long *lo, long *hi)
{
    char *end;
    errno = 0;
    *lo = strtol(s, &end, 10);
    *hi = *lo;
    if (end == s || errno)
        return -1;
    if (*end == '-') {
        const char *h = end + 1;
        *hi = strtol(h, &end, 10);
        if (end == h)
            return -1;
    }
    if (*end || *lo < 0 || *hi > 65535 || *hi < *lo)
        return -1;
    return 0;
}

/* "[[IP:]HOST:]CONTAINER[/PROTO]" */
static int port_short(struct conv *c, const struct stack_node *n, const char *text, json_t *arr)
{
    cleanup_free char *s = strdup(text);
    const char *proto = "tcp";
    char *slash = strrchr(s, '/');
    if (slash) {
        *slash = '\0';
        proto = slash + 1;
    }
    if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
        return fail(c, n, "invalid protocol '%s' in port '%s'", proto, text);
    char *parts[3] = {NULL, NULL, NULL};
    int np = 0;
    char *p = s;
    /* an IPv6 host address in brackets */
    if (*p == '[') {
        char *close = strchr(p, ']');
        if (close == NULL || close[1] != ':')
            return fail(c, n, "invalid port '%s'", text);
        *close = '\0';
        parts[np++] = p + 1;
        p = close + 2;
    }
    for (char *tok = p; np < 3;) {
        char *colon = strchr(tok, ':');
        parts[np++] = tok;
        if (colon == NULL)
            break;
        *colon = '\0';
        tok = colon + 1;
        if (np == 3)
            return fail(c, n, "invalid port '%s'", text);
    }
    const char *ip = np == 3 ? parts[0] : "";
    const char *host = np == 3 ? parts[1] : np == 2 ? parts[0] : "";
    const char *ctr = parts[np - 1];
    long clo, chi, hlo = 0, hhi = 0;
    if (parse_port_number(ctr, &clo, &chi) < 0 || clo == 0)
        return fail(c, n, "invalid container port '%s' in '%s'", ctr, text);
    if (host[0] && parse_port_number(host, &hlo, &hhi) < 0)
        return fail(c, n, "invalid host port '%s' in '%s'", host, text);
    if (host[0] && hhi - hlo != chi - clo && hlo != hhi)
        return fail(c, n, "port ranges of different sizes in '%s'", text);
    for (long t = clo; t <= chi; t++) {
        json_t *e = json_pack("{s:I,s:s,s:s}", "target", (json_int_t)t, "protocol", proto, "mode",
                              "ingress");
        if (ip[0])
            json_object_set_new(e, "host_ip", json_string(ip));
        if (host[0]) {
            char pub[32];
            if (hlo != hhi && chi == clo)
                snprintf(pub, sizeof(pub), "%ld-%ld", hlo, hhi);
            else
                snprintf(pub, sizeof(pub), "%ld", hlo + (t - clo));
            json_object_set_new(e, "published", json_string(pub));
        }
        json_array_append_new(arr, e);
    }
    return 0;
}

static int get_ports(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_SEQ)
        return type_error(c, n, "a list of ports");
    json_t *arr = json_array();
    *out = arr;
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *it = n->items[i];
        size_t l = push_index(c, i);
        char buf[64];
        const char *text = scalar_text(it, buf, sizeof(buf));
        if (text) {
            if (port_short(c, it, text, arr) < 0)
                return -1;
        } else if (it->kind == STACK_NODE_MAP) {
            json_t *e = json_pack("{s:s,s:s}", "protocol", "tcp", "mode", "ingress");
            json_array_append_new(arr, e);
            for (size_t k = 0; k < it->n; k++) {
                const char *key = it->keys[k];
                const struct stack_node *v = it->items[k];
                size_t l2 = push(c, key);
                json_t *s = NULL;
                if (strcmp(key, "target") == 0) {
                    long long t;
                    if (get_int(c, v, &t) < 0)
                        return -1;
                    if (t < 1 || t > 65535)
                        return fail(c, v, "port %lld out of range", t);
                    json_object_set_new(e, "target", json_integer(t));
                } else if (!strcmp(key, "published") || !strcmp(key, "host_ip") ||
                           !strcmp(key, "protocol") || !strcmp(key, "mode") ||
                           !strcmp(key, "name") || !strcmp(key, "app_protocol")) {
                    if (get_string(c, v, &s) < 0)
                        return -1;
                    json_object_set_new(e, key, s);
                } else {
                    pop(c, l2);
                    warn_unknown(c, v, key);
                }
                pop(c, l2);
            }
            if (!json_object_get(e, "target"))
                return fail(c, it, "a port needs a target");
        } else {
            return type_error(c, it, "a port string or mapping");
        }
        pop(c, l);
    }
    return 0;
}

/* "SRC:DST[:MODE]" or "DST" */
static int volume_short(struct conv *c, const struct stack_node *n, json_t **out)
{
    cleanup_free char *s = strdup(n->str);
    char *parts[3] = {NULL};
    int np = 0;
    for (char *tok = s; tok && np < 3;) {
        char *colon = strchr(tok, ':');
        parts[np++] = tok;
        if (colon)
            *colon = '\0';
        tok = colon ? colon + 1 : NULL;
        if (tok && np == 3)
            return fail(c, n, "invalid volume '%s'", n->str);
    }
    json_t *v = json_object();
    *out = v;
    const char *target = np == 1 ? parts[0] : parts[1];
    if (target[0] != '/')
        return fail(c, n, "volume target '%s' must be an absolute path", target);
    if (np == 1) {
        json_object_set_new(v, "type", json_string("volume"));
    } else {
        const char *src = parts[0];
        bool bind = src[0] == '/' || src[0] == '.' || src[0] == '~';
        json_object_set_new(v, "type", json_string(bind ? "bind" : "volume"));
        if (bind) {
            json_object_set_new(v, "source", json_path(c, src));
            json_object_set_new(v, "bind", json_pack("{s:b}", "create_host_path", 1));
        } else {
            json_object_set_new(v, "source", json_string(src));
        }
    }
    json_object_set_new(v, "target", json_string(target));
    if (np == 3) {
        cleanup_free char *modes = strdup(parts[2]);
        for (char *save = NULL, *m = strtok_r(modes, ",", &save); m;
             m = strtok_r(NULL, ",", &save)) {
            if (strcmp(m, "ro") == 0)
                json_object_set_new(v, "read_only", json_true());
            else if (strcmp(m, "rw") == 0 || strcmp(m, "z") == 0 || strcmp(m, "Z") == 0 ||
                     strcmp(m, "nocopy") == 0 || strcmp(m, "cached") == 0 ||
                     strcmp(m, "delegated") == 0 || strcmp(m, "consistent") == 0)
                continue;
            else
                return fail(c, n, "invalid volume mode '%s' in '%s'", m, n->str);
        }
    }
    return 0;
}

static int get_volumes(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_SEQ)
        return type_error(c, n, "a list of volumes");
    json_t *arr = json_array();
    *out = arr;
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *it = n->items[i];
        size_t l = push_index(c, i);
        json_t *v = NULL;
        if (it->kind == STACK_NODE_STRING) {
            int rc = volume_short(c, it, &v);
            json_array_append_new(arr, v);
            if (rc < 0)
                return -1;
        } else if (it->kind == STACK_NODE_MAP) {
            v = json_object();
            json_array_append_new(arr, v);
            for (size_t k = 0; k < it->n; k++) {
                const char *key = it->keys[k];
                const struct stack_node *val = it->items[k];
                size_t l2 = push(c, key);
                json_t *s = NULL;
                bool b;
                if (!strcmp(key, "type") || !strcmp(key, "target") || !strcmp(key, "source") ||
                    !strcmp(key, "consistency")) {
                    if (get_string(c, val, &s) < 0)
                        return -1;
                    json_object_set_new(v, key, s);
                } else if (!strcmp(key, "read_only")) {
                    if (get_bool(c, val, &b) < 0)
                        return -1;
                    json_object_set_new(v, key, json_boolean(b));
                } else if (!strcmp(key, "bind") || !strcmp(key, "volume") ||
                           !strcmp(key, "tmpfs")) {
                    if (val->kind != STACK_NODE_MAP)
                        return type_error(c, val, "a mapping");
                    json_t *o = json_object();
                    json_object_set_new(v, key, o);
                    for (size_t j = 0; j < val->n; j++) {
                        size_t l3 = push(c, val->keys[j]);
                        const char *ok = val->keys[j];
                        if (!strcmp(ok, "size")) {
                            if (get_size(c, val->items[j], &s) < 0)
                                return -1;
                        } else if (!strcmp(ok, "mode")) {
                            long long mode;
                            if (get_int(c, val->items[j], &mode) < 0)
                                return -1;
                            s = json_integer(mode);
                        } else if (!strcmp(ok, "create_host_path") || !strcmp(ok, "nocopy")) {
                            if (get_bool(c, val->items[j], &b) < 0)
                                return -1;
                            s = json_boolean(b);
                        } else if (get_string(c, val->items[j], &s) < 0) {
                            return -1;
                        }
                        json_object_set_new(o, ok, s);
                        pop(c, l3);
                    }
                } else {
                    pop(c, l2);
                    warn_unknown(c, val, key);
                }
                pop(c, l2);
            }
            const char *type = json_string_value(json_object_get(v, "type"));
            const char *target = json_string_value(json_object_get(v, "target"));
            if (type == NULL ||
                (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs")))
                return fail(c, it, "type must be bind, volume or tmpfs");
            if (target == NULL || target[0] != '/')
                return fail(c, it, "target must be an absolute path");
            const char *src = json_string_value(json_object_get(v, "source"));
            if (strcmp(type, "bind") == 0) {
                if (src == NULL)
                    return fail(c, it, "a bind mount needs a source");
                json_object_set_new(v, "source", json_path(c, src));
            }
        } else {
            return type_error(c, it, "a volume string or mapping");
        }
        pop(c, l);
    }
    return 0;
}

static int get_networks(struct conv *c, const struct stack_node *n, json_t **out)
{
    json_t *obj = json_object();
    *out = obj;
    if (n->kind == STACK_NODE_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            size_t l = push_index(c, i);
            if (n->items[i]->kind != STACK_NODE_STRING)
                return type_error(c, n->items[i], "a network name");
            json_object_set_new(obj, n->items[i]->str, json_object());
            pop(c, l);
        }
        return 0;
    }
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a list or mapping of networks");
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *v = n->items[i];
        size_t l = push(c, n->keys[i]);
        json_t *e = json_object();
        json_object_set_new(obj, n->keys[i], e);
        if (v->kind == STACK_NODE_MAP) {
            for (size_t k = 0; k < v->n; k++) {
                const char *key = v->keys[k];
                size_t l2 = push(c, key);
                json_t *s = NULL;
                if (!strcmp(key, "aliases")) {
                    if (get_strv(c, v->items[k], false, &s) < 0)
                        return -1;
                } else if (!strcmp(key, "ipv4_address") || !strcmp(key, "ipv6_address")) {
                    if (get_string(c, v->items[k], &s) < 0)
                        return -1;
                } else if (!strcmp(key, "priority")) {
                    long long p;
                    if (get_int(c, v->items[k], &p) < 0)
                        return -1;
                    s = json_integer(p);
                } else {
                    pop(c, l2);
                    warn_unknown(c, v->items[k], key);
                    continue;
                }
                json_object_set_new(e, key, s);
                pop(c, l2);
            }
        } else if (v->kind != STACK_NODE_NULL) {
            return type_error(c, v, "a mapping or null");
        }
        pop(c, l);
    }
    return 0;
}

static int get_depends_on(struct conv *c, const struct stack_node *n, json_t **out)
{
    json_t *obj = json_object();
    *out = obj;
    if (n->kind == STACK_NODE_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            size_t l = push_index(c, i);
            if (n->items[i]->kind != STACK_NODE_STRING)
                return type_error(c, n->items[i], "a service name");
            json_object_set_new(obj, n->items[i]->str,
                                json_pack("{s:s,s:b,s:b}", "condition", "service_started",
                                          "required", 1, "restart", 0));
            pop(c, l);
        }
        return 0;
    }
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a list or mapping of services");
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *v = n->items[i];
        size_t l = push(c, n->keys[i]);
        json_t *e =
            json_pack("{s:s,s:b,s:b}", "condition", "service_started", "required", 1, "restart", 0);
        json_object_set_new(obj, n->keys[i], e);
        if (v->kind != STACK_NODE_MAP && v->kind != STACK_NODE_NULL)
            return type_error(c, v, "a mapping");
        for (size_t k = 0; k < v->n; k++) {
            const char *key = v->keys[k];
            size_t l2 = push(c, key);
            if (!strcmp(key, "condition")) {
                const struct stack_node *cv = v->items[k];
                if (cv->kind != STACK_NODE_STRING)
                    return type_error(c, cv, "a string");
                if (strcmp(cv->str, "service_started") && strcmp(cv->str, "service_healthy") &&
                    strcmp(cv->str, "service_completed_successfully"))
                    return fail(c, cv,
                                "invalid condition '%s' (service_started, service_healthy or "
                                "service_completed_successfully)",
                                cv->str);
                json_object_set_new(e, key, json_string(cv->str));
            } else if (!strcmp(key, "restart") || !strcmp(key, "required")) {
                bool b;
                if (get_bool(c, v->items[k], &b) < 0)
                    return -1;
                json_object_set_new(e, key, json_boolean(b));
            } else {
                pop(c, l2);
                warn_unknown(c, v->items[k], key);
                continue;
            }
            pop(c, l2);
        }
        pop(c, l);
    }
    return 0;
}

static int get_healthcheck(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    json_t *h = json_object();
    *out = h;
    for (size_t k = 0; k < n->n; k++) {
        const char *key = n->keys[k];
        const struct stack_node *v = n->items[k];
        size_t l = push(c, key);
        json_t *s = NULL;
        if (!strcmp(key, "test")) {
            if (v->kind == STACK_NODE_STRING) {
                s = json_pack("[ss]", "CMD-SHELL", v->str);
            } else {
                if (get_strv(c, v, false, &s) < 0)
                    return -1;
                const char *first = json_string_value(json_array_get(s, 0));
                if (first == NULL ||
                    (strcmp(first, "CMD") && strcmp(first, "CMD-SHELL") && strcmp(first, "NONE"))) {
                    json_decref(s);
                    return fail(c, v, "a test list starts with CMD, CMD-SHELL or NONE");
                }
            }
        } else if (!strcmp(key, "interval") || !strcmp(key, "timeout") ||
                   !strcmp(key, "start_period") || !strcmp(key, "start_interval")) {
            if (get_duration(c, v, &s) < 0)
                return -1;
        } else if (!strcmp(key, "retries")) {
            long long r;
            if (get_int(c, v, &r) < 0)
                return -1;
            s = json_integer(r);
        } else if (!strcmp(key, "disable")) {
            bool b;
            if (get_bool(c, v, &b) < 0)
                return -1;
            s = json_boolean(b);
        } else {
            pop(c, l);
            warn_unknown(c, v, key);
            continue;
        }
        json_object_set_new(h, key, s);
        pop(c, l);
    }
    return 0;
}

static int get_cpus(struct conv *c, const struct stack_node *n, json_t **out)
{
    char buf[64];
    const char *s = scalar_text(n, buf, sizeof(buf));
    char *end;
    double v = s ? strtod(s, &end) : -1;
    if (s == NULL || *end || v < 0)
        return fail(c, n, "must be a number of CPUs");
    snprintf(buf, sizeof(buf), "%g", v);
    *out = json_string(buf);
    return 0;
}

static int get_resources(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    json_t *r = json_object();
    *out = r;
    for (size_t k = 0; k < n->n; k++) {
        const char *key = n->keys[k];
        const struct stack_node *v = n->items[k];
        size_t l = push(c, key);
        if (strcmp(key, "limits") && strcmp(key, "reservations")) {
            pop(c, l);
            warn_unknown(c, v, key);
            continue;
        }
        if (v->kind != STACK_NODE_MAP)
            return type_error(c, v, "a mapping");
        json_t *o = json_object();
        json_object_set_new(r, key, o);
        for (size_t j = 0; j < v->n; j++) {
            const char *rk = v->keys[j];
            size_t l2 = push(c, rk);
            json_t *s = NULL;
            if (!strcmp(rk, "cpus")) {
                if (get_cpus(c, v->items[j], &s) < 0)
                    return -1;
            } else if (!strcmp(rk, "memory")) {
                if (get_size(c, v->items[j], &s) < 0)
                    return -1;
            } else if (!strcmp(rk, "pids")) {
                long long p;
                if (get_int(c, v->items[j], &p) < 0)
                    return -1;
                s = json_integer(p);
            } else {
                pop(c, l2);
                warn_unknown(c, v->items[j], rk);
                continue;
            }
            json_object_set_new(o, rk, s);
            pop(c, l2);
        }
        pop(c, l);
    }
    return 0;
}

static int get_deploy(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    json_t *d = json_object();
    *out = d;
    for (size_t k = 0; k < n->n; k++) {
        const char *key = n->keys[k];
        const struct stack_node *v = n->items[k];
        size_t l = push(c, key);
        json_t *s = NULL;
        if (!strcmp(key, "replicas")) {
            long long r;
            if (get_int(c, v, &r) < 0)
                return -1;
            if (r < 0)
                return fail(c, v, "replicas cannot be negative");
            s = json_integer(r);
        } else if (!strcmp(key, "resources")) {
            if (get_resources(c, v, &s) < 0) {
                json_decref(s);
                return -1;
            }
        } else if (!strcmp(key, "restart_policy")) {
            if (v->kind != STACK_NODE_MAP)
                return type_error(c, v, "a mapping");
            s = json_object();
            json_object_set_new(d, key, s);
            for (size_t j = 0; j < v->n; j++) {
                const char *rk = v->keys[j];
                size_t l2 = push(c, rk);
                json_t *x = NULL;
                if (!strcmp(rk, "condition")) {
                    if (get_string(c, v->items[j], &x) < 0)
                        return -1;
                    const char *cv = json_string_value(x);
                    if (strcmp(cv, "none") && strcmp(cv, "on-failure") && strcmp(cv, "any")) {
                        json_decref(x);
                        return fail(c, v->items[j], "must be none, on-failure or any");
                    }
                } else if (!strcmp(rk, "delay") || !strcmp(rk, "window")) {
                    if (get_duration(c, v->items[j], &x) < 0)
                        return -1;
                } else if (!strcmp(rk, "max_attempts")) {
                    long long m;
                    if (get_int(c, v->items[j], &m) < 0)
                        return -1;
                    x = json_integer(m);
                } else {
                    pop(c, l2);
                    warn_unknown(c, v->items[j], rk);
                    continue;
                }
                json_object_set_new(s, rk, x);
                pop(c, l2);
            }
            pop(c, l);
            continue;
        } else if (!strcmp(key, "labels")) {
            s = json_object();
            json_object_set_new(d, key, s);
            if (get_kv(c, v, false, s) < 0)
                return -1;
            pop(c, l);
            continue;
        } else if (!strcmp(key, "mode")) {
            if (get_string(c, v, &s) < 0)
                return -1;
        } else {
            pop(c, l);
            warn_unknown(c, v, key);
            continue;
        }
        json_object_set_new(d, key, s);
        pop(c, l);
    }
    return 0;
}

/* service secrets/configs: "name" or {source, target, uid, gid, mode} */
static int get_file_refs(struct conv *c, const struct stack_node *n, bool secrets, json_t **out)
{
    if (n->kind != STACK_NODE_SEQ)
        return type_error(c, n, "a list");
    json_t *arr = json_array();
    *out = arr;
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *it = n->items[i];
        size_t l = push_index(c, i);
        json_t *e = json_object();
        json_array_append_new(arr, e);
        if (it->kind == STACK_NODE_STRING) {
            json_object_set_new(e, "source", json_string(it->str));
        } else if (it->kind == STACK_NODE_MAP) {
            for (size_t k = 0; k < it->n; k++) {
                const char *key = it->keys[k];
                size_t l2 = push(c, key);
                json_t *s = NULL;
                if (!strcmp(key, "source") || !strcmp(key, "target") || !strcmp(key, "uid") ||
                    !strcmp(key, "gid")) {
                    if (get_string(c, it->items[k], &s) < 0)
                        return -1;
                } else if (!strcmp(key, "mode")) {
                    long long m;
                    if (get_int(c, it->items[k], &m) < 0)
                        return -1;
                    if (m < 0 || m > 07777)
                        return fail(c, it->items[k], "invalid file mode");
                    s = json_integer(m);
                } else {
                    pop(c, l2);
                    warn_unknown(c, it->items[k], key);
                    continue;
                }
                json_object_set_new(e, key, s);
                pop(c, l2);
            }
            if (!json_object_get(e, "source"))
                return fail(c, it, "needs a source");
        } else {
            return type_error(c, it, "a name or a mapping");
        }
        const char *src = json_string_value(json_object_get(e, "source"));
        if (!json_object_get(e, "target"))
            json_object_set_new(e, "target", json_string(src));
        const char *t = json_string_value(json_object_get(e, "target"));
        if (secrets && t[0] != '/') {
            char *full = NULL;
            if (asprintf(&full, "/run/secrets/%s", t) < 0)
                abort();
            json_object_set_new(e, "target", json_string(full));
            free(full);
        } else if (!secrets && t[0] != '/') {
            char *full = NULL;
            if (asprintf(&full, "/%s", t) < 0)
                abort();
            json_object_set_new(e, "target", json_string(full));
            free(full);
        }
        if (!json_object_get(e, "mode"))
            json_object_set_new(e, "mode", json_integer(secrets ? 0400 : 0444));
        pop(c, l);
    }
    return 0;
}

static int get_ulimits(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    json_t *u = json_object();
    *out = u;
    for (size_t k = 0; k < n->n; k++) {
        const struct stack_node *v = n->items[k];
        size_t l = push(c, n->keys[k]);
        long long soft, hard;
        if (v->kind == STACK_NODE_MAP) {
            const struct stack_node *s = stack_node_get(v, "soft"), *h = stack_node_get(v, "hard");
            if (s == NULL || h == NULL)
                return fail(c, v, "needs soft and hard");
            if (get_int(c, s, &soft) < 0 || get_int(c, h, &hard) < 0)
                return -1;
        } else {
            if (get_int(c, v, &soft) < 0)
                return -1;
            hard = soft;
        }
        json_object_set_new(
            u, n->keys[k],
            json_pack("{s:I,s:I}", "soft", (json_int_t)soft, "hard", (json_int_t)hard));
        pop(c, l);
    }
    return 0;
}

static int get_logging(struct conv *c, const struct stack_node *n, json_t **out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    json_t *o = json_object();
    *out = o;
    for (size_t k = 0; k < n->n; k++) {
        const char *key = n->keys[k];
        size_t l = push(c, key);
        json_t *s = NULL;
        if (!strcmp(key, "driver")) {
            if (get_string(c, n->items[k], &s) < 0)
                return -1;
        } else if (!strcmp(key, "options")) {
            s = json_object();
            json_object_set_new(o, key, s);
            if (get_kv(c, n->items[k], false, s) < 0)
                return -1;
            pop(c, l);
            continue;
        } else {
            pop(c, l);
            warn_unknown(c, n->items[k], key);
            continue;
        }
        json_object_set_new(o, key, s);
        pop(c, l);
    }
    return 0;
}

static int get_build(struct conv *c, const struct stack_node *n, json_t **out)
{
    json_t *b = json_object();
    *out = b;
    if (n->kind == STACK_NODE_STRING) {
        json_object_set_new(b, "context", json_path(c, n->str));
        json_object_set_new(b, "dockerfile", json_string("Dockerfile"));
        return 0;
    }
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a path or a mapping");
    for (size_t k = 0; k < n->n; k++) {
        const char *key = n->keys[k];
        size_t l = push(c, key);
        json_t *s = NULL;
        if (!strcmp(key, "context") || !strcmp(key, "dockerfile") || !strcmp(key, "target") ||
            !strcmp(key, "network") || !strcmp(key, "dockerfile_inline")) {
            if (get_string(c, n->items[k], &s) < 0)
                return -1;
            if (!strcmp(key, "context")) {
                json_t *p = json_path(c, json_string_value(s));
                json_decref(s);
                s = p;
            }
        } else if (!strcmp(key, "args") || !strcmp(key, "labels")) {
            s = json_object();
            json_object_set_new(b, key, s);
            if (get_kv(c, n->items[k], !strcmp(key, "args"), s) < 0)
                return -1;
            pop(c, l);
            continue;
        } else if (!strcmp(key, "cache_from") || !strcmp(key, "tags")) {
            if (get_strv(c, n->items[k], false, &s) < 0)
                return -1;
        } else {
            pop(c, l);
            warn_unknown(c, n->items[k], key);
            continue;
        }
        json_object_set_new(b, key, s);
        pop(c, l);
    }
    if (!json_object_get(b, "context"))
        json_object_set_new(b, "context", json_string(c->project_dir));
    if (!json_object_get(b, "dockerfile"))
        json_object_set_new(b, "dockerfile", json_string("Dockerfile"));
    return 0;
}

enum val_kind { V_STR, V_BOOL, V_INT, V_STRV, V_CMD, V_KV, V_DURATION, V_SIZE };

struct simple_key {
    const char *name;
    enum val_kind kind;
};

static const struct simple_key service_simple[] = {
    {"image", V_STR},
    {"container_name", V_STR},
    {"hostname", V_STR},
    {"domainname", V_STR},
    {"user", V_STR},
    {"working_dir", V_STR},
    {"restart", V_STR},
    {"network_mode", V_STR},
    {"stop_signal", V_STR},
    {"pull_policy", V_STR},
    {"platform", V_STR},
    {"ipc", V_STR},
    {"pid", V_STR},
    {"runtime", V_STR},
    {"cgroup_parent", V_STR},
    {"read_only", V_BOOL},
    {"init", V_BOOL},
    {"privileged", V_BOOL},
    {"tty", V_BOOL},
    {"stdin_open", V_BOOL},
    {"scale", V_INT},
    {"cap_add", V_STRV},
    {"cap_drop", V_STRV},
    {"security_opt", V_STRV},
    {"expose", V_STRV},
    {"dns", V_STRV},
    {"dns_search", V_STRV},
    {"dns_opt", V_STRV},
    {"tmpfs", V_STRV},
    {"devices", V_STRV},
    {"profiles", V_STRV},
    {"group_add", V_STRV},
    {"command", V_CMD},
    {"entrypoint", V_CMD},
    {"labels", V_KV},
    {"sysctls", V_KV},
    {"annotations", V_KV},
    {"stop_grace_period", V_DURATION},
    {"mem_limit", V_SIZE},
    {"shm_size", V_SIZE},
    {"pids_limit", V_INT},
    {"cpus", V_STR},
    {NULL, V_STR},
};

static int convert_simple(struct conv *c, const struct simple_key *sk, const struct stack_node *v,
                          json_t *svc)
{
    json_t *s = NULL;
    bool b;
    long long i;
    switch (sk->kind) {
    case V_STR:
        if (get_string(c, v, &s) < 0)
            return -1;
        break;
    case V_BOOL:
        if (get_bool(c, v, &b) < 0)
            return -1;
        s = json_boolean(b);
        break;
    case V_INT:
        if (get_int(c, v, &i) < 0)
            return -1;
        s = json_integer(i);
        break;
    case V_STRV:
        if (get_strv(c, v, false, &s) < 0)
            return -1;
        break;
    case V_CMD:
        if (v->kind == STACK_NODE_NULL)
            return 0;
        if (get_strv(c, v, true, &s) < 0)
            return -1;
        break;
    case V_KV:
        s = json_object();
        if (get_kv(c, v, false, s) < 0) {
            json_decref(s);
            return -1;
        }
        break;
    case V_DURATION:
        if (get_duration(c, v, &s) < 0)
            return -1;
        break;
    case V_SIZE:
        if (get_size(c, v, &s) < 0)
            return -1;
        break;
    }
    json_object_set_new(svc, sk->name, s);
    return 0;
}

typedef int (*complex_fn)(struct conv *c, const struct stack_node *n, json_t **out);

static int get_secret_refs(struct conv *c, const struct stack_node *n, json_t **out)
{
    return get_file_refs(c, n, true, out);
}

static int get_config_refs(struct conv *c, const struct stack_node *n, json_t **out)
{
    return get_file_refs(c, n, false, out);
}

static int get_extra_hosts(struct conv *c, const struct stack_node *n, json_t **out)
{
    json_t *arr = json_array();
    *out = arr;
    if (n->kind == STACK_NODE_MAP) {
        for (size_t k = 0; k < n->n; k++) {
            char buf[64];
            const char *v = scalar_text(n->items[k], buf, sizeof(buf));
            if (v == NULL)
                return type_error(c, n->items[k], "an address");
            char *e = NULL;
            if (asprintf(&e, "%s:%s", n->keys[k], v) < 0)
                abort();
            json_array_append_new(arr, json_string(e));
            free(e);
        }
        return 0;
    }
    json_decref(arr);
    if (get_strv(c, n, false, out) < 0)
        return -1;
    /* docker compose's "host=ip" is the same as "host:ip" */
    size_t i;
    json_t *e;
    json_array_foreach(*out, i, e)
    {
        cleanup_free char *s = strdup(json_string_value(e));
        char *eq = strchr(s, '=');
        if (eq) {
            *eq = ':';
            json_array_set_new(*out, i, json_string(s));
        }
    }
    return 0;
}

static const struct {
    const char *name;
    complex_fn fn;
} service_complex[] = {
    {"ports", get_ports},
    {"volumes", get_volumes},
    {"networks", get_networks},
    {"depends_on", get_depends_on},
    {"healthcheck", get_healthcheck},
    {"deploy", get_deploy},
    {"secrets", get_secret_refs},
    {"configs", get_config_refs},
    {"ulimits", get_ulimits},
    {"logging", get_logging},
    {"build", get_build},
    {"extra_hosts", get_extra_hosts},
    {NULL, NULL},
};

static int convert_service(struct conv *c, const char *name, const struct stack_node *n,
                           json_t **out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    json_t *svc = json_object();
    *out = svc;
    json_t *env = json_object();
    const struct stack_node *env_file = stack_node_get(n, "env_file");
    if (env_file) {
        size_t l = push(c, "env_file");
        if (read_env_files(c, env_file, env) < 0) {
            json_decref(env);
            return -1;
        }
        pop(c, l);
    }
    const struct stack_node *environment = stack_node_get(n, "environment");
    if (environment) {
        size_t l = push(c, "environment");
        if (get_kv(c, environment, true, env) < 0) {
            json_decref(env);
            return -1;
        }
        pop(c, l);
    }
    if (json_object_size(env))
        json_object_set_new(svc, "environment", env);
    else
        json_decref(env);
    for (size_t k = 0; k < n->n; k++) {
        const char *key = n->keys[k];
        const struct stack_node *v = n->items[k];
        if (!strcmp(key, "environment") || !strcmp(key, "env_file"))
            continue;
        size_t l = push(c, key);
        bool known = false;
        for (const struct simple_key *sk = service_simple; sk->name && !known; sk++)
            if (!strcmp(sk->name, key)) {
                known = true;
                if (convert_simple(c, sk, v, svc) < 0)
                    return -1;
            }
        for (size_t i = 0; service_complex[i].name && !known; i++)
            if (!strcmp(service_complex[i].name, key)) {
                known = true;
                json_t *x = NULL;
                int rc = service_complex[i].fn(c, v, &x);
                if (x)
                    json_object_set_new(svc, key, x);
                if (rc < 0)
                    return -1;
            }
        if (!known && strncmp(key, "x-", 2) == 0) {
            known = true;
            if (!strcmp(key, "x-hull")) {
                json_t *x = NULL;
                if (v->kind != STACK_NODE_MAP)
                    return type_error(c, v, "a mapping");
                x = json_object();
                json_object_set_new(svc, key, x);
                const struct stack_node *rootfs = stack_node_get(v, "rootfs");
                if (rootfs && rootfs->kind == STACK_NODE_STRING)
                    json_object_set_new(x, "rootfs", json_path(c, rootfs->str));
            }
        }
        pop(c, l);
        if (!known)
            warn_unknown(c, v, key);
    }
    const char *restart = json_string_value(json_object_get(svc, "restart"));
    if (restart) {
        cleanup_err hull_err *e = NULL;
        const char *pn;
        long retries;
        if (parse_restart_policy(restart, &pn, &retries, &e) < 0) {
            size_t l = push(c, "restart");
            int rc = fail(c, stack_node_get(n, "restart"),
                          "invalid restart policy '%s' (no, always, on-failure[:N], "
                          "unless-stopped)",
                          restart);
            pop(c, l);
            return rc;
        }
    }
    if (!json_object_get(svc, "image") && !json_object_get(svc, "build") &&
        !json_object_get(json_object_get(svc, "x-hull"), "rootfs"))
        return fail(c, n, "service '%s' has neither an image nor a build context", name);
    return 0;
}

/* top-level networks / volumes / secrets / configs */
static int convert_resources(struct conv *c, const char *kind, const struct stack_node *n,
                             json_t *out)
{
    if (n->kind != STACK_NODE_MAP)
        return type_error(c, n, "a mapping");
    for (size_t i = 0; i < n->n; i++) {
        const char *rname = n->keys[i];
        const struct stack_node *v = n->items[i];
        size_t l = push(c, rname);
        json_t *r = json_object();
        json_object_set_new(out, rname, r);
        if (v->kind != STACK_NODE_MAP && v->kind != STACK_NODE_NULL)
            return type_error(c, v, "a mapping or null");
        for (size_t k = 0; k < v->n; k++) {
            const char *key = v->keys[k];
            const struct stack_node *x = v->items[k];
            size_t l2 = push(c, key);
            json_t *s = NULL;
            bool b;
            if (!strcmp(key, "external")) {
                if (x->kind == STACK_NODE_MAP) {
                    const struct stack_node *en = stack_node_get(x, "name");
                    if (en && en->kind == STACK_NODE_STRING)
                        json_object_set_new(r, "name", json_string(en->str));
                    b = true;
                } else if (get_bool(c, x, &b) < 0) {
                    return -1;
                }
                s = json_boolean(b);
            } else if (!strcmp(key, "internal") || !strcmp(key, "attachable") ||
                       !strcmp(key, "enable_ipv6")) {
                if (get_bool(c, x, &b) < 0)
                    return -1;
                s = json_boolean(b);
            } else if (!strcmp(key, "name") || !strcmp(key, "driver") ||
                       !strcmp(key, "environment") || !strcmp(key, "content")) {
                if (get_string(c, x, &s) < 0)
                    return -1;
            } else if (!strcmp(key, "file")) {
                if (get_string(c, x, &s) < 0)
                    return -1;
                json_t *p = json_path(c, json_string_value(s));
                json_decref(s);
                s = p;
            } else if (!strcmp(key, "driver_opts") || !strcmp(key, "labels")) {
                s = json_object();
                json_object_set_new(r, key, s);
                if (get_kv(c, x, false, s) < 0)
                    return -1;
                pop(c, l2);
                continue;
            } else if (!strcmp(key, "ipam") && !strcmp(kind, "networks")) {
                if (x->kind != STACK_NODE_MAP)
                    return type_error(c, x, "a mapping");
                s = json_object();
                json_object_set_new(r, key, s);
                const struct stack_node *drv = stack_node_get(x, "driver");
                if (drv && drv->kind == STACK_NODE_STRING)
                    json_object_set_new(s, "driver", json_string(drv->str));
                const struct stack_node *cfg = stack_node_get(x, "config");
                if (cfg) {
                    size_t l3 = push(c, "config");
                    if (cfg->kind != STACK_NODE_SEQ)
                        return type_error(c, cfg, "a list");
                    json_t *arr = json_array();
                    json_object_set_new(s, "config", arr);
                    for (size_t j = 0; j < cfg->n; j++) {
                        size_t l4 = push_index(c, j);
                        json_t *e = json_object();
                        json_array_append_new(arr, e);
                        if (get_kv(c, cfg->items[j], false, e) < 0)
                            return -1;
                        pop(c, l4);
                    }
                    pop(c, l3);
                }
                pop(c, l2);
                continue;
            } else {
                pop(c, l2);
                warn_unknown(c, x, key);
                continue;
            }
            json_object_set_new(r, key, s);
            pop(c, l2);
        }
        if (!json_object_get(r, "name")) {
            char *full = NULL;
            bool external = json_is_true(json_object_get(r, "external"));
            if (asprintf(&full, "%s%s%s", external ? "" : c->project, external ? "" : "_", rname) <
                0)
                abort();
            json_object_set_new(r, "name", json_string(full));
            free(full);
        }
        if (!strcmp(kind, "secrets") || !strcmp(kind, "configs")) {
            if (!json_object_get(r, "file") && !json_object_get(r, "environment") &&
                !json_object_get(r, "content") && !json_is_true(json_object_get(r, "external")))
                return fail(c, v, "%s '%s' needs file, environment%s or external", kind, rname,
                            kind[0] == 'c' ? ", content" : "");
        }
        pop(c, l);
    }
    return 0;
}

int stack_compose_to_doc(const struct stack_node *root, const char *project,
                         const char *project_dir, const struct stack_env *env, json_t **out,
                         hull_err **err)
{
    struct conv c = {.project = project, .project_dir = project_dir, .env = env, .err = err};
    json_t *doc = json_pack("{s:s,s:{},s:{},s:{},s:{},s:{}}", "name", project, "services",
                            "networks", "volumes", "secrets", "configs");
    for (size_t k = 0; k < root->n; k++) {
        const char *key = root->keys[k];
        const struct stack_node *v = root->items[k];
        size_t l = push(&c, key);
        int rc = 0;
        if (!strcmp(key, "services")) {
            if (v->kind != STACK_NODE_MAP) {
                rc = type_error(&c, v, "a mapping");
            } else {
                for (size_t i = 0; i < v->n && rc == 0; i++) {
                    size_t l2 = push(&c, v->keys[i]);
                    json_t *svc = NULL;
                    rc = convert_service(&c, v->keys[i], v->items[i], &svc);
                    json_object_set_new(json_object_get(doc, "services"), v->keys[i], svc);
                    pop(&c, l2);
                }
            }
        } else if (!strcmp(key, "networks") || !strcmp(key, "volumes") || !strcmp(key, "secrets") ||
                   !strcmp(key, "configs")) {
            rc = convert_resources(&c, key, v, json_object_get(doc, key));
        } else if (!strcmp(key, "name") || !strcmp(key, "version") || !strcmp(key, "include")) {
            /* name: taken by the loader; version: obsolete, accepted */
        } else {
            pop(&c, l);
            warn_unknown(&c, v, key);
            continue;
        }
        pop(&c, l);
        if (rc < 0) {
            json_decref(doc);
            return -1;
        }
    }
    /* services without networks (and without a network_mode) join the default network */
    const char *sname;
    json_t *svc;
    bool wants_default = false;
    json_object_foreach(json_object_get(doc, "services"), sname, svc)
    {
        if (json_object_get(svc, "network_mode"))
            continue;
        json_t *nets = json_object_get(svc, "networks");
        if (nets == NULL || json_object_size(nets) == 0) {
            json_object_set_new(svc, "networks", json_pack("{s:{}}", "default"));
            wants_default = true;
        } else if (json_object_get(nets, "default")) {
            wants_default = true;
        }
    }
    json_t *nets = json_object_get(doc, "networks");
    if (wants_default && !json_object_get(nets, "default")) {
        char *full = NULL;
        if (asprintf(&full, "%s_default", project) < 0)
            abort();
        json_object_set_new(nets, "default", json_pack("{s:s}", "name", full));
        free(full);
    }
    *out = doc;
    return 0;
}
