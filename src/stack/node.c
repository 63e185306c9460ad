/* The stack readers' document tree (node.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/node.h"

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        abort();
    return q;
}

static char *xstrdup(const char *s)
{
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

struct stack_node *stack_node_new(enum stack_node_kind kind, const char *file, int line, int col)
{
    struct stack_node *n = calloc(1, sizeof(*n));
    if (n == NULL)
        abort();
    n->kind = kind;
    n->file = xstrdup(file);
    n->line = line;
    n->col = col;
    return n;
}

struct stack_node *stack_node_new_string(const char *s, const char *file, int line, int col)
{
    struct stack_node *n = stack_node_new(STACK_NODE_STRING, file, line, col);
    n->str = xstrdup(s);
    return n;
}

void stack_node_free(struct stack_node *n)
{
    if (n == NULL)
        return;
    for (size_t i = 0; i < n->n; i++) {
        if (n->keys)
            free(n->keys[i]);
        stack_node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->str);
    free(n->file);
    free(n);
}

void stack_node_freep(struct stack_node **n)
{
    stack_node_free(*n);
}

struct stack_node *stack_node_clone(const struct stack_node *n)
{
    if (n == NULL)
        return NULL;
    struct stack_node *c = stack_node_new(n->kind, n->file, n->line, n->col);
    c->plain = n->plain;
    c->flags = n->flags;
    c->str = xstrdup(n->str);
    c->i = n->i;
    c->f = n->f;
    c->b = n->b;
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == STACK_NODE_MAP)
            stack_node_map_add(c, n->keys[i], stack_node_clone(n->items[i]));
        else
            stack_node_seq_add(c, stack_node_clone(n->items[i]));
    }
    return c;
}

struct stack_node *stack_node_get(const struct stack_node *map, const char *key)
{
    if (map == NULL || map->kind != STACK_NODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->items[i];
    return NULL;
}

void stack_node_map_add(struct stack_node *map, const char *key, struct stack_node *value)
{
    map->keys = xrealloc(map->keys, (map->n + 1) * sizeof(*map->keys));
    map->items = xrealloc(map->items, (map->n + 1) * sizeof(*map->items));
    map->keys[map->n] = xstrdup(key);
    map->items[map->n] = value;
    map->n++;
}

void stack_node_map_set(struct stack_node *map, const char *key, struct stack_node *value)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) {
            stack_node_free(map->items[i]);
            map->items[i] = value;
            return;
        }
    stack_node_map_add(map, key, value);
}

void stack_node_map_remove(struct stack_node *map, const char *key)
{
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i], key) == 0) {
            free(map->keys[i]);
            stack_node_free(map->items[i]);
            memmove(map->keys + i, map->keys + i + 1, (map->n - i - 1) * sizeof(*map->keys));
            memmove(map->items + i, map->items + i + 1, (map->n - i - 1) * sizeof(*map->items));
            map->n--;
            return;
        }
}

void stack_node_seq_add(struct stack_node *seq, struct stack_node *value)
{
    seq->items = xrealloc(seq->items, (seq->n + 1) * sizeof(*seq->items));
    seq->items[seq->n++] = value;
}

const char *stack_node_kind_name(enum stack_node_kind kind)
{
    switch (kind) {
    case STACK_NODE_STRING:
        return "string";
    case STACK_NODE_INT:
        return "integer";
    case STACK_NODE_FLOAT:
        return "float";
    case STACK_NODE_BOOL:
        return "boolean";
    case STACK_NODE_MAP:
        return "mapping";
    case STACK_NODE_SEQ:
        return "sequence";
    case STACK_NODE_NULL:
        break;
    }
    return "null";
}

const char *stack_node_where(const struct stack_node *n, char *buf, size_t size)
{
    if (n == NULL || n->file == NULL)
        snprintf(buf, size, "<input>");
    else if (n->line > 0)
        snprintf(buf, size, "%s:%d", n->file, n->line);
    else
        snprintf(buf, size, "%s", n->file);
    return buf;
}
