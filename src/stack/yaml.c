/* YAML reader (yaml.h) over libyaml's event parser: a recursive build of the first document with
 * a table of anchors, each alias a deep copy (bounded, against "billion laughs" documents). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "stack/yaml.h"
#include "util/cleanup.h"

#define YAML_MAX_DEPTH 200
#define YAML_MAX_NODES 1000000

struct anchor {
    char *name;
    struct stack_node *node; /* owned copy */
};

struct yaml_reader {
    yaml_parser_t parser;
    const char *file;
    struct anchor *anchors;
    size_t n_anchors;
    size_t nodes;
    hull_err **err;
};

static int fail_at(struct yaml_reader *r, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(struct yaml_reader *r, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return hull_error(r->err, 0, "%s:%zu:%zu: %s", r->file, m->line + 1, m->column + 1, msg);
}

static int next_event(struct yaml_reader *r, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&r->parser, ev)) {
        yaml_mark_t m = r->parser.problem_mark;
        return fail_at(r, &m, "%s%s%s", r->parser.problem ? r->parser.problem : "invalid YAML",
                       r->parser.context ? " " : "", r->parser.context ? r->parser.context : "");
    }
    return 0;
}

static size_t count_nodes(const struct stack_node *n)
{
    size_t c = 1;
    for (size_t i = 0; i < n->n; i++)
        c += count_nodes(n->items[i]);
    return c;
}

static void remember(struct yaml_reader *r, const char *name, const struct stack_node *n)
{
    struct anchor *a = realloc(r->anchors, (r->n_anchors + 1) * sizeof(*a));
    if (a == NULL)
        abort();
    r->anchors = a;
    r->anchors[r->n_anchors].name = strdup(name);
    r->anchors[r->n_anchors].node = stack_node_clone(n);
    r->n_anchors++;
}

/* `<<: *base` (or a list of them): keys of the merged maps the map does not set itself. */
static int apply_merge(struct yaml_reader *r, struct stack_node *map, struct stack_node *value,
                       const yaml_mark_t *m)
{
    struct stack_node *one[1] = {value};
    struct stack_node **list = one;
    size_t n = 1;
    if (value->kind == STACK_NODE_SEQ) {
        list = value->items;
        n = value->n;
    }
    for (size_t i = 0; i < n; i++) {
        if (list[i]->kind != STACK_NODE_MAP)
            return fail_at(r, m, "merge key '<<' needs a mapping or a list of mappings");
        for (size_t k = 0; k < list[i]->n; k++)
            if (stack_node_get(map, list[i]->keys[k]) == NULL)
                stack_node_map_add(map, list[i]->keys[k], stack_node_clone(list[i]->items[k]));
    }
    return 0;
}

static int build(struct yaml_reader *r, yaml_event_t *ev, int depth, struct stack_node **out);

static int build_children(struct yaml_reader *r, struct stack_node *n, int depth)
{
    bool is_map = n->kind == STACK_NODE_MAP;
    struct stack_node *merges = NULL;
    yaml_mark_t merge_mark = {0};
    for (;;) {
        yaml_event_t ev;
        if (next_event(r, &ev) < 0) {
            stack_node_free(merges);
            return -1;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        struct stack_node *child = NULL;
        yaml_mark_t mark = ev.start_mark;
        if (build(r, &ev, depth + 1, &child) < 0) {
            stack_node_free(merges);
            return -1;
        }
        if (!is_map) {
            stack_node_seq_add(n, child);
            continue;
        }
        if (child->kind != STACK_NODE_STRING && child->kind != STACK_NODE_NULL) {
            stack_node_free(child);
            stack_node_free(merges);
            return fail_at(r, &mark, "mapping keys must be scalars");
        }
        cleanup_free char *key = strdup(child->str ? child->str : "");
        bool merge_key = child->plain && strcmp(key, "<<") == 0;
        stack_node_free(child);
        if (next_event(r, &ev) < 0) {
            stack_node_free(merges);
            return -1;
        }
        struct stack_node *value = NULL;
        if (build(r, &ev, depth + 1, &value) < 0) {
            stack_node_free(merges);
            return -1;
        }
        if (merge_key) {
            stack_node_free(merges);
            merges = value;
            merge_mark = mark;
            continue;
        }
        if (stack_node_get(n, key) != NULL) {
            stack_node_free(value);
            stack_node_free(merges);
            return fail_at(r, &mark, "duplicate key '%s'", key);
        }
        stack_node_map_add(n, key, value);
    }
    if (merges) {
        int rc = apply_merge(r, n, merges, &merge_mark);
        stack_node_free(merges);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* Build the node that starts with `ev` (consumed). */
static int build(struct yaml_reader *r, yaml_event_t *ev, int depth, struct stack_node **out)
{
    yaml_mark_t mark = ev->start_mark;
    if (depth > YAML_MAX_DEPTH) {
        yaml_event_delete(ev);
        return fail_at(r, &mark, "nesting deeper than %d levels", YAML_MAX_DEPTH);
    }
    if (++r->nodes > YAML_MAX_NODES) {
        yaml_event_delete(ev);
        return fail_at(r, &mark, "document too large (more than %d nodes)", YAML_MAX_NODES);
    }
    int line = (int)mark.line + 1, col = (int)mark.column + 1;
    cleanup_stack_node struct stack_node *n = NULL;
    cleanup_free char *anchor = NULL;
    switch (ev->type) {
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (size_t i = r->n_anchors; i-- > 0;)
            if (strcmp(r->anchors[i].name, name) == 0) {
                r->nodes += count_nodes(r->anchors[i].node);
                if (r->nodes > YAML_MAX_NODES) {
                    yaml_event_delete(ev);
                    return fail_at(r, &mark, "document too large (aliases expand past %d nodes)",
                                   YAML_MAX_NODES);
                }
                n = stack_node_clone(r->anchors[i].node);
                break;
            }
        if (n == NULL) {
            int rc = fail_at(r, &mark, "unknown anchor '%s'", name);
            yaml_event_delete(ev);
            return rc;
        }
        yaml_event_delete(ev);
        *out = steal_pointer(&n);
        return 0;
    }
    case YAML_SCALAR_EVENT: {
        n = stack_node_new(STACK_NODE_STRING, r->file, line, col);
        n->str = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL;
        if (n->plain &&
            (strcmp(n->str, "") == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
             strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0))
            n->kind = STACK_NODE_NULL;
        if (ev->data.scalar.anchor)
            anchor = strdup((const char *)ev->data.scalar.anchor);
        yaml_event_delete(ev);
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool map = ev->type == YAML_MAPPING_START_EVENT;
        n = stack_node_new(map ? STACK_NODE_MAP : STACK_NODE_SEQ, r->file, line, col);
        const yaml_char_t *a = map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        if (a)
            anchor = strdup((const char *)a);
        yaml_event_delete(ev);
        if (build_children(r, n, depth) < 0)
            return -1;
        break;
    }
    default: {
        int rc = fail_at(r, &mark, "unexpected YAML event");
        yaml_event_delete(ev);
        return rc;
    }
    }
    if (anchor)
        remember(r, anchor, n);
    *out = steal_pointer(&n);
    return 0;
}

int stack_yaml_parse(const char *text, size_t len, const char *file, struct stack_node **out,
                     hull_err **err)
{
    struct yaml_reader r = {.file = file ? file : "<input>", .err = err};
    if (!yaml_parser_initialize(&r.parser))
        return hull_error(err, 0, "%s: cannot initialise the YAML parser", r.file);
    yaml_parser_set_input_string(&r.parser, (const unsigned char *)text, len);
    struct stack_node *root = NULL;
    int rc = -1;
    for (;;) {
        yaml_event_t ev;
        if (next_event(&r, &ev) < 0)
            break;
        if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&ev);
            continue;
        }
        if (ev.type == YAML_STREAM_END_EVENT || ev.type == YAML_DOCUMENT_END_EVENT) {
            yaml_event_delete(&ev);
            root = stack_node_new(STACK_NODE_MAP, r.file, 1, 1);
            rc = 0;
            break;
        }
        rc = build(&r, &ev, 0, &root);
        break;
    }
    yaml_parser_delete(&r.parser);
    for (size_t i = 0; i < r.n_anchors; i++) {
        free(r.anchors[i].name);
        stack_node_free(r.anchors[i].node);
    }
    free(r.anchors);
    if (rc < 0) {
        stack_node_free(root);
        return -1;
    }
    if (root->kind == STACK_NODE_NULL) {
        stack_node_free(root);
        root = stack_node_new(STACK_NODE_MAP, r.file, 1, 1);
    }
    if (root->kind != STACK_NODE_MAP) {
        char where[512];
        stack_node_where(root, where, sizeof(where));
        stack_node_free(root);
        return hull_error(err, 0, "%s: the top level must be a mapping", where);
    }
    *out = root;
    return 0;
}
