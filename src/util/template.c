/* Go text/template over JSON (see template.h): a lexer and parser that build a tree of nodes, an
 * evaluator with Go's semantics (truthiness, variable scopes, missingkey=error), the builtin
 * functions of Go and docker, and Go's tabwriter for docker's `table` formats. */
#include "util/template.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"

/* ---- tree ---- */

enum arg_kind { A_DOT, A_FIELD, A_VAR, A_PIPE, A_CONST, A_FUNC };

struct pipe;

struct arg {
    enum arg_kind kind;
    size_t pos, end; /* source span */
    char *name;      /* A_VAR: "$x"; A_FUNC: the function */
    char **fields;   /* A_FIELD, A_VAR, A_PIPE: the .A.B chain */
    size_t nfields;
    json_t *value;    /* A_CONST */
    struct pipe *sub; /* A_PIPE */
};

struct cmd {
    size_t pos;
    struct arg **args;
    size_t nargs;
};

struct pipe {
    size_t pos;
    char *vars[2]; /* declared or assigned variables */
    size_t nvars;
    bool assign; /* `=` rather than `:=` */
    struct cmd **cmds;
    size_t ncmds;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH, N_BREAK, N_CONTINUE };

struct node;
struct list {
    struct node **v;
    size_t n;
};

struct node {
    enum node_kind kind;
    size_t pos;
    char *text; /* N_TEXT */
    size_t len;
    struct pipe *pipe;
    struct list body, alt; /* alt: the else branch */
};

struct hull_template {
    char *text;
    struct list root;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (p == NULL)
        abort();
    return p;
}

static void *xrealloc(void *p, size_t n, size_t size)
{
    p = reallocarray(p, n ? n : 1, size);
    if (p == NULL)
        abort();
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (p == NULL)
        abort();
    return p;
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    return msg;
}

/* Text built with stdio: open, write to .f, then take the text or a JSON string of it. */
struct text_buf {
    char *buf;
    size_t size;
    FILE *f;
};

static FILE *text_open(struct text_buf *t)
{
    *t = (struct text_buf){0};
    t->f = open_memstream(&t->buf, &t->size);
    if (t->f == NULL)
        abort();
    return t->f;
}

static char *text_take(struct text_buf *t)
{
    fclose(t->f);
    return t->buf;
}

static json_t *text_json(struct text_buf *t)
{
    fclose(t->f);
    json_t *r = json_stringn(t->buf, t->size);
    free(t->buf);
    return r ? r : json_string("");
}

static void pipe_free(struct pipe *p);

static void arg_free(struct arg *a)
{
    if (a == NULL)
        return;
    free(a->name);
    for (size_t i = 0; i < a->nfields; i++)
        free(a->fields[i]);
    free(a->fields);
    json_decref(a->value);
    pipe_free(a->sub);
    free(a);
}

static void pipe_free(struct pipe *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nvars; i++)
        free(p->vars[i]);
    for (size_t i = 0; i < p->ncmds; i++) {
        for (size_t j = 0; j < p->cmds[i]->nargs; j++)
            arg_free(p->cmds[i]->args[j]);
        free(p->cmds[i]->args);
        free(p->cmds[i]);
    }
    free(p->cmds);
    free(p);
}

static void list_free(struct list *l);

static void node_free(struct node *n)
{
    free(n->text);
    pipe_free(n->pipe);
    list_free(&n->body);
    list_free(&n->alt);
    free(n);
}

static void list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        node_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void list_add(struct list *l, struct node *n)
{
    l->v = xrealloc(l->v, l->n + 1, sizeof *l->v);
    l->v[l->n++] = n;
}

void template_free(hull_template *t)
{
    if (t == NULL)
        return;
    list_free(&t->root);
    free(t->text);
    free(t);
}

void template_freep(hull_template **t)
{
    template_free(*t);
}

/* ---- lexer: one action's tokens ---- */

enum tok_kind {
    T_FIELD,
    T_VAR,
    T_DOT,
    T_CONST,
    T_IDENT,
    T_PIPE,
    T_LPAREN,
    T_RPAREN,
    T_DECLARE,
    T_ASSIGN,
    T_COMMA,
};

struct token {
    enum tok_kind kind;
    size_t pos, end;
    char *name; /* T_VAR "$x", T_IDENT */
    char **fields;
    size_t nfields;
    json_t *value; /* T_CONST */
};

struct parser {
    const char *text;
    size_t pos;
    bool trim_next; /* the last action ended with " -}}" */
    int range_depth;
    hull_err **err;
    /* the current action's tokens */
    struct token *toks;
    size_t ntoks;
};

static int line_of(const char *text, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

static int parse_error(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_error(struct parser *p, size_t pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cleanup_free char *msg = vformat(fmt, ap);
    va_end(ap);
    return hull_error(p->err, 0, "template: :%d: %s", line_of(p->text, pos), msg);
}

static void tokens_clear(struct parser *p)
{
    for (size_t i = 0; i < p->ntoks; i++) {
        free(p->toks[i].name);
        for (size_t j = 0; j < p->toks[i].nfields; j++)
            free(p->toks[i].fields[j]);
        free(p->toks[i].fields);
        json_decref(p->toks[i].value);
    }
    free(p->toks);
    p->toks = NULL;
    p->ntoks = 0;
}

static struct token *token_add(struct parser *p, enum tok_kind kind, size_t pos)
{
    p->toks = xrealloc(p->toks, p->ntoks + 1, sizeof *p->toks);
    struct token *t = &p->toks[p->ntoks++];
    *t = (struct token){.kind = kind, .pos = pos, .end = pos + 1};
    return t;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* .A.B.C starting at s[i] == '.': appends the names, returns the index after them. */
static size_t lex_fields(const char *s, size_t i, struct token *t)
{
    while (s[i] == '.' && is_ident(s[i + 1])) {
        size_t start = ++i;
        while (is_ident(s[i]))
            i++;
        t->fields = xrealloc(t->fields, t->nfields + 1, sizeof *t->fields);
        t->fields[t->nfields++] = xstrndup(s + start, i - start);
    }
    return i;
}

static void put_utf8(FILE *f, unsigned long cp)
{
    if (cp < 0x80) {
        fputc((int)cp, f);
    } else if (cp < 0x800) {
        fputc((int)(0xc0 | (cp >> 6)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else if (cp < 0x10000) {
        fputc((int)(0xe0 | (cp >> 12)), f);
        fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    } else {
        fputc((int)(0xf0 | (cp >> 18)), f);
        fputc((int)(0x80 | ((cp >> 12) & 0x3f)), f);
        fputc((int)(0x80 | ((cp >> 6) & 0x3f)), f);
        fputc((int)(0x80 | (cp & 0x3f)), f);
    }
}

/* A quoted string literal at s[i] == '"' (Go's escapes); returns the index after it or 0. */
static size_t lex_string(struct parser *p, size_t i, struct token *t)
{
    const char *s = p->text;
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL)
        abort();
    size_t start = i++;
    for (;;) {
        char c = s[i];
        if (c == '\0' || c == '\n') {
            fclose(f);
            free(buf);
            parse_error(p, start, "unterminated quoted string");
            return 0;
        }
        i++;
        if (c == '"')
            break;
        if (c != '\\') {
            fputc(c, f);
            continue;
        }
        char e = s[i++];
        static const char from[] = "abfnrtv\\\"'", to[] = "\a\b\f\n\r\t\v\\\"'";
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            fputc(to[k - from], f);
        } else if (e == 'x' || e == 'u' || e == 'U') {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            unsigned long v = 0;
            for (int d = 0; d < digits; d++) {
                int h = str_hex_digit((unsigned char)s[i]);
                if (h < 0) {
                    fclose(f);
                    free(buf);
                    parse_error(p, start, "invalid syntax in quoted string");
                    return 0;
                }
                v = v * 16 + (unsigned long)h;
                i++;
            }
            if (e == 'x')
                fputc((int)v, f);
            else
                put_utf8(f, v);
        } else {
            fclose(f);
            free(buf);
            parse_error(p, start, "invalid syntax in quoted string");
            return 0;
        }
    }
    fclose(f);
    t->value = json_stringn(buf, size);
    free(buf);
    if (t->value == NULL) {
        parse_error(p, start, "quoted string is not valid UTF-8");
        return 0;
    }
    return i;
}

static size_t lex_number(struct parser *p, size_t i, struct token *t)
{
    const char *s = p->text + i;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno == 0 && !is_ident(*end) && *end != '.') {
        t->value = json_integer(v);
        return i + (size_t)(end - s);
    }
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || is_ident(*end)) {
        parse_error(p, i, "bad number syntax: \"%.*s\"", (int)strcspn(s, " })|"), s);
        return 0;
    }
    t->value = json_real(d);
    return i + (size_t)(end - s);
}

/* Lex the action starting after "{{" (and its trim marker) at p->pos up to "}}"; sets
 * *trim_after for " -}}" and leaves p->pos after "}}". */
static int lex_action(struct parser *p, size_t open, bool *trim_after)
{
    const char *s = p->text;
    size_t i = p->pos;
    tokens_clear(p);
    *trim_after = false;
    for (;;) {
        size_t ws = i;
        while (is_space(s[i]))
            i++;
        if (s[i] == '\0')
            return parse_error(p, open, "unclosed action");
        if (s[i] == '-' && s[i + 1] == '}' && s[i + 2] == '}' && i > ws) {
            *trim_after = true;
            p->pos = i + 3;
            return 0;
        }
        if (s[i] == '}' && s[i + 1] == '}') {
            p->pos = i + 2;
            return 0;
        }
        char c = s[i];
        struct token *t;
        if (c == '"') {
            t = token_add(p, T_CONST, i);
            if ((i = lex_string(p, i, t)) == 0)
                return -1;
        } else if (c == '`') {
            const char *close = strchr(s + i + 1, '`');
            if (close == NULL)
                return parse_error(p, i, "unterminated raw quoted string");
            t = token_add(p, T_CONST, i);
            t->value = json_stringn(s + i + 1, (size_t)(close - s - i - 1));
            if (t->value == NULL)
                return parse_error(p, i, "raw string is not valid UTF-8");
            i = (size_t)(close - s) + 1;
        } else if (c == '.' && is_ident(s[i + 1]) && !isdigit((unsigned char)s[i + 1])) {
            t = token_add(p, T_FIELD, i);
            i = lex_fields(s, i, t);
        } else if (c == '.' && isdigit((unsigned char)s[i + 1])) {
            t = token_add(p, T_CONST, i);
            if ((i = lex_number(p, i, t)) == 0)
                return -1;
        } else if (c == '.') {
            t = token_add(p, T_DOT, i);
            i++;
        } else if (c == '$') {
            t = token_add(p, T_VAR, i);
            size_t start = i++;
            while (is_ident(s[i]))
                i++;
            t->name = xstrndup(s + start, i - start);
            i = lex_fields(s, i, t);
        } else if (isdigit((unsigned char)c) ||
                   ((c == '-' || c == '+') &&
                    (isdigit((unsigned char)s[i + 1]) ||
                     (s[i + 1] == '.' && isdigit((unsigned char)s[i + 2]))))) {
            t = token_add(p, T_CONST, i);
            if ((i = lex_number(p, i, t)) == 0)
                return -1;
        } else if (is_ident(c)) {
            size_t start = i;
            while (is_ident(s[i]))
                i++;
            size_t len = i - start;
            if (len == 4 && strncmp(s + start, "true", 4) == 0) {
                t = token_add(p, T_CONST, start);
                t->value = json_true();
            } else if (len == 5 && strncmp(s + start, "false", 5) == 0) {
                t = token_add(p, T_CONST, start);
                t->value = json_false();
            } else if (len == 3 && strncmp(s + start, "nil", 3) == 0) {
                t = token_add(p, T_CONST, start);
                t->value = json_null();
            } else {
                t = token_add(p, T_IDENT, start);
                t->name = xstrndup(s + start, len);
            }
        } else if (c == '|') {
            t = token_add(p, T_PIPE, i++);
        } else if (c == '(') {
            t = token_add(p, T_LPAREN, i++);
        } else if (c == ')') {
            t = token_add(p, T_RPAREN, i++);
            /* (pipeline).Field */
            if (s[i] == '.' && is_ident(s[i + 1])) {
                struct token *f = token_add(p, T_FIELD, i);
                i = lex_fields(s, i, f);
                f->end = i;
                p->toks[p->ntoks - 2].end = p->toks[p->ntoks - 2].pos + 1;
                continue;
            }
        } else if (c == ':' && s[i + 1] == '=') {
            t = token_add(p, T_DECLARE, i);
            i += 2;
        } else if (c == '=') {
            t = token_add(p, T_ASSIGN, i++);
        } else if (c == ',') {
            t = token_add(p, T_COMMA, i++);
        } else {
            return parse_error(p, i, "unexpected \"%c\" in command", c);
        }
        t->end = i;
    }
}

/* ---- parser ---- */

struct func;
static const struct func *find_func(const char *name);

static const char *token_desc(const struct token *t)
{
    switch (t->kind) {
    case T_PIPE:
        return "\"|\"";
    case T_RPAREN:
        return "\")\"";
    case T_LPAREN:
        return "\"(\"";
    case T_DECLARE:
        return "\":=\"";
    case T_ASSIGN:
        return "\"=\"";
    case T_COMMA:
        return "\",\"";
    default:
        return "token";
    }
}

static struct pipe *parse_pipeline(struct parser *p, size_t *i, size_t end, bool decl_ok,
                                   int max_vars, bool in_parens);

static void take_fields(struct arg *a, struct token *t)
{
    a->fields = t->fields;
    a->nfields = t->nfields;
    t->fields = NULL;
    t->nfields = 0;
}

static struct arg *parse_operand(struct parser *p, size_t *i, size_t end)
{
    struct token *t = &p->toks[*i];
    struct arg *a = xcalloc(1, sizeof *a);
    a->pos = t->pos;
    a->end = t->end;
    switch (t->kind) {
    case T_DOT:
        a->kind = A_DOT;
        break;
    case T_FIELD:
        a->kind = A_FIELD;
        take_fields(a, t);
        break;
    case T_VAR:
        a->kind = A_VAR;
        a->name = steal_pointer(&t->name);
        take_fields(a, t);
        break;
    case T_CONST:
        a->kind = A_CONST;
        a->value = steal_pointer(&t->value);
        break;
    case T_IDENT:
        if (find_func(t->name) == NULL) {
            static const char *const keywords[] = {"if",    "else",     "end",      "range",
                                                   "with",  "break",    "continue", "define",
                                                   "block", "template", NULL};
            for (const char *const *k = keywords; *k; k++)
                if (strcmp(*k, t->name) == 0) {
                    parse_error(p, t->pos, "unexpected <%s> in command", t->name);
                    free(a);
                    return NULL;
                }
            parse_error(p, t->pos, "function \"%s\" not defined", t->name);
            free(a);
            return NULL;
        }
        a->kind = A_FUNC;
        a->name = steal_pointer(&t->name);
        break;
    case T_LPAREN: {
        (*i)++;
        a->kind = A_PIPE;
        a->sub = parse_pipeline(p, i, end, false, 0, true);
        if (a->sub == NULL) {
            free(a);
            return NULL;
        }
        /* *i is at ")" */
        a->end = p->toks[*i].end;
        if (*i + 1 < end && p->toks[*i + 1].kind == T_FIELD &&
            p->toks[*i + 1].pos == p->toks[*i].pos + 1) {
            (*i)++;
            take_fields(a, &p->toks[*i]);
            a->end = p->toks[*i].end;
        }
        break;
    }
    default:
        parse_error(p, t->pos, "unexpected %s in operand", token_desc(t));
        free(a);
        return NULL;
    }
    (*i)++;
    return a;
}

static struct cmd *parse_command(struct parser *p, size_t *i, size_t end)
{
    struct cmd *c = xcalloc(1, sizeof *c);
    c->pos = *i < end ? p->toks[*i].pos : p->pos;
    while (*i < end && p->toks[*i].kind != T_PIPE && p->toks[*i].kind != T_RPAREN) {
        struct arg *a = parse_operand(p, i, end);
        if (a == NULL) {
            for (size_t j = 0; j < c->nargs; j++)
                arg_free(c->args[j]);
            free(c->args);
            free(c);
            return NULL;
        }
        c->args = xrealloc(c->args, c->nargs + 1, sizeof *c->args);
        c->args[c->nargs++] = a;
    }
    if (c->nargs == 0) {
        parse_error(p, c->pos, "missing value for command");
        free(c);
        return NULL;
    }
    return c;
}

/* [$a [, $b] (:= | =)] cmd [| cmd]...; in parentheses it ends at ")" (left at *i). */
static struct pipe *parse_pipeline(struct parser *p, size_t *i, size_t end, bool decl_ok,
                                   int max_vars, bool in_parens)
{
    struct pipe *pp = xcalloc(1, sizeof *pp);
    pp->pos = *i < end ? p->toks[*i].pos : p->pos;
    struct token *t = p->toks;
    if (decl_ok && *i + 1 < end && t[*i].kind == T_VAR && t[*i].nfields == 0) {
        if (t[*i + 1].kind == T_DECLARE || t[*i + 1].kind == T_ASSIGN) {
            pp->vars[pp->nvars++] = steal_pointer(&t[*i].name);
            pp->assign = t[*i + 1].kind == T_ASSIGN;
            *i += 2;
        } else if (max_vars == 2 && *i + 3 < end && t[*i + 1].kind == T_COMMA &&
                   t[*i + 2].kind == T_VAR && t[*i + 2].nfields == 0 &&
                   (t[*i + 3].kind == T_DECLARE || t[*i + 3].kind == T_ASSIGN)) {
            pp->vars[pp->nvars++] = steal_pointer(&t[*i].name);
            pp->vars[pp->nvars++] = steal_pointer(&t[*i + 2].name);
            pp->assign = t[*i + 3].kind == T_ASSIGN;
            *i += 4;
        }
    }
    for (;;) {
        struct cmd *c = parse_command(p, i, end);
        if (c == NULL) {
            pipe_free(pp);
            return NULL;
        }
        pp->cmds = xrealloc(pp->cmds, pp->ncmds + 1, sizeof *pp->cmds);
        pp->cmds[pp->ncmds++] = c;
        if (*i < end && t[*i].kind == T_PIPE) {
            (*i)++;
            continue;
        }
        break;
    }
    if (in_parens) {
        if (*i >= end || t[*i].kind != T_RPAREN) {
            parse_error(p, pp->pos, "unclosed left paren");
            pipe_free(pp);
            return NULL;
        }
        return pp;
    }
    if (*i < end) {
        parse_error(p, t[*i].pos, "unexpected %s in operand", token_desc(&t[*i]));
        pipe_free(pp);
        return NULL;
    }
    return pp;
}

enum list_end { END_EOF, END_END, END_ELSE };

static int parse_list(struct parser *p, struct list *out, enum list_end *how, size_t *else_tok);

static bool tok_is(const struct parser *p, size_t i, const char *ident)
{
    return i < p->ntoks && p->toks[i].kind == T_IDENT && strcmp(p->toks[i].name, ident) == 0;
}

/* if/with/range starting at token `first` (its keyword); parses through the matching end. */
static struct node *parse_control(struct parser *p, enum node_kind kind, size_t first)
{
    struct node *n = xcalloc(1, sizeof *n);
    n->kind = kind;
    n->pos = p->toks[first].pos;
    size_t i = first + 1;
    if (i >= p->ntoks) {
        parse_error(p, n->pos, "missing value for %s", p->toks[first].name);
        free(n);
        return NULL;
    }
    n->pipe = parse_pipeline(p, &i, p->ntoks, true, kind == N_RANGE ? 2 : 1, false);
    if (n->pipe == NULL) {
        free(n);
        return NULL;
    }
    if (kind == N_RANGE)
        p->range_depth++;
    enum list_end how;
    size_t else_tok = 0;
    int rc = parse_list(p, &n->body, &how, &else_tok);
    if (kind == N_RANGE)
        p->range_depth--;
    if (rc < 0)
        goto fail;
    if (how == END_EOF) {
        parse_error(p, strlen(p->text), "unexpected EOF");
        goto fail;
    }
    if (how == END_ELSE) {
        if (else_tok + 1 < p->ntoks) {
            /* else if / else with: a nested node that takes our end */
            enum node_kind nested;
            if (tok_is(p, else_tok + 1, "if"))
                nested = N_IF;
            else if (tok_is(p, else_tok + 1, "with"))
                nested = N_WITH;
            else {
                parse_error(p, p->toks[else_tok + 1].pos, "unexpected %s in else",
                            p->toks[else_tok + 1].name ? p->toks[else_tok + 1].name : "token");
                goto fail;
            }
            struct node *inner = parse_control(p, nested, else_tok + 1);
            if (inner == NULL)
                goto fail;
            list_add(&n->alt, inner);
            return n;
        }
        if (parse_list(p, &n->alt, &how, &else_tok) < 0)
            goto fail;
        if (how != END_END) {
            parse_error(p, how == END_EOF ? strlen(p->text) : p->toks[else_tok].pos,
                        how == END_EOF ? "unexpected EOF" : "expected end; found {{else}}");
            goto fail;
        }
    }
    return n;
fail:
    node_free(n);
    return NULL;
}

static void add_text(struct list *out, const char *s, size_t len, size_t pos)
{
    if (len == 0)
        return;
    struct node *n = xcalloc(1, sizeof *n);
    n->kind = N_TEXT;
    n->pos = pos;
    n->text = xstrndup(s, len);
    n->len = len;
    list_add(out, n);
}

static int parse_list(struct parser *p, struct list *out, enum list_end *how, size_t *else_tok)
{
    const char *s = p->text;
    for (;;) {
        const char *open = strstr(s + p->pos, "{{");
        size_t text_start = p->pos;
        size_t text_end = open ? (size_t)(open - s) : strlen(s);
        if (p->trim_next)
            while (text_start < text_end && is_space(s[text_start]))
                text_start++;
        p->trim_next = false;
        if (open == NULL) {
            add_text(out, s + text_start, text_end - text_start, text_start);
            p->pos = text_end;
            *how = END_EOF;
            return 0;
        }
        size_t at = text_end + 2;
        if (s[at] == '-' && is_space(s[at + 1])) {
            while (text_end > text_start && is_space(s[text_end - 1]))
                text_end--;
            at += 2;
        }
        add_text(out, s + text_start, text_end - text_start, text_start);
        size_t open_pos = (size_t)(open - s);
        while (is_space(s[at]))
            at++;
        if (strncmp(s + at, "/*", 2) == 0) {
            const char *close = strstr(s + at + 2, "*/");
            if (close == NULL)
                return parse_error(p, open_pos, "unclosed comment");
            size_t j = (size_t)(close - s) + 2;
            bool trim = false;
            if (s[j] == ' ' && s[j + 1] == '-' && s[j + 2] == '}' && s[j + 3] == '}') {
                trim = true;
                j += 2;
            }
            if (s[j] != '}' || s[j + 1] != '}')
                return parse_error(p, open_pos, "comment ends before closing delimiter");
            p->pos = j + 2;
            p->trim_next = trim;
            continue;
        }
        p->pos = at;
        bool trim_after;
        if (lex_action(p, open_pos, &trim_after) < 0)
            return -1;
        p->trim_next = trim_after;
        if (p->ntoks == 0)
            return parse_error(p, open_pos, "missing value for command");
        if (tok_is(p, 0, "end")) {
            if (p->ntoks > 1)
                return parse_error(p, p->toks[1].pos, "unexpected %s in end",
                                   token_desc(&p->toks[1]));
            *how = END_END;
            return 0;
        }
        if (tok_is(p, 0, "else")) {
            *how = END_ELSE;
            *else_tok = 0;
            return 0;
        }
        struct node *n = NULL;
        if (tok_is(p, 0, "if") || tok_is(p, 0, "with") || tok_is(p, 0, "range")) {
            enum node_kind kind = tok_is(p, 0, "if")     ? N_IF
                                  : tok_is(p, 0, "with") ? N_WITH
                                                         : N_RANGE;
            n = parse_control(p, kind, 0);
            if (n == NULL)
                return -1;
        } else if (tok_is(p, 0, "break") || tok_is(p, 0, "continue")) {
            bool brk = tok_is(p, 0, "break");
            if (p->range_depth == 0)
                return parse_error(p, p->toks[0].pos, "{{%s}} outside {{range}}",
                                   brk ? "break" : "continue");
            if (p->ntoks > 1)
                return parse_error(p, p->toks[1].pos, "unexpected %s in {{%s}}",
                                   token_desc(&p->toks[1]), brk ? "break" : "continue");
            n = xcalloc(1, sizeof *n);
            n->kind = brk ? N_BREAK : N_CONTINUE;
            n->pos = p->toks[0].pos;
        } else if (tok_is(p, 0, "define") || tok_is(p, 0, "template") || tok_is(p, 0, "block")) {
            return parse_error(p, p->toks[0].pos, "{{%s}} is not supported", p->toks[0].name);
        } else {
            n = xcalloc(1, sizeof *n);
            n->kind = N_ACTION;
            n->pos = p->toks[0].pos;
            size_t i = 0;
            n->pipe = parse_pipeline(p, &i, p->ntoks, true, 1, false);
            if (n->pipe == NULL) {
                free(n);
                return -1;
            }
        }
        list_add(out, n);
    }
}

int template_parse(const char *text, hull_template **out, hull_err **err)
{
    struct parser p = {.text = text, .err = err};
    hull_template *t = xcalloc(1, sizeof *t);
    t->text = xstrndup(text, strlen(text));
    p.text = t->text;
    enum list_end how;
    size_t else_tok = 0;
    int rc = parse_list(&p, &t->root, &how, &else_tok);
    if (rc == 0 && how == END_END)
        rc = parse_error(&p, p.pos, "unexpected {{end}}");
    else if (rc == 0 && how == END_ELSE)
        rc = parse_error(&p, p.toks[else_tok].pos, "unexpected {{else}}");
    tokens_clear(&p);
    if (rc < 0) {
        template_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* ---- values ---- */

static size_t text_width_of(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            w++;
    return w;
}

static bool truthy(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
    case JSON_FALSE:
        return false;
    case JSON_TRUE:
        return true;
    case JSON_INTEGER:
        return json_integer_value(v) != 0;
    case JSON_REAL:
        return json_real_value(v) != 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    }
    return false;
}

/* Go's type names for decoded JSON, for error messages. */
static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return "<nil>";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float64";
    case JSON_STRING:
        return "string";
    case JSON_ARRAY:
        return "[]interface {}";
    case JSON_OBJECT:
        return "map[string]interface {}";
    }
    return "?";
}

/* Go's %v of a float64: the shortest digits that round-trip, %e from 1e+06 (strconv g, -1). */
static void print_real(FILE *f, double d)
{
    if (isinf(d)) {
        fputs(d > 0 ? "+Inf" : "-Inf", f);
        return;
    }
    if (isnan(d)) {
        fputs("NaN", f);
        return;
    }
    char buf[64];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    snprintf(buf, sizeof buf, "%.*e", prec - 1, d);
    int exp = atoi(strchr(buf, 'e') + 1);
    if (exp < -4 || exp >= 6) {
        fputs(buf, f);
        return;
    }
    int decimals = prec - 1 - exp;
    fprintf(f, "%.*f", decimals > 0 ? decimals : 0, d);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An object's keys in Go's map order (sorted). */
static const char **sorted_keys(json_t *obj, size_t *n)
{
    const char **keys = xcalloc(json_object_size(obj) + 1, sizeof *keys);
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach(obj, k, v) keys[i++] = k;
    qsort(keys, i, sizeof *keys, key_cmp);
    *n = i;
    return keys;
}

/* Go's fmt %v of a decoded JSON value. */
static void print_value(FILE *f, json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        fputs("<nil>", f);
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    case JSON_INTEGER:
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        print_real(f, json_real_value(v));
        break;
    case JSON_STRING:
        fwrite(json_string_value(v), 1, json_string_length(v), f);
        break;
    case JSON_ARRAY: {
        fputc('[', f);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (i)
                fputc(' ', f);
            print_value(f, e);
        }
        fputc(']', f);
        break;
    }
    case JSON_OBJECT: {
        size_t n;
        cleanup_free const char **keys = sorted_keys(v, &n);
        fputs("map[", f);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "%s%s:", i ? " " : "", keys[i]);
            print_value(f, json_object_get(v, keys[i]));
        }
        fputc(']', f);
        break;
    }
    }
}

static char *value_text(json_t *v)
{
    struct text_buf t;
    print_value(text_open(&t), v);
    return text_take(&t);
}

/* ---- evaluation ---- */

struct var {
    const char *name;
    json_t *value;
};

enum flow { FLOW_NEXT, FLOW_BREAK, FLOW_CONTINUE };

struct exec {
    const char *text;
    FILE *out;
    struct var *vars;
    size_t nvars;
    hull_err **err;
};

static void exec_vprintf_error(struct exec *ex, size_t pos, const char *context, const char *fmt,
                               va_list ap)
{
    cleanup_free char *msg = vformat(fmt, ap);
    size_t col = pos, line = 1;
    for (size_t i = 0; i < pos; i++)
        if (ex->text[i] == '\n') {
            line++;
            col = pos - i - 1;
        }
    hull_error(ex->err, 0, "template: :%zu:%zu: executing \"\" at <%s>: %s", line, col, context,
               msg);
}

static json_t *arg_error(struct exec *ex, const struct arg *a, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *arg_error(struct exec *ex, const struct arg *a, const char *fmt, ...)
{
    cleanup_free char *ctx = xstrndup(ex->text + a->pos, a->end - a->pos);
    va_list ap;
    va_start(ap, fmt);
    exec_vprintf_error(ex, a->pos, ctx, fmt, ap);
    va_end(ap);
    return NULL;
}

/* A command as Go prints it: its operands separated by one blank. */
static char *cmd_text(const struct exec *ex, const struct cmd *c)
{
    struct text_buf t;
    FILE *f = text_open(&t);
    for (size_t i = 0; i < c->nargs; i++)
        fprintf(f, "%s%.*s", i ? " " : "", (int)(c->args[i]->end - c->args[i]->pos),
                ex->text + c->args[i]->pos);
    return text_take(&t);
}

static json_t *cmd_error(struct exec *ex, const struct cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static json_t *cmd_error(struct exec *ex, const struct cmd *c, const char *fmt, ...)
{
    cleanup_free char *ctx = cmd_text(ex, c);
    va_list ap;
    va_start(ap, fmt);
    exec_vprintf_error(ex, c->pos, ctx, fmt, ap);
    va_end(ap);
    return NULL;
}

static json_t *walk_fields(struct exec *ex, const struct arg *a, json_t *v)
{
    for (size_t i = 0; i < a->nfields; i++) {
        const char *name = a->fields[i];
        json_t *next;
        if (json_is_object(v)) {
            next = json_object_get(v, name);
            if (next == NULL) {
                json_decref(v);
                return arg_error(ex, a, "map has no entry for key \"%s\"", name);
            }
        } else if (json_is_null(v)) {
            json_decref(v);
            return arg_error(ex, a, "nil pointer evaluating interface {}.%s", name);
        } else {
            const char *type = type_name(v);
            json_decref(v);
            return arg_error(ex, a, "can't evaluate field %s in type %s", name, type);
        }
        json_incref(next);
        json_decref(v);
        v = next;
    }
    return v;
}

static json_t *lookup_var(struct exec *ex, const struct arg *a)
{
    for (size_t i = ex->nvars; i-- > 0;)
        if (strcmp(ex->vars[i].name, a->name) == 0)
            return json_incref(ex->vars[i].value);
    return arg_error(ex, a, "undefined variable: %s", a->name);
}

static void push_var(struct exec *ex, const char *name, json_t *value)
{
    ex->vars = xrealloc(ex->vars, ex->nvars + 1, sizeof *ex->vars);
    ex->vars[ex->nvars++] = (struct var){.name = name, .value = value};
}

static void pop_vars(struct exec *ex, size_t mark)
{
    while (ex->nvars > mark)
        json_decref(ex->vars[--ex->nvars].value);
}

static json_t *eval_pipeline(struct exec *ex, const struct pipe *p, json_t *dot);
static json_t *call_func(struct exec *ex, const struct cmd *c, json_t *dot, json_t *final);

static json_t *eval_arg(struct exec *ex, const struct arg *a, json_t *dot)
{
    switch (a->kind) {
    case A_DOT:
        return json_incref(dot);
    case A_FIELD:
        return walk_fields(ex, a, json_incref(dot));
    case A_VAR: {
        json_t *v = lookup_var(ex, a);
        return v ? walk_fields(ex, a, v) : NULL;
    }
    case A_PIPE: {
        json_t *v = eval_pipeline(ex, a->sub, dot);
        return v ? walk_fields(ex, a, v) : NULL;
    }
    case A_CONST:
        return json_incref(a->value);
    case A_FUNC: {
        /* a function as an argument: called without arguments */
        struct arg *one[] = {(struct arg *)a};
        struct cmd c = {.pos = a->pos, .args = one, .nargs = 1};
        return call_func(ex, &c, dot, NULL);
    }
    }
    return NULL;
}

/* .Field "key": the object the field names, indexed by key (docker's .Label "k"); a string
 * (a table header) stands for itself. */
static json_t *eval_method(struct exec *ex, const struct cmd *c, json_t *dot, json_t *final)
{
    size_t nextra = c->nargs - 1 + (final != NULL);
    json_t *v = eval_arg(ex, c->args[0], dot);
    if (v == NULL)
        return NULL;
    if (json_is_string(v))
        return v;
    if (!json_is_object(v) || nextra != 1) {
        json_decref(v);
        cleanup_free char *ctx =
            xstrndup(ex->text + c->args[0]->pos, c->args[0]->end - c->args[0]->pos);
        return cmd_error(ex, c, "can't give argument to non-function %s", ctx);
    }
    json_t *key = final ? json_incref(final) : eval_arg(ex, c->args[1], dot);
    if (key == NULL) {
        json_decref(v);
        return NULL;
    }
    if (!json_is_string(key)) {
        json_decref(v);
        json_decref(key);
        return cmd_error(ex, c, "wrong type for value; expected string; got %s", type_name(key));
    }
    json_t *r = json_object_get(v, json_string_value(key));
    r = r ? json_incref(r) : json_string("");
    json_decref(v);
    json_decref(key);
    return r;
}

static json_t *eval_command(struct exec *ex, const struct cmd *c, json_t *dot, json_t *final)
{
    const struct arg *first = c->args[0];
    if (first->kind == A_FUNC)
        return call_func(ex, c, dot, final);
    if (c->nargs > 1 || final != NULL) {
        if (first->nfields > 0)
            return eval_method(ex, c, dot, final);
        cleanup_free char *ctx = xstrndup(ex->text + first->pos, first->end - first->pos);
        return cmd_error(ex, c, "can't give argument to non-function %s", ctx);
    }
    return eval_arg(ex, first, dot);
}

static int set_var(struct exec *ex, const struct pipe *p, const char *name, json_t *value)
{
    if (!p->assign) {
        push_var(ex, name, value);
        return 0;
    }
    for (size_t i = ex->nvars; i-- > 0;)
        if (strcmp(ex->vars[i].name, name) == 0) {
            json_decref(ex->vars[i].value);
            ex->vars[i].value = value;
            return 0;
        }
    json_decref(value);
    hull_error(ex->err, 0, "template: :%d: undefined variable: %s", line_of(ex->text, p->pos),
               name);
    return -1;
}

static json_t *eval_pipeline(struct exec *ex, const struct pipe *p, json_t *dot)
{
    json_t *v = NULL;
    for (size_t i = 0; i < p->ncmds; i++) {
        json_t *next = eval_command(ex, p->cmds[i], dot, v);
        json_decref(v);
        if (next == NULL)
            return NULL;
        v = next;
    }
    return v;
}

static int exec_list(struct exec *ex, const struct list *l, json_t *dot, enum flow *flow);

static int exec_range(struct exec *ex, const struct node *n, json_t *dot, enum flow *flow)
{
    size_t mark = ex->nvars;
    json_t *v = eval_pipeline(ex, n->pipe, dot);
    if (v == NULL)
        return -1;
    int rc = 0;
    size_t count = json_is_array(v)    ? json_array_size(v)
                   : json_is_object(v) ? json_object_size(v)
                                       : 0;
    if (!json_is_array(v) && !json_is_object(v) && !json_is_null(v)) {
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
            count = (size_t)json_integer_value(v);
        } else {
            cleanup_free char *text = value_text(v);
            json_decref(v);
            cmd_error(ex, n->pipe->cmds[n->pipe->ncmds - 1], "range can't iterate over %s", text);
            return -1;
        }
    }
    size_t nkeys = 0;
    cleanup_free const char **keys = json_is_object(v) ? sorted_keys(v, &nkeys) : NULL;
    for (size_t i = 0; i < count && rc == 0; i++) {
        json_t *key, *elem;
        if (json_is_array(v)) {
            key = json_integer((json_int_t)i);
            elem = json_incref(json_array_get(v, i));
        } else if (json_is_object(v)) {
            key = json_string(keys[i]);
            elem = json_incref(json_object_get(v, keys[i]));
        } else {
            key = json_integer((json_int_t)i);
            elem = json_integer((json_int_t)i);
        }
        size_t iter_mark = ex->nvars;
        if (n->pipe->nvars == 2) {
            push_var(ex, n->pipe->vars[0], json_incref(key));
            push_var(ex, n->pipe->vars[1], json_incref(elem));
        } else if (n->pipe->nvars == 1) {
            push_var(ex, n->pipe->vars[0], json_incref(elem));
        }
        enum flow f = FLOW_NEXT;
        rc = exec_list(ex, &n->body, elem, &f);
        pop_vars(ex, iter_mark);
        json_decref(key);
        json_decref(elem);
        if (f == FLOW_BREAK)
            break;
    }
    if (rc == 0 && count == 0)
        rc = exec_list(ex, &n->alt, dot, flow);
    json_decref(v);
    pop_vars(ex, mark);
    return rc;
}

static int exec_node(struct exec *ex, const struct node *n, json_t *dot, enum flow *flow)
{
    switch (n->kind) {
    case N_TEXT:
        fwrite(n->text, 1, n->len, ex->out);
        return 0;
    case N_BREAK:
        *flow = FLOW_BREAK;
        return 0;
    case N_CONTINUE:
        *flow = FLOW_CONTINUE;
        return 0;
    case N_ACTION: {
        json_t *v = eval_pipeline(ex, n->pipe, dot);
        if (v == NULL)
            return -1;
        if (n->pipe->nvars) /* a declaration prints nothing */
            return set_var(ex, n->pipe, n->pipe->vars[0], v);
        print_value(ex->out, v);
        json_decref(v);
        return 0;
    }
    case N_IF:
    case N_WITH: {
        size_t mark = ex->nvars;
        json_t *v = eval_pipeline(ex, n->pipe, dot);
        if (v == NULL)
            return -1;
        if (n->pipe->nvars && set_var(ex, n->pipe, n->pipe->vars[0], json_incref(v)) < 0) {
            json_decref(v);
            return -1;
        }
        int rc;
        if (truthy(v))
            rc = exec_list(ex, &n->body, n->kind == N_WITH ? v : dot, flow);
        else
            rc = exec_list(ex, &n->alt, dot, flow);
        json_decref(v);
        pop_vars(ex, mark);
        return rc;
    }
    case N_RANGE:
        return exec_range(ex, n, dot, flow);
    }
    return 0;
}

static int exec_list(struct exec *ex, const struct list *l, json_t *dot, enum flow *flow)
{
    size_t mark = ex->nvars;
    int rc = 0;
    for (size_t i = 0; i < l->n && rc == 0 && *flow == FLOW_NEXT; i++)
        rc = exec_node(ex, l->v[i], dot, flow);
    pop_vars(ex, mark);
    return rc;
}

int template_execute(const hull_template *t, json_t *data, char **out, hull_err **err)
{
    char *buf = NULL;
    size_t size = 0;
    struct exec ex = {.text = t->text, .err = err};
    ex.out = open_memstream(&buf, &size);
    if (ex.out == NULL)
        abort();
    push_var(&ex, "$", json_incref(data));
    enum flow flow = FLOW_NEXT;
    int rc = exec_list(&ex, &t->root, data, &flow);
    pop_vars(&ex, 0);
    free(ex.vars);
    fclose(ex.out);
    if (rc < 0) {
        free(buf);
        return -1;
    }
    *out = buf;
    return 0;
}

/* ---- functions ---- */

struct call {
    struct exec *ex;
    const struct cmd *cmd;
    json_t **argv;
    size_t argc;
    const char *name;
};

typedef json_t *(*func_fn)(struct call *c);

struct func {
    const char *name;
    int min, max; /* argument counts; max -1: any */
    func_fn fn;
};

static json_t *call_error(struct call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static json_t *call_error(struct call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cleanup_free char *msg = vformat(fmt, ap);
    va_end(ap);
    return cmd_error(c->ex, c->cmd, "error calling %s: %s", c->name, msg);
}

static const char *want_string(struct call *c, size_t i)
{
    if (!json_is_string(c->argv[i])) {
        cmd_error(c->ex, c->cmd, "wrong type for value; expected string; got %s",
                  type_name(c->argv[i]));
        return NULL;
    }
    return json_string_value(c->argv[i]);
}

static bool want_int(struct call *c, size_t i, long long *out)
{
    json_t *v = c->argv[i];
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v))) {
        *out = (long long)json_real_value(v);
        return true;
    }
    cmd_error(c->ex, c->cmd, "wrong type for value; expected int; got %s", type_name(v));
    return false;
}

static json_t *fn_not(struct call *c)
{
    return json_boolean(!truthy(c->argv[0]));
}

static json_t *fn_len(struct call *c)
{
    json_t *v = c->argv[0];
    if (json_is_string(v))
        return json_integer((json_int_t)json_string_length(v));
    if (json_is_array(v))
        return json_integer((json_int_t)json_array_size(v));
    if (json_is_object(v))
        return json_integer((json_int_t)json_object_size(v));
    return call_error(c, "len of type %s", type_name(v));
}

static json_t *fn_index(struct call *c)
{
    json_t *v = json_incref(c->argv[0]);
    for (size_t i = 1; i < c->argc; i++) {
        json_t *k = c->argv[i], *next;
        if (json_is_object(v)) {
            if (!json_is_string(k)) {
                json_decref(v);
                return call_error(c, "value has type %s; should be string", type_name(k));
            }
            next = json_object_get(v, json_string_value(k));
            /* a missing key is the zero value (docker's labels are map[string]string) */
            next = next ? json_incref(next) : json_string("");
        } else if (json_is_array(v) || json_is_string(v)) {
            long long idx;
            if (json_is_integer(k))
                idx = json_integer_value(k);
            else if (json_is_real(k))
                idx = (long long)json_real_value(k);
            else {
                json_decref(v);
                return call_error(c, "cannot index slice/array with type %s", type_name(k));
            }
            size_t size = json_is_array(v) ? json_array_size(v) : json_string_length(v);
            if (idx < 0 || (size_t)idx >= size) {
                json_decref(v);
                return call_error(c, "index out of range: %lld", idx);
            }
            next = json_is_array(v) ? json_incref(json_array_get(v, (size_t)idx))
                                    : json_integer((unsigned char)json_string_value(v)[idx]);
        } else {
            const char *type = type_name(v);
            json_decref(v);
            return json_is_null(c->argv[0]) ? call_error(c, "index of untyped nil")
                                            : call_error(c, "can't index item of type %s", type);
        }
        json_decref(v);
        v = next;
    }
    return v;
}

static bool is_number(const json_t *v)
{
    return json_is_integer(v) || json_is_real(v);
}

static double number(const json_t *v)
{
    return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

/* <0, 0, >0; *ok false when the two can not be compared. */
static int compare(struct call *c, json_t *a, json_t *b, bool ordered, bool *ok)
{
    *ok = true;
    if (is_number(a) && is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return (json_integer_value(a) > json_integer_value(b)) -
                   (json_integer_value(a) < json_integer_value(b));
        return (number(a) > number(b)) - (number(a) < number(b));
    }
    if (json_is_string(a) && json_is_string(b))
        return strcmp(json_string_value(a), json_string_value(b));
    if (!ordered && json_is_boolean(a) && json_is_boolean(b))
        return json_is_true(a) != json_is_true(b);
    if (!ordered && (json_is_null(a) || json_is_null(b)))
        return json_typeof(a) != json_typeof(b);
    *ok = false;
    if (ordered && json_typeof(a) == json_typeof(b))
        call_error(c, "invalid type for comparison");
    else if (json_is_array(a) || json_is_object(a) || json_is_array(b) || json_is_object(b))
        call_error(c, "non-comparable type");
    else
        call_error(c, "incompatible types for comparison");
    return 0;
}

static json_t *fn_eq(struct call *c)
{
    for (size_t i = 1; i < c->argc; i++) {
        bool ok;
        int r = compare(c, c->argv[0], c->argv[i], false, &ok);
        if (!ok)
            return NULL;
        if (r == 0)
            return json_true();
    }
    return json_false();
}

static json_t *fn_ne(struct call *c)
{
    bool ok;
    int r = compare(c, c->argv[0], c->argv[1], false, &ok);
    return ok ? json_boolean(r != 0) : NULL;
}

static json_t *ordered(struct call *c, int want_lt, bool or_equal)
{
    bool ok;
    int r = compare(c, c->argv[0], c->argv[1], true, &ok);
    if (!ok)
        return NULL;
    return json_boolean((want_lt ? r < 0 : r > 0) || (or_equal && r == 0));
}

static json_t *fn_lt(struct call *c)
{
    return ordered(c, 1, false);
}

static json_t *fn_le(struct call *c)
{
    return ordered(c, 1, true);
}

static json_t *fn_gt(struct call *c)
{
    return ordered(c, 0, false);
}

static json_t *fn_ge(struct call *c)
{
    return ordered(c, 0, true);
}

/* fmt.Sprint: a blank between operands when neither is a string; Sprintln: always, and a
 * newline. */
static json_t *sprint(struct call *c, bool ln)
{
    struct text_buf t;
    FILE *f = text_open(&t);
    for (size_t i = 0; i < c->argc; i++) {
        if (i > 0 && (ln || (!json_is_string(c->argv[i - 1]) && !json_is_string(c->argv[i]))))
            fputc(' ', f);
        print_value(f, c->argv[i]);
    }
    if (ln)
        fputc('\n', f);
    return text_json(&t);
}

static json_t *fn_print(struct call *c)
{
    return sprint(c, false);
}

static json_t *fn_println(struct call *c)
{
    return sprint(c, true);
}

static void printf_bad(FILE *f, char verb, json_t *v)
{
    fprintf(f, "%%!%c(%s=", verb, type_name(v));
    print_value(f, v);
    fputc(')', f);
}

struct verb_spec {
    bool minus, plus, space, zero, sharp;
    int width, prec; /* -1: not given */
};

/* Pad `body` to the width: blanks (left or right), or zeros after the sign of a number. */
static void pad_out(FILE *f, const char *body, const struct verb_spec *sp, bool numeric)
{
    int w = (int)text_width_of(body);
    int fill = sp->width > w ? sp->width - w : 0;
    if (sp->minus) {
        fprintf(f, "%s%*s", body, fill, "");
    } else if (sp->zero && numeric) {
        size_t sign = (body[0] == '-' || body[0] == '+' || body[0] == ' ') ? 1 : 0;
        fprintf(f, "%.*s", (int)sign, body);
        for (int i = 0; i < fill; i++)
            fputc('0', f);
        fputs(body + sign, f);
    } else {
        fprintf(f, "%*s%s", fill, "", body);
    }
}

static void printf_string(FILE *f, const char *s, const struct verb_spec *sp)
{
    size_t i = strlen(s);
    if (sp->prec >= 0) {
        i = 0;
        for (int chars = 0; s[i] && chars < sp->prec; chars++) {
            i++;
            while (((unsigned char)s[i] & 0xc0) == 0x80)
                i++;
        }
    }
    cleanup_free char *cut = xstrndup(s, i);
    pad_out(f, cut, sp, false);
}

/* One verb of fmt.Sprintf with its flags, width and precision. */
static void printf_one(FILE *f, const struct verb_spec *sp, char verb, json_t *v)
{
    char buf[128];
    switch (verb) {
    case 'v':
    case 's': {
        if (verb == 's' && !json_is_string(v) && !json_is_array(v) && !json_is_object(v) &&
            !json_is_null(v)) {
            printf_bad(f, verb, v);
            return;
        }
        cleanup_free char *text = value_text(v);
        printf_string(f, text, sp);
        return;
    }
    case 'q': {
        if (!json_is_string(v)) {
            printf_bad(f, verb, v);
            return;
        }
        cleanup_free char *text = json_dumps(v, JSON_ENCODE_ANY);
        pad_out(f, text ? text : "\"\"", sp, false);
        return;
    }
    case 't':
        if (!json_is_boolean(v)) {
            printf_bad(f, verb, v);
            return;
        }
        pad_out(f, json_is_true(v) ? "true" : "false", sp, false);
        return;
    case 'c':
        if (!json_is_integer(v)) {
            printf_bad(f, verb, v);
            return;
        }
        put_utf8(f, (unsigned long)json_integer_value(v));
        return;
    case 'd':
    case 'x':
    case 'X':
    case 'o':
        if (json_is_integer(v)) {
            long long n = json_integer_value(v);
            unsigned long long mag = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
            const char *sign = n < 0 ? "-" : sp->plus ? "+" : sp->space ? " " : "";
            if (verb == 'd')
                snprintf(buf, sizeof buf, "%s%llu", sign, mag);
            else if (verb == 'x')
                snprintf(buf, sizeof buf, "%s%s%llx", sign, sp->sharp ? "0x" : "", mag);
            else if (verb == 'X')
                snprintf(buf, sizeof buf, "%s%s%llX", sign, sp->sharp ? "0X" : "", mag);
            else
                snprintf(buf, sizeof buf, "%s%s%llo", sign, sp->sharp ? "0" : "", mag);
            pad_out(f, buf, sp, true);
            return;
        }
        if ((verb == 'x' || verb == 'X') && json_is_string(v)) {
            struct text_buf t;
            FILE *h = text_open(&t);
            for (const unsigned char *s = (const unsigned char *)json_string_value(v); *s; s++)
                fprintf(h, verb == 'x' ? "%02x" : "%02X", *s);
            cleanup_free char *hex = text_take(&t);
            pad_out(f, hex, sp, false);
            return;
        }
        printf_bad(f, verb, v);
        return;
    case 'e':
    case 'f':
    case 'g': {
        if (!json_is_real(v)) {
            printf_bad(f, verb, v);
            return;
        }
        double d = json_real_value(v);
        const char *sign = d < 0 || signbit(d) ? "-" : sp->plus ? "+" : sp->space ? " " : "";
        double mag = fabs(d);
        char num[96];
        if (verb == 'g' && sp->prec < 0) {
            struct text_buf t;
            print_real(text_open(&t), mag);
            cleanup_free char *text = text_take(&t);
            snprintf(num, sizeof num, "%s", text);
        } else if (verb == 'e') {
            snprintf(num, sizeof num, "%.*e", sp->prec < 0 ? 6 : sp->prec, mag);
        } else if (verb == 'f') {
            snprintf(num, sizeof num, "%.*f", sp->prec < 0 ? 6 : sp->prec, mag);
        } else {
            snprintf(num, sizeof num, "%.*g", sp->prec, mag);
        }
        snprintf(buf, sizeof buf, "%s%s", sign, num);
        pad_out(f, buf, sp, true);
        return;
    }
    default:
        fprintf(f, "%%!%c(", verb);
        print_value(f, v);
        fputc(')', f);
    }
}

static json_t *fn_printf(struct call *c)
{
    const char *format = want_string(c, 0);
    if (format == NULL)
        return NULL;
    struct text_buf t;
    FILE *f = text_open(&t);
    size_t next = 1;
    for (const char *p = format; *p; p++) {
        if (*p != '%') {
            fputc(*p, f);
            continue;
        }
        if (p[1] == '%') {
            fputc('%', f);
            p++;
            continue;
        }
        struct verb_spec sp = {.width = -1, .prec = -1};
        for (p++; *p && strchr("-+ 0#", *p); p++) {
            sp.minus |= *p == '-';
            sp.plus |= *p == '+';
            sp.space |= *p == ' ';
            sp.zero |= *p == '0';
            sp.sharp |= *p == '#';
        }
        for (; isdigit((unsigned char)*p); p++)
            sp.width = (sp.width < 0 ? 0 : sp.width) * 10 + (*p - '0') % 1000;
        if (*p == '.') {
            sp.prec = 0;
            for (p++; isdigit((unsigned char)*p); p++)
                sp.prec = sp.prec * 10 + (*p - '0') % 1000;
        }
        if (sp.width > 4096 || sp.prec > 4096)
            sp.width = sp.prec = -1;
        if (*p == '\0') {
            fputs("%!(NOVERB)", f);
            break;
        }
        if (next >= c->argc) {
            fprintf(f, "%%!%c(MISSING)", *p);
            continue;
        }
        printf_one(f, &sp, *p, c->argv[next++]);
    }
    if (next < c->argc) {
        fputs("%!(EXTRA ", f);
        for (size_t i = next; i < c->argc; i++) {
            fprintf(f, "%s%s=", i > next ? ", " : "", type_name(c->argv[i]));
            print_value(f, c->argv[i]);
        }
        fputc(')', f);
    }
    return text_json(&t);
}

static json_t *fn_json(struct call *c)
{
    char *text = json_dumps(c->argv[0], JSON_ENCODE_ANY | JSON_COMPACT);
    json_t *r = json_string(text ? text : "null");
    free(text);
    return r;
}

static json_t *fn_join(struct call *c)
{
    if (!json_is_array(c->argv[0]))
        return cmd_error(c->ex, c->cmd, "wrong type for value; expected []string; got %s",
                         type_name(c->argv[0]));
    const char *sep = want_string(c, 1);
    if (sep == NULL)
        return NULL;
    struct text_buf t;
    FILE *f = text_open(&t);
    size_t i;
    json_t *e;
    json_array_foreach(c->argv[0], i, e)
    {
        if (i)
            fputs(sep, f);
        print_value(f, e);
    }
    return text_json(&t);
}

static json_t *fn_split(struct call *c)
{
    const char *s = want_string(c, 0), *sep = s ? want_string(c, 1) : NULL;
    if (sep == NULL)
        return NULL;
    json_t *arr = json_array();
    size_t seplen = strlen(sep);
    if (seplen == 0) {
        /* one element per UTF-8 character */
        while (*s) {
            size_t len = 1;
            while (((unsigned char)s[len] & 0xc0) == 0x80)
                len++;
            json_array_append_new(arr, json_stringn(s, len));
            s += len;
        }
        return arr;
    }
    for (;;) {
        const char *hit = strstr(s, sep);
        json_array_append_new(arr, json_stringn(s, hit ? (size_t)(hit - s) : strlen(s)));
        if (hit == NULL)
            break;
        s = hit + seplen;
    }
    return arr;
}

static json_t *map_chars(struct call *c, int (*fn)(int))
{
    const char *s = want_string(c, 0);
    if (s == NULL)
        return NULL;
    cleanup_free char *copy = xstrndup(s, strlen(s));
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p < 0x80)
            *p = (char)fn((unsigned char)*p);
    return json_string(copy);
}

static json_t *fn_lower(struct call *c)
{
    return map_chars(c, tolower);
}

static json_t *fn_upper(struct call *c)
{
    return map_chars(c, toupper);
}

/* strings.Title: the first letter of every word upper-cased. */
static json_t *fn_title(struct call *c)
{
    const char *s = want_string(c, 0);
    if (s == NULL)
        return NULL;
    cleanup_free char *copy = xstrndup(s, strlen(s));
    bool word_start = true;
    for (char *p = copy; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        bool letter = isalnum(ch) || ch == '_' || ch >= 0x80;
        if (word_start && ch < 0x80 && letter)
            *p = (char)toupper(ch);
        word_start = !letter;
    }
    return json_string(copy);
}

static json_t *fn_pad(struct call *c)
{
    long long before, after;
    const char *s = want_string(c, 0);
    if (s == NULL || !want_int(c, 1, &before) || !want_int(c, 2, &after))
        return NULL;
    if (before < 0 || after < 0 || before > 4096 || after > 4096)
        return call_error(c, "negative or too large padding");
    cleanup_free char *out = NULL;
    if (asprintf(&out, "%*s%s%*s", (int)before, "", s, (int)after, "") < 0)
        abort();
    return json_string(out);
}

/* docker's truncate: the first N characters. */
static json_t *fn_truncate(struct call *c)
{
    long long n;
    const char *s = want_string(c, 0);
    if (s == NULL || !want_int(c, 1, &n))
        return NULL;
    size_t i = 0;
    for (long long chars = 0; s[i] && chars < n; chars++) {
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
    }
    return json_stringn(s, i);
}

static json_t *fn_lazy(struct call *c)
{
    (void)c;
    return NULL; /* and/or are evaluated in call_func */
}

static const struct func funcs[] = {
    {"and", 1, -1, fn_lazy},      {"or", 1, -1, fn_lazy},
    {"not", 1, 1, fn_not},        {"len", 1, 1, fn_len},
    {"index", 1, -1, fn_index},   {"print", 0, -1, fn_print},
    {"printf", 1, -1, fn_printf}, {"println", 0, -1, fn_println},
    {"eq", 1, -1, fn_eq},         {"ne", 2, 2, fn_ne},
    {"lt", 2, 2, fn_lt},          {"le", 2, 2, fn_le},
    {"gt", 2, 2, fn_gt},          {"ge", 2, 2, fn_ge},
    {"json", 1, 1, fn_json},      {"join", 2, 2, fn_join},
    {"split", 2, 2, fn_split},    {"lower", 1, 1, fn_lower},
    {"upper", 1, 1, fn_upper},    {"title", 1, 1, fn_title},
    {"pad", 3, 3, fn_pad},        {"truncate", 2, 2, fn_truncate},
};

static const struct func *find_func(const char *name)
{
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (strcmp(funcs[i].name, name) == 0)
            return &funcs[i];
    return NULL;
}

/* and/or: Go 1.18's short circuit, the deciding operand is the result. */
static json_t *and_or(struct exec *ex, const struct cmd *c, json_t *dot, json_t *final, bool and)
{
    size_t n = c->nargs - 1 + (final != NULL);
    json_t *v = NULL;
    for (size_t i = 0; i < n; i++) {
        json_decref(v);
        v = i + 1 < c->nargs ? eval_arg(ex, c->args[i + 1], dot) : json_incref(final);
        if (v == NULL)
            return NULL;
        if (truthy(v) != and)
            break;
    }
    return v;
}

static json_t *call_func(struct exec *ex, const struct cmd *c, json_t *dot, json_t *final)
{
    const struct func *fn = find_func(c->args[0]->name);
    size_t argc = c->nargs - 1 + (final != NULL);
    if ((int)argc < fn->min || (fn->max >= 0 && (int)argc > fn->max)) {
        if (fn->max == fn->min)
            return cmd_error(ex, c, "wrong number of args for %s: want %d got %zu", fn->name,
                             fn->min, argc);
        return cmd_error(ex, c, "wrong number of args for %s: want at least %d got %zu", fn->name,
                         fn->min, argc);
    }
    if (fn->fn == fn_lazy)
        return and_or(ex, c, dot, final, strcmp(fn->name, "and") == 0);
    json_t **argv = xcalloc(argc, sizeof *argv);
    json_t *r = NULL;
    size_t got = 0;
    for (; got < c->nargs - 1; got++)
        if ((argv[got] = eval_arg(ex, c->args[got + 1], dot)) == NULL)
            goto out;
    if (final)
        argv[got++] = json_incref(final);
    {
        struct call call = {.ex = ex, .cmd = c, .argv = argv, .argc = argc, .name = fn->name};
        r = fn->fn(&call);
    }
out:
    for (size_t i = 0; i < got; i++)
        json_decref(argv[i]);
    free(argv);
    return r;
}

/* ---- tabwriter ---- */

struct tw_line {
    char **cells;
    size_t n;
};

struct tabwriter {
    struct tw_line *lines;
    size_t nlines;
    size_t widths[64];
    size_t nwidths;
    FILE *out;
};

static void tw_write_lines(struct tabwriter *tw, size_t line0, size_t line1)
{
    for (size_t i = line0; i < line1; i++) {
        struct tw_line *l = &tw->lines[i];
        for (size_t j = 0; j < l->n; j++) {
            fputs(l->cells[j], tw->out);
            if (j < tw->nwidths && j + 1 < l->n)
                fprintf(tw->out, "%*s", (int)(tw->widths[j] - text_width_of(l->cells[j])), "");
        }
        if (i + 1 < tw->nlines)
            fputc('\n', tw->out);
    }
}

/* Go's text/tabwriter format(): column blocks of consecutive lines sharing a column. */
static void tw_format(struct tabwriter *tw, size_t line0, size_t line1)
{
    size_t column = tw->nwidths;
    for (size_t this = line0; this < line1; this ++) {
        if (column + 1 >= tw->lines[this].n || column >= 64)
            continue;
        tw_write_lines(tw, line0, this);
        line0 = this;
        size_t width = 10;
        for (; this < line1; this ++) {
            if (column + 1 >= tw->lines[this].n)
                break;
            size_t w = text_width_of(tw->lines[this].cells[column]) + 3;
            if (w > width)
                width = w;
        }
        tw->widths[tw->nwidths++] = width;
        tw_format(tw, line0, this);
        tw->nwidths--;
        line0 = this;
    }
    tw_write_lines(tw, line0, line1);
}

char *template_tabwrite(const char *text)
{
    struct tabwriter tw = {0};
    cleanup_free char *copy = xstrndup(text, strlen(text));
    /* split on '\n' keeping empty lines */
    for (char *line = copy;;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        tw.lines = xrealloc(tw.lines, tw.nlines + 1, sizeof *tw.lines);
        struct tw_line *l = &tw.lines[tw.nlines++];
        *l = (struct tw_line){0};
        for (char *cell = line;;) {
            char *tab = strchr(cell, '\t');
            if (tab)
                *tab = '\0';
            l->cells = xrealloc(l->cells, l->n + 1, sizeof *l->cells);
            l->cells[l->n++] = cell;
            if (tab == NULL)
                break;
            cell = tab + 1;
        }
        if (nl == NULL)
            break;
        line = nl + 1;
    }
    char *buf = NULL;
    size_t size = 0;
    tw.out = open_memstream(&buf, &size);
    if (tw.out == NULL)
        abort();
    tw_format(&tw, 0, tw.nlines);
    fclose(tw.out);
    for (size_t i = 0; i < tw.nlines; i++)
        free(tw.lines[i].cells);
    free(tw.lines);
    return buf;
}
