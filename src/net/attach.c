/* Container attachments: ADD, cache, DEL, reconcile (see attach.h). */
#include "net/attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/addr.h"
#include "net/cni_cache.h"
#include "net/cni_list.h"
#include "net/dns.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/log.h"

static json_t *port_mappings(const struct net_port *ports, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a,
                              json_pack("{s:i, s:i, s:s, s:s}", "hostPort", (int)ports[i].host_port,
                                        "containerPort", (int)ports[i].container_port, "protocol",
                                        ports[i].proto, "hostIP", ports[i].host_ip));
    return a;
}

/* The interface name after the container's existing ones: eth0, eth1, ... */
static void next_ifname(json_t *existing, char out[16])
{
    for (int i = 0;; i++) {
        snprintf(out, 16, "eth%d", i);
        bool used = false;
        size_t j;
        json_t *e;
        json_array_foreach(existing, j, e)
        {
            if (strcmp(json_string_value(json_object_get(e, "ifName")), out) == 0)
                used = true;
        }
        if (!used)
            return;
    }
}

static json_int_t next_seq(json_t *existing)
{
    json_int_t max = 0;
    size_t j;
    json_t *e;
    json_array_foreach(existing, j, e)
    {
        json_int_t s = json_integer_value(json_object_get(json_object_get(e, "hull"), "seq"));
        if (s > max)
            max = s;
    }
    return max + 1;
}

/* What a result says about our interface: address, gateway, mac; address6 and gateway6 on a
 * dual-stack network. */
static void result_summary(json_t *result, const char *ifname, json_t *summary)
{
    json_t *ifaces = json_object_get(result, "interfaces");
    json_t *ip = NULL, *ip6 = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(result, "ips"), i, v)
    {
        json_t *idx = json_object_get(v, "interface");
        json_t *iface =
            json_is_integer(idx) ? json_array_get(ifaces, (size_t)json_integer_value(idx)) : NULL;
        const char *name = json_string_value(json_object_get(iface, "name"));
        const char *a = json_string_value(json_object_get(v, "address"));
        bool v6 = a && strchr(a, ':');
        json_t **slot = v6 ? &ip6 : &ip;
        if (*slot == NULL || (name && strcmp(name, ifname) == 0)) {
            *slot = v;
            if (iface)
                json_object_set(summary, "mac", json_object_get(iface, "mac"));
        }
    }
    const char *keys[2][2] = {{"address", "gateway"}, {"address6", "gateway6"}};
    json_t *found[2] = {ip, ip6};
    for (int f = 0; f < 2; f++) {
        if (f == 1 && ip6 == NULL)
            break;
        const char *addr = json_string_value(json_object_get(found[f], "address"));
        const char *gw = json_string_value(json_object_get(found[f], "gateway"));
        json_object_set_new(summary, keys[f][0], json_string(addr ? addr : ""));
        json_object_set_new(summary, keys[f][1], json_string(gw ? gw : ""));
    }
    if (json_object_get(summary, "mac") == NULL)
        json_object_set_new(summary, "mac", json_string(""));
}

/* "ADDR/N" -> ADDR (owned) and N. */
static char *split_cidr(const char *addr, int *prefix)
{
    const char *slash = addr ? strchr(addr, '/') : NULL;
    *prefix = slash ? atoi(slash + 1) : 0;
    return addr ? strndup(addr, slash ? (size_t)(slash - addr) : strlen(addr)) : strdup("");
}

static json_t *endpoint_view(json_t *entry)
{
    json_t *h = json_object_get(entry, "hull");
    int plen, plen6;
    cleanup_free char *ip = split_cidr(json_string_value(json_object_get(h, "address")), &plen);
    cleanup_free char *ip6 = split_cidr(json_string_value(json_object_get(h, "address6")), &plen6);
    const char *gw6 = json_string_value(json_object_get(h, "gateway6"));
    json_t *aliases = json_object_get(h, "aliases");
    json_t *ports = json_object_get(json_object_get(entry, "capabilityArgs"), "portMappings");
    return json_pack("{s:O, s:O, s:s, s:i, s:s, s:i, s:s, s:O, s:O, s:O, s:O, s:o, s:o}", "Network",
                     json_object_get(entry, "networkName"), "IfName",
                     json_object_get(entry, "ifName"), "IPAddress", ip, "IPPrefixLen", plen,
                     "GlobalIPv6Address", ip6, "GlobalIPv6PrefixLen", plen6, "IPv6Gateway",
                     gw6 ? gw6 : "", "Gateway", json_object_get(h, "gateway"), "MacAddress",
                     json_object_get(h, "mac"), "EndpointID", json_object_get(h, "endpointId"),
                     "NetworkID", json_object_get(h, "networkId"), "Aliases",
                     aliases ? json_incref(aliases) : json_array(), "Ports",
                     ports ? json_incref(ports) : json_array());
}

/* The plugins' DEL of one attachment (no lock needed: DEL is idempotent). */
static int del_plugins(net_store *s, json_t *entry, hull_err **err)
{
    json_t *h = json_object_get(entry, "hull");
    struct net_owner owner;
    net_owner_from_json(json_object_get(h, "owner"), &owner);
    char netns[64] = "";
    /* A live namespace is entered by the plugins; a dead one's path would name whatever took
     * the pid over, so none is passed (the plugins then release what is outside it). */
    if (net_owner_alive(&owner))
        snprintf(netns, sizeof netns, "/proc/%d/ns/net", (int)owner.pid);
    struct net_cni_runtime rt = {
        .container_id = json_string_value(json_object_get(entry, "containerId")),
        .netns = netns,
        .ifname = json_string_value(json_object_get(entry, "ifName")),
        .args = json_string_value(json_object_get(entry, "cniArgs")),
        .path = s->cni_path,
    };
    return net_cni_list_del(
        json_object_get(entry, "config"), &rt, json_object_get(entry, "capabilityArgs"),
        json_is_object(json_object_get(entry, "result")) ? json_object_get(entry, "result") : NULL,
        err);
}

/* After DEL, under the lock: the host ports and the cache entry go. */
static int forget_entry(net_store *s, json_t *entry, hull_err **err)
{
    net_ports_release(json_object_get(json_object_get(entry, "hull"), "portReservations"));
    return net_cni_cache_remove(s->cache_fd,
                                json_string_value(json_object_get(entry, "networkName")),
                                json_string_value(json_object_get(entry, "containerId")),
                                json_string_value(json_object_get(entry, "ifName")), err);
}

static int del_entry(net_store *s, json_t *entry, hull_err **err)
{
    int rc = del_plugins(s, entry, err);
    cleanup_err hull_err *e = NULL;
    if (forget_entry(s, entry, &e) < 0 && rc == 0) {
        *err = steal_pointer(&e);
        rc = -1;
    }
    return rc;
}

static void add_unique(json_t *names, const char *n)
{
    size_t i;
    json_t *v;
    json_array_foreach(names, i, v)
    {
        if (strcmp(json_string_value(v), n) == 0)
            return;
    }
    json_array_append_new(names, json_string(n));
}

static int reconcile_locked(net_store *s, json_t *touched, hull_err **err)
{
    cleanup_json json_t *entries = NULL;
    if (net_cni_cache_list(s->cache_fd, NULL, &entries, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = json_array_size(entries); i-- > 0;) {
        json_t *e = json_array_get(entries, i);
        struct net_owner owner;
        net_owner_from_json(json_object_get(json_object_get(e, "hull"), "owner"), &owner);
        if (net_owner_alive(&owner))
            continue;
        cleanup_err hull_err *de = NULL;
        if (del_entry(s, e, &de) < 0 && rc == 0) {
            rc = -1;
            *err = steal_pointer(&de);
        }
        add_unique(touched, json_string_value(json_object_get(e, "networkName")));
    }
    return rc;
}

int net_reconcile(net_store *s, hull_err **err)
{
    cleanup_close int lock = net_store_lock(s, err);
    if (lock < 0)
        return -1;
    cleanup_json json_t *touched = json_array();
    int rc = reconcile_locked(s, touched, err);
    cleanup_err hull_err *e = NULL;
    if (json_array_size(touched) && net_dns_update(s, touched, NULL, &e) < 0 && rc == 0) {
        *err = steal_pointer(&e);
        rc = -1;
    }
    return rc;
}

int net_attachments(net_store *s, const char *container_id, json_t **out, hull_err **err)
{
    return net_cni_cache_list(s->cache_fd, container_id, out, err);
}

int net_detach(net_store *s, const char *container_id, const char *network, hull_err **err)
{
    cleanup_json json_t *entries = NULL;
    if (net_cni_cache_list(s->cache_fd, container_id, &entries, err) < 0)
        return -1;
    /* DEL without the store lock, newest first: stops of many containers run in parallel. */
    cleanup_json json_t *mine = json_array();
    int rc = 0;
    for (size_t i = json_array_size(entries); i-- > 0;) {
        json_t *e = json_array_get(entries, i);
        if (network && strcmp(json_string_value(json_object_get(e, "networkName")), network) != 0)
            continue;
        cleanup_err hull_err *de = NULL;
        if (del_plugins(s, e, &de) < 0 && rc == 0) {
            rc = -1;
            *err = steal_pointer(&de);
        }
        json_array_append(mine, e);
    }
    if (json_array_size(mine) == 0)
        return rc;
    cleanup_err hull_err *le = NULL;
    cleanup_close int lock = net_store_lock(s, &le);
    if (lock < 0) {
        if (rc == 0)
            *err = steal_pointer(&le);
        return -1;
    }
    cleanup_json json_t *touched = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(mine, i, e)
    {
        cleanup_err hull_err *fe = NULL;
        if (forget_entry(s, e, &fe) < 0 && rc == 0) {
            rc = -1;
            *err = steal_pointer(&fe);
        }
        add_unique(touched, json_string_value(json_object_get(e, "networkName")));
    }
    cleanup_err hull_err *de = NULL;
    if (net_dns_update(s, touched, NULL, &de) < 0 && rc == 0) {
        *err = steal_pointer(&de);
        rc = -1;
    }
    return rc;
}

/* Under the lock: validate, reserve host ports, cache the entry without a result (so that
 * if hull dies during ADD, a later DEL from reconcile or rm -f finds what the plugins made).
 * The new entry is appended to `existing`. */
static int prepare_one(net_store *s, const struct net_attach_request *req,
                       const struct net_endpoint_request *ep, const struct net_owner *owner,
                       json_t *existing, bool with_ports, hull_err **err)
{
    cleanup_json json_t *conf = NULL;
    if (net_network_load(s, ep->network, &conf, err) < 0)
        return -1;
    const char *name = net_network_name(conf);
    if (net_network_ensure_up(s, conf, err) < 0)
        return -1;
    size_t j;
    json_t *e;
    json_array_foreach(existing, j, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "networkName")), name) == 0)
            return hull_error(err, 0, "endpoint with name %s already exists in network %s",
                              req->container_name, name);
    }
    json_t *meta = net_network_meta(conf);
    cleanup_free char *args = NULL;
    if (ep->ip) {
        uint32_t ip;
        struct net_cidr sub;
        if (net_ip_parse(ep->ip, &ip, err) < 0)
            return hull_error_prefix(err, "--ip");
        if (net_cidr_parse(json_string_value(json_object_get(meta, "subnet")), &sub, err) < 0)
            return -1;
        if (!net_cidr_contains(&sub, ip))
            return hull_error(err, 0, "--ip %s: not in network %s's subnet %s", ep->ip, name,
                              json_string_value(json_object_get(meta, "subnet")));
    }
    if (ep->ip6) {
        unsigned char ip6[16];
        struct net_cidr6 sub6;
        const char *subnet6 = json_string_value(json_object_get(meta, "subnet6"));
        if (!json_is_true(json_object_get(meta, "ipv6")) || subnet6 == NULL)
            return hull_error(err, 0, "--ip6 %s: network %s has no IPv6 (create it with --ipv6)",
                              ep->ip6, name);
        if (net_ip6_parse(ep->ip6, ip6, err) < 0)
            return hull_error_prefix(err, "--ip6");
        if (net_cidr6_parse(subnet6, &sub6, false, err) < 0)
            return -1;
        if (!net_cidr6_contains(&sub6, ip6))
            return hull_error(err, 0, "--ip6 %s: not in network %s's subnet %s", ep->ip6, name,
                              subnet6);
    }
    /* host-local takes the requested addresses, one per range, from CNI_ARGS IP=A[,B]. */
    if ((ep->ip || ep->ip6) && asprintf(&args, "IgnoreUnknown=1;IP=%s%s%s", ep->ip ? ep->ip : "",
                                        ep->ip && ep->ip6 ? "," : "", ep->ip6 ? ep->ip6 : "") < 0)
        abort();
    char ifname[16];
    next_ifname(existing, ifname);
    cleanup_json json_t *caps = json_object();
    cleanup_json json_t *reservations = NULL;
    if (with_ports && req->n_ports) {
        if (json_is_true(json_object_get(meta, "internal")))
            return hull_error(err, 0, "network %s is internal: ports cannot be published", name);
        for (size_t k = 0; k < req->n_ports; k++) {
            const char *hip = req->ports[k].host_ip;
            if (!strchr(hip, ':'))
                continue;
            if (net_port_check_dnat(&req->ports[k], err) < 0)
                return -1;
            if (!json_is_true(json_object_get(meta, "ipv6")))
                return hull_error(err, 0,
                                  "-p [%s]:%u:%u: network %s has no IPv6 (create it with --ipv6)",
                                  hip, req->ports[k].host_port, req->ports[k].container_port, name);
        }
        cleanup_free char *what = NULL;
        if (asprintf(&what, "%s %s", s->data_root, req->container_id) < 0)
            abort();
        if (net_ports_reserve(req->ports, req->n_ports, owner, what, &reservations, err) < 0)
            return -1;
        json_object_set_new(caps, "portMappings", port_mappings(req->ports, req->n_ports));
    }
    if (with_ports && (req->ingress_rate || req->egress_rate)) {
        /* tbf needs a burst: a twentieth of a second's worth, at least a few full frames. */
        json_t *bw = json_object();
        long long rates[2] = {req->ingress_rate, req->egress_rate};
        const char *keys[2][2] = {{"ingressRate", "ingressBurst"}, {"egressRate", "egressBurst"}};
        for (int k = 0; k < 2; k++) {
            if (rates[k] == 0)
                continue;
            long long burst = rates[k] / 20 > 8 * 9000 * 4 ? rates[k] / 20 : 8 * 9000 * 4;
            json_object_set_new(bw, keys[k][0], json_integer(rates[k]));
            json_object_set_new(bw, keys[k][1], json_integer(burst));
        }
        json_object_set_new(caps, "bandwidth", bw);
    }
    /* Plugins whose capability nothing asks for are left out of this attachment's chain (and
     * of its cached config, so DEL runs the same chain): no ports, no portmap; no rates, no
     * bandwidth. */
    static const char *const optional[][2] = {
        {"hull-portmap", "portMappings"}, {"portmap", "portMappings"}, {"bandwidth", "bandwidth"}};
    json_t *plugins = json_object_get(conf, "plugins");
    for (size_t i = json_array_size(plugins); i-- > 0;) {
        const char *type = json_string_value(json_object_get(json_array_get(plugins, i), "type"));
        for (size_t k = 0; k < sizeof optional / sizeof *optional; k++)
            if (type && strcmp(type, optional[k][0]) == 0 &&
                json_object_get(caps, optional[k][1]) == NULL) {
                json_array_remove(plugins, i); /* frees `type`: done with this plugin */
                break;
            }
    }
    json_t *h =
        json_pack("{s:I, s:s, s:o, s:O, s:s, s:o}", "seq", next_seq(existing), "name",
                  req->container_name, "aliases", json_array(), "networkId",
                  json_object_get(meta, "id"), "endpointId", "", "owner", net_owner_json(owner));
    for (char *const *a = ep->aliases; a && *a; a++)
        json_array_append_new(json_object_get(h, "aliases"), json_string(*a));
    char eid[65];
    snprintf(eid, sizeof eid, "%.32s%.32s", json_string_value(json_object_get(meta, "id")),
             req->container_id);
    json_object_set_new(h, "endpointId", json_string(eid));
    if (reservations)
        json_object_set(h, "portReservations", reservations);
    json_t *entry =
        json_pack("{s:s, s:s, s:s, s:s, s:O, s:s, s:O, s:n, s:o}", "kind", "cniCacheV1",
                  "containerId", req->container_id, "ifName", ifname, "networkName", name, "config",
                  conf, "cniArgs", args ? args : "", "capabilityArgs", caps, "result", "hull", h);
    if (net_cni_cache_write(s->cache_fd, name, req->container_id, ifname, entry, err) < 0) {
        net_ports_release(reservations);
        json_decref(entry);
        return -1;
    }
    json_array_append_new(existing, entry);
    return 0;
}

/* Without the lock (the plugins lock what they share): ADD, then record the result. */
static int add_one(net_store *s, const struct net_attach_request *req, json_t *entry,
                   hull_err **err)
{
    char netns[64];
    snprintf(netns, sizeof netns, "/proc/%d/ns/net", (int)req->pid);
    const char *args = json_string_value(json_object_get(entry, "cniArgs"));
    struct net_cni_runtime rt = {.container_id = req->container_id,
                                 .netns = netns,
                                 .ifname = json_string_value(json_object_get(entry, "ifName")),
                                 .args = args && *args ? args : NULL,
                                 .path = s->cni_path};
    cleanup_json json_t *result = NULL;
    if (net_cni_list_add(json_object_get(entry, "config"), &rt,
                         json_object_get(entry, "capabilityArgs"), &result, err) < 0)
        return -1;
    json_object_set(entry, "result", result);
    result_summary(result, rt.ifname, json_object_get(entry, "hull"));
    return net_cni_cache_write(s->cache_fd,
                               json_string_value(json_object_get(entry, "networkName")),
                               req->container_id, rt.ifname, entry, err);
}

/* Drop the entries from index `from` on: DEL them (ADD failed part-way) and release. */
static void undo_entries(net_store *s, json_t *entries, size_t from)
{
    for (size_t i = json_array_size(entries); i-- > from;) {
        cleanup_err hull_err *e = NULL;
        del_entry(s, json_array_get(entries, i), &e);
    }
}

int net_attach(net_store *s, const struct net_attach_request *req, json_t **out, hull_err **err)
{
    *out = NULL;
    cleanup_json json_t *touched = json_array();
    cleanup_json json_t *existing = NULL;
    size_t before = 0;
    struct net_owner owner;
    net_owner_self(&owner, req->pid);
    {
        cleanup_close int lock = net_store_lock(s, err);
        if (lock < 0)
            return -1;
        cleanup_err hull_err *re = NULL;
        if (reconcile_locked(s, touched, &re) < 0)
            hull_warn("clean up stale network attachments: %s", re->msg);
        if (net_cni_cache_list(s->cache_fd, req->container_id, &existing, err) < 0)
            return -1;
        before = json_array_size(existing);
        for (size_t i = 0; i < req->n_endpoints; i++)
            if (prepare_one(s, req, &req->endpoints[i], &owner, existing, i == 0, err) < 0) {
                undo_entries(s, existing, before);
                return -1;
            }
    }
    for (size_t i = before; i < json_array_size(existing); i++)
        if (add_one(s, req, json_array_get(existing, i), err) < 0) {
            cleanup_err hull_err *le = NULL;
            cleanup_close int lock = net_store_lock(s, &le);
            undo_entries(s, existing, before);
            return -1;
        }
    json_t *res = json_array();
    for (size_t i = before; i < json_array_size(existing); i++) {
        json_t *e = json_array_get(existing, i);
        json_array_append_new(res, endpoint_view(e));
        add_unique(touched, json_string_value(json_object_get(e, "networkName")));
    }
    /* Without its DNS server the network still works: say so, do not fail the start. */
    cleanup_close int lock = net_store_lock(s, err);
    cleanup_err hull_err *de = NULL;
    if (lock >= 0 && json_array_size(touched) &&
        net_dns_update(s, touched, req->container_id, &de) < 0)
        hull_warn("container name resolution: %s", de->msg);
    *out = res;
    return 0;
}
