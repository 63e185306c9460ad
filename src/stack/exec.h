/* The stack executor: what `hull compose up/down/ps` do to containers. Containers carry docker
 * compose's labels (com.docker.compose.project, .service, .container-number, .config-hash,
 * .oneoff, .depends_on) and are named <project>-<service>-<n>; volumes <project>_<vol>.
 *
 * `up` walks the services in dependency order: a service whose containers run with the same
 * config hash is left alone (same ids); a changed service, and every service depending on a
 * recreated one, is recreated; dependencies gate starts (service_healthy waits for the health
 * check, service_completed_successfully for exit 0). The plan (stack_plan) is computed first and
 * is what `hull compose plan` prints. Networks: stack/net.h (created before, removed after). */
#ifndef HULL_STACK_EXEC_H
#define HULL_STACK_EXEC_H

#include <stdbool.h>
#include <stdio.h>

#include "container/store.h"
#include "image/store.h"
#include "stack/model.h"

#define STACK_LABEL_PROJECT "com.docker.compose.project"
#define STACK_LABEL_SERVICE "com.docker.compose.service"
#define STACK_LABEL_NUMBER  "com.docker.compose.container-number"
#define STACK_LABEL_HASH    "com.docker.compose.config-hash"
#define STACK_LABEL_ONEOFF  "com.docker.compose.oneoff"
#define STACK_LABEL_DEPENDS "com.docker.compose.depends_on"

/* One container of a project, from its labels. */
struct stack_container {
    char *id, *name, *service, *hash;
    long number;
    bool running;
};

struct stack_containers {
    struct stack_container *items;
    size_t n;
};

void stack_containers_clear(struct stack_containers *c);
/* Every container labelled with the project (one-off containers excluded). */
int stack_containers_list(container_store *cs, const char *project, struct stack_containers *out,
                          hull_err **err);

enum stack_action { STACK_KEEP, STACK_CREATE, STACK_RECREATE, STACK_START, STACK_REMOVE };

struct stack_step {
    enum stack_action action;
    char *service; /* owned: an orphan's service is not in the model */
    long number;
    char *container; /* name of an existing container (recreate/start/remove/keep) */
    char *reason;
};

struct stack_plan {
    struct stack_step *steps;
    size_t n;
    json_t *networks; /* changed networks to recreate: name -> the option that changed */
};

struct stack_up_options {
    bool force_recreate, no_recreate, remove_orphans, wait;
    long wait_timeout;        /* seconds, 0 = no limit */
    const char *const *only;  /* services named on the command line (and their dependencies) */
    const char *const *scale; /* "SERVICE=N" */
};

void stack_plan_clear(struct stack_plan *p);
int stack_plan_compute(container_store *cs, const struct stack *s, const struct stack_up_options *o,
                       struct stack_plan *out, hull_err **err);
void stack_plan_print(FILE *out, const struct stack_plan *p);
/* Whether the plan has nothing to do (every container kept, no network to recreate); then
 * `up` only reports " Container NAME  Running" lines, as stack_up would. */
bool stack_plan_is_noop(const struct stack_plan *p, FILE *progress);

/* Carry out the plan; progress lines go to `progress`. */
int stack_up(container_store *cs, image_store *is, const struct stack *s,
             const struct stack_up_options *o, FILE *progress, hull_err **err);

/* Stop (reverse dependency order, each service's stop signal and grace period; `timeout` >= 0
 * overrides) and remove the project's containers; with remove_volumes also its named volumes. */
int stack_down(container_store *cs, image_store *is, const struct stack *s, const char *project,
               bool remove_volumes, long timeout, FILE *progress, hull_err **err);

/* `compose run`: a one-off container of `service` (label oneoff True, name
 * <project>-<service>-run-<hex>) with `cmd` instead of the service's command when given, after
 * bringing its dependencies up (unless no_deps). Attached unless `detach`; *exit_code is the
 * container's. With `remove` the container goes away at its end. */
struct stack_run_options {
    const char *service;
    char **cmd;       /* NULL: the service's command */
    char **env;       /* extra K=V */
    const char *name; /* NULL: generated */
    bool detach, remove, no_deps, interactive, tty;
};

int stack_run_oneoff(container_store *cs, image_store *is, const struct stack *s,
                     const struct stack_run_options *ro, FILE *progress, int *exit_code,
                     hull_err **err);

#endif
