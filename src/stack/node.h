/* The document tree both stack readers produce before anything is typed: maps (ordered keys),
 * sequences and scalars, each with the file, line and column it came from. YAML (yaml.c) and TOML
 * (toml.c) parse into it; interpolation (interpolate.c) and merging (merge.c) work on it; the
 * readers (compose.c, topology.c) turn it into the stack model (model.h) and name the file, line
 * and key path of every error from it. */
#ifndef HULL_STACK_NODE_H
#define HULL_STACK_NODE_H

#include <stdbool.h>
#include <stddef.h>

enum stack_node_kind {
    STACK_NODE_NULL,
    STACK_NODE_STRING,
    STACK_NODE_INT,
    STACK_NODE_FLOAT,
    STACK_NODE_BOOL,
    STACK_NODE_MAP,
    STACK_NODE_SEQ,
};

/* TOML's definition rules (toml.c): how a table or array came to be. */
#define STACK_NODE_TOML_EXPLICIT 1u /* [header] */
#define STACK_NODE_TOML_DOTTED   2u /* created by a dotted key */
#define STACK_NODE_TOML_INLINE   4u /* inline table or array value: closed */
#define STACK_NODE_TOML_AOT      8u /* array of tables ([[header]]) */

struct stack_node {
    enum stack_node_kind kind;
    char *file; /* NULL for nodes made by the program */
    int line, col;
    bool plain;     /* YAML: unquoted scalar (its type is resolved when it is read) */
    unsigned flags; /* STACK_NODE_TOML_* */
    char *str;      /* STRING (and every YAML scalar's text) */
    long long i;
    double f;
    bool b;
    size_t n;
    char **keys; /* MAP: keys[i] names items[i] */
    struct stack_node **items;
};

struct stack_node *stack_node_new(enum stack_node_kind kind, const char *file, int line, int col);
struct stack_node *stack_node_new_string(const char *s, const char *file, int line, int col);
void stack_node_free(struct stack_node *n);
void stack_node_freep(struct stack_node **n);
#define cleanup_stack_node __attribute__((cleanup(stack_node_freep)))
struct stack_node *stack_node_clone(const struct stack_node *n);

/* MAP: the value under `key`, or NULL. */
struct stack_node *stack_node_get(const struct stack_node *map, const char *key);
/* MAP: add (key, value) at the end (the caller checks for duplicates); takes value. */
void stack_node_map_add(struct stack_node *map, const char *key, struct stack_node *value);
/* MAP: replace the value of an existing key, or add it; takes value. */
void stack_node_map_set(struct stack_node *map, const char *key, struct stack_node *value);
/* MAP: remove a key (no-op when absent). */
void stack_node_map_remove(struct stack_node *map, const char *key);
/* SEQ: append; takes value. */
void stack_node_seq_add(struct stack_node *seq, struct stack_node *value);

/* "string", "integer", "float", "boolean", "mapping", "sequence", "null" */
const char *stack_node_kind_name(enum stack_node_kind kind);
/* "file:line" of a node (or "file" / "<input>"), into buf. */
const char *stack_node_where(const struct stack_node *n, char *buf, size_t size);

#endif
