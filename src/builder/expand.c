/* docker's word rules (see expand.h). */
#include "builder/expand.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

struct buf {
    char *s;
    size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (b->s == NULL)
            abort();
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void putc_(struct buf *b, char c)
{
    put(b, &c, 1);
}

const char *vars_get(char *const *vars, const char *key)
{
    size_t klen = strlen(key);
    const char *found = NULL;
    for (; vars && *vars; vars++)
        if (strncmp(*vars, key, klen) == 0 && (*vars)[klen] == '=')
            found = *vars + klen + 1;
    return found;
}

void vars_set(char ***vars, const char *key, const char *value)
{
    size_t klen = strlen(key), n = 0;
    char *entry = NULL;
    if (asprintf(&entry, "%s=%s", key, value) < 0)
        abort();
    for (char **v = *vars; v && *v; v++, n++)
        if (strncmp(*v, key, klen) == 0 && (*v)[klen] == '=') {
            free(*v);
            *v = entry;
            return;
        }
    *vars = realloc(*vars, (n + 2) * sizeof **vars);
    if (*vars == NULL)
        abort();
    (*vars)[n] = entry;
    (*vars)[n + 1] = NULL;
}

struct lexer {
    const char *p;
    char escape;
    char *const *vars;
    hull_err **err;
};

static int lex_word(struct lexer *lx, struct buf *out, const char *stop);

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* After '$'. */
static int lex_variable(struct lexer *lx, struct buf *out)
{
    if (*lx->p != '{') {
        const char *start = lx->p;
        while (name_char(*lx->p))
            lx->p++;
        if (lx->p == start) {
            putc_(out, '$');
            return 0;
        }
        cleanup_free char *name = strndup(start, (size_t)(lx->p - start));
        const char *v = vars_get(lx->vars, name);
        if (v)
            put(out, v, strlen(v));
        return 0;
    }
    lx->p++;
    const char *start = lx->p;
    while (name_char(*lx->p))
        lx->p++;
    cleanup_free char *name = strndup(start, (size_t)(lx->p - start));
    if (*name == '\0')
        return hull_error(lx->err, 0, "bad substitution: `${%.20s`", start);
    const char *value = vars_get(lx->vars, name);
    if (*lx->p == '}') {
        lx->p++;
        if (value)
            put(out, value, strlen(value));
        return 0;
    }
    if (*lx->p == '\0')
        return hull_error(lx->err, 0, "missing '}' in substitution of `%s`", name);
    bool colon = false;
    if (*lx->p == ':') {
        colon = true;
        lx->p++;
    }
    char op = *lx->p;
    if (op != '-' && op != '+' && op != '?')
        return hull_error(lx->err, 0, "unsupported modifier (%c) in substitution of `%s`",
                          op ? op : ' ', name);
    lx->p++;
    struct buf word = {0};
    put(&word, "", 0);
    if (lex_word(lx, &word, "}") < 0) {
        free(word.s);
        return -1;
    }
    if (*lx->p != '}') {
        free(word.s);
        return hull_error(lx->err, 0, "missing '}' in substitution of `%s`", name);
    }
    lx->p++;
    bool set = value != NULL && (!colon || *value != '\0');
    if (op == '-')
        put(out, set ? value : word.s, strlen(set ? value : word.s));
    else if (op == '+')
        put(out, set ? word.s : "", set ? word.len : 0);
    else if (!set) {
        int r =
            hull_error(lx->err, 0, "%s: %s", name, *word.s ? word.s : "is not allowed to be unset");
        free(word.s);
        return r;
    } else
        put(out, value, strlen(value));
    free(word.s);
    return 0;
}

static int lex_double(struct lexer *lx, struct buf *out)
{
    lx->p++;
    for (;;) {
        char c = *lx->p;
        if (c == '\0')
            return hull_error(lx->err, 0, "unexpected end of text: missing '\"'");
        if (c == '"') {
            lx->p++;
            return 0;
        }
        if (c == lx->escape && lx->p[1] != '\0') {
            char n = lx->p[1];
            if (n == '"' || n == '$' || n == lx->escape) {
                putc_(out, n);
                lx->p += 2;
                continue;
            }
            putc_(out, c);
            lx->p++;
            continue;
        }
        if (c == '$') {
            lx->p++;
            if (lex_variable(lx, out) < 0)
                return -1;
            continue;
        }
        putc_(out, c);
        lx->p++;
    }
}

/* One word up to the end of the text or a character of `stop` (not consumed). */
static int lex_word(struct lexer *lx, struct buf *out, const char *stop)
{
    while (*lx->p && !(stop && strchr(stop, *lx->p))) {
        char c = *lx->p;
        if (c == '\'') {
            const char *end = strchr(lx->p + 1, '\'');
            if (end == NULL)
                return hull_error(lx->err, 0, "unexpected end of text: missing \"'\"");
            put(out, lx->p + 1, (size_t)(end - lx->p - 1));
            lx->p = end + 1;
        } else if (c == '"') {
            if (lex_double(lx, out) < 0)
                return -1;
        } else if (c == lx->escape) {
            lx->p++;
            if (*lx->p) {
                putc_(out, *lx->p);
                lx->p++;
            }
        } else if (c == '$') {
            lx->p++;
            if (lex_variable(lx, out) < 0)
                return -1;
        } else {
            putc_(out, c);
            lx->p++;
        }
    }
    return 0;
}

int expand_word(const char *word, char escape, char *const *vars, char **out, hull_err **err)
{
    struct lexer lx = {.p = word, .escape = escape, .vars = vars, .err = err};
    struct buf b = {0};
    put(&b, "", 0);
    if (lex_word(&lx, &b, NULL) < 0) {
        free(b.s);
        return -1;
    }
    *out = b.s;
    return 0;
}

char **split_words(const char *text, char escape)
{
    char **words = calloc(1, sizeof *words);
    size_t n = 0;
    const char *p = text;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            break;
        const char *start = p;
        char quote = 0;
        while (*p && (quote || !isspace((unsigned char)*p))) {
            if (*p == escape && quote != '\'' && p[1]) {
                p += 2;
                continue;
            }
            if (quote && *p == quote)
                quote = 0;
            else if (!quote && (*p == '"' || *p == '\''))
                quote = *p;
            p++;
        }
        words = realloc(words, (n + 2) * sizeof *words);
        if (words == NULL)
            abort();
        words[n++] = strndup(start, (size_t)(p - start));
        words[n] = NULL;
    }
    return words;
}

int expand_words(const char *text, char escape, char *const *vars, char ***out, hull_err **err)
{
    char **words = split_words(text, escape);
    for (char **w = words; *w; w++) {
        char *x = NULL;
        if (expand_word(*w, escape, vars, &x, err) < 0) {
            hull_strvfree(words);
            return -1;
        }
        free(*w);
        *w = x;
    }
    *out = words;
    return 0;
}
