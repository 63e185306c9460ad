/* Stack executor (exec.h): plan, then create/start/stop/remove through container/. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container/create.h"
#include "container/health.h"
#include "container/launch.h"
#include "container/request.h"
#include "container/secrets.h"
#include "container/status.h"
#include "container/volume.h"
#include "stack/exec.h"
#include "stack/net.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/signals.h"

void stack_containers_clear(struct stack_containers *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->items[i].id);
        free(c->items[i].name);
        free(c->items[i].service);
        free(c->items[i].hash);
    }
    free(c->items);
    c->items = NULL;
    c->n = 0;
}

static const char *label(container_record *r, const char *key)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(r->doc, "Config"), "Labels"), key));
}

int stack_containers_list(container_store *cs, const char *project, struct stack_containers *out,
                          hull_err **err)
{
    cleanup_strv char **ids = NULL;
    if (container_list_ids(cs, &ids, err) < 0)
        return -1;
    for (size_t i = 0; ids[i]; i++) {
        cleanup_container_record container_record *r = NULL;
        hull_err *e = NULL;
        if (container_record_load(cs, ids[i], &r, &e) < 0) {
            hull_err_free(e);
            continue;
        }
        const char *p = label(r, STACK_LABEL_PROJECT);
        const char *oneoff = label(r, STACK_LABEL_ONEOFF);
        if (p == NULL || strcmp(p, project) || (oneoff && !strcmp(oneoff, "True")))
            continue;
        struct container_state_info st;
        bool running = false;
        if (container_status_get(cs, r, &st, &e) == 0)
            running = st.state == CONTAINER_RUNNING || st.state == CONTAINER_RESTARTING ||
                      st.state == CONTAINER_PAUSED;
        hull_err_free(e);
        struct stack_container *items = realloc(out->items, (out->n + 1) * sizeof(*items));
        if (items == NULL)
            abort();
        out->items = items;
        struct stack_container *c = &out->items[out->n++];
        c->id = strdup(r->id);
        c->name = strdup(r->name);
        c->service = strdup(label(r, STACK_LABEL_SERVICE) ? label(r, STACK_LABEL_SERVICE) : "");
        c->hash = strdup(label(r, STACK_LABEL_HASH) ? label(r, STACK_LABEL_HASH) : "");
        const char *num = label(r, STACK_LABEL_NUMBER);
        c->number = num ? strtol(num, NULL, 10) : 0;
        c->running = running;
    }
    return 0;
}

static struct stack_container *find(struct stack_containers *c, const char *service, long number)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->items[i].service, service) && c->items[i].number == number)
            return &c->items[i];
    return NULL;
}

void stack_plan_clear(struct stack_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->steps[i].service);
        free(p->steps[i].container);
        free(p->steps[i].reason);
    }
    free(p->steps);
    p->steps = NULL;
    p->n = 0;
    json_decref(p->networks);
    p->networks = NULL;
}

/* The changed network (of out->networks) the service is on, or NULL. */
static const char *on_changed_network(const struct stack *s, const struct stack_service *svc,
                                      json_t *changed)
{
    if (json_object_size(changed) == 0 || json_object_get(svc->doc, "network_mode"))
        return NULL;
    const char *key;
    json_t *ep;
    json_object_foreach(json_object_get(svc->doc, "networks"), key, ep)
    {
        const char *real = json_string_value(
            json_object_get(json_object_get(json_object_get(s->doc, "networks"), key), "name"));
        if (json_object_get(changed, real ? real : key))
            return real ? real : key;
    }
    return NULL;
}

static void add_step(struct stack_plan *p, enum stack_action a, const char *service, long number,
                     const char *container, const char *reason)
{
    struct stack_step *s = realloc(p->steps, (p->n + 1) * sizeof(*s));
    if (s == NULL)
        abort();
    p->steps = s;
    p->steps[p->n++] = (struct stack_step){a, strdup(service), number,
                                           container ? strdup(container) : NULL, strdup(reason)};
}

static long scale_of(const struct stack_service *svc, const struct stack_up_options *o)
{
    size_t n = strlen(svc->name);
    for (const char *const *s = o->scale; s && *s; s++)
        if (!strncmp(*s, svc->name, n) && (*s)[n] == '=')
            return strtol(*s + n + 1, NULL, 10);
    return svc->replicas;
}

static bool selected(const struct stack *s, const struct stack_service *svc,
                     const char *const *only, int depth)
{
    if (only == NULL || only[0] == NULL)
        return true;
    if (depth > 64)
        return false;
    for (const char *const *o = only; *o; o++) {
        if (!strcmp(*o, svc->name))
            return true;
        /* a dependency of a selected service is selected too */
        const struct stack_service *sel = stack_find_service(s, *o);
        for (size_t d = 0; sel && d < sel->n_deps; d++)
            if (!strcmp(sel->deps[d].service, svc->name))
                return true;
    }
    (void)depth;
    return false;
}

int stack_plan_compute(container_store *cs, const struct stack *s, const struct stack_up_options *o,
                       struct stack_plan *out, hull_err **err)
{
    struct stack_containers have = {0};
    cleanup_free struct stack_service **order = NULL;
    if (stack_net_changes(cs, s, &out->networks, err) < 0 ||
        stack_containers_list(cs, s->name, &have, err) < 0 ||
        stack_start_order(s, &order, err) < 0) {
        stack_containers_clear(&have);
        stack_plan_clear(out);
        return -1;
    }
    /* services recreated in this plan: their dependants follow */
    cleanup_free bool *changed = calloc(s->n_services + 1, sizeof(bool));
    for (size_t k = 0; k < s->n_services; k++) {
        struct stack_service *svc = order[k];
        size_t idx = (size_t)(svc - s->services);
        if (!selected(s, svc, o->only, 0) && !on_changed_network(s, svc, out->networks))
            continue;
        const char *dep_changed = NULL;
        for (size_t d = 0; d < svc->n_deps && !dep_changed; d++) {
            struct stack_service *ds = stack_find_service(s, svc->deps[d].service);
            if (changed[ds - s->services])
                dep_changed = ds->name;
        }
        long want = scale_of(svc, o);
        const char *net = on_changed_network(s, svc, out->networks);
        for (long n = 1; n <= want; n++) {
            struct stack_container *c = find(&have, svc->name, n);
            char reason[256];
            if (c == NULL) {
                add_step(out, STACK_CREATE, svc->name, n, NULL, "not created yet");
                changed[idx] = true;
            } else if (net) {
                snprintf(reason, sizeof(reason), "network %s is recreated (%s changed)", net,
                         json_string_value(json_object_get(out->networks, net)));
                add_step(out, STACK_RECREATE, svc->name, n, c->name, reason);
                changed[idx] = true;
            } else if (o->force_recreate) {
                add_step(out, STACK_RECREATE, svc->name, n, c->name, "--force-recreate");
                changed[idx] = true;
            } else if (strcmp(c->hash, svc->hash) && !o->no_recreate) {
                snprintf(reason, sizeof(reason), "configuration changed (hash %.12s -> %.12s)",
                         c->hash, svc->hash);
                add_step(out, STACK_RECREATE, svc->name, n, c->name, reason);
                changed[idx] = true;
            } else if (dep_changed && !o->no_recreate) {
                snprintf(reason, sizeof(reason), "depends on %s, which is recreated", dep_changed);
                add_step(out, STACK_RECREATE, svc->name, n, c->name, reason);
                changed[idx] = true;
            } else if (!c->running) {
                add_step(out, STACK_START, svc->name, n, c->name, "exists, not running");
            } else {
                add_step(out, STACK_KEEP, svc->name, n, c->name, "up to date");
            }
        }
        for (size_t i = 0; i < have.n; i++)
            if (!strcmp(have.items[i].service, svc->name) && have.items[i].number > want)
                add_step(out, STACK_REMOVE, svc->name, have.items[i].number, have.items[i].name,
                         "scaled down");
    }
    for (size_t i = 0; i < have.n; i++)
        if (stack_find_service(s, have.items[i].service) == NULL)
            add_step(out, o->remove_orphans ? STACK_REMOVE : STACK_KEEP, have.items[i].service,
                     have.items[i].number, have.items[i].name,
                     o->remove_orphans ? "orphan (service no longer in the file)"
                                       : "orphan (kept; --remove-orphans removes it)");
    stack_containers_clear(&have);
    return 0;
}

bool stack_plan_is_noop(const struct stack_plan *p, FILE *progress)
{
    if (json_object_size(p->networks))
        return false;
    for (size_t i = 0; i < p->n; i++)
        if (p->steps[i].action != STACK_KEEP)
            return false;
    for (size_t i = 0; i < p->n; i++)
        if (strncmp(p->steps[i].reason, "orphan", 6) != 0)
            fprintf(progress, " Container %s  Running\n", p->steps[i].container);
    return true;
}

void stack_plan_print(FILE *out, const struct stack_plan *p)
{
    static const char *const names[] = {"keep", "create", "recreate", "start", "remove"};
    const char *net;
    json_t *why;
    json_object_foreach(p->networks, net, why)
    {
        char name[300];
        snprintf(name, sizeof(name), "network %s", net);
        fprintf(out, "%-9s %-30s option \"%s\" has changed\n", "recreate", name,
                json_string_value(why));
    }
    for (size_t i = 0; i < p->n; i++) {
        const struct stack_step *s = &p->steps[i];
        char name[300];
        snprintf(name, sizeof(name), "%s-%ld", s->service, s->number);
        fprintf(out, "%-9s %-30s %s\n", names[s->action], s->container ? s->container : name,
                s->reason);
    }
}

/* --- turning a service into a run request --- */

static char **strv_of(json_t *arr)
{
    size_t n = json_array_size(arr);
    char **v = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        v[i] = strdup(json_string_value(json_array_get(arr, i)));
    return v;
}

static char **kv_of(json_t *obj)
{
    char **v = calloc(json_object_size(obj) + 1, sizeof(char *));
    size_t n = 0;
    const char *k;
    json_t *x;
    json_object_foreach(obj, k, x)
    {
        if (asprintf(&v[n], "%s=%s", k, json_string_value(x) ? json_string_value(x) : "") < 0)
            abort();
        n++;
    }
    return v;
}

struct owned_request {
    struct run_request req;
    char **cmd, **env, **labels, **cap_add, **cap_drop;
    char **sysctls, **ulimits, **add_hosts, **dns_search, **dns_options;
    char *entrypoint, *name;
    char *health_cmd;
    char *built_image;
    struct stack_net_req net;
};

static void owned_request_clear(struct owned_request *o)
{
    hull_strvfree(o->cmd);
    hull_strvfree(o->env);
    hull_strvfree(o->labels);
    hull_strvfree(o->cap_add);
    hull_strvfree(o->cap_drop);
    hull_strvfree(o->sysctls);
    hull_strvfree(o->ulimits);
    hull_strvfree(o->add_hosts);
    hull_strvfree(o->dns_search);
    hull_strvfree(o->dns_options);
    free(o->entrypoint);
    free(o->name);
    free(o->health_cmd);
    free(o->built_image);
    stack_net_req_clear(&o->net);
    for (size_t i = 0; i < o->req.n_mounts; i++)
        mount_request_clear(&o->req.mounts[i]);
    free(o->req.mounts);
    for (size_t i = 0; i < o->req.n_devices; i++)
        device_request_clear(&o->req.devices[i]);
    free(o->req.devices);
}

static long long duration_ns(json_t *v)
{
    long long ns = 0;
    hull_err *e = NULL;
    if (json_string_value(v) && health_parse_duration(json_string_value(v), &ns, &e) < 0)
        ns = 0;
    hull_err_free(e);
    return ns;
}

/* secrets: and configs: of a service, written to the project's secrets tmpfs and bind-mounted
 * read-only at their targets. */
static int add_file_mounts(container_store *cs, const struct stack *s, json_t *svc,
                           const char *container, struct run_request *r, hull_err **err)
{
    json_t *refs[2] = {json_object_get(svc, "secrets"), json_object_get(svc, "configs")};
    json_t *tops[2] = {json_object_get(s->doc, "secrets"), json_object_get(s->doc, "configs")};
    size_t n = json_array_size(refs[0]) + json_array_size(refs[1]);
    if (n == 0)
        return 0;
    /* the service user's numeric uid:gid owns the files (names: root, with a warning) */
    uid_t uid = 0;
    gid_t gid = 0;
    const char *user = json_string_value(json_object_get(svc, "user"));
    if (user) {
        char *end;
        unsigned long u = strtoul(user, &end, 10);
        if (end != user && (*end == '\0' || *end == ':')) {
            uid = (uid_t)u;
            gid = *end == ':' ? (gid_t)strtoul(end + 1, NULL, 10) : (gid_t)u;
        } else {
            hull_warn("service user %s is not numeric: its secrets are owned by root", user);
        }
    }
    cleanup_free struct secret_file *files = calloc(n, sizeof(*files));
    cleanup_free const char **targets = calloc(n, sizeof(char *));
    size_t k = 0;
    for (int kind = 0; kind < 2; kind++) {
        size_t i;
        json_t *ref;
        json_array_foreach(refs[kind], i, ref)
        {
            const char *name = json_string_value(json_object_get(ref, "source"));
            json_t *top = json_object_get(tops[kind], name);
            if (top == NULL)
                return hull_error(err, 0, "%s \"%s\" is not defined at the top level",
                                  kind ? "config" : "secret", name);
            struct secret_file *f = &files[k];
            f->source_path = json_string_value(json_object_get(top, "file"));
            const char *envname = json_string_value(json_object_get(top, "environment"));
            if (envname) {
                f->value = getenv(envname);
                if (f->value == NULL)
                    return hull_error(err, 0, "%s \"%s\": environment variable %s is not set",
                                      kind ? "config" : "secret", name, envname);
            }
            if (json_string_value(json_object_get(top, "content")))
                f->value = json_string_value(json_object_get(top, "content"));
            if (f->source_path == NULL && f->value == NULL)
                return hull_error(err, 0,
                                  "%s \"%s\": external secrets need a secret store, "
                                  "which hull does not have",
                                  kind ? "config" : "secret", name);
            f->mode = (mode_t)json_integer_value(json_object_get(ref, "mode"));
            f->uid = json_object_get(ref, "uid")
                         ? (uid_t)strtoul(json_string_value(json_object_get(ref, "uid")), NULL, 10)
                         : uid;
            f->gid = json_object_get(ref, "gid")
                         ? (gid_t)strtoul(json_string_value(json_object_get(ref, "gid")), NULL, 10)
                         : gid;
            targets[k++] = json_string_value(json_object_get(ref, "target"));
        }
    }
    cleanup_strv char **paths = NULL;
    if (container_secrets_write(cs, s->name, container, files, n, &paths, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct mount_request *m = &r->mounts[r->n_mounts++];
        m->kind = MOUNT_BIND;
        m->source = strdup(paths[i]);
        m->target = strdup(targets[i]);
        m->readonly = true;
    }
    return 0;
}

/* sysctls, ulimits, extra_hosts, dns_search and dns_opt: the --sysctl, --ulimit, --add-host,
 * --dns-search and --dns-option of `hull run`, checked here so that a bad value names the
 * service and the key. */
static int add_limits_and_names(const struct stack_service *svc, struct owned_request *o,
                                hull_err **err)
{
    json_t *d = svc->doc;
    struct run_request *r = &o->req;
    o->sysctls = kv_of(json_object_get(d, "sysctls"));
    for (char **k = o->sysctls; *k; k++)
        if (parse_sysctl_flag(*k, err) < 0)
            return hull_error_prefix(err, "service %s: sysctls", svc->name);
    r->sysctls = o->sysctls;
    const char *name;
    json_t *u;
    json_object_foreach(json_object_get(d, "ulimits"), name, u)
    {
        cleanup_free char *text = NULL;
        if (asprintf(&text, "%s=%lld:%lld", name,
                     (long long)json_integer_value(json_object_get(u, "soft")),
                     (long long)json_integer_value(json_object_get(u, "hard"))) < 0)
            abort();
        const char *rl;
        unsigned long long soft, hard;
        if (parse_ulimit_flag(text, &rl, &soft, &hard, err) < 0)
            return hull_error_prefix(err, "service %s: ulimits.%s", svc->name, name);
        strv_append(&o->ulimits, text);
    }
    r->ulimits = o->ulimits;
    o->add_hosts = strv_of(json_object_get(d, "extra_hosts"));
    for (char **h = o->add_hosts; *h; h++)
        if (strchr(*h, ':') == NULL)
            return hull_error(err, 0, "service %s: extra_hosts: `%s` is not HOST:IP", svc->name,
                              *h);
    r->add_hosts = o->add_hosts;
    o->dns_search = strv_of(json_object_get(d, "dns_search"));
    r->dns_search = o->dns_search;
    o->dns_options = strv_of(json_object_get(d, "dns_opt"));
    r->dns_options = o->dns_options;
    return 0;
}

static int build_request(container_store *cs, const struct stack *s,
                         const struct stack_service *svc, long number, struct owned_request *o,
                         hull_err **err)
{
    json_t *d = svc->doc;
    struct run_request *r = &o->req;
    run_request_init(r);
    r->image = json_string_value(json_object_get(d, "image"));
    if (r->image == NULL && json_object_get(d, "build")) {
        if (asprintf(&o->built_image, "localhost/%s-%s:latest", s->name, svc->name) < 0)
            abort();
        r->image = o->built_image;
    }
    if (r->image == NULL)
        return hull_error(err, 0,
                          "service %s: no image (services with only a rootfs need an "
                          "image for now)",
                          svc->name);
    if (json_object_get(d, "command")) {
        o->cmd = strv_of(json_object_get(d, "command"));
        r->cmd = o->cmd;
    }
    json_t *ep = json_object_get(d, "entrypoint");
    if (ep) {
        /* hull's request takes one entrypoint word; further words go before the command */
        r->has_entrypoint = true;
        o->entrypoint = strdup(json_array_size(ep) ? json_string_value(json_array_get(ep, 0)) : "");
        r->entrypoint = o->entrypoint;
        if (json_array_size(ep) > 1) {
            json_t *all = json_array();
            for (size_t i = 1; i < json_array_size(ep); i++)
                json_array_append(all, json_array_get(ep, i));
            json_array_extend(all, json_object_get(d, "command") ? json_object_get(d, "command")
                                                                 : json_array());
            hull_strvfree(o->cmd);
            o->cmd = strv_of(all);
            r->cmd = o->cmd;
            json_decref(all);
        }
    }
    if (r->cmd == NULL) {
        o->cmd = calloc(1, sizeof(char *));
        r->cmd = o->cmd;
    }
    o->env = kv_of(json_object_get(d, "environment"));
    r->env = o->env;
    json_t *labels = json_deep_copy(json_object_get(d, "labels"));
    if (labels == NULL)
        labels = json_object();
    char num[32];
    snprintf(num, sizeof(num), "%ld", number);
    json_object_set_new(labels, STACK_LABEL_PROJECT, json_string(s->name));
    json_object_set_new(labels, STACK_LABEL_SERVICE, json_string(svc->name));
    json_object_set_new(labels, STACK_LABEL_NUMBER, json_string(num));
    json_object_set_new(labels, STACK_LABEL_HASH, json_string(svc->hash));
    json_object_set_new(labels, STACK_LABEL_ONEOFF, json_string("False"));
    char deps[1024] = "";
    for (size_t i = 0; i < svc->n_deps; i++) {
        static const char *const cn[] = {"service_started", "service_healthy",
                                         "service_completed_successfully"};
        char one[300];
        snprintf(one, sizeof(one), "%s%s:%s:%s", i ? "," : "", svc->deps[i].service,
                 cn[svc->deps[i].condition], svc->deps[i].restart ? "true" : "false");
        strncat(deps, one, sizeof(deps) - strlen(deps) - 1);
    }
    json_object_set_new(labels, STACK_LABEL_DEPENDS, json_string(deps));
    o->labels = kv_of(labels);
    json_decref(labels);
    r->labels = o->labels;
    const char *cname = json_string_value(json_object_get(d, "container_name"));
    if (cname && number == 1)
        o->name = strdup(cname);
    else if (asprintf(&o->name, "%s-%s-%ld", s->name, svc->name, number) < 0)
        abort();
    r->name = o->name;
    r->detach = true;
    r->hostname = json_string_value(json_object_get(d, "hostname"));
    r->workdir = json_string_value(json_object_get(d, "working_dir"));
    r->user = json_string_value(json_object_get(d, "user"));
    r->read_only = json_is_true(json_object_get(d, "read_only"));
    r->init = json_is_true(json_object_get(d, "init"));
    o->cap_add = strv_of(json_object_get(d, "cap_add"));
    o->cap_drop = strv_of(json_object_get(d, "cap_drop"));
    r->cap_add = o->cap_add;
    r->cap_drop = o->cap_drop;
    r->stop_signal = json_string_value(json_object_get(d, "stop_signal"));
    long long grace = duration_ns(json_object_get(d, "stop_grace_period"));
    if (grace > 0)
        r->stop_timeout = grace / 1000000000LL;
    const char *restart = json_string_value(json_object_get(d, "restart"));
    /* deploy.restart_policy when `restart` is not given (compose's precedence) */
    char policy[64];
    json_t *rp = json_object_get(json_object_get(d, "deploy"), "restart_policy");
    if (restart == NULL && rp) {
        const char *cond = json_string_value(json_object_get(rp, "condition"));
        json_t *max = json_object_get(rp, "max_attempts");
        if (cond == NULL || !strcmp(cond, "any"))
            snprintf(policy, sizeof(policy), "always");
        else if (!strcmp(cond, "none"))
            snprintf(policy, sizeof(policy), "no");
        else if (max)
            snprintf(policy, sizeof(policy), "on-failure:%lld", (long long)json_integer_value(max));
        else
            snprintf(policy, sizeof(policy), "on-failure");
        restart = policy;
    }
    if (restart) {
        hull_err *e = NULL;
        if (parse_restart_policy(restart, &r->restart, &r->max_retries, &e) < 0) {
            hull_err_free(e);
            r->restart = "no";
        }
    }
    if (stack_net_request(s, svc, number, o->name, &o->net, r, err) < 0)
        return -1;
    size_t si;
    json_t *so;
    json_array_foreach(json_object_get(d, "security_opt"), si, so)
    {
        const char *opt = json_string_value(so);
        if (!strncmp(opt, "seccomp=", 8) || !strncmp(opt, "seccomp:", 8))
            r->seccomp = opt + 8;
        else if (!strncmp(opt, "landlock=", 9))
            r->landlock = opt + 9;
        else if (!strcmp(opt, "no-new-privileges") || !strcmp(opt, "no-new-privileges:true") ||
                 !strcmp(opt, "no-new-privileges=true"))
            r->no_new_privileges = true;
        else
            hull_warn("service %s: security_opt %s is not applied by hull", svc->name, opt);
    }
    if (add_limits_and_names(svc, o, err) < 0)
        return -1;
    static const char *const not_applied[] = {"devices",    "shm_size",  "ipc",           "pid",
                                              "privileged", "group_add", "cgroup_parent", NULL};
    for (const char *const *k = not_applied; *k; k++)
        if (json_object_get(d, *k) && number == 1)
            hull_warn("service %s: %s is not applied by this hull yet", svc->name, *k);
    json_t *x = json_object_get(d, "x-hull");
    if (json_string_value(json_object_get(x, "runtime")))
        r->runtime = json_string_value(json_object_get(x, "runtime"));
    json_t *limits =
        json_object_get(json_object_get(json_object_get(d, "deploy"), "resources"), "limits");
    if (json_object_get(limits, "memory"))
        r->memory = json_integer_value(json_object_get(limits, "memory"));
    else if (json_object_get(d, "mem_limit"))
        r->memory = json_integer_value(json_object_get(d, "mem_limit"));
    const char *cpus = json_string_value(json_object_get(limits, "cpus"));
    if (cpus == NULL)
        cpus = json_string_value(json_object_get(d, "cpus"));
    if (cpus)
        r->cpus_milli = (long long)(strtod(cpus, NULL) * 1000);
    if (json_object_get(limits, "pids"))
        r->pids_limit = json_integer_value(json_object_get(limits, "pids"));
    else if (json_object_get(d, "pids_limit"))
        r->pids_limit = json_integer_value(json_object_get(d, "pids_limit"));
    json_t *log = json_object_get(json_object_get(d, "logging"), "options");
    if (json_string_value(json_object_get(log, "max-size"))) {
        hull_err *e = NULL;
        if (parse_size(json_string_value(json_object_get(log, "max-size")), &r->log_max_size, &e) <
            0)
            hull_err_free(e);
    }
    if (json_string_value(json_object_get(log, "max-file")))
        r->log_max_files = atoi(json_string_value(json_object_get(log, "max-file")));
    json_t *hc = json_object_get(d, "healthcheck");
    if (hc) {
        json_t *test = json_object_get(hc, "test");
        const char *first = json_string_value(json_array_get(test, 0));
        if (json_is_true(json_object_get(hc, "disable")) || (first && !strcmp(first, "NONE"))) {
            r->no_healthcheck = true;
        } else if (first && !strcmp(first, "CMD-SHELL")) {
            o->health_cmd = strdup(json_string_value(json_array_get(test, 1)));
        } else if (first && !strcmp(first, "CMD")) {
            /* exec form: quote each word for the shell */
            size_t cap = 16;
            for (size_t i = 1; i < json_array_size(test); i++)
                cap += strlen(json_string_value(json_array_get(test, i))) * 4 + 3;
            o->health_cmd = calloc(1, cap);
            for (size_t i = 1; i < json_array_size(test); i++) {
                strcat(o->health_cmd, i > 1 ? " '" : "'");
                for (const char *p = json_string_value(json_array_get(test, i)); *p; p++)
                    strncat(o->health_cmd, *p == '\'' ? "'\\''" : (char[]){*p, 0},
                            cap - strlen(o->health_cmd) - 1);
                strcat(o->health_cmd, "'");
            }
        }
        r->health_cmd = o->health_cmd;
        r->health_interval = duration_ns(json_object_get(hc, "interval"));
        r->health_timeout = duration_ns(json_object_get(hc, "timeout"));
        r->health_start_period = duration_ns(json_object_get(hc, "start_period"));
        r->health_start_interval = duration_ns(json_object_get(hc, "start_interval"));
        if (json_object_get(hc, "retries"))
            r->health_retries = json_integer_value(json_object_get(hc, "retries"));
    }
    /* mounts */
    json_t *vols = json_object_get(d, "volumes");
    json_t *tmpfs = json_object_get(d, "tmpfs");
    size_t nm = json_array_size(vols) + json_array_size(tmpfs) +
                json_array_size(json_object_get(d, "secrets")) +
                json_array_size(json_object_get(d, "configs"));
    r->mounts = calloc(nm + 1, sizeof(*r->mounts));
    size_t i;
    json_t *v;
    json_array_foreach(vols, i, v)
    {
        struct mount_request *m = &r->mounts[r->n_mounts++];
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *src = json_string_value(json_object_get(v, "source"));
        m->target = strdup(json_string_value(json_object_get(v, "target")));
        m->readonly = json_is_true(json_object_get(v, "read_only"));
        if (!strcmp(type, "bind")) {
            m->kind = MOUNT_BIND;
            m->source = strdup(src);
        } else if (!strcmp(type, "tmpfs")) {
            m->kind = MOUNT_TMPFS;
            json_t *size = json_object_get(json_object_get(v, "tmpfs"), "size");
            if (size &&
                asprintf(&m->tmpfs_options, "size=%lld", (long long)json_integer_value(size)) < 0)
                abort();
        } else {
            m->kind = MOUNT_VOLUME;
            if (src) {
                const char *real = json_string_value(json_object_get(
                    json_object_get(json_object_get(s->doc, "volumes"), src), "name"));
                m->source = strdup(real ? real : src);
            }
        }
    }
    json_array_foreach(tmpfs, i, v)
    {
        struct mount_request *m = &r->mounts[r->n_mounts];
        hull_err *e = NULL;
        if (parse_tmpfs_flag(json_string_value(v), m, &e) == 0)
            r->n_mounts++;
        hull_err_free(e);
    }
    return add_file_mounts(cs, s, d, o->name, r, err);
}

/* --- waiting --- */

static int wait_condition(container_store *cs, const char *service, const char *name,
                          enum stack_condition cond, long timeout_s, hull_err **err)
{
    time_t start = time(NULL);
    for (;;) {
        cleanup_container_record container_record *r = NULL;
        struct container_state_info st;
        if (container_record_find(cs, name, &r, err) < 0 ||
            container_status_get(cs, r, &st, err) < 0)
            return -1;
        if (cond == STACK_DEP_STARTED) {
            if (st.state == CONTAINER_RUNNING || st.state == CONTAINER_EXITED)
                return 0;
        } else if (cond == STACK_DEP_HEALTHY) {
            if (st.state == CONTAINER_RUNNING && !strcmp(st.health, "healthy"))
                return 0;
            if (!strcmp(st.health, "unhealthy"))
                return hull_error(err, 0, "dependency failed to start: container %s is unhealthy",
                                  name);
            if (st.state == CONTAINER_EXITED)
                return hull_error(err, 0, "dependency failed to start: container %s exited (%d)",
                                  name, st.exit_code);
            if (st.state == CONTAINER_RUNNING && st.health[0] == '\0')
                return hull_error(err, 0, "service %s has no health check to wait for", service);
        } else {
            if (st.state == CONTAINER_EXITED) {
                if (st.exit_code == 0)
                    return 0;
                return hull_error(err, 0, "service \"%s\" didn't complete successfully: exit %d",
                                  service, st.exit_code);
            }
        }
        if (timeout_s > 0 && time(NULL) - start > timeout_s)
            return hull_error(err, ETIMEDOUT, "timed out waiting for %s", name);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int remove_container(container_store *cs, image_store *is, const char *name, long timeout,
                            hull_err **err)
{
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, name, &r, err) < 0)
        return -1;
    struct container_state_info st;
    if (container_status_get(cs, r, &st, err) < 0)
        return -1;
    if (st.state != CONTAINER_EXITED && st.state != CONTAINER_CREATED &&
        container_stop(cs, r, r->stop_signal, timeout >= 0 ? timeout : r->stop_timeout, err) < 0)
        return -1;
    cleanup_close int lock = container_lock(r, err);
    if (lock < 0)
        return -1;
    const char *project = label(r, STACK_LABEL_PROJECT);
    cleanup_free char *cname = strdup(r->name);
    cleanup_free char *proj = project ? strdup(project) : NULL;
    if (container_remove_all(cs, is, r, false, err) < 0)
        return -1;
    if (proj)
        container_secrets_remove(cs, proj, cname);
    return 0;
}

static int create_and_start(container_store *cs, image_store *is, const struct stack *s,
                            const struct stack_service *svc, long number, FILE *progress,
                            hull_err **err)
{
    struct owned_request o = {0};
    if (build_request(cs, s, svc, number, &o, err) < 0) {
        if (o.name)
            container_secrets_remove(cs, s->name, o.name);
        owned_request_clear(&o);
        return hull_error_prefix(err, "service %s", svc->name);
    }
    cleanup_container_record container_record *r = NULL;
    int rc = container_create_from_image(cs, is, &o.req, &r, err);
    if (rc < 0)
        container_secrets_remove(cs, s->name, o.name);
    if (rc == 0 && stack_net_connect_extra(cs, r, &o.net, err) < 0) {
        hull_err *e = NULL;
        cleanup_close int lock = container_lock(r, &e);
        if (lock < 0 || container_remove_all(cs, is, r, false, &e) < 0)
            hull_warn_err("remove the container", e);
        hull_err_free(e);
        container_secrets_remove(cs, s->name, o.name);
        rc = -1;
    }
    if (rc == 0) {
        fprintf(progress, " Container %s  Created\n", o.name);
        rc = container_start_detached(cs, r, err);
        if (rc == 0)
            fprintf(progress, " Container %s  Started\n", o.name);
    }
    if (rc < 0)
        hull_error_prefix(err, "service %s", svc->name);
    owned_request_clear(&o);
    return rc;
}

static int start_existing(container_store *cs, const char *name, hull_err **err)
{
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, name, &r, err) < 0)
        return -1;
    /* as `hull start`: under the container's lock (the previous run's clean-up takes it) */
    cleanup_close int lock = container_lock(r, err);
    if (lock < 0)
        return -1;
    return container_start_detached(cs, r, err);
}

/* Run fn(ctx, 0..n-1) in parallel child processes (inline when n == 1); the first failure's
 * message comes back through a pipe. */
typedef int (*stack_job_fn)(void *ctx, size_t i, hull_err **err);

static int run_parallel(size_t n, stack_job_fn fn, void *ctx, hull_err **err)
{
    if (n == 0)
        return 0;
    if (n == 1)
        return fn(ctx, 0, err);
    cleanup_free pid_t *pids = calloc(n, sizeof(pid_t));
    cleanup_free int *fds = calloc(n, sizeof(int));
    fflush(stdout);
    fflush(stderr);
    for (size_t i = 0; i < n; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
            fds[i] = -1;
            pids[i] = -1;
            continue;
        }
        pid_t parent = getpid();
        pids[i] = fork();
        if (pids[i] == 0) {
            /* a `hull compose up` killed with -9 takes its workers with it: nothing acts for a
             * command that is gone */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(1);
            close(p[0]);
            hull_err *e = NULL;
            int rc = fn(ctx, i, &e);
            if (rc < 0 && e)
                (void)!write(p[1], e->msg, strlen(e->msg));
            fflush(NULL);
            _exit(rc < 0 ? 1 : 0);
        }
        close(p[1]);
        fds[i] = p[0];
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char msg[2048];
        size_t len = 0;
        ssize_t r;
        while (fds[i] >= 0 && len + 1 < sizeof(msg) &&
               (r = read(fds[i], msg + len, sizeof(msg) - 1 - len)) > 0)
            len += (size_t)r;
        msg[len] = '\0';
        if (fds[i] >= 0)
            close(fds[i]);
        int st = 0;
        if (pids[i] < 0) {
            if (rc == 0)
                rc = hull_error(err, errno, "fork");
            continue;
        }
        while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
            ;
        if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && rc == 0)
            rc = hull_error(err, 0, "%s", len ? msg : "a parallel step failed");
    }
    return rc;
}

/* Dependency depth: 0 for services without dependencies, else 1 + the deepest dependency. */
static long level_of(const struct stack *s, const struct stack_service *svc, int guard)
{
    long l = 0;
    for (size_t d = 0; d < svc->n_deps && guard < 256; d++) {
        long x = 1 + level_of(s, stack_find_service(s, svc->deps[d].service), guard + 1);
        if (x > l)
            l = x;
    }
    return l;
}

static void container_name_of(const struct stack *s, const struct stack_service *svc,
                              const struct stack_step *st, char *name, size_t size)
{
    const char *cname = json_string_value(json_object_get(svc->doc, "container_name"));
    if (cname && st->number == 1)
        snprintf(name, size, "%s", cname);
    else if (st->container && st->action != STACK_RECREATE)
        snprintf(name, size, "%s", st->container);
    else
        snprintf(name, size, "%s-%s-%ld", s->name, svc->name, st->number);
}

struct up_ctx {
    container_store *cs;
    image_store *is;
    const struct stack *s;
    const struct stack_up_options *o;
    const struct stack_plan *plan;
    FILE *progress;
    const struct stack_service **batch;
};

/* One service: wait for its dependencies' conditions, then carry out its steps. */
static int up_service(void *ctx, size_t index, hull_err **err)
{
    struct up_ctx *u = ctx;
    const struct stack *s = u->s;
    const struct stack_plan *plan = u->plan;
    const struct stack_service *svc = u->batch[index];
    int rc = 0;
    for (size_t d = 0; d < svc->n_deps && rc == 0; d++) {
        const struct stack_service *ds = stack_find_service(s, svc->deps[d].service);
        for (size_t i = 0; i < plan->n && rc == 0; i++) {
            const struct stack_step *st = &plan->steps[i];
            if (strcmp(st->service, ds->name) || st->action == STACK_REMOVE)
                continue;
            char name[512];
            container_name_of(s, ds, st, name, sizeof(name));
            if (svc->deps[d].condition != STACK_DEP_STARTED)
                fprintf(u->progress, " Container %s  Waiting\n", name);
            rc = wait_condition(u->cs, ds->name, name, svc->deps[d].condition, u->o->wait_timeout,
                                err);
            if (rc == 0 && svc->deps[d].condition != STACK_DEP_STARTED)
                fprintf(u->progress, " Container %s  %s\n", name,
                        svc->deps[d].condition == STACK_DEP_HEALTHY ? "Healthy" : "Exited");
        }
    }
    for (size_t i = 0; i < plan->n && rc == 0; i++) {
        const struct stack_step *st = &plan->steps[i];
        if (strcmp(st->service, svc->name))
            continue;
        switch (st->action) {
        case STACK_RECREATE:
            rc = remove_container(u->cs, u->is, st->container, -1, err);
            if (rc == 0)
                rc = create_and_start(u->cs, u->is, s, svc, st->number, u->progress, err);
            break;
        case STACK_CREATE:
            rc = create_and_start(u->cs, u->is, s, svc, st->number, u->progress, err);
            break;
        case STACK_START:
            rc = start_existing(u->cs, st->container, err);
            if (rc == 0)
                fprintf(u->progress, " Container %s  Started\n", st->container);
            break;
        case STACK_KEEP:
            fprintf(u->progress, " Container %s  Running\n", st->container);
            break;
        case STACK_REMOVE:
            break;
        }
    }
    fflush(u->progress);
    return rc;
}

struct rm_ctx {
    container_store *cs;
    image_store *is;
    long timeout;
    FILE *progress;
    const char **names;
};

static int rm_one(void *ctx, size_t i, hull_err **err)
{
    struct rm_ctx *r = ctx;
    hull_err *e = NULL;
    if (remove_container(r->cs, r->is, r->names[i], r->timeout, &e) < 0) {
        int rc =
            hull_error(err, e ? e->errnum : 0, "remove %s: %s", r->names[i], e ? e->msg : "failed");
        hull_err_free(e);
        return rc;
    }
    fprintf(r->progress, " Container %s  Removed\n", r->names[i]);
    fflush(r->progress);
    return 0;
}

/* One `up`/`down` of a project at a time: flock on DATA_ROOT/stacks/<project>.lock. */
static int project_lock(container_store *cs, const char *project, hull_err **err)
{
    cleanup_free char *dir = NULL, *path = NULL;
    if (asprintf(&dir, "%s/stacks", cs->data_root) < 0 ||
        asprintf(&path, "%s/%s.lock", dir, project) < 0)
        abort();
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create %s", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return hull_error(err, errno, "open %s", path);
    if (flock(fd, LOCK_EX) < 0) {
        int e = errno;
        close(fd);
        return hull_error(err, e, "lock project %s", project);
    }
    return fd;
}

int stack_up(container_store *cs, image_store *is, const struct stack *s,
             const struct stack_up_options *o, FILE *progress, hull_err **err)
{
    cleanup_close int lock = project_lock(cs, s->name, err);
    if (lock < 0)
        return -1;
    struct stack_plan plan = {0};
    if (stack_plan_compute(cs, s, o, &plan, err) < 0)
        return -1;
    if (stack_net_remove_changed(cs, s->name, plan.networks, progress, err) < 0 ||
        stack_net_up(cs, s, progress, err) < 0) {
        stack_plan_clear(&plan);
        return -1;
    }
    int rc = 0;
    /* removals first (scaled down, orphans), in parallel */
    cleanup_free const char **names = calloc(plan.n + 1, sizeof(char *));
    size_t nr = 0;
    for (size_t i = 0; i < plan.n; i++)
        if (plan.steps[i].action == STACK_REMOVE)
            names[nr++] = plan.steps[i].container;
    struct rm_ctx rm = {cs, is, -1, progress, names};
    rc = run_parallel(nr, rm_one, &rm, err);
    /* then level by level of the dependency graph; the services of one level in parallel */
    long max_level = 0;
    cleanup_free long *levels = calloc(s->n_services + 1, sizeof(long));
    for (size_t k = 0; k < s->n_services; k++) {
        levels[k] = level_of(s, &s->services[k], 0);
        if (levels[k] > max_level)
            max_level = levels[k];
    }
    cleanup_free const struct stack_service **batch = calloc(s->n_services + 1, sizeof(*batch));
    struct up_ctx u = {cs, is, s, o, &plan, progress, batch};
    for (long level = 0; level <= max_level && rc == 0; level++) {
        size_t nb = 0;
        for (size_t k = 0; k < s->n_services; k++) {
            if (levels[k] != level)
                continue;
            /* services with nothing to do are reported here, without a worker or a wait */
            bool work = false;
            for (size_t i = 0; i < plan.n && !work; i++)
                work = !strcmp(plan.steps[i].service, s->services[k].name) &&
                       plan.steps[i].action != STACK_REMOVE && plan.steps[i].action != STACK_KEEP;
            if (work) {
                batch[nb++] = &s->services[k];
                continue;
            }
            for (size_t i = 0; i < plan.n; i++)
                if (!strcmp(plan.steps[i].service, s->services[k].name) &&
                    plan.steps[i].action == STACK_KEEP)
                    fprintf(progress, " Container %s  Running\n", plan.steps[i].container);
        }
        rc = run_parallel(nb, up_service, &u, err);
    }
    if (rc == 0 && o->wait) {
        for (size_t i = 0; i < plan.n && rc == 0; i++) {
            const struct stack_step *st = &plan.steps[i];
            const struct stack_service *svc = stack_find_service(s, st->service);
            if (st->action == STACK_REMOVE || svc == NULL)
                continue;
            char name[512];
            struct stack_step created = *st;
            created.action = STACK_CREATE;
            container_name_of(s, svc, &created, name, sizeof(name));
            json_t *hc = json_object_get(svc->doc, "healthcheck");
            bool health = hc && !json_is_true(json_object_get(hc, "disable"));
            rc = wait_condition(cs, svc->name, name, health ? STACK_DEP_HEALTHY : STACK_DEP_STARTED,
                                o->wait_timeout, err);
        }
    }
    stack_plan_clear(&plan);
    return rc;
}

int stack_down(container_store *cs, image_store *is, const struct stack *s, const char *project,
               bool remove_volumes, long timeout, FILE *progress, hull_err **err)
{
    cleanup_close int lock = project_lock(cs, project, err);
    if (lock < 0)
        return -1;
    struct stack_containers have = {0};
    if (stack_containers_list(cs, project, &have, err) < 0)
        return -1;
    /* dependants before their dependencies: deepest level first; containers of services no
     * longer in the file before everything */
    long max_level = 0;
    cleanup_free long *levels = calloc(have.n + 1, sizeof(long));
    for (size_t i = 0; i < have.n; i++) {
        const struct stack_service *svc = s ? stack_find_service(s, have.items[i].service) : NULL;
        levels[i] = svc ? level_of(s, svc, 0) : -1;
        if (levels[i] > max_level)
            max_level = levels[i];
    }
    for (size_t i = 0; i < have.n; i++)
        if (levels[i] < 0)
            levels[i] = max_level + 1;
    cleanup_free const char **names = calloc(have.n + 1, sizeof(char *));
    struct rm_ctx rm = {cs, is, timeout, progress, names};
    int rc = 0;
    for (long level = max_level + 1; level >= 0 && rc == 0; level--) {
        size_t n = 0;
        for (size_t i = 0; i < have.n; i++)
            if (levels[i] == level)
                names[n++] = have.items[i].name;
        rc = run_parallel(n, rm_one, &rm, err);
    }
    stack_containers_clear(&have);
    if (rc == 0)
        container_secrets_release(cs, project);
    if (rc == 0)
        rc = stack_net_down(cs, project, progress, err);
    if (rc == 0 && remove_volumes && s) {
        const char *vname;
        json_t *v;
        json_object_foreach(json_object_get(s->doc, "volumes"), vname, v)
        {
            if (json_is_true(json_object_get(v, "external")))
                continue;
            hull_err *e = NULL;
            const char *real = json_string_value(json_object_get(v, "name"));
            if (volume_remove(cs, real, false, &e) == 0)
                fprintf(progress, " Volume %s  Removed\n", real);
            else if (e && e->errnum != ENOENT)
                hull_warn_err("remove volume", e);
            hull_err_free(e);
        }
    }
    return rc;
}

int stack_run_oneoff(container_store *cs, image_store *is, const struct stack *s,
                     const struct stack_run_options *ro, FILE *progress, int *exit_code,
                     hull_err **err)
{
    const struct stack_service *svc = stack_find_service(s, ro->service);
    if (svc == NULL)
        return hull_error(err, 0, "no such service: %s", ro->service);
    if (!ro->no_deps && svc->n_deps) {
        cleanup_free const char **only = calloc(svc->n_deps + 1, sizeof(char *));
        for (size_t i = 0; i < svc->n_deps; i++)
            only[i] = svc->deps[i].service;
        struct stack_up_options o = {.only = only};
        if (stack_up(cs, is, s, &o, progress, err) < 0)
            return -1;
    }
    struct owned_request o = {0};
    if (build_request(cs, s, svc, 1, &o, err) < 0) {
        owned_request_clear(&o);
        return -1;
    }
    /* one-off: its own name, label and command */
    free(o.name);
    if (ro->name)
        o.name = strdup(ro->name);
    else {
        unsigned char rnd[6];
        char hex[13];
        FILE *f = fopen("/dev/urandom", "re");
        if (f == NULL || fread(rnd, 1, sizeof(rnd), f) != sizeof(rnd))
            memset(rnd, 0x5a, sizeof(rnd));
        if (f)
            fclose(f);
        for (int i = 0; i < 6; i++)
            snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
        if (asprintf(&o.name, "%s-%s-run-%s", s->name, svc->name, hex) < 0)
            abort();
    }
    o.req.name = o.name;
    for (char **l = o.labels; l && *l; l++)
        if (!strncmp(*l, STACK_LABEL_ONEOFF "=", strlen(STACK_LABEL_ONEOFF) + 1)) {
            free(*l);
            *l = strdup(STACK_LABEL_ONEOFF "=True");
        }
    if (ro->cmd && ro->cmd[0]) {
        hull_strvfree(o.cmd);
        size_t n = 0;
        while (ro->cmd[n])
            n++;
        o.cmd = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            o.cmd[i] = strdup(ro->cmd[i]);
        o.req.cmd = o.cmd;
    }
    for (char **e = ro->env; e && *e; e++)
        strv_append(&o.env, *e);
    o.req.env = o.env;
    o.req.detach = ro->detach;
    o.req.remove = ro->remove;
    o.req.interactive = ro->interactive;
    o.req.tty = ro->tty;
    o.req.restart = "no";
    o.req.max_retries = 0;
    /* a one-off answers to no alias of the service's and publishes no port (compose run) */
    o.req.network_aliases = NULL;
    o.req.publish = NULL;
    if (stack_net_up(cs, s, progress, err) < 0) {
        owned_request_clear(&o);
        return -1;
    }
    cleanup_container_record container_record *r = NULL;
    int rc = container_create_from_image(cs, is, &o.req, &r, err);
    if (rc == 0)
        for (size_t i = 0; i < o.net.n_extra; i++) {
            hull_strvfree(o.net.extra_aliases[i]);
            o.net.extra_aliases[i] = NULL;
        }
    if (rc == 0)
        rc = stack_net_connect_extra(cs, r, &o.net, err);
    if (rc == 0) {
        if (ro->detach) {
            rc = container_start_detached(cs, r, err);
            if (rc == 0)
                fprintf(stdout, "%s\n", r->name);
        } else {
            rc = container_run_attached(cs, r, exit_code, err);
        }
        if (ro->remove && (rc < 0 || !ro->detach)) {
            hull_err *e = NULL;
            cleanup_close int lock = container_lock(r, &e);
            if (lock < 0 || container_remove_all(cs, is, r, false, &e) < 0)
                hull_warn_err("remove the one-off container", e);
            hull_err_free(e);
            container_secrets_remove(cs, s->name, o.name);
        }
    } else {
        container_secrets_remove(cs, s->name, o.name);
    }
    owned_request_clear(&o);
    return rc;
}
