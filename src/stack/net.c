/* A stack's networks (net.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "container/launch.h"
#include "container/network.h"
#include "container/status.h"
#include "net/network.h"
#include "stack/exec.h"
#include "stack/net.h"
#include "util/cleanup.h"
#include "util/log.h"

void stack_net_req_clear(struct stack_net_req *n)
{
    free(n->network);
    free(n->ip);
    hull_strvfree(n->aliases);
    hull_strvfree(n->publish);
    hull_strvfree(n->expose);
    hull_strvfree(n->egress_allow);
    hull_strvfree(n->egress_tcp_ports);
    hull_strvfree(n->dns);
    for (size_t i = 0; i < n->n_extra; i++)
        hull_strvfree(n->extra_aliases[i]);
    free(n->extra_aliases);
    hull_strvfree(n->extra_names);
    for (size_t i = 0; i < n->n_extra; i++)
        free(n->extra_ips[i]);
    free(n->extra_ips);
    memset(n, 0, sizeof(*n));
}

/* The network's hull name (the top-level definition's `name`). */
static const char *real_name(const struct stack *s, const char *key)
{
    const char *n = json_string_value(
        json_object_get(json_object_get(json_object_get(s->doc, "networks"), key), "name"));
    return n ? n : key;
}

static char **aliases_of(const struct stack_service *svc, json_t *ep, const char *cname)
{
    char **v = calloc(1, sizeof(char *));
    strv_append(&v, svc->name);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(ep, "aliases"), i, a) strv_append(&v, json_string_value(a));
    if (strcmp(cname, svc->name))
        strv_append(&v, cname);
    return v;
}

/* ports entries as -p specs: [IP:][HOST:]CONTAINER/PROTO */
static int publish_of(const struct stack_service *svc, long number, char ***out, hull_err **err)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(svc->doc, "ports"), i, p)
    {
        json_t *t = json_object_get(p, "target");
        const char *pub = json_string_value(json_object_get(p, "published"));
        const char *ip = json_string_value(json_object_get(p, "host_ip"));
        const char *proto = json_string_value(json_object_get(p, "protocol"));
        if (pub && !*pub)
            pub = NULL;
        /* a fixed host port is one container's: replicas need a range or none */
        if (pub && number > 1 && strchr(pub, '-') == NULL && svc->replicas > 1)
            return hull_error(err, 0,
                              "service %s: %d replicas cannot all publish host port %s (use a "
                              "range such as \"%s-%ld:%lld\" or no host port)",
                              svc->name, (int)svc->replicas, pub, pub,
                              atol(pub) + svc->replicas - 1, (long long)json_integer_value(t));
        char *spec = NULL;
        if (asprintf(&spec, "%s%s%s%s%lld/%s", ip ? ip : "", ip ? ":" : "", pub ? pub : "",
                     (pub || ip) ? ":" : "", (long long)json_integer_value(t),
                     proto ? proto : "tcp") < 0)
            abort();
        strv_append(out, spec);
        free(spec);
    }
    return 0;
}

static char **strings_of(json_t *arr)
{
    char **v = calloc(1, sizeof(char *));
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x)
    {
        char num[32];
        if (json_is_integer(x)) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(x));
            strv_append(&v, num);
        } else if (json_string_value(x)) {
            strv_append(&v, json_string_value(x));
        }
    }
    return v;
}

int stack_net_request(const struct stack *s, const struct stack_service *svc, long number,
                      const char *cname, struct stack_net_req *out, struct run_request *r,
                      hull_err **err)
{
    json_t *d = svc->doc;
    const char *mode = json_string_value(json_object_get(d, "network_mode"));
    json_t *x = json_object_get(d, "x-hull");
    if (json_object_get(d, "dns"))
        out->dns = strings_of(json_object_get(d, "dns"));
    if (json_object_get(d, "expose"))
        out->expose = strings_of(json_object_get(d, "expose"));
    if (json_object_get(x, "egress_allow"))
        out->egress_allow = strings_of(json_object_get(x, "egress_allow"));
    if (json_object_get(x, "egress_tcp_ports"))
        out->egress_tcp_ports = strings_of(json_object_get(x, "egress_tcp_ports"));
    if (mode) {
        if (!strncmp(mode, "service:", 8)) {
            const struct stack_service *other = stack_find_service(s, mode + 8);
            if (other == NULL)
                return hull_error(err, 0, "service %s: network_mode %s: no such service", svc->name,
                                  mode);
            const char *on = json_string_value(json_object_get(other->doc, "container_name"));
            int rc = on ? asprintf(&out->network, "container:%s", on)
                        : asprintf(&out->network, "container:%s-%s-1", s->name, other->name);
            if (rc < 0)
                abort();
        } else if (!strcmp(mode, "host") || !strcmp(mode, "none") ||
                   !strncmp(mode, "container:", 10) || !strcmp(mode, "bridge")) {
            out->network = strdup(mode);
        } else {
            return hull_error(err, 0, "service %s: network_mode %s is not supported", svc->name,
                              mode);
        }
    } else {
        json_t *nets = json_object_get(d, "networks");
        const char *key;
        json_t *ep;
        size_t k = 0;
        out->extra_names = calloc(json_object_size(nets) + 1, sizeof(char *));
        out->extra_ips = calloc(json_object_size(nets) + 1, sizeof(char *));
        out->extra_aliases = calloc(json_object_size(nets) + 1, sizeof(char **));
        json_object_foreach(nets, key, ep)
        {
            const char *ip = json_string_value(json_object_get(ep, "ipv4_address"));
            if (ip && svc->replicas > 1)
                return hull_error(err, 0,
                                  "service %s: ipv4_address %s cannot be shared by %ld replicas",
                                  svc->name, ip, svc->replicas);
            if (k++ == 0) {
                out->network = strdup(real_name(s, key));
                out->ip = ip ? strdup(ip) : NULL;
                out->aliases = aliases_of(svc, ep, cname);
            } else {
                size_t e = out->n_extra++;
                out->extra_names[e] = strdup(real_name(s, key));
                out->extra_ips[e] = ip ? strdup(ip) : NULL;
                out->extra_aliases[e] = aliases_of(svc, ep, cname);
            }
        }
        if (out->network == NULL)
            out->network = strdup("none");
    }
    if (strcmp(out->network, "none") && strcmp(out->network, "host") &&
        strncmp(out->network, "container:", 10)) {
        out->publish = calloc(1, sizeof(char *));
        if (publish_of(svc, number, &out->publish, err) < 0)
            return -1;
    } else if (json_array_size(json_object_get(d, "ports")) && number == 1 &&
               strcmp(out->network, "host")) {
        hull_warn("service %s: ports are not published with network_mode %s", svc->name,
                  out->network);
    }
    r->network = out->network;
    r->ip = out->ip;
    r->network_aliases = out->aliases;
    r->publish = out->publish;
    r->expose = out->expose;
    r->dns = out->dns;
    r->egress_allow = out->egress_allow;
    r->egress_tcp_ports = out->egress_tcp_ports;
    return 0;
}

int stack_net_connect_extra(container_store *cs, container_record *r, const struct stack_net_req *n,
                            hull_err **err)
{
    for (size_t i = 0; i < n->n_extra; i++)
        if (container_network_connect(cs, r, n->extra_names[i], n->extra_aliases[i],
                                      n->extra_ips[i], NULL, err) < 0)
            return -1;
    return 0;
}

static char **labels_of(const char *project, const char *key, json_t *def)
{
    char **v = calloc(1, sizeof(char *));
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(def, "labels"), k, x)
    {
        char *l = NULL;
        if (asprintf(&l, "%s=%s", k, json_string_value(x) ? json_string_value(x) : "") < 0)
            abort();
        strv_append(&v, l);
        free(l);
    }
    char *p = NULL, *n = NULL;
    if (asprintf(&p, STACK_LABEL_PROJECT "=%s", project) < 0 ||
        asprintf(&n, STACK_LABEL_NETWORK "=%s", key) < 0)
        abort();
    strv_append(&v, p);
    strv_append(&v, n);
    free(p);
    free(n);
    return v;
}

/* driver_opts as -o K=V (hull applies isolate and com.docker.network.bridge.name and records
 * the others in the network's Options, as docker shows them). */
static char **options_of(json_t *def)
{
    char **v = calloc(1, sizeof(char *));
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(def, "driver_opts"), k, x)
    {
        char num[32];
        const char *val = json_string_value(x);
        if (val == NULL) {
            snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(x));
            val = json_is_integer(x) ? num : json_is_true(x) ? "true" : "false";
        }
        char *kv = NULL;
        if (asprintf(&kv, "%s=%s", k, val) < 0)
            abort();
        strv_append(&v, kv);
        free(kv);
    }
    return v;
}

/* The first option of the network definition `def` that differs from the existing network
 * `meta` (what docker compose names in "needs to be recreated - option ... has changed"), or
 * NULL. Unset subnet/gateway (allocated) and the bridge name hull picked do not count. */
static const char *network_change(const char *project, const char *key, json_t *def, json_t *meta)
{
    json_t *cfg = json_array_get(json_object_get(json_object_get(def, "ipam"), "config"), 0);
    static const char *const ipam[][2] = {
        {"subnet", "subnet"}, {"gateway", "gateway"}, {"ip_range", "ipRange"}};
    for (size_t i = 0; i < 3; i++) {
        const char *want = json_string_value(json_object_get(cfg, ipam[i][0]));
        const char *have = json_string_value(json_object_get(meta, ipam[i][1]));
        if (want && (have == NULL || strcmp(want, have)))
            return ipam[i][0];
    }
    if (json_is_true(json_object_get(def, "internal")) !=
        json_is_true(json_object_get(meta, "internal")))
        return "internal";
    cleanup_strv char **opts = options_of(def);
    json_t *have_opts = json_object_get(meta, "options");
    size_t n_have = 0;
    const char *k;
    json_t *x;
    json_object_foreach(have_opts, k, x)
    {
        if (strcmp(k, "com.docker.network.bridge.name") == 0)
            continue;
        n_have++;
    }
    size_t n_want = 0;
    for (char **o = opts; *o; o++) {
        char *eq = strchr(*o, '=');
        *eq = '\0';
        const char *have = json_string_value(json_object_get(have_opts, *o));
        if (strcmp(*o, "com.docker.network.bridge.name") != 0)
            n_want++;
        if (have == NULL || strcmp(have, eq + 1))
            return "driver_opts";
    }
    if (n_want != n_have)
        return "driver_opts";
    cleanup_strv char **labels = labels_of(project, key, def);
    json_t *have_labels = json_object_get(meta, "labels");
    size_t n_labels = 0;
    while (labels[n_labels])
        n_labels++;
    if (json_object_size(have_labels) != n_labels)
        return "labels";
    for (char **l = labels; *l; l++) {
        char *eq = strchr(*l, '=');
        *eq = '\0';
        const char *have = json_string_value(json_object_get(have_labels, *l));
        if (have == NULL || strcmp(have, eq + 1))
            return "labels";
    }
    return NULL;
}

int stack_net_changes(container_store *cs, const struct stack *s, json_t **out, hull_err **err)
{
    *out = json_object();
    json_t *nets = json_object_get(s->doc, "networks");
    if (json_object_size(nets) == 0)
        return 0;
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0)
        return -1;
    const char *key;
    json_t *def;
    json_object_foreach(nets, key, def)
    {
        json_t *have = NULL;
        hull_err *e = NULL;
        if (json_is_true(json_object_get(def, "external")))
            continue;
        if (net_network_load(ns, real_name(s, key), &have, &e) < 0) {
            hull_err_free(e);
            continue;
        }
        json_t *meta = net_network_meta(have);
        const char *p = json_string_value(
            json_object_get(json_object_get(meta, "labels"), STACK_LABEL_PROJECT));
        const char *changed =
            p && !strcmp(p, s->name) ? network_change(s->name, key, def, meta) : NULL;
        if (changed)
            json_object_set_new(*out, real_name(s, key), json_string(changed));
        json_decref(have);
    }
    return 0;
}

int stack_net_remove_changed(container_store *cs, const char *project, json_t *changed,
                             FILE *progress, hull_err **err)
{
    if (json_object_size(changed) == 0)
        return 0;
    cleanup_net_store net_store *ns = NULL;
    cleanup_strv char **ids = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0 || container_list_ids(cs, &ids, err) < 0)
        return -1;
    const char *name;
    json_t *why;
    json_object_foreach(changed, name, why)
    {
        /* the project's containers on it: stopped and disconnected (`up` recreates them) */
        for (size_t i = 0; ids[i]; i++) {
            cleanup_container_record container_record *r = NULL;
            hull_err *e = NULL;
            if (container_record_load(cs, ids[i], &r, &e) < 0) {
                hull_err_free(e);
                continue;
            }
            const char *p = json_string_value(json_object_get(
                json_object_get(json_object_get(r->doc, "Config"), "Labels"), STACK_LABEL_PROJECT));
            if (p == NULL || strcmp(p, project) || !container_network_uses(r, name))
                continue;
            struct container_state_info st;
            if (container_status_get(cs, r, &st, err) < 0)
                return -1;
            if (st.state != CONTAINER_EXITED && st.state != CONTAINER_CREATED &&
                container_stop(cs, r, r->stop_signal, r->stop_timeout, err) < 0)
                return hull_error_prefix(err, "network %s: stop %s", name, r->name);
            if (st.state != CONTAINER_EXITED && st.state != CONTAINER_CREATED)
                fprintf(progress, " Container %s  Stopped\n", r->name);
            if (container_network_disconnect(cs, r, name, err) < 0)
                return hull_error_prefix(err, "network %s: disconnect %s", name, r->name);
        }
        if (net_network_remove(ns, name, err) < 0)
            return hull_error_prefix(err,
                                     "network %s needs to be recreated - option \"%s\" has "
                                     "changed",
                                     name, json_string_value(why));
        fprintf(progress, " Network %s  Removed\n", name);
    }
    return 0;
}

int stack_net_up(container_store *cs, const struct stack *s, FILE *progress, hull_err **err)
{
    json_t *nets = json_object_get(s->doc, "networks");
    if (json_object_size(nets) == 0)
        return 0;
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0)
        return -1;
    const char *key;
    json_t *def;
    json_object_foreach(nets, key, def)
    {
        const char *name = real_name(s, key);
        json_t *have = NULL;
        hull_err *e = NULL;
        json_t *cfg = json_array_get(json_object_get(json_object_get(def, "ipam"), "config"), 0);
        const char *subnet = json_string_value(json_object_get(cfg, "subnet"));
        bool internal = json_is_true(json_object_get(def, "internal"));
        if (net_network_load(ns, name, &have, &e) == 0) {
            /* existing (changed ones were removed by stack_net_remove_changed first) */
            json_decref(have);
            continue;
        }
        int errnum = e ? e->errnum : 0;
        if (errnum != ENOENT) {
            *err = e;
            return -1;
        }
        hull_err_free(e);
        if (json_is_true(json_object_get(def, "external")))
            return hull_error(err, ENOENT,
                              "network %s declared as external, but could not be found", name);
        const char *driver = json_string_value(json_object_get(def, "driver"));
        if (driver && strcmp(driver, "bridge"))
            return hull_error(err, 0, "network %s: driver %s is not supported (bridge only)", key,
                              driver);
        cleanup_strv char **labels = labels_of(s->name, key, def);
        cleanup_strv char **options = options_of(def);
        struct net_create_opts o = {
            .name = name,
            .driver = "bridge",
            .subnet = subnet,
            .gateway = json_string_value(json_object_get(cfg, "gateway")),
            .ip_range = json_string_value(json_object_get(cfg, "ip_range")),
            .internal = internal,
            .isolate = true,
            .labels = labels,
            .options = options,
        };
        for (char **opt = options; *opt; opt++) {
            if (!strcmp(*opt, "isolate=false") || !strcmp(*opt, "isolate=true"))
                o.isolate = !strcmp(*opt, "isolate=true");
            else if (!strncmp(*opt, "com.docker.network.bridge.name=", 31))
                o.bridge = *opt + 31;
        }
        if (net_network_create(ns, &o, NULL, err) < 0)
            return hull_error_prefix(err, "network %s", name);
        fprintf(progress, " Network %s  Created\n", name);
    }
    return 0;
}

int stack_net_down(container_store *cs, const char *project, FILE *progress, hull_err **err)
{
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0)
        return -1;
    json_t *list = NULL;
    if (net_network_list(ns, &list, err) < 0)
        return -1;
    int rc = 0;
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        json_t *labels = json_object_get(net_network_meta(c), "labels");
        const char *p = json_string_value(json_object_get(labels, STACK_LABEL_PROJECT));
        if (p == NULL || strcmp(p, project) || !json_object_get(labels, STACK_LABEL_NETWORK))
            continue;
        const char *name = net_network_name(c);
        hull_err *e = NULL;
        if (net_network_remove(ns, name, &e) < 0) {
            if (rc == 0) {
                *err = e;
                rc = -1;
            } else {
                hull_err_free(e);
            }
            continue;
        }
        fprintf(progress, " Network %s  Removed\n", name);
    }
    json_decref(list);
    return rc;
}
