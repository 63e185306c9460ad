/* Compose interpolation (interpolate.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/interpolate.h"
#include "util/cleanup.h"
#include "util/str.h"

extern char **environ;

void stack_env_clear(struct stack_env *env)
{
    hull_strvfree(env->vars);
    env->vars = NULL;
}

static size_t env_count(const struct stack_env *env)
{
    size_t n = 0;
    while (env->vars && env->vars[n])
        n++;
    return n;
}

void stack_env_set(struct stack_env *env, const char *name, const char *value)
{
    size_t nlen = strlen(name), n = env_count(env);
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", name, value) < 0)
        abort();
    for (size_t i = 0; i < n; i++)
        if (strncmp(env->vars[i], name, nlen) == 0 && env->vars[i][nlen] == '=') {
            free(env->vars[i]);
            env->vars[i] = entry;
            return;
        }
    char **v = realloc(env->vars, (n + 2) * sizeof(*v));
    if (v == NULL)
        abort();
    v[n] = entry;
    v[n + 1] = NULL;
    env->vars = v;
}

const char *stack_env_get(const struct stack_env *env, const char *name)
{
    size_t nlen = strlen(name);
    for (size_t i = 0; env->vars && env->vars[i]; i++)
        if (strncmp(env->vars[i], name, nlen) == 0 && env->vars[i][nlen] == '=')
            return env->vars[i] + nlen + 1;
    return NULL;
}

void stack_env_add_process(struct stack_env *env)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL || eq == *e)
            continue;
        cleanup_free char *name = strndup(*e, (size_t)(eq - *e));
        stack_env_set(env, name, eq + 1);
    }
}

static bool name_start(int c)
{
    return c == '_' || isalpha(c);
}

static bool name_char(int c)
{
    return c == '_' || isalnum(c);
}

static int interp(const char *s, size_t len, const struct stack_env *env, const char *where,
                  struct str_buf *out, int depth, hull_err **err);

/* The end of a ${...} body that starts at s (nested braces counted); -1 when unterminated. */
static long brace_end(const char *s, size_t len)
{
    int depth = 1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '$' && i + 1 < len && s[i + 1] == '{') {
            depth++;
            i++;
        } else if (s[i] == '}') {
            if (--depth == 0)
                return (long)i;
        }
    }
    return -1;
}

static int invalid(const char *where, const char *s, hull_err **err)
{
    return hull_error(err, 0,
                      "%s: invalid interpolation format \"%s\": you may need to escape any $ "
                      "with another $",
                      where, s);
}

static int braced(const char *body, size_t len, const struct stack_env *env, const char *where,
                  struct str_buf *out, int depth, const char *whole, hull_err **err)
{
    size_t i = 0;
    if (len == 0 || !name_start((unsigned char)body[0]))
        return invalid(where, whole, err);
    while (i < len && name_char((unsigned char)body[i]))
        i++;
    cleanup_free char *name = strndup(body, i);
    const char *value = stack_env_get(env, name);
    if (i == len) {
        if (value)
            str_buf_add(out, value, strlen(value));
        return 0;
    }
    bool colon = body[i] == ':';
    if (colon)
        i++;
    if (i >= len)
        return invalid(where, whole, err);
    char op = body[i++];
    const char *arg = body + i;
    size_t arg_len = len - i;
    bool empty_counts = colon; /* with ':' an empty value counts as unset */
    bool set = value != NULL && !(empty_counts && value[0] == '\0');
    switch (op) {
    case '-':
        if (set)
            str_buf_add(out, value, strlen(value));
        else
            return interp(arg, arg_len, env, where, out, depth + 1, err);
        return 0;
    case '+':
        if (set)
            return interp(arg, arg_len, env, where, out, depth + 1, err);
        return 0;
    case '?':
        if (set) {
            str_buf_add(out, value, strlen(value));
            return 0;
        } else {
            struct str_buf msg = {0};
            if (interp(arg, arg_len, env, where, &msg, depth + 1, err) < 0) {
                free(msg.p);
                return -1;
            }
            int rc = hull_error(err, 0, "%s: required variable %s is missing a value%s%s", where,
                                name, msg.len ? ": " : "", msg.len ? msg.p : "");
            free(msg.p);
            return rc;
        }
    default:
        return invalid(where, whole, err);
    }
}

static int interp(const char *s, size_t len, const struct stack_env *env, const char *where,
                  struct str_buf *out, int depth, hull_err **err)
{
    if (depth > 16)
        return hull_error(err, 0, "%s: interpolation nested too deeply", where);
    size_t i = 0;
    while (i < len) {
        const char *dollar = memchr(s + i, '$', len - i);
        if (dollar == NULL) {
            str_buf_add(out, s + i, len - i);
            break;
        }
        size_t d = (size_t)(dollar - s);
        str_buf_add(out, s + i, d - i);
        if (d + 1 >= len) {
            cleanup_free char *whole = strndup(s, len);
            return invalid(where, whole, err);
        }
        char c = s[d + 1];
        if (c == '$') {
            str_buf_add(out, "$", 1);
            i = d + 2;
        } else if (c == '{') {
            long end = brace_end(s + d + 2, len - d - 2);
            if (end < 0) {
                cleanup_free char *whole = strndup(s, len);
                return invalid(where, whole, err);
            }
            cleanup_free char *whole = strndup(s, len);
            if (braced(s + d + 2, (size_t)end, env, where, out, depth, whole, err) < 0)
                return -1;
            i = d + 2 + (size_t)end + 1;
        } else if (name_start((unsigned char)c)) {
            size_t e = d + 1;
            while (e < len && name_char((unsigned char)s[e]))
                e++;
            cleanup_free char *name = strndup(s + d + 1, e - d - 1);
            const char *value = stack_env_get(env, name);
            if (value)
                str_buf_add(out, value, strlen(value));
            i = e;
        } else {
            cleanup_free char *whole = strndup(s, len);
            return invalid(where, whole, err);
        }
    }
    if (out->p == NULL)
        str_buf_add(out, "", 0);
    return 0;
}

int stack_interpolate_string(const char *in, const struct stack_env *env, const char *where,
                             char **out, hull_err **err)
{
    struct str_buf b = {0};
    if (interp(in, strlen(in), env, where, &b, 0, err) < 0) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    return 0;
}

static int walk(struct stack_node *n, const struct stack_env *env, char *path, size_t cap,
                hull_err **err)
{
    if (n->kind == STACK_NODE_STRING && n->str && strchr(n->str, '$')) {
        char where[1400];
        snprintf(where, sizeof(where), "%s:%d: %s", n->file ? n->file : "<input>", n->line,
                 path[0] ? path : "(top level)");
        char *v = NULL;
        if (stack_interpolate_string(n->str, env, where, &v, err) < 0)
            return -1;
        free(n->str);
        n->str = v;
        return 0;
    }
    size_t plen = strlen(path);
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == STACK_NODE_MAP)
            snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", n->keys[i]);
        else
            snprintf(path + plen, cap - plen, "[%zu]", i);
        if (walk(n->items[i], env, path, cap, err) < 0)
            return -1;
        path[plen] = '\0';
    }
    return 0;
}

int stack_interpolate_tree(struct stack_node *root, const struct stack_env *env, hull_err **err)
{
    char path[1024] = "";
    return walk(root, env, path, sizeof(path), err);
}

/* dotenv: one assignment per line. */
static char *dotenv_value(const char *v, const struct stack_env *env, const char *where,
                          hull_err **err)
{
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '\'' && v[n - 1] == '\'')
        return strndup(v + 1, n - 2);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        struct str_buf b = {0};
        for (size_t i = 1; i + 1 < n; i++) {
            if (v[i] == '\\' && i + 2 < n) {
                char c = v[++i];
                str_buf_add(&b, c == 'n' ? "\n" : c == 't' ? "\t" : c == 'r' ? "\r" : &v[i], 1);
            } else {
                str_buf_add(&b, &v[i], 1);
            }
        }
        if (b.p == NULL)
            str_buf_add(&b, "", 0);
        char *out = NULL;
        int rc = stack_interpolate_string(b.p, env, where, &out, err);
        free(b.p);
        return rc < 0 ? NULL : out;
    }
    /* unquoted: an inline comment starts at " #" */
    cleanup_free char *copy = strdup(v);
    char *hash = strstr(copy, " #");
    if (hash)
        *hash = '\0';
    size_t l = strlen(copy);
    while (l && (copy[l - 1] == ' ' || copy[l - 1] == '\t'))
        copy[--l] = '\0';
    char *out = NULL;
    if (stack_interpolate_string(copy, env, where, &out, err) < 0)
        return NULL;
    return out;
}

int stack_env_read_file(struct stack_env *env, const char *path, bool required, hull_err **err)
{
    cleanup_file FILE *f = fopen(path, "re");
    if (f == NULL) {
        if (errno == ENOENT && !required)
            return 0;
        return hull_error(err, errno, "open env file %s", path);
    }
    cleanup_free char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#')
            continue;
        if (strncmp(s, "export ", 7) == 0)
            s += 7;
        char *eq = strchr(s, '=');
        char where[1100];
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (eq == NULL) {
            /* a bare NAME takes the value from the environment, if any */
            continue;
        }
        *eq = '\0';
        char *name = s;
        size_t nl = strlen(name);
        while (nl && (name[nl - 1] == ' ' || name[nl - 1] == '\t'))
            name[--nl] = '\0';
        if (nl == 0 || !name_start((unsigned char)name[0]))
            return hull_error(err, 0, "%s: invalid variable name '%s'", where, name);
        for (size_t i = 0; i < nl; i++)
            if (!name_char((unsigned char)name[i]) && name[i] != '.' && name[i] != '-')
                return hull_error(err, 0, "%s: invalid variable name '%s'", where, name);
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        cleanup_free char *value = dotenv_value(v, env, where, err);
        if (value == NULL)
            return -1;
        stack_env_set(env, name, value);
    }
    return 0;
}
