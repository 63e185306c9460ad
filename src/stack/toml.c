/* TOML 1.0 reader (toml.h): a recursive-descent parser over the raw bytes with one position
 * (line and column kept for errors), building stack nodes. The definition rules (a table is
 * defined once, inline tables and arrays are closed, dotted keys extend only tables they made)
 * are kept in each node's STACK_NODE_TOML_* flags. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/toml.h"
#include "util/cleanup.h"
#include "util/str.h"

#define TOML_MAX_DEPTH 128

struct toml_parser {
    const char *s;
    size_t len, pos;
    int line;
    size_t line_start;
    const char *file;
    int depth;
    hull_err **err;
};

static int col_of(const struct toml_parser *p)
{
    return (int)(p->pos - p->line_start) + 1;
}

static int fail(struct toml_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct toml_parser *p, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hull_error(p->err, 0, "%s:%d:%d: %s", p->file, p->line, col_of(p), msg);
}

static int peek(const struct toml_parser *p, size_t k)
{
    return p->pos + k < p->len ? (unsigned char)p->s[p->pos + k] : -1;
}

static bool at_eof(const struct toml_parser *p)
{
    return p->pos >= p->len;
}

static void advance(struct toml_parser *p)
{
    if (p->pos < p->len) {
        if (p->s[p->pos] == '\n') {
            p->line++;
            p->line_start = p->pos + 1;
        }
        p->pos++;
    }
}

static bool starts_with(const struct toml_parser *p, const char *lit)
{
    size_t n = strlen(lit);
    return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

static void skip_ws(struct toml_parser *p)
{
    while (peek(p, 0) == ' ' || peek(p, 0) == '\t')
        advance(p);
}

static bool is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

static bool is_bare(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* A newline (LF or CRLF) at the position: consume it and return 1. */
static int eat_newline(struct toml_parser *p)
{
    if (peek(p, 0) == '\n') {
        advance(p);
        return 1;
    }
    if (peek(p, 0) == '\r' && peek(p, 1) == '\n') {
        advance(p);
        advance(p);
        return 1;
    }
    return 0;
}

static int skip_comment(struct toml_parser *p)
{
    if (peek(p, 0) != '#')
        return 0;
    advance(p);
    while (!at_eof(p) && peek(p, 0) != '\n') {
        if (peek(p, 0) == '\r' && peek(p, 1) == '\n')
            break;
        if (is_control(peek(p, 0)))
            return fail(p, "control character 0x%02x in a comment", peek(p, 0));
        advance(p);
    }
    return 0;
}

/* Whitespace, comments and newlines (inside arrays). */
static int skip_ws_nl(struct toml_parser *p)
{
    for (;;) {
        skip_ws(p);
        if (skip_comment(p) < 0)
            return -1;
        if (!eat_newline(p))
            return 0;
    }
}

/* The whole input must be UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
static int check_utf8(struct toml_parser *p)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t i = 0;
    while (i < p->len) {
        unsigned c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            goto bad;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= p->len || (s[i + k] & 0xc0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            goto bad;
        i += n + 1;
        continue;
    bad:
        while (p->pos < i)
            advance(p);
        return fail(p, "invalid UTF-8");
    }
    return 0;
}

static void utf8_encode(struct str_buf *b, uint32_t cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        out[0] = (char)(0xf0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    str_buf_add(b, out, n);
}

static int parse_escape(struct toml_parser *p, struct str_buf *b)
{
    advance(p); /* the backslash */
    int c = peek(p, 0);
    const char *simple = NULL;
    switch (c) {
    case 'b':
        simple = "\b";
        break;
    case 't':
        simple = "\t";
        break;
    case 'n':
        simple = "\n";
        break;
    case 'f':
        simple = "\f";
        break;
    case 'r':
        simple = "\r";
        break;
    case '"':
        simple = "\"";
        break;
    case '\\':
        simple = "\\";
        break;
    case 'u':
    case 'U': {
        int digits = c == 'u' ? 4 : 8;
        uint32_t cp = 0;
        advance(p);
        for (int k = 0; k < digits; k++) {
            int h = str_hex_digit(peek(p, 0));
            if (h < 0)
                return fail(p, "\\%c escape needs %d hex digits", c, digits);
            cp = (cp << 4) | (uint32_t)h;
            advance(p);
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return fail(p, "escape \\%c names U+%X, which is not a Unicode scalar value", c,
                        (unsigned)cp);
        utf8_encode(b, cp);
        return 0;
    }
    default:
        if (c < 0)
            return fail(p, "unterminated string");
        return fail(p, "invalid escape sequence \\%c", c > 0x20 && c < 0x7f ? c : '?');
    }
    str_buf_add(b, simple, 1);
    advance(p);
    return 0;
}

/* Past an opening delimiter: one quote, or three and a newline right after them (trimmed). */
static bool open_string(struct toml_parser *p, char quote, bool allow_multiline)
{
    const char triple[4] = {quote, quote, quote, '\0'};
    bool ml = allow_multiline && starts_with(p, triple);
    for (int k = 0; k < (ml ? 3 : 1); k++)
        advance(p);
    if (ml)
        eat_newline(p);
    return ml;
}

/* On a quote inside a string: 1 when it ends the string (the delimiter consumed; in a
 * multi-line string up to two quotes before it belong to the text), 0 when it is text, -1 on
 * more than five quotes in a row. */
static int at_quote(struct toml_parser *p, struct str_buf *b, char quote, bool ml)
{
    if (!ml) {
        advance(p);
        return 1;
    }
    size_t q = 0;
    while (peek(p, q) == quote)
        q++;
    if (q < 3) {
        str_buf_addc(b, quote);
        advance(p);
        return 0;
    }
    if (q > 5)
        return fail(p, "too many quotes at the end of a multi-line string");
    for (size_t k = 0; k < q - 3; k++)
        str_buf_addc(b, quote);
    for (size_t k = 0; k < q; k++)
        advance(p);
    return 1;
}

/* A string, the position on its first quote: "..." or """...""" (basic: escapes, and in the
 * multi-line form line-ending backslashes) when `quote` is ", '...' or '''...''' (literal: the
 * text as it stands) when it is '. */
static int parse_string(struct toml_parser *p, char quote, char **out, bool allow_multiline)
{
    struct str_buf b = {0};
    bool ml = open_string(p, quote, allow_multiline);
    for (;;) {
        int c = peek(p, 0);
        if (c < 0) {
            free(b.p);
            return fail(p, "unterminated string");
        }
        if (c == quote) {
            int end = at_quote(p, &b, quote, ml);
            if (end < 0) {
                free(b.p);
                return -1;
            }
            if (end)
                break;
            continue;
        }
        if (c == '\\' && quote == '"') {
            if (ml) {
                /* line-ending backslash: drop whitespace and newlines up to the next text */
                size_t k = 1;
                while (peek(p, k) == ' ' || peek(p, k) == '\t')
                    k++;
                if (peek(p, k) == '\n' || (peek(p, k) == '\r' && peek(p, k + 1) == '\n')) {
                    for (size_t j = 0; j < k; j++)
                        advance(p);
                    for (;;) {
                        if (eat_newline(p))
                            continue;
                        if (peek(p, 0) == ' ' || peek(p, 0) == '\t') {
                            advance(p);
                            continue;
                        }
                        break;
                    }
                    continue;
                }
            }
            if (parse_escape(p, &b) < 0) {
                free(b.p);
                return -1;
            }
            continue;
        }
        if (ml && eat_newline(p)) {
            str_buf_addc(&b, '\n');
            continue;
        }
        if (is_control(c)) {
            free(b.p);
            if (c == '\n')
                return fail(p, "newline in a single-line string");
            return fail(p, "control character 0x%02x in a string", c);
        }
        str_buf_addc(&b, (char)c);
        advance(p);
    }
    *out = str_buf_take(&b);
    return 0;
}

struct toml_key {
    char **parts;
    size_t n;
};

static void key_clear(struct toml_key *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->parts[i]);
    free(k->parts);
    k->parts = NULL;
    k->n = 0;
}

static int parse_simple_key(struct toml_parser *p, char **out)
{
    int c = peek(p, 0);
    if (c == '"')
        return parse_string(p, '"', out, false);
    if (c == '\'')
        return parse_string(p, '\'', out, false);
    struct str_buf b = {0};
    while (is_bare(peek(p, 0))) {
        str_buf_addc(&b, (char)peek(p, 0));
        advance(p);
    }
    if (b.len == 0)
        return fail(p, "expected a key");
    *out = str_buf_take(&b);
    return 0;
}

/* key ( ws '.' ws key )* */
static int parse_key(struct toml_parser *p, struct toml_key *k)
{
    for (;;) {
        char *part = NULL;
        if (parse_simple_key(p, &part) < 0) {
            key_clear(k);
            return -1;
        }
        char **parts = realloc(k->parts, (k->n + 1) * sizeof(*parts));
        if (parts == NULL)
            abort();
        k->parts = parts;
        k->parts[k->n++] = part;
        skip_ws(p);
        if (peek(p, 0) != '.')
            return 0;
        advance(p);
        skip_ws(p);
    }
}

static int parse_value(struct toml_parser *p, struct stack_node **out);

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* digits with single underscores between them; `valid` tells which digits the base allows. */
static bool digits_ok(const char *t, size_t n, int (*digit)(int))
{
    if (n == 0 || digit((unsigned char)t[0]) < 0 || digit((unsigned char)t[n - 1]) < 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (t[i] == '_') {
            if (digit((unsigned char)t[i + 1]) < 0)
                return false;
        } else if (digit((unsigned char)t[i]) < 0) {
            return false;
        }
    }
    return true;
}

static int dec_digit(int c)
{
    return is_digit(c) ? c - '0' : -1;
}
static int oct_digit(int c)
{
    return c >= '0' && c <= '7' ? c - '0' : -1;
}
static int bin_digit(int c)
{
    return c == '0' || c == '1' ? c - '0' : -1;
}

static int parse_number(struct toml_parser *p, const char *t, size_t n, struct stack_node *node)
{
    if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
        int (*digit)(int) = t[1] == 'x' ? str_hex_digit : t[1] == 'o' ? oct_digit : bin_digit;
        unsigned base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
        if (!digits_ok(t + 2, n - 2, digit))
            return fail(p, "invalid %s integer '%.*s'",
                        base == 16  ? "hexadecimal"
                        : base == 8 ? "octal"
                                    : "binary",
                        (int)n, t);
        unsigned long long v = 0;
        for (size_t i = 2; i < n; i++) {
            if (t[i] == '_')
                continue;
            unsigned d = (unsigned)digit((unsigned char)t[i]);
            if (v > ((unsigned long long)LLONG_MAX - d) / base)
                return fail(p, "integer '%.*s' does not fit in 64 bits", (int)n, t);
            v = v * base + d;
        }
        node->kind = STACK_NODE_INT;
        node->i = (long long)v;
        return 0;
    }
    size_t i = 0;
    bool neg = false;
    if (t[0] == '+' || t[0] == '-') {
        neg = t[0] == '-';
        i = 1;
    }
    if (n - i == 3 && (memcmp(t + i, "inf", 3) == 0 || memcmp(t + i, "nan", 3) == 0)) {
        node->kind = STACK_NODE_FLOAT;
        node->f = t[i] == 'i' ? (neg ? -INFINITY : INFINITY) : (neg ? -NAN : NAN);
        return 0;
    }
    /* integer part */
    size_t int_start = i;
    while (i < n && (is_digit(t[i]) || t[i] == '_'))
        i++;
    size_t int_len = i - int_start;
    if (!digits_ok(t + int_start, int_len, dec_digit))
        return fail(p, "invalid number '%.*s'", (int)n, t);
    if (int_len > 1 && t[int_start] == '0')
        return fail(p, "leading zeros are not allowed in '%.*s'", (int)n, t);
    bool is_float = false;
    if (i < n && t[i] == '.') {
        i++;
        size_t s = i;
        while (i < n && (is_digit(t[i]) || t[i] == '_'))
            i++;
        if (!digits_ok(t + s, i - s, dec_digit))
            return fail(p, "invalid float '%.*s'", (int)n, t);
        is_float = true;
    }
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < n && (t[i] == '+' || t[i] == '-'))
            i++;
        size_t s = i;
        while (i < n && (is_digit(t[i]) || t[i] == '_'))
            i++;
        if (!digits_ok(t + s, i - s, dec_digit))
            return fail(p, "invalid float exponent in '%.*s'", (int)n, t);
        is_float = true;
    }
    if (i != n)
        return fail(p, "invalid value '%.*s'", (int)n, t);
    char clean[128];
    size_t c = 0;
    for (size_t k = 0; k < n; k++)
        if (t[k] != '_') {
            if (c + 1 >= sizeof(clean))
                return fail(p, "number '%.*s' is too long", (int)(n > 40 ? 40 : n), t);
            clean[c++] = t[k];
        }
    clean[c] = '\0';
    errno = 0;
    if (is_float) {
        node->kind = STACK_NODE_FLOAT;
        node->f = strtod(clean, NULL);
        if (errno == ERANGE && isinf(node->f))
            return fail(p, "float '%.*s' is out of range", (int)n, t);
        return 0;
    }
    node->kind = STACK_NODE_INT;
    node->i = strtoll(clean, NULL, 10);
    if (errno == ERANGE)
        return fail(p, "integer '%.*s' does not fit in 64 bits", (int)n, t);
    return 0;
}

static bool looks_like_date(const char *t, size_t n)
{
    return (n >= 5 && is_digit(t[0]) && is_digit(t[1]) && is_digit(t[2]) && is_digit(t[3]) &&
            t[4] == '-') ||
           (n >= 3 && is_digit(t[0]) && is_digit(t[1]) && t[2] == ':');
}

static int parse_scalar_token(struct toml_parser *p, struct stack_node *node)
{
    size_t start = p->pos;
    int c;
    while ((c = peek(p, 0)) >= 0 && (is_bare(c) || c == '+' || c == '.' || c == ':'))
        advance(p);
    const char *t = p->s + start;
    size_t n = p->pos - start;
    size_t end = p->pos;
    p->pos = start; /* errors point at the start of the token */
    if (n == 0) {
        if (c < 0 || c == '\n' || c == '\r' || c == '#')
            return fail(p, "expected a value");
        return fail(p, "unexpected character '%c' where a value was expected",
                    c > 0x20 && c < 0x7f ? c : '?');
    }
    if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
        node->kind = STACK_NODE_BOOL;
        node->b = t[0] == 't';
        p->pos = end;
        return 0;
    }
    if (looks_like_date(t, n))
        return fail(p, "dates and times ('%.*s') are not supported", (int)(n > 40 ? 40 : n), t);
    if (!(is_digit(t[0]) || t[0] == '+' || t[0] == '-' || t[0] == 'i' || t[0] == 'n'))
        return fail(p, "invalid value '%.*s' (strings need quotes)", (int)(n > 40 ? 40 : n), t);
    if (parse_number(p, t, n, node) < 0)
        return -1;
    p->pos = end;
    return 0;
}

static int parse_array(struct toml_parser *p, struct stack_node *arr)
{
    advance(p); /* [ */
    for (;;) {
        if (skip_ws_nl(p) < 0)
            return -1;
        if (peek(p, 0) == ']') {
            advance(p);
            return 0;
        }
        struct stack_node *v = NULL;
        if (parse_value(p, &v) < 0)
            return -1;
        stack_node_seq_add(arr, v);
        if (skip_ws_nl(p) < 0)
            return -1;
        if (peek(p, 0) == ',') {
            advance(p);
            continue;
        }
        if (peek(p, 0) == ']') {
            advance(p);
            return 0;
        }
        if (at_eof(p))
            return fail(p, "unterminated array");
        return fail(p, "expected ',' or ']' in an array");
    }
}

static char *key_text(const struct toml_key *k, size_t upto)
{
    struct str_buf b = {0};
    for (size_t i = 0; i < upto && i < k->n; i++) {
        if (i)
            str_buf_addc(&b, '.');
        str_buf_add(&b, k->parts[i], strlen(k->parts[i]));
    }
    return str_buf_take(&b);
}

/* Put `value` at the dotted key inside `table`; takes value. */
static int insert_keyval(struct toml_parser *p, struct stack_node *table, struct toml_key *k,
                         struct stack_node *value, int line, int col)
{
    struct stack_node *t = table;
    for (size_t i = 0; i + 1 < k->n; i++) {
        struct stack_node *child = stack_node_get(t, k->parts[i]);
        if (child == NULL) {
            child = stack_node_new(STACK_NODE_MAP, p->file, line, col);
            child->flags = STACK_NODE_TOML_DOTTED;
            stack_node_map_add(t, k->parts[i], child);
        } else if (child->kind != STACK_NODE_MAP || !(child->flags & STACK_NODE_TOML_DOTTED) ||
                   (child->flags & STACK_NODE_TOML_INLINE)) {
            cleanup_free char *name = key_text(k, i + 1);
            stack_node_free(value);
            p->line = line;
            return hull_error(p->err, 0, "%s:%d:%d: cannot add to '%s': it is already defined",
                              p->file, line, col, name);
        }
        t = child;
    }
    if (stack_node_get(t, k->parts[k->n - 1]) != NULL) {
        cleanup_free char *name = key_text(k, k->n);
        stack_node_free(value);
        return hull_error(p->err, 0, "%s:%d:%d: duplicate key '%s'", p->file, line, col, name);
    }
    stack_node_map_add(t, k->parts[k->n - 1], value);
    return 0;
}

/* key = value, into `table` */
static int parse_keyval(struct toml_parser *p, struct stack_node *table)
{
    int line = p->line, col = col_of(p);
    struct toml_key k = {0};
    if (parse_key(p, &k) < 0)
        return -1;
    skip_ws(p);
    if (peek(p, 0) != '=') {
        key_clear(&k);
        return fail(p, "expected '=' after a key");
    }
    advance(p);
    skip_ws(p);
    struct stack_node *v = NULL;
    if (parse_value(p, &v) < 0) {
        key_clear(&k);
        return -1;
    }
    int r = insert_keyval(p, table, &k, v, line, col);
    key_clear(&k);
    return r;
}

static int parse_inline_table(struct toml_parser *p, struct stack_node *t)
{
    advance(p); /* { */
    skip_ws(p);
    if (peek(p, 0) == '}') {
        advance(p);
        return 0;
    }
    for (;;) {
        skip_ws(p);
        if (peek(p, 0) == '\n' || peek(p, 0) == '\r')
            return fail(p, "newline in an inline table (inline tables are one line)");
        if (parse_keyval(p, t) < 0)
            return -1;
        skip_ws(p);
        if (peek(p, 0) == ',') {
            advance(p);
            continue;
        }
        if (peek(p, 0) == '}') {
            advance(p);
            return 0;
        }
        if (at_eof(p))
            return fail(p, "unterminated inline table");
        return fail(p, "expected ',' or '}' in an inline table (inline tables are one line)");
    }
}

static int parse_value(struct toml_parser *p, struct stack_node **out)
{
    if (++p->depth > TOML_MAX_DEPTH)
        return fail(p, "values nested more than %d deep", TOML_MAX_DEPTH);
    cleanup_stack_node struct stack_node *n =
        stack_node_new(STACK_NODE_NULL, p->file, p->line, col_of(p));
    int c = peek(p, 0);
    int r;
    if (c == '"') {
        n->kind = STACK_NODE_STRING;
        r = parse_string(p, '"', &n->str, true);
    } else if (c == '\'') {
        n->kind = STACK_NODE_STRING;
        r = parse_string(p, '\'', &n->str, true);
    } else if (c == '[') {
        n->kind = STACK_NODE_SEQ;
        n->flags = STACK_NODE_TOML_INLINE;
        r = parse_array(p, n);
    } else if (c == '{') {
        n->kind = STACK_NODE_MAP;
        n->flags = STACK_NODE_TOML_INLINE;
        r = parse_inline_table(p, n);
    } else {
        r = parse_scalar_token(p, n);
    }
    p->depth--;
    if (r < 0)
        return -1;
    *out = steal_pointer(&n);
    return 0;
}

/* [a.b.c] or [[a.b.c]]; *current becomes the table to fill. */
static int parse_header(struct toml_parser *p, struct stack_node *root, struct stack_node **current)
{
    int line = p->line, col = col_of(p);
    bool aot = starts_with(p, "[[");
    advance(p);
    if (aot)
        advance(p);
    skip_ws(p);
    struct toml_key k = {0};
    if (parse_key(p, &k) < 0)
        return -1;
    skip_ws(p);
    if (peek(p, 0) != ']' || (aot && peek(p, 1) != ']')) {
        key_clear(&k);
        return fail(p, "expected '%s' to close a table header", aot ? "]]" : "]");
    }
    advance(p);
    if (aot)
        advance(p);
    struct stack_node *t = root;
    for (size_t i = 0; i + 1 < k.n; i++) {
        struct stack_node *child = stack_node_get(t, k.parts[i]);
        if (child == NULL) {
            child = stack_node_new(STACK_NODE_MAP, p->file, line, col);
            stack_node_map_add(t, k.parts[i], child);
        } else if (child->kind == STACK_NODE_SEQ && (child->flags & STACK_NODE_TOML_AOT)) {
            child = child->items[child->n - 1];
        } else if (child->kind != STACK_NODE_MAP || (child->flags & STACK_NODE_TOML_INLINE)) {
            cleanup_free char *name = key_text(&k, i + 1);
            key_clear(&k);
            return hull_error(p->err, 0, "%s:%d:%d: '%s' is already defined and is not a table",
                              p->file, line, col, name);
        }
        t = child;
    }
    const char *last = k.parts[k.n - 1];
    struct stack_node *child = stack_node_get(t, last);
    cleanup_free char *name = key_text(&k, k.n);
    if (aot) {
        if (child == NULL) {
            child = stack_node_new(STACK_NODE_SEQ, p->file, line, col);
            child->flags = STACK_NODE_TOML_AOT;
            stack_node_map_add(t, last, child);
        } else if (child->kind != STACK_NODE_SEQ || !(child->flags & STACK_NODE_TOML_AOT)) {
            key_clear(&k);
            return hull_error(p->err, 0,
                              "%s:%d:%d: '%s' is already defined and is not an array of tables",
                              p->file, line, col, name);
        }
        struct stack_node *tab = stack_node_new(STACK_NODE_MAP, p->file, line, col);
        tab->flags = STACK_NODE_TOML_EXPLICIT;
        stack_node_seq_add(child, tab);
        *current = tab;
    } else {
        if (child == NULL) {
            child = stack_node_new(STACK_NODE_MAP, p->file, line, col);
            stack_node_map_add(t, last, child);
        } else if (child->kind != STACK_NODE_MAP ||
                   (child->flags &
                    (STACK_NODE_TOML_EXPLICIT | STACK_NODE_TOML_DOTTED | STACK_NODE_TOML_INLINE))) {
            key_clear(&k);
            return hull_error(p->err, 0, "%s:%d:%d: table '%s' is defined more than once", p->file,
                              line, col, name);
        }
        child->flags |= STACK_NODE_TOML_EXPLICIT;
        child->line = line;
        child->col = col;
        *current = child;
    }
    key_clear(&k);
    return 0;
}

/* After a key/value or header: whitespace, an optional comment, then a newline or the end. */
static int end_of_line(struct toml_parser *p)
{
    skip_ws(p);
    if (skip_comment(p) < 0)
        return -1;
    if (at_eof(p) || eat_newline(p))
        return 0;
    int c = peek(p, 0);
    if (c == '\r')
        return fail(p, "carriage return without a line feed");
    return fail(p, "expected the end of the line, found '%c'", c > 0x20 && c < 0x7f ? c : '?');
}

int stack_toml_parse(const char *text, size_t len, const char *file, struct stack_node **out,
                     hull_err **err)
{
    struct toml_parser p = {
        .s = text, .len = len, .line = 1, .file = file ? file : "<input>", .err = err};
    if (memchr(text, '\0', len) != NULL) {
        p.pos = (size_t)((const char *)memchr(text, '\0', len) - text);
        for (size_t i = 0; i < p.pos; i++)
            if (text[i] == '\n') {
                p.line++;
                p.line_start = i + 1;
            }
        return fail(&p, "NUL byte in the file");
    }
    if (check_utf8(&p) < 0)
        return -1;
    p.pos = 0;
    p.line = 1;
    p.line_start = 0;
    /* a byte-order mark is allowed at the start */
    if (starts_with(&p, "\xEF\xBB\xBF")) {
        p.pos = 3;
        p.line_start = 3;
    }
    cleanup_stack_node struct stack_node *root = stack_node_new(STACK_NODE_MAP, p.file, 1, 1);
    root->flags = STACK_NODE_TOML_EXPLICIT;
    struct stack_node *current = root;
    while (!at_eof(&p)) {
        skip_ws(&p);
        int c = peek(&p, 0);
        if (c == '[') {
            if (parse_header(&p, root, &current) < 0)
                return -1;
        } else if (c != '#' && c != '\n' && c != '\r' && c >= 0) {
            if (parse_keyval(&p, current) < 0)
                return -1;
        }
        if (end_of_line(&p) < 0)
            return -1;
    }
    *out = steal_pointer(&root);
    return 0;
}
