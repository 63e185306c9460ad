/* Option parsing for the runc-style and docker-style command lines. */
#include "util/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

int options_init(struct option_parser *p, const struct option_spec *specs, int argc, char **argv,
                 int start, int stop_after_positionals, hull_err **err)
{
    memset(p, 0, sizeof(*p));
    p->specs = specs;
    p->argc = argc;
    p->argv = argv;
    p->index = start;
    p->stop_after_positionals = stop_after_positionals;
    p->stop_index = -1;
    p->positionals = calloc((size_t)argc + 1, sizeof(char *));
    if (p->positionals == NULL)
        return hull_error(err, ENOMEM, "options");
    return 0;
}

void options_free(struct option_parser *p)
{
    free(p->positionals);
    p->positionals = NULL;
}

static void add_positional(struct option_parser *p, char *arg)
{
    p->positionals[p->n_positionals++] = arg;
    p->positionals[p->n_positionals] = NULL;
}

static const struct option_spec *find_long(const struct option_spec *specs, const char *name,
                                           size_t len)
{
    for (const struct option_spec *s = specs; s->name; s++)
        if (strlen(s->name) == len && strncmp(s->name, name, len) == 0)
            return s;
    return NULL;
}

static const struct option_spec *find_short(const struct option_spec *specs, char c)
{
    for (const struct option_spec *s = specs; s->name; s++)
        if (s->short_name == c)
            return s;
    return NULL;
}

int options_init_posix(struct option_parser *p, const struct option_spec *specs, int argc,
                       char **argv, int start, hull_err **err)
{
    if (options_init(p, specs, argc, argv, start, 0, err) < 0)
        return -1;
    p->style = OPTIONS_POSIX;
    return 0;
}

/* One letter of a short cluster (-dit, -sKILL): *p->cluster is the letter. */
static int next_short(struct option_parser *p, const char **arg, hull_err **err)
{
    char c = *p->cluster++;
    const struct option_spec *s = find_short(p->specs, c);
    if (s == NULL) {
        p->cluster = NULL;
        return hull_error(err, 0, "unknown option `-%c`", c);
    }
    if (s->has_arg) {
        if (*p->cluster != '\0') {
            *arg = p->cluster;
        } else {
            if (p->index >= p->argc) {
                p->cluster = NULL;
                return hull_error(err, 0, "option `-%c` needs a value", c);
            }
            *arg = p->argv[p->index++];
        }
        p->cluster = NULL;
    } else if (*p->cluster == '=') {
        /* -H=false, as pflag reads a boolean shorthand with a value. */
        *arg = p->cluster + 1;
        p->cluster = NULL;
    } else if (*p->cluster == '\0') {
        p->cluster = NULL;
    }
    return s->id;
}

static int next_posix(struct option_parser *p, const char **arg, hull_err **err)
{
    if (p->cluster)
        return next_short(p, arg, err);
    if (p->done || p->index >= p->argc)
        return 0;
    char *a = p->argv[p->index];
    if (a[0] != '-' || a[1] == '\0') {
        /* The first operand ends the options; the caller reads argv[p->index..). */
        p->done = true;
        p->stop_index = p->index;
        return 0;
    }
    p->index++;
    if (strcmp(a, "--") == 0) {
        p->done = true;
        return 0;
    }
    if (a[1] != '-') {
        p->cluster = a + 1;
        return next_short(p, arg, err);
    }
    const char *body = a + 2;
    const char *eq = strchr(body, '=');
    size_t len = eq ? (size_t)(eq - body) : strlen(body);
    const struct option_spec *s = find_long(p->specs, body, len);
    if (s == NULL)
        return hull_error(err, 0, "unknown option `--%.*s`", (int)len, body);
    if (eq) {
        *arg = eq + 1;
    } else if (s->has_arg) {
        if (p->index >= p->argc)
            return hull_error(err, 0, "option `--%s` needs a value", s->name);
        *arg = p->argv[p->index++];
    }
    return s->id;
}

int options_next(struct option_parser *p, const char **arg, hull_err **err)
{
    *arg = NULL;
    if (p->style == OPTIONS_POSIX)
        return next_posix(p, arg, err);
    while (p->index < p->argc) {
        char *a = p->argv[p->index];
        if (p->done || a[0] != '-' || a[1] == '\0') {
            p->index++;
            add_positional(p, a);
            if (!p->done && p->stop_after_positionals &&
                ++p->positionals_seen >= p->stop_after_positionals) {
                p->done = true;
                p->stop_index = p->index - 1;
            }
            continue;
        }
        p->index++;
        if (strcmp(a, "--") == 0) {
            p->done = true;
            continue;
        }
        const char *body = a[1] == '-' ? a + 2 : a + 1;
        const char *eq = strchr(body, '=');
        size_t len = eq ? (size_t)(eq - body) : strlen(body);
        const struct option_spec *s = find_long(p->specs, body, len);
        if (s == NULL && a[1] != '-') {
            /* Short option, possibly with its value attached: -b DIR, -bDIR, -d. */
            s = find_short(p->specs, body[0]);
            if (s == NULL)
                return hull_error(err, 0, "unknown option `%s`", a);
            if (s->has_arg) {
                if (body[1] != '\0') {
                    *arg = body + 1;
                } else {
                    if (p->index >= p->argc)
                        return hull_error(err, 0, "option `%s` needs a value", a);
                    *arg = p->argv[p->index++];
                }
            } else if (body[1] != '\0') {
                /* Grouped short flags (-dt) are rare in runc's world; refuse them clearly. */
                return hull_error(err, 0, "unknown option `%s`", a);
            }
            return s->id;
        }
        if (s == NULL)
            return hull_error(err, 0, "unknown option `%.*s`", (int)(len + (size_t)(body - a)), a);
        if (s->has_arg) {
            if (eq) {
                *arg = eq + 1;
            } else {
                if (p->index >= p->argc)
                    return hull_error(err, 0, "option `--%s` needs a value", s->name);
                *arg = p->argv[p->index++];
            }
        } else if (eq) {
            *arg = eq + 1;
        }
        return s->id;
    }
    return 0;
}

int options_bool(const char *name, const char *arg, bool *out, hull_err **err)
{
    if (arg == NULL || strcmp(arg, "true") == 0 || strcmp(arg, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(arg, "false") == 0 || strcmp(arg, "0") == 0) {
        *out = false;
        return 0;
    }
    return hull_error(err, 0, "option `--%s`: expected true or false, got `%s`", name, arg);
}

int options_int(const char *name, const char *arg, long min, long max, long *out, hull_err **err)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || *arg == '\0' || *end != '\0' || v < min || v > max)
        return hull_error(err, 0, "option `--%s`: invalid number `%s`", name, arg);
    *out = v;
    return 0;
}
