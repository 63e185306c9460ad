/* Compose file merging (merge.h). */
#include <stdlib.h>
#include <string.h>

#include "stack/merge.h"

struct stack_node *stack_node_list_to_map(const struct stack_node *n)
{
    if (n->kind != STACK_NODE_SEQ)
        return stack_node_clone(n);
    struct stack_node *m = stack_node_new(STACK_NODE_MAP, n->file, n->line, n->col);
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *it = n->items[i];
        if (it->kind != STACK_NODE_STRING || it->str == NULL)
            continue;
        const char *eq = strchr(it->str, '=');
        char *key = eq ? strndup(it->str, (size_t)(eq - it->str)) : strdup(it->str);
        struct stack_node *v = eq ? stack_node_new_string(eq + 1, it->file, it->line, it->col)
                                  : stack_node_new(STACK_NODE_NULL, it->file, it->line, it->col);
        stack_node_map_set(m, key, v);
        free(key);
    }
    return m;
}

/* depends_on / networks as lists: ["db"] -> {db: {}} (depends_on: condition service_started) */
static struct stack_node *names_to_map(const struct stack_node *n, bool depends)
{
    if (n->kind != STACK_NODE_SEQ)
        return stack_node_clone(n);
    struct stack_node *m = stack_node_new(STACK_NODE_MAP, n->file, n->line, n->col);
    for (size_t i = 0; i < n->n; i++) {
        const struct stack_node *it = n->items[i];
        if (it->kind != STACK_NODE_STRING)
            continue;
        struct stack_node *v =
            stack_node_new(depends ? STACK_NODE_MAP : STACK_NODE_NULL, it->file, it->line, it->col);
        if (depends)
            stack_node_map_add(
                v, "condition",
                stack_node_new_string("service_started", it->file, it->line, it->col));
        stack_node_map_set(m, it->str, v);
    }
    return m;
}

static bool node_equal(const struct stack_node *a, const struct stack_node *b)
{
    if (a->kind != b->kind || a->n != b->n)
        return false;
    if (a->str || b->str)
        if (!a->str || !b->str || strcmp(a->str, b->str) != 0)
            return false;
    if (a->i != b->i || a->b != b->b)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->keys && strcmp(a->keys[i], b->keys[i]) != 0)
            return false;
        if (!node_equal(a->items[i], b->items[i]))
            return false;
    }
    return true;
}

/* The key an entry of volumes/devices/secrets/configs is merged by. */
static const char *entry_key(const struct stack_node *it, const char *field, char *buf, size_t size)
{
    if (it->kind == STACK_NODE_MAP) {
        const struct stack_node *v = stack_node_get(it, field);
        return v && v->str ? v->str : "";
    }
    if (it->kind != STACK_NODE_STRING || it->str == NULL)
        return "";
    if (strcmp(field, "source") == 0) {
        return it->str;
    }
    /* "SRC:DST[:MODE]" or "DST" */
    const char *c1 = strchr(it->str, ':');
    if (c1 == NULL)
        return it->str;
    const char *c2 = strchr(c1 + 1, ':');
    size_t n = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (n >= size)
        n = size - 1;
    memcpy(buf, c1 + 1, n);
    buf[n] = '\0';
    return buf;
}

static void merge_keyed_list(struct stack_node *base, const struct stack_node *over,
                             const char *field)
{
    for (size_t i = 0; i < over->n; i++) {
        char b1[512], b2[512];
        const char *k = entry_key(over->items[i], field, b1, sizeof(b1));
        bool replaced = false;
        for (size_t j = 0; j < base->n && !replaced; j++)
            if (strcmp(entry_key(base->items[j], field, b2, sizeof(b2)), k) == 0) {
                stack_node_free(base->items[j]);
                base->items[j] = stack_node_clone(over->items[i]);
                replaced = true;
            }
        if (!replaced)
            stack_node_seq_add(base, stack_node_clone(over->items[i]));
    }
}

static void append_unique(struct stack_node *base, const struct stack_node *over)
{
    for (size_t i = 0; i < over->n; i++) {
        bool dup = false;
        for (size_t j = 0; j < base->n && !dup; j++)
            dup = node_equal(base->items[j], over->items[i]);
        if (!dup)
            stack_node_seq_add(base, stack_node_clone(over->items[i]));
    }
}

static bool is_one_of(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(key, *list) == 0)
            return true;
    return false;
}

static void merge_maps(struct stack_node *base, const struct stack_node *over, int level,
                       const char *parent);

/* Merge one key of a service (or nested mapping) */
static void merge_value(struct stack_node *map, const char *key, const struct stack_node *ov,
                        int level, const char *parent)
{
    static const char *const by_key[] = {"environment", "labels",      "sysctls", "args",
                                         "annotations", "extra_hosts", NULL};
    static const char *const appended[] = {"ports",     "expose",   "dns",      "dns_search",
                                           "dns_opt",   "cap_add",  "cap_drop", "security_opt",
                                           "tmpfs",     "profiles", "env_file", "external_links",
                                           "group_add", NULL};
    static const char *const replaced[] = {"command", "entrypoint", "test", NULL};
    struct stack_node *bv = stack_node_get(map, key);
    if (bv == NULL) {
        stack_node_map_add(map, key, stack_node_clone(ov));
        return;
    }
    bool service_level = level == 2 && strcmp(parent, "services") == 0;
    if (service_level || (level == 3 && strcmp(key, "args") == 0)) {
        if (is_one_of(key, replaced)) {
            stack_node_map_set(map, key, stack_node_clone(ov));
            return;
        }
        if (is_one_of(key, by_key) && !(strcmp(key, "extra_hosts") == 0 &&
                                        bv->kind == STACK_NODE_SEQ && ov->kind == STACK_NODE_SEQ)) {
            struct stack_node *bm = stack_node_list_to_map(bv);
            struct stack_node *om = stack_node_list_to_map(ov);
            for (size_t i = 0; i < om->n; i++)
                stack_node_map_set(bm, om->keys[i], stack_node_clone(om->items[i]));
            stack_node_free(om);
            stack_node_map_set(map, key, bm);
            return;
        }
        if ((strcmp(key, "depends_on") == 0 || strcmp(key, "networks") == 0)) {
            bool dep = key[0] == 'd';
            struct stack_node *bm = names_to_map(bv, dep);
            struct stack_node *om = names_to_map(ov, dep);
            if (bm->kind == STACK_NODE_MAP && om->kind == STACK_NODE_MAP)
                merge_maps(bm, om, level + 1, key);
            else {
                stack_node_free(bm);
                bm = stack_node_clone(om);
            }
            stack_node_free(om);
            stack_node_map_set(map, key, bm);
            return;
        }
        if (bv->kind == STACK_NODE_SEQ && ov->kind == STACK_NODE_SEQ) {
            if (is_one_of(key, appended) || strcmp(key, "extra_hosts") == 0) {
                append_unique(bv, ov);
                return;
            }
            if (strcmp(key, "volumes") == 0 || strcmp(key, "devices") == 0) {
                merge_keyed_list(bv, ov, "target");
                return;
            }
            if (strcmp(key, "secrets") == 0 || strcmp(key, "configs") == 0) {
                merge_keyed_list(bv, ov, "source");
                return;
            }
        }
    }
    if (bv->kind == STACK_NODE_MAP && ov->kind == STACK_NODE_MAP) {
        merge_maps(bv, ov, level + 1, key);
        return;
    }
    stack_node_map_set(map, key, stack_node_clone(ov));
}

static void merge_maps(struct stack_node *base, const struct stack_node *over, int level,
                       const char *parent)
{
    for (size_t i = 0; i < over->n; i++)
        merge_value(base, over->keys[i], over->items[i], level, parent);
}

void stack_merge_compose(struct stack_node *base, const struct stack_node *over)
{
    /* level 0 = top; services.<name> = level 2 keys */
    for (size_t i = 0; i < over->n; i++) {
        const char *key = over->keys[i];
        struct stack_node *bv = stack_node_get(base, key);
        const struct stack_node *ov = over->items[i];
        if (bv && bv->kind == STACK_NODE_MAP && ov->kind == STACK_NODE_MAP &&
            strcmp(key, "services") == 0) {
            for (size_t s = 0; s < ov->n; s++) {
                struct stack_node *bs = stack_node_get(bv, ov->keys[s]);
                if (bs && bs->kind == STACK_NODE_MAP && ov->items[s]->kind == STACK_NODE_MAP)
                    merge_maps(bs, ov->items[s], 2, "services");
                else
                    stack_node_map_set(bv, ov->keys[s], stack_node_clone(ov->items[s]));
            }
        } else if (bv && bv->kind == STACK_NODE_MAP && ov->kind == STACK_NODE_MAP) {
            merge_maps(bv, ov, 1, key);
        } else {
            stack_node_map_set(base, key, stack_node_clone(ov));
        }
    }
}
