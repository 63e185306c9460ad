/* docker's ignore-file rules (see ignore.h). */
#include "builder/ignore.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

struct ignore_pattern {
    char **parts; /* components; "**" is any number of components */
    size_t n;
    bool exception;
};

struct ignore_rules {
    struct ignore_pattern *p;
    size_t n;
    bool exceptions;
};

/* Split a cleaned relative path into components, resolving "." and ".." lexically. */
static char **components(const char *path, size_t *n_out)
{
    char **parts = NULL;
    size_t n = 0;
    cleanup_free char *copy = strdup(path);
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            if (n > 0)
                free(parts[--n]);
            continue;
        }
        parts = realloc(parts, (n + 1) * sizeof *parts);
        if (parts == NULL)
            abort();
        parts[n++] = strdup(c);
    }
    *n_out = n;
    return parts;
}

struct ignore_rules *ignore_parse(const char *text)
{
    struct ignore_rules *r = calloc(1, sizeof *r);
    cleanup_free char *copy = strdup(text ? text : "");
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t len = strlen(line);
        while (len > 0 && strchr(" \t\r", line[len - 1]))
            line[--len] = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        struct ignore_pattern p = {0};
        if (*line == '!') {
            p.exception = true;
            r->exceptions = true;
            line++;
            while (*line == ' ' || *line == '\t')
                line++;
        }
        p.parts = components(line, &p.n);
        if (p.n == 0) {
            free(p.parts);
            continue;
        }
        r->p = realloc(r->p, (r->n + 1) * sizeof *r->p);
        if (r->p == NULL)
            abort();
        r->p[r->n++] = p;
    }
    return r;
}

int ignore_load(int context_fd, struct ignore_rules **out, hull_err **err)
{
    static const char *const names[] = {".containerignore", ".dockerignore", NULL};
    for (const char *const *n = names; *n; n++) {
        cleanup_free char *text = NULL;
        if (fs_read_file_at(context_fd, *n, 1 << 20, &text, NULL, err) == 0) {
            *out = ignore_parse(text);
            return 0;
        }
        if ((*err)->errnum != ENOENT)
            return hull_error_prefix(err, "build context");
        hull_err_freep(err);
    }
    *out = ignore_parse(NULL);
    return 0;
}

void ignore_free(struct ignore_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++) {
        for (size_t j = 0; j < r->p[i].n; j++)
            free(r->p[i].parts[j]);
        free(r->p[i].parts);
    }
    free(r->p);
    free(r);
}

/* Pattern components pat[0..np) against path components path[0..n), all of them. */
static bool match_parts(char *const *pat, size_t np, char *const *path, size_t n)
{
    if (np == 0)
        return n == 0;
    if (strcmp(pat[0], "**") == 0) {
        for (size_t skip = 0; skip <= n; skip++)
            if (match_parts(pat + 1, np - 1, path + skip, n - skip))
                return true;
        return false;
    }
    if (n == 0 || fnmatch(pat[0], path[0], 0) != 0)
        return false;
    return match_parts(pat + 1, np - 1, path + 1, n - 1);
}

bool ignore_excluded(const struct ignore_rules *r, const char *path)
{
    if (r == NULL || r->n == 0)
        return false;
    size_t n = 0;
    char **parts = components(path, &n);
    bool excluded = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct ignore_pattern *p = &r->p[i];
        bool m = false;
        /* The path itself or one of its parents. */
        for (size_t len = n; len >= 1 && !m; len--)
            m = match_parts(p->parts, p->n, parts, len);
        if (m)
            excluded = !p->exception;
    }
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    return excluded;
}

bool ignore_has_exceptions(const struct ignore_rules *r)
{
    return r != NULL && r->exceptions;
}
