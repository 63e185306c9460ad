/* The stack model: what both readers (compose.c for compose files, topology.c for TOML
 * topologies) produce and everything after them uses (validation, hash, config output, plan,
 * executor). Nothing past the readers knows which format a stack came from.
 *
 * Each service keeps its resolved configuration as canonical JSON (`doc`, the shape
 * `docker compose config --format json` prints: long syntax everywhere, sizes in bytes,
 * durations as Go duration strings, paths absolute); the typed fields below are views the
 * executor uses. */
#ifndef HULL_STACK_MODEL_H
#define HULL_STACK_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

enum stack_condition {
    STACK_DEP_STARTED,   /* service_started */
    STACK_DEP_HEALTHY,   /* service_healthy */
    STACK_DEP_COMPLETED, /* service_completed_successfully */
};

struct stack_dep {
    const char *service;
    enum stack_condition condition;
    bool restart;
};

struct stack_service {
    const char *name;
    json_t *doc; /* the resolved service (borrowed from stack->doc) */
    struct stack_dep *deps;
    size_t n_deps;
    long replicas;
    char hash[65]; /* config hash (hash.c), hex */
};

struct stack {
    char *name;        /* project name */
    char *project_dir; /* relative paths resolve against it */
    json_t *doc;       /* {"name", "services", "networks", "volumes", "secrets", "configs"} */
    struct stack_service *services;
    size_t n_services;
};

void stack_free(struct stack *s);
void stack_freep(struct stack **s);
#define cleanup_stack __attribute__((cleanup(stack_freep)))

struct stack_service *stack_find_service(const struct stack *s, const char *name);

/* Build the typed views of a resolved document (takes doc): dependencies, replicas, hashes; and
 * validate what both formats share: dependencies name services, the dependency graph has no
 * cycle ("dependency cycle: a -> b -> a"). */
int stack_from_doc(json_t *doc, const char *project_dir, struct stack **out, hull_err **err);

/* Services in start order (dependencies first); ties in name order. */
int stack_start_order(const struct stack *s, struct stack_service ***order, hull_err **err);

/* docker compose's project-name rule: lowercase letters, digits, '-' and '_', starting with a
 * letter or digit; from a directory name the rest is lowercased and dropped. */
int stack_project_name_check(const char *name, hull_err **err);
char *stack_project_name_from_dir(const char *dir);

#endif
