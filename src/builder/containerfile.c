/* The Containerfile reader (see containerfile.h). */
#include "builder/containerfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "util/cleanup.h"

static const char *const known[] = {
    "FROM",    "RUN",        "CMD",         "LABEL",  "MAINTAINER", "EXPOSE",  "ENV",
    "ADD",     "COPY",       "ENTRYPOINT",  "VOLUME", "USER",       "WORKDIR", "ARG",
    "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",  NULL,
};

/* Instructions whose arguments may be a JSON array. */
static const char *const json_capable[] = {"RUN",  "CMD", "ENTRYPOINT", "SHELL",
                                           "COPY", "ADD", "VOLUME",     NULL};

static bool in_list(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = realloc(*v, (*n + 2) * sizeof **v);
    if (*v == NULL)
        abort();
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

static char *rtrim(char *s)
{
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = '\0';
    return s;
}

/* A `# key=value` parser directive; 1 when the line is one (and known), 0 otherwise. */
static int directive(const char *line, char *escape, const char *path, int lineno, hull_err **err)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '#')
        return 0;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *key = p;
    while (isalnum((unsigned char)*p))
        p++;
    size_t klen = (size_t)(p - key);
    while (*p == ' ' || *p == '\t')
        p++;
    if (klen == 0 || *p != '=')
        return 0;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    cleanup_free char *value = strdup(p);
    char *v = trim(value);
    if (klen == 6 && strncasecmp(key, "escape", 6) == 0) {
        if (strcmp(v, "\\") != 0 && strcmp(v, "`") != 0)
            return hull_error(err, 0, "%s:%d: invalid escape directive `%s`: expected \\ or `",
                              path, lineno, v);
        *escape = v[0];
        return 1;
    }
    /* syntax= names a BuildKit frontend; hull has its own reader and accepts the line. */
    if ((klen == 6 && strncasecmp(key, "syntax", 6) == 0) ||
        (klen == 5 && strncasecmp(key, "check", 5) == 0))
        return 1;
    return 0;
}

static bool is_comment(const char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    return *line == '#';
}

static bool is_blank(const char *line)
{
    for (; *line; line++)
        if (!isspace((unsigned char)*line))
            return false;
    return true;
}

/* The line (already trimmed at the right) ends in the escape character: drop it. */
static bool continues(char *line, char escape)
{
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == escape) {
        line[len - 1] = '\0';
        return true;
    }
    return false;
}

static int parse_json_form(struct cf_instruction *in)
{
    json_error_t je;
    json_t *j = json_loads(in->args, JSON_DECODE_ANY, &je);
    if (!json_is_array(j)) {
        json_decref(j);
        return 0;
    }
    size_t i, n = 0;
    json_t *v;
    char **argv = NULL;
    json_array_foreach(j, i, v)
    {
        if (!json_is_string(v)) {
            hull_strvfree(argv);
            json_decref(j);
            return 0;
        }
        strv_push(&argv, &n, strdup(json_string_value(v)));
    }
    if (argv == NULL)
        strv_push(&argv, &n, NULL), n = 0, argv[0] = NULL;
    json_decref(j);
    in->json = true;
    in->argv = argv;
    return 1;
}

static int make_instruction(struct containerfile *cf, char *text, int lineno, hull_err **err)
{
    char *p = trim(text);
    char *kw = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = '\0';
    for (char *c = kw; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    if (!in_list(known, kw))
        return hull_error(err, 0, "%s:%d: unknown instruction: %s", cf->path, lineno, kw);
    struct cf_instruction in = {.line = lineno, .keyword = strdup(kw)};
    size_t nflags = 0;
    p = trim(p);
    if (asprintf(&in.original, "%s %s", kw, p) < 0)
        abort();
    /* Options: --name[=value] words before the arguments (not for the commands themselves). */
    bool takes_flags = strcmp(kw, "RUN") == 0 || strcmp(kw, "COPY") == 0 ||
                       strcmp(kw, "ADD") == 0 || strcmp(kw, "FROM") == 0 ||
                       strcmp(kw, "HEALTHCHECK") == 0;
    while (takes_flags && strncmp(p, "--", 2) == 0) {
        char *end = p;
        while (*end && !isspace((unsigned char)*end))
            end++;
        strv_push(&in.flags, &nflags, strndup(p, (size_t)(end - p)));
        p = end;
        while (isspace((unsigned char)*p))
            p++;
    }
    in.args = strdup(p);
    if ((strcmp(kw, "RUN") == 0 || strcmp(kw, "COPY") == 0 || strcmp(kw, "ADD") == 0) &&
        strncmp(p, "<<", 2) == 0) {
        hull_error(err, 0, "%s:%d: %s: heredocs are not supported by hull build", cf->path, lineno,
                   kw);
        goto fail;
    }
    if (*in.args == '\0' && strcmp(kw, "RUN") != 0) {
        hull_error(err, 0, "%s:%d: %s requires at least one argument", cf->path, lineno, kw);
        goto fail;
    }
    if (*in.args == '\0') {
        hull_error(err, 0, "%s:%d: RUN requires at least one argument", cf->path, lineno);
        goto fail;
    }
    if (in_list(json_capable, kw) && in.args[0] == '[')
        parse_json_form(&in);
    cf->ins = realloc(cf->ins, (cf->n + 1) * sizeof *cf->ins);
    if (cf->ins == NULL)
        abort();
    cf->ins[cf->n++] = in;
    return 0;
fail:
    free(in.keyword);
    free(in.args);
    free(in.original);
    hull_strvfree(in.flags);
    return -1;
}

int containerfile_parse(const char *path, const char *text, struct containerfile **out,
                        hull_err **err)
{
    struct containerfile *cf = calloc(1, sizeof *cf);
    if (cf == NULL)
        abort();
    cf->path = strdup(path);
    cf->escape = '\\';
    cleanup_free char *copy = strdup(text);
    char *save = copy;
    bool directives = true;
    char *pending = NULL; /* an instruction continued over several lines */
    int pending_line = 0;
    int lineno = 0;
    int r = 0;
    while (r == 0 && save != NULL) {
        char *line = save;
        char *nl = strchr(save, '\n');
        if (nl) {
            *nl = '\0';
            save = nl + 1;
        } else {
            save = NULL;
            if (*line == '\0')
                break;
        }
        lineno++;
        if (directives) {
            int d = directive(line, &cf->escape, path, lineno, err);
            if (d < 0) {
                r = -1;
                break;
            }
            if (d == 1)
                continue;
            directives = false;
        }
        if (is_comment(line) || (pending == NULL && is_blank(line)))
            continue;
        if (pending != NULL && is_blank(line))
            continue;
        /* docker joins the lines as they are, minus the escape and the newline */
        char *t = pending == NULL ? trim(line) : rtrim(line);
        bool more = continues(t, cf->escape);
        if (pending == NULL) {
            pending = strdup(t);
            pending_line = lineno;
        } else {
            char *joined = NULL;
            if (asprintf(&joined, "%s%s", pending, t) < 0)
                abort();
            free(pending);
            pending = joined;
        }
        if (!more) {
            r = make_instruction(cf, pending, pending_line, err);
            free(pending);
            pending = NULL;
        }
    }
    if (r == 0 && pending != NULL)
        r = make_instruction(cf, pending, pending_line, err);
    free(pending);
    if (r == 0 && cf->n == 0)
        r = hull_error(err, 0, "%s: the file has no instructions", path);
    if (r == 0 && strcmp(cf->ins[0].keyword, "FROM") != 0) {
        /* Only ARG may come before the first FROM. */
        size_t i = 0;
        while (i < cf->n && strcmp(cf->ins[i].keyword, "ARG") == 0)
            i++;
        if (i == cf->n || strcmp(cf->ins[i].keyword, "FROM") != 0)
            r = hull_error(err, 0,
                           "%s:%d: no build stage in current context: the first instruction "
                           "must be FROM (only ARG may come before it)",
                           path, cf->ins[i < cf->n ? i : 0].line);
    }
    if (r < 0) {
        containerfile_free(cf);
        return -1;
    }
    *out = cf;
    return 0;
}

void containerfile_free(struct containerfile *cf)
{
    if (cf == NULL)
        return;
    for (size_t i = 0; i < cf->n; i++) {
        free(cf->ins[i].keyword);
        free(cf->ins[i].args);
        free(cf->ins[i].original);
        hull_strvfree(cf->ins[i].flags);
        hull_strvfree(cf->ins[i].argv);
    }
    free(cf->ins);
    free(cf->path);
    free(cf);
}

const char *cf_flag(const struct cf_instruction *in, const char *name)
{
    size_t len = strlen(name);
    for (char **f = in->flags; f && *f; f++) {
        const char *s = *f + 2;
        if (strncmp(s, name, len) == 0 && (s[len] == '=' || s[len] == '\0'))
            return s[len] == '=' ? s + len + 1 : "";
    }
    return NULL;
}
