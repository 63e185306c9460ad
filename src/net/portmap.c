/* Published ports as nftables rules (see portmap.h). */
#include "net/portmap.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/addr.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/digest.h"
#include "util/str.h"

#define T "inet " NET_PORTMAP_TABLE

static bool tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

char *net_portmap_tag(const char *container_id, const char *ifname)
{
    char *tag;
    if (asprintf(&tag, "%s %s", container_id, ifname) < 0)
        abort();
    bool plain = strlen(tag) <= 127 && *container_id && *ifname;
    for (const char *p = container_id; plain && *p; p++)
        plain = tag_char(*p);
    for (const char *p = ifname; plain && *p; p++)
        plain = tag_char(*p);
    if (plain)
        return tag;
    char d[DIGEST_STR_LEN];
    /* The NUL between the two keeps ("ab", "c") and ("a", "bc") apart. */
    digest_ctx *ctx = digest_new();
    digest_update(ctx, container_id, strlen(container_id) + 1);
    digest_update(ctx, ifname, strlen(ifname));
    digest_final(ctx, d);
    digest_free(ctx);
    free(tag);
    return strdup(d);
}

/* The container's first IPv4 and IPv6 address with their subnets, from the previous result's
 * `ips` (those on an interface in the container's namespace when the result says which). */
struct container_addrs {
    bool has4, has6;
    char ip4[16], sub4[20];
    char ip6[INET6_ADDRSTRLEN], sub6[50];
};

static bool in_sandbox(json_t *prev, json_t *ip)
{
    json_t *idx = json_object_get(ip, "interface");
    if (!json_is_integer(idx))
        return true;
    json_t *iface = json_array_get(json_object_get(prev, "interfaces"), json_integer_value(idx));
    const char *sandbox = json_string_value(json_object_get(iface, "sandbox"));
    return iface == NULL || (sandbox && *sandbox);
}

static int container_addrs(json_t *prev, struct container_addrs *a, hull_err **err)
{
    *a = (struct container_addrs){0};
    size_t i;
    json_t *ip;
    json_array_foreach(json_object_get(prev, "ips"), i, ip)
    {
        const char *text = json_string_value(json_object_get(ip, "address"));
        if (text == NULL || !in_sandbox(prev, ip))
            continue;
        const char *slash = strchr(text, '/');
        size_t len = slash ? (size_t)(slash - text) : strlen(text);
        char addr[INET6_ADDRSTRLEN];
        if (slash == NULL || len >= sizeof addr)
            return hull_error(err, 0, "prevResult: ips[%zu].address `%s` is not ADDRESS/PREFIX", i,
                              text);
        memcpy(addr, text, len);
        addr[len] = '\0';
        if (strchr(addr, ':') == NULL) {
            struct net_cidr c;
            if (a->has4)
                continue;
            uint32_t a4;
            if (net_cidr_parse(text, &c, err) < 0 || net_ip_parse(addr, &a4, err) < 0)
                return hull_error_prefix(err, "prevResult: ips[%zu].address", i);
            net_ip_format(a4, a->ip4);
            net_cidr_format(&c, a->sub4);
            a->has4 = true;
        } else {
            struct net_cidr6 c;
            if (a->has6)
                continue;
            if (net_cidr6_parse(text, &c, true, err) < 0)
                return hull_error_prefix(err, "prevResult: ips[%zu].address", i);
            net_ip6_mask(c.addr, c.prefix);
            snprintf(a->ip6, sizeof a->ip6, "%s", addr);
            net_cidr6_format(&c, a->sub6);
            a->has6 = true;
        }
    }
    return 0;
}

/* The host interface 127.0.0.1's packets leave by towards the container: the bridge among the
 * interfaces outside the container (the first of them when none is a bridge; never the host's
 * loopback, whatever a result says). */
static char *localnet_dev_of(json_t *prev)
{
    const char *first = NULL;
    size_t i;
    json_t *iface;
    json_array_foreach(json_object_get(prev, "interfaces"), i, iface)
    {
        const char *name = json_string_value(json_object_get(iface, "name"));
        const char *sandbox = json_string_value(json_object_get(iface, "sandbox"));
        if (name == NULL || (sandbox && *sandbox) || strchr(name, '/') || name[0] == '.' ||
            strcmp(name, "lo") == 0)
            continue;
        if (first == NULL)
            first = name;
        char path[64];
        snprintf(path, sizeof path, "/sys/class/net/%.16s/bridge", name);
        if (access(path, F_OK) == 0)
            return strdup(name);
    }
    return first ? strdup(first) : NULL;
}

struct mapping {
    unsigned host_port, container_port;
    const char *proto;
    char host_ip[INET6_ADDRSTRLEN]; /* "" = every local address */
    int family;                     /* 0 = both, 4, 6 */
};

static int mapping_of(json_t *m, size_t i, struct mapping *out, hull_err **err)
{
    json_t *hp = json_object_get(m, "hostPort"), *cp = json_object_get(m, "containerPort");
    const char *proto = json_string_value(json_object_get(m, "protocol"));
    json_t *hip = json_object_get(m, "hostIP");
    *out = (struct mapping){.proto = proto && *proto ? proto : "tcp"};
    if (!json_is_integer(hp) || json_integer_value(hp) < 1 || json_integer_value(hp) > 65535)
        return hull_error(err, 0, "runtimeConfig.portMappings[%zu].hostPort: not a port (1-65535)",
                          i);
    if (!json_is_integer(cp) || json_integer_value(cp) < 1 || json_integer_value(cp) > 65535)
        return hull_error(err, 0,
                          "runtimeConfig.portMappings[%zu].containerPort: not a port (1-65535)", i);
    if (strcmp(out->proto, "tcp") != 0 && strcmp(out->proto, "udp") != 0 &&
        strcmp(out->proto, "sctp") != 0)
        return hull_error(err, 0,
                          "runtimeConfig.portMappings[%zu].protocol: `%s` is not tcp, udp or sctp",
                          i, out->proto);
    out->host_port = (unsigned)json_integer_value(hp);
    out->container_port = (unsigned)json_integer_value(cp);
    if (hip != NULL && !json_is_string(hip))
        return hull_error(err, 0, "runtimeConfig.portMappings[%zu].hostIP: not a string", i);
    const char *h = json_string_value(hip);
    unsigned char buf[16];
    if (h == NULL || *h == '\0') {
        out->family = 0;
    } else if (inet_pton(AF_INET, h, buf) == 1) {
        out->family = 4;
        if (strcmp(h, "0.0.0.0") != 0)
            snprintf(out->host_ip, sizeof out->host_ip, "%s", h);
    } else if (inet_pton(AF_INET6, h, buf) == 1) {
        out->family = 6;
        if (strcmp(h, "::") != 0)
            inet_ntop(AF_INET6, buf, out->host_ip, sizeof out->host_ip);
    } else {
        return hull_error(
            err, 0, "runtimeConfig.portMappings[%zu].hostIP: `%s` is not an IP address", i, h);
    }
    return 0;
}

static void add_rules(char **s, const struct mapping *m, const struct container_addrs *a, bool v6,
                      bool snat, const char *tag)
{
    const char *fam = v6 ? "ip6" : "ip";
    char match[128] = "";
    if (*m->host_ip)
        snprintf(match, sizeof match, "%s daddr %s ", fam, m->host_ip);
    if (snat) {
        /* Hairpin (a container of this subnet through a host address) and, for IPv4,
         * 127.0.0.1: the reply must come back through the host, so the source is masqueraded. */
        if (v6)
            str_appendf(s, "add rule " T " hostports %sip6 saddr %s %s dport %u", match, a->sub6,
                        m->proto, m->host_port);
        else
            str_appendf(s, "add rule " T " hostports %sip saddr { %s, 127.0.0.0/8 } %s dport %u",
                        match, a->sub4, m->proto, m->host_port);
        str_appendf(s, " meta mark set meta mark | 0x%x comment \"%s\"\n",
                    1u << NET_PORTMAP_MARK_BIT, tag);
    }
    str_appendf(s, "add rule " T " hostports %smeta nfproto %s %s dport %u dnat %s to ", match,
                v6 ? "ipv6" : "ipv4", m->proto, m->host_port, fam);
    if (v6)
        str_appendf(s, "[%s]:%u", a->ip6, m->container_port);
    else
        str_appendf(s, "%s:%u", a->ip4, m->container_port);
    str_appendf(s, " comment \"%s\"\n", tag);
}

int net_portmap_add_script(json_t *conf, const char *tag, char **script, char **localnet_dev,
                           hull_err **err)
{
    *script = *localnet_dev = NULL;
    json_t *maps = json_object_get(json_object_get(conf, "runtimeConfig"), "portMappings");
    if (maps != NULL && !json_is_array(maps))
        return hull_error(err, 0, "runtimeConfig.portMappings: not an array");
    if (json_array_size(maps) == 0)
        return 0;
    json_t *snat_j = json_object_get(conf, "snat");
    if (snat_j && !json_is_boolean(snat_j))
        return hull_error(err, 0, "snat: not a boolean");
    json_t *bit = json_object_get(conf, "markMasqBit");
    if (bit && (!json_is_integer(bit) || json_integer_value(bit) != NET_PORTMAP_MARK_BIT))
        return hull_error(err, 0, "markMasqBit: only %d (portmap's default) is supported",
                          NET_PORTMAP_MARK_BIT);
    bool snat = snat_j == NULL || json_is_true(snat_j);
    json_t *prev = json_object_get(conf, "prevResult");
    if (!json_is_object(prev))
        return hull_error(err, 0,
                          "prevResult: missing (hull-portmap chains after an interface "
                          "plugin such as bridge)");
    struct container_addrs a;
    if (container_addrs(prev, &a, err) < 0)
        return -1;
    if (!a.has4 && !a.has6)
        return hull_error(err, 0, "prevResult: the container has no IP address to publish to");
    cleanup_free char *rules = NULL;
    bool localnet = false;
    size_t i;
    json_t *mj;
    json_array_foreach(maps, i, mj)
    {
        struct mapping m;
        if (mapping_of(mj, i, &m, err) < 0)
            return -1;
        if (m.family == 4 && !a.has4)
            return hull_error(err, 0,
                              "runtimeConfig.portMappings[%zu].hostIP: %s, but the container "
                              "has no IPv4 address",
                              i, *m.host_ip ? m.host_ip : "0.0.0.0");
        if (m.family == 6 && !a.has6)
            return hull_error(err, 0,
                              "runtimeConfig.portMappings[%zu].hostIP: %s, but the container "
                              "has no IPv6 address",
                              i, *m.host_ip ? m.host_ip : "::");
        if (m.family != 6 && a.has4) {
            add_rules(&rules, &m, &a, false, snat, tag);
            localnet |= *m.host_ip == '\0' || strncmp(m.host_ip, "127.", 4) == 0;
        }
        if (m.family != 4 && a.has6)
            add_rules(&rules, &m, &a, true, snat, tag);
    }
    *script = steal_pointer(&rules);
    if (localnet && snat)
        *localnet_dev = localnet_dev_of(prev);
    return 0;
}

char *net_portmap_table_script(bool repair)
{
    char *s = NULL;
    str_appendf(&s, "%s table " T "\n", repair ? "add" : "create");
    str_appendf(&s, "add chain " T " hostports\n"
                    "add chain " T " prerouting { type nat hook prerouting priority dstnat; }\n"
                    "add chain " T " output { type nat hook output priority -100; }\n"
                    "add chain " T " postrouting { type nat hook postrouting priority srcnat; }\n");
    /* The base chains hold only these rules: made anew, so there is exactly one of each
     * whatever was there. */
    if (repair)
        str_appendf(&s, "flush chain " T " prerouting\n"
                        "flush chain " T " output\n"
                        "flush chain " T " postrouting\n");
    str_appendf(&s,
                "add rule " T " prerouting fib daddr type local jump hostports\n"
                "add rule " T " output fib daddr type local jump hostports\n"
                "add rule " T " postrouting meta mark & 0x%x == 0x%x masquerade\n",
                1u << NET_PORTMAP_MARK_BIT, 1u << NET_PORTMAP_MARK_BIT);
    return s;
}

int net_portmap_handles(const char *listing, const char *tag, long long **handles, size_t *n,
                        hull_err **err)
{
    *handles = NULL;
    *n = 0;
    json_error_t je;
    cleanup_json json_t *doc = json_loads(listing, 0, &je);
    json_t *items = json_object_get(doc, "nftables");
    if (!json_is_array(items))
        return hull_error(err, 0, "nft's listing of " T " hostports is not its JSON: %s",
                          doc ? "no `nftables` array" : je.text);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        json_t *rule = json_object_get(it, "rule");
        const char *comment = json_string_value(json_object_get(rule, "comment"));
        json_t *h = json_object_get(rule, "handle");
        if (comment == NULL || strcmp(comment, tag) != 0 || !json_is_integer(h))
            continue;
        *handles = realloc(*handles, (*n + 1) * sizeof **handles);
        if (*handles == NULL)
            abort();
        (*handles)[(*n)++] = json_integer_value(h);
    }
    return 0;
}

char *net_portmap_del_script(const long long *handles, size_t n)
{
    char *s = NULL;
    for (size_t i = 0; i < n; i++)
        str_appendf(&s, "delete rule " T " hostports handle %lld\n", handles[i]);
    return s;
}
