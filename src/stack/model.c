/* The stack model (model.h): typed views over the resolved document, shared validation, and
 * the start order. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/hash.h"
#include "stack/model.h"
#include "util/cleanup.h"

void stack_free(struct stack *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_services; i++)
        free(s->services[i].deps);
    free(s->services);
    json_decref(s->doc);
    free(s->name);
    free(s->project_dir);
    free(s);
}

void stack_freep(struct stack **s)
{
    stack_free(*s);
}

struct stack_service *stack_find_service(const struct stack *s, const char *name)
{
    for (size_t i = 0; i < s->n_services; i++)
        if (strcmp(s->services[i].name, name) == 0)
            return &s->services[i];
    return NULL;
}

static int index_of(const struct stack *s, const char *name)
{
    for (size_t i = 0; i < s->n_services; i++)
        if (strcmp(s->services[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Depth-first search for a cycle; on finding one, the path is written into *err. */
static int visit(const struct stack *s, size_t i, int *mark, size_t *stack_path, size_t depth,
                 hull_err **err)
{
    if (mark[i] == 2)
        return 0;
    stack_path[depth] = i;
    if (mark[i] == 1) {
        char msg[2048] = "";
        size_t start = 0;
        while (stack_path[start] != i)
            start++;
        for (size_t k = start; k <= depth; k++) {
            strncat(msg, s->services[stack_path[k]].name, sizeof(msg) - strlen(msg) - 1);
            if (k < depth)
                strncat(msg, " -> ", sizeof(msg) - strlen(msg) - 1);
        }
        return hull_error(err, 0, "dependency cycle: %s", msg);
    }
    mark[i] = 1;
    const struct stack_service *svc = &s->services[i];
    for (size_t d = 0; d < svc->n_deps; d++) {
        int j = index_of(s, svc->deps[d].service);
        if (j >= 0 && visit(s, (size_t)j, mark, stack_path, depth + 1, err) < 0)
            return -1;
    }
    mark[i] = 2;
    return 0;
}

static int cmp_service(const void *a, const void *b)
{
    return strcmp(((const struct stack_service *)a)->name, ((const struct stack_service *)b)->name);
}

int stack_from_doc(json_t *doc, const char *project_dir, struct stack **out, hull_err **err)
{
    struct stack *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    s->doc = doc;
    s->name = strdup(json_string_value(json_object_get(doc, "name")));
    s->project_dir = strdup(project_dir);
    cleanup_stack struct stack *guard = s;
    json_t *services = json_object_get(doc, "services");
    s->services = calloc(json_object_size(services) + 1, sizeof(*s->services));
    const char *name;
    json_t *svc;
    json_object_foreach(services, name, svc)
    {
        struct stack_service *ss = &s->services[s->n_services++];
        ss->name = name;
        ss->doc = svc;
        json_t *replicas = json_object_get(json_object_get(svc, "deploy"), "replicas");
        json_t *scale = json_object_get(svc, "scale");
        ss->replicas = replicas ? (long)json_integer_value(replicas)
                       : scale  ? (long)json_integer_value(scale)
                                : 1;
        json_t *deps = json_object_get(svc, "depends_on");
        ss->deps = calloc(json_object_size(deps) + 1, sizeof(*ss->deps));
        const char *dname;
        json_t *dep;
        json_object_foreach(deps, dname, dep)
        {
            const char *cond = json_string_value(json_object_get(dep, "condition"));
            struct stack_dep *d = &ss->deps[ss->n_deps++];
            d->service = dname;
            d->condition = cond && !strcmp(cond, "service_healthy") ? STACK_DEP_HEALTHY
                           : cond && !strcmp(cond, "service_completed_successfully")
                               ? STACK_DEP_COMPLETED
                               : STACK_DEP_STARTED;
            d->restart = json_is_true(json_object_get(dep, "restart"));
        }
        /* the definitions of the service's networks count too: a changed network recreates */
        json_t *h = json_pack("{s:O,s:{}}", "service", svc, "networks");
        const char *nk;
        json_t *nv;
        json_object_foreach(json_object_get(svc, "networks"), nk, nv)
            json_object_set(json_object_get(h, "networks"), nk,
                            json_object_get(json_object_get(doc, "networks"), nk));
        stack_service_hash(h, ss->hash);
        json_decref(h);
    }
    if (s->n_services > 1)
        qsort(s->services, s->n_services, sizeof(*s->services), cmp_service);
    for (size_t i = 0; i < s->n_services; i++)
        for (size_t d = 0; d < s->services[i].n_deps; d++) {
            const struct stack_dep *dep = &s->services[i].deps[d];
            if (index_of(s, dep->service) < 0)
                return hull_error(err, 0, "service '%s' depends on unknown service '%s'",
                                  s->services[i].name, dep->service);
        }
    cleanup_free int *mark = calloc(s->n_services + 1, sizeof(int));
    cleanup_free size_t *path = calloc(s->n_services + 2, sizeof(size_t));
    for (size_t i = 0; i < s->n_services; i++)
        if (visit(s, i, mark, path, 0, err) < 0)
            return -1;
    *out = steal_pointer(&guard);
    return 0;
}

int stack_start_order(const struct stack *s, struct stack_service ***order, hull_err **err)
{
    struct stack_service **o = calloc(s->n_services + 1, sizeof(*o));
    cleanup_free bool *done = calloc(s->n_services + 1, sizeof(bool));
    size_t n = 0;
    while (n < s->n_services) {
        bool progress = false;
        for (size_t i = 0; i < s->n_services; i++) {
            if (done[i])
                continue;
            bool ready = true;
            for (size_t d = 0; d < s->services[i].n_deps && ready; d++)
                ready = done[index_of(s, s->services[i].deps[d].service)];
            if (ready) {
                done[i] = true;
                o[n++] = &s->services[i];
                progress = true;
            }
        }
        if (!progress) {
            free(o);
            return hull_error(err, 0, "dependency cycle in project %s", s->name);
        }
    }
    *order = o;
    return 0;
}

int stack_project_name_check(const char *name, hull_err **err)
{
    bool ok =
        name[0] != '\0' && (islower((unsigned char)name[0]) || isdigit((unsigned char)name[0]));
    for (const char *p = name; ok && *p; p++)
        ok = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_';
    if (!ok)
        return hull_error(err, 0,
                          "invalid project name '%s': must consist only of lowercase alphanumeric "
                          "characters, hyphens, and underscores as well as start with a letter or "
                          "number",
                          name);
    return 0;
}

char *stack_project_name_from_dir(const char *dir)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    char *out = malloc(strlen(base) + 2);
    size_t n = 0;
    for (const char *p = base; *p; p++) {
        int ch = tolower((unsigned char)*p);
        if (islower(ch) || isdigit(ch) || ((ch == '-' || ch == '_') && n > 0))
            out[n++] = (char)ch;
    }
    if (n == 0)
        out[n++] = 'x';
    out[n] = '\0';
    return out;
}
