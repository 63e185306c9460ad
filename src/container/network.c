/* Container networking: record fields, set-up, teardown, connect, inspect (see network.h). */
#include "container/network.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "container/net_policy.h"
#include "container/ports_display.h"
#include "container/status.h"
#include "linux/rootless.h"
#include "net/pasta.h"
#include "net/attach.h"
#include "net/network.h"
#include "net/ports.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/fs.h"

static json_t *strv_array(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

static const char *net_mode(json_t *doc)
{
    const char *m =
        json_string_value(json_object_get(json_object_get(doc, "HostConfig"), "NetworkMode"));
    return m ? m : "none";
}

/* Modes without hull networks of their own. */
static bool mode_is_special(const char *m)
{
    return strcmp(m, "none") == 0 || strcmp(m, "host") == 0 || strncmp(m, "container:", 10) == 0 ||
           strcmp(m, "pasta") == 0;
}

/* Rootless hull's default network (net/pasta.h): a namespace of its own, published ports. */
static bool mode_is_pasta(const char *m)
{
    return strcmp(m, "pasta") == 0;
}

/* docker's EndpointSettings.IPAMConfig: the addresses asked for (null without any). */
static json_t *ipam_config(const char *ip, const char *ip6)
{
    if (ip == NULL && ip6 == NULL)
        return json_null();
    json_t *o = json_object();
    if (ip)
        json_object_set_new(o, "IPv4Address", json_string(ip));
    if (ip6)
        json_object_set_new(o, "IPv6Address", json_string(ip6));
    return o;
}

static int add_port_bindings(const struct run_request *req, json_t *bindings, json_t *exposed,
                             hull_err **err)
{
    for (char **p = req->publish; p && *p; p++) {
        struct net_port *ports = NULL;
        size_t n = 0;
        if (net_port_parse(*p, &ports, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            /* pasta (rootless) listens on ::1 like any address; kernel DNAT cannot. */
            if (!rootless_in_userns() && net_port_check_dnat(&ports[i], err) < 0) {
                free(ports);
                return -1;
            }
            char key[32], host[12] = "";
            snprintf(key, sizeof key, "%u/%s", ports[i].container_port, ports[i].proto);
            if (ports[i].host_port)
                snprintf(host, sizeof host, "%u", ports[i].host_port);
            json_t *list = json_object_get(bindings, key);
            if (list == NULL) {
                list = json_array();
                json_object_set_new(bindings, key, list);
            }
            json_array_append_new(
                list, json_pack("{s:s, s:s}", "HostIp", ports[i].host_ip, "HostPort", host));
            json_object_set_new(exposed, key, json_object());
        }
        free(ports);
    }
    return 0;
}

static int record_container_mode(container_store *cs, const char *target, json_t *host,
                                 hull_err **err)
{
    cleanup_free char *id = NULL;
    if (container_resolve(cs, target, &id, err) < 0)
        return hull_error_prefix(err, "--network container:%s", target);
    cleanup_free char *mode = NULL;
    if (asprintf(&mode, "container:%s", id) < 0)
        abort();
    json_object_set_new(host, "NetworkMode", json_string(mode));
    return 0;
}

int container_network_record(container_store *cs, const struct run_request *req,
                             const image_config *ic, json_t *rec, hull_err **err)
{
    json_t *host = json_object_get(rec, "HostConfig");
    json_t *config = json_object_get(rec, "Config");
    const char *mode = strcmp(req->network, "default") == 0 ? NET_DEFAULT_NETWORK : req->network;
    /* A microVM brings its own network (docs/vm.md): the default bridge does not apply. */
    if (strcmp(req->runtime, "vm") == 0 && strcmp(mode, NET_DEFAULT_NETWORK) == 0)
        mode = "none";
    json_t *exposed = json_object();
    for (char **e = ic ? ic->exposed_ports : NULL; e && *e; e++)
        json_object_set_new(exposed, *e, json_object());
    json_object_set_new(config, "ExposedPorts", exposed);
    for (char **e = req->expose; e && *e; e++) {
        cleanup_strv char **keys = NULL;
        size_t n = 0;
        if (net_expose_parse(*e, &keys, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            json_object_set_new(exposed, keys[i], json_object());
    }
    json_t *bindings = json_object();
    json_object_set_new(host, "PortBindings", bindings);
    json_object_set_new(host, "PublishAllPorts", json_boolean(req->publish_all));
    json_object_set_new(host, "Dns", strv_array(req->dns));
    json_object_set_new(host, "DnsSearch", strv_array(req->dns_search));
    json_object_set_new(host, "DnsOptions", strv_array(req->dns_options));
    json_object_set_new(host, "ExtraHosts", strv_array(req->add_hosts));
    json_object_set_new(host, "NetworkIngressRate", json_integer(req->ingress_rate));
    json_object_set_new(host, "NetworkEgressRate", json_integer(req->egress_rate));
    json_t *nets = json_object();
    json_object_set_new(rec, "NetworkSettings", json_pack("{s:o}", "Networks", nets));
    if (add_port_bindings(req, bindings, exposed, err) < 0)
        return -1;
    /* Rootless (docs/rootless.md): no bridge can be made in the host's network namespace; the
     * default network (`bridge`) is pasta's, as podman's. */
    if (rootless_in_userns() && strcmp(mode, NET_DEFAULT_NETWORK) == 0)
        mode = "pasta";
    else if (strcmp(mode, "pasta") == 0 && !rootless_in_userns())
        return hull_error(err, 0,
                          "--network pasta: only rootless hull uses pasta (as root, containers "
                          "get bridge networks)");
    if (mode_is_pasta(mode)) {
        if (req->network_aliases || req->ip || req->ip6)
            return hull_error(err, 0,
                              "--network-alias, --ip and --ip6 need a bridge network "
                              "(rootless hull has pasta's only: docs/rootless.md)");
        if (req->ingress_rate || req->egress_rate)
            return hull_error(err, 0,
                              "--network-ingress-rate and --network-egress-rate need a bridge "
                              "network (rootless hull has pasta's only: docs/rootless.md)");
        json_object_set_new(host, "NetworkMode", json_string(mode));
        return 0;
    }
    if (rootless_in_userns() && !mode_is_special(mode))
        return hull_error(err, 0,
                          "--network %s: rootless hull has no bridge networks (their bridge, "
                          "veths and iptables rules need root in the host's network namespace): "
                          "use the default (pasta), none, host or container:C (docs/rootless.md)",
                          mode);
    if (mode_is_special(mode)) {
        if (json_object_size(bindings) || req->publish_all)
            return hull_error(err, 0,
                              "conflicting options: port publishing and the container "
                              "type network mode");
        if (req->network_aliases || req->ip || req->ip6)
            return hull_error(err, 0, "--network-alias, --ip and --ip6 need a bridge network");
        if (req->ingress_rate || req->egress_rate)
            return hull_error(err, 0,
                              "--network-ingress-rate and --network-egress-rate need a "
                              "bridge network");
        if (strncmp(mode, "container:", 10) == 0)
            return record_container_mode(cs, mode + 10, host, err);
        json_object_set_new(host, "NetworkMode", json_string(mode));
        return 0;
    }
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0)
        return -1;
    if (strcmp(mode, NET_DEFAULT_NETWORK) == 0 && net_network_ensure_default(ns, err) < 0)
        return -1;
    cleanup_json json_t *conf = NULL;
    if (net_network_load(ns, mode, &conf, err) < 0)
        return -1;
    const char *name = net_network_name(conf);
    bool is_default = strcmp(name, NET_DEFAULT_NETWORK) == 0;
    if (is_default && req->network_aliases)
        return hull_error(err, 0,
                          "network-scoped alias is supported only for containers in "
                          "user defined networks");
    if (is_default && (req->ip || req->ip6))
        return hull_error(err, 0,
                          "user specified IP address is supported on user defined "
                          "networks only");
    json_object_set_new(host, "NetworkMode", json_string(name));
    json_t *ipam = ipam_config(req->ip, req->ip6);
    json_object_set_new(nets, name,
                        json_pack("{s:o, s:o, s:O}", "Aliases", strv_array(req->network_aliases),
                                  "IPAMConfig", ipam, "NetworkID",
                                  json_object_get(net_network_meta(conf), "id")));
    return 0;
}

/* Write a bind-mounted file in place (a rename would leave the mount on the old inode). */
static int write_in_place(int dirfd, const char *name, const char *text, hull_err **err)
{
    cleanup_close int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0)
        return hull_error(err, errno, "write `%s`", name);
    return 0;
}

/* The host's nameservers other than loopback ones (unreachable from a network namespace). */
static void host_nameservers(char **buf)
{
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    int found = 0;
    if (fs_read_file("/etc/resolv.conf", 1u << 20, &text, &len, &e) == 0) {
        for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
             l = strtok_r(NULL, "\n", &save)) {
            char ns[64];
            if (sscanf(l, " nameserver %63s", ns) != 1 || strncmp(ns, "127.", 4) == 0 ||
                strcmp(ns, "::1") == 0)
                continue;
            str_appendf(buf, "nameserver %s\n", ns);
            found++;
        }
    }
    if (!found) /* docker's fallback */
        str_appendf(buf, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

static const char *first_gateway(json_t *eps)
{
    const char *gw = json_string_value(json_object_get(json_array_get(eps, 0), "Gateway"));
    return gw && *gw ? gw : NULL;
}

int container_network_write_etc(container_store *cs, container_record *r, json_t *eps,
                                hull_err **err)
{
    json_t *host = json_object_get(r->doc, "HostConfig");
    const char *hostname =
        json_string_value(json_object_get(json_object_get(r->doc, "Config"), "Hostname"));
    const char *mode = net_mode(r->doc);
    char *hosts = NULL;
    str_appendf(&hosts, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
    const char *ip = json_string_value(json_object_get(json_array_get(eps, 0), "IPAddress"));
    str_appendf(&hosts, "%s\t%s\n", ip && *ip ? ip : "127.0.1.1", hostname ? hostname : "");
    const char *ip6 =
        json_string_value(json_object_get(json_array_get(eps, 0), "GlobalIPv6Address"));
    if (ip6 && *ip6)
        str_appendf(&hosts, "%s\t%s\n", ip6, hostname ? hostname : "");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(host, "ExtraHosts"), i, v)
    {
        const char *h = json_string_value(v);
        const char *colon = strchr(h, ':');
        if (colon == NULL)
            continue;
        cleanup_free char *name = strndup(h, (size_t)(colon - h));
        const char *addr = colon + 1;
        if (strcmp(addr, "host-gateway") == 0)
            addr = first_gateway(eps) ? first_gateway(eps) : "127.0.0.1";
        str_appendf(&hosts, "%s\t%s\n", addr, name);
    }
    int rc = write_in_place(r->dirfd, "hosts", hosts, err);
    free(hosts);
    if (rc < 0)
        return -1;
    /* resolv.conf: --dns, else the network's DNS server (aardvark-dns on the gateway of a user
     * network), else the host's (host networking: as it is; bridge: without loopback ones). */
    char *resolv = NULL;
    json_t *dns = json_object_get(host, "Dns");
    bool user_dns = false;
    if (json_array_size(eps) && !mode_is_special(mode)) {
        cleanup_net_store net_store *ns = NULL;
        cleanup_json json_t *conf = NULL;
        cleanup_err hull_err *e = NULL;
        const char *first = json_string_value(json_object_get(json_array_get(eps, 0), "Network"));
        if (net_store_open(cs->data_root, &ns, &e) == 0 &&
            net_network_load(ns, first, &conf, &e) == 0)
            user_dns = json_is_true(json_object_get(net_network_meta(conf), "dns"));
    }
    if (json_array_size(dns)) {
        json_array_foreach(dns, i, v) str_appendf(&resolv, "nameserver %s\n", json_string_value(v));
    } else if (user_dns && first_gateway(eps)) {
        str_appendf(&resolv, "nameserver %s\n", first_gateway(eps));
    } else if (strcmp(mode, "host") == 0 || json_array_size(eps) || mode_is_pasta(mode)) {
        if (strcmp(mode, "host") == 0) {
            cleanup_free char *text = NULL;
            size_t len;
            cleanup_err hull_err *e = NULL;
            if (fs_read_file("/etc/resolv.conf", 1u << 20, &text, &len, &e) == 0)
                str_appendf(&resolv, "%s", text);
        } else {
            host_nameservers(&resolv);
        }
    }
    json_t *search = json_object_get(host, "DnsSearch");
    if (json_array_size(search)) {
        str_appendf(&resolv, "search");
        json_array_foreach(search, i, v) str_appendf(&resolv, " %s", json_string_value(v));
        str_appendf(&resolv, "\n");
    }
    json_t *opts = json_object_get(host, "DnsOptions");
    if (json_array_size(opts)) {
        str_appendf(&resolv, "options");
        json_array_foreach(opts, i, v) str_appendf(&resolv, " %s", json_string_value(v));
        str_appendf(&resolv, "\n");
    }
    rc = write_in_place(r->dirfd, "resolv.conf", resolv ? resolv : "", err);
    free(resolv);
    return rc;
}

/* The running process of container `id` (0 when not running). */
static pid_t running_pid(container_store *cs, const char *id, hull_err **err)
{
    cleanup_container_record container_record *t = NULL;
    if (container_record_load(cs, id, &t, err) < 0)
        return -1;
    struct container_state_info st;
    if (container_status_get(cs, t, &st, err) < 0)
        return -1;
    return st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED ? st.pid : 0;
}

int container_network_prepare(container_store *cs, container_record *r, hull_err **err)
{
    const char *mode = net_mode(r->doc);
    if (strncmp(mode, "container:", 10) != 0)
        return 0;
    pid_t pid = running_pid(cs, mode + 10, err);
    if (pid < 0)
        return -1;
    if (pid == 0)
        return hull_error(err, 0, "cannot join network of a non running container: %.12s",
                          mode + 10);
    cleanup_close int bfd = openat(r->dirfd, "bundle", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *text = NULL;
    size_t len;
    if (bfd < 0 || fs_read_file_at(bfd, "config.json", 0, &text, &len, err) < 0)
        return bfd < 0 ? hull_error(err, errno, "open the bundle") : -1;
    cleanup_json json_t *spec = NULL;
    if (json_load_string_checked(text, len, "config.json", &spec, err) < 0)
        return -1;
    json_t *nss = json_object_get(json_object_get(spec, "linux"), "namespaces");
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    size_t i;
    json_t *n;
    bool found = false;
    json_array_foreach(nss, i, n)
    {
        if (strcmp(json_string_value(json_object_get(n, "type")), "network") == 0) {
            json_object_set_new(n, "path", json_string(path));
            found = true;
        }
    }
    if (!found)
        json_array_append_new(nss, json_pack("{s:s, s:s}", "type", "network", "path", path));
    return container_write_bundle_config(r, bfd, spec, false, err);
}

static int ports_of(container_record *r, struct net_port **out, size_t *n, hull_err **err)
{
    *out = NULL;
    *n = 0;
    json_t *host = json_object_get(r->doc, "HostConfig");
    json_t *bindings = json_object_get(host, "PortBindings");
    json_t *exposed = json_object_get(json_object_get(r->doc, "Config"), "ExposedPorts");
    const char *key;
    json_t *list;
    json_object_foreach(bindings, key, list)
    {
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b)
        {
            struct net_port p = {0};
            unsigned cport = 0;
            char proto[8] = "tcp";
            if (sscanf(key, "%u/%7s", &cport, proto) < 1 ||
                (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
                return hull_error(err, 0, "PortBindings: bad key `%s` (expected PORT/tcp|udp)",
                                  key);
            p.container_port = cport;
            memcpy(p.proto, proto, sizeof p.proto); /* "tcp" or "udp" and its NUL */
            snprintf(p.host_ip, sizeof p.host_ip, "%s",
                     json_string_value(json_object_get(b, "HostIp")) ?: "");
            p.host_port = (unsigned)strtoul(
                json_string_value(json_object_get(b, "HostPort")) ?: "0", NULL, 10);
            struct net_port *v = realloc(*out, (*n + 1) * sizeof *v);
            if (v == NULL)
                abort();
            *out = v;
            v[(*n)++] = p;
        }
    }
    if (json_is_true(json_object_get(host, "PublishAllPorts"))) {
        json_t *unused;
        json_object_foreach(exposed, key, unused)
        {
            if (json_object_get(bindings, key))
                continue;
            struct net_port p = {0};
            unsigned cport = 0;
            char proto[8] = "tcp";
            if (sscanf(key, "%u/%7s", &cport, proto) < 1 ||
                (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
                continue; /* docker publishes tcp and udp only */
            p.container_port = cport;
            memcpy(p.proto, proto, sizeof p.proto);
            struct net_port *v = realloc(*out, (*n + 1) * sizeof *v);
            if (v == NULL)
                abort();
            *out = v;
            v[(*n)++] = p;
        }
    }
    return 0;
}

static int attach(container_store *cs, container_record *r, pid_t pid, json_t *only,
                  bool with_ports, json_t **eps, hull_err **err)
{
    json_t *nets = json_object_get(json_object_get(r->doc, "NetworkSettings"), "Networks");
    size_t count = json_object_size(nets);
    if (count == 0) {
        *eps = json_array();
        return 0;
    }
    cleanup_free struct net_endpoint_request *reqs = calloc(count, sizeof *reqs);
    cleanup_free char ***aliases = calloc(count, sizeof *aliases);
    if (reqs == NULL || aliases == NULL)
        abort();
    size_t n = 0;
    const char *name;
    json_t *ep;
    json_object_foreach(nets, name, ep)
    {
        if (only && strcmp(json_string_value(only), name) != 0)
            continue;
        json_t *al = json_object_get(ep, "Aliases");
        aliases[n] = calloc(json_array_size(al) + 1, sizeof(char *));
        for (size_t i = 0; i < json_array_size(al); i++)
            aliases[n][i] = (char *)json_string_value(json_array_get(al, i));
        reqs[n].network = name;
        reqs[n].aliases = aliases[n];
        reqs[n].ip =
            json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv4Address"));
        reqs[n].ip6 =
            json_string_value(json_object_get(json_object_get(ep, "IPAMConfig"), "IPv6Address"));
        n++;
    }
    struct net_port *ports = NULL;
    size_t n_ports = 0;
    if (with_ports && ports_of(r, &ports, &n_ports, err) < 0) {
        for (size_t i = 0; i < n; i++)
            free(aliases[i]);
        return -1;
    }
    cleanup_net_store net_store *ns = NULL;
    int rc = net_store_open(cs->data_root, &ns, err);
    if (rc == 0) {
        struct net_attach_request ar = {
            .container_id = r->id,
            .container_name = r->name,
            .pid = pid,
            .endpoints = reqs,
            .n_endpoints = n,
            .ports = ports,
            .n_ports = n_ports,
            .ingress_rate = json_integer_value(
                json_object_get(json_object_get(r->doc, "HostConfig"), "NetworkIngressRate")),
            .egress_rate = json_integer_value(
                json_object_get(json_object_get(r->doc, "HostConfig"), "NetworkEgressRate")),
        };
        rc = net_attach(ns, &ar, eps, err);
    }
    free(ports);
    for (size_t i = 0; i < n; i++)
        free(aliases[i]);
    return rc;
}

/* pasta's namespace file and pid file in the container directory. */
static char *pasta_file(container_record *r, const char *name)
{
    char *p = NULL;
    if (asprintf(&p, "%s/%s", r->dir, name) < 0)
        abort();
    return p;
}

static void pasta_teardown(container_record *r)
{
    cleanup_free char *pidf = pasta_file(r, "pasta.pid");
    cleanup_free char *nsf = pasta_file(r, "netns");
    net_pasta_stop(pidf);
    umount2(nsf, MNT_DETACH);
    unlink(nsf);
    unlinkat(r->dirfd, "pasta-ports.json", 0); /* nothing forwarded any more */
}

/* Bind the container's namespace to DIR/netns, start pasta on it, record the ports it
 * forwards (the free ones chosen) in DIR/pasta-ports.json for inspect and `hull port`. */
static int pasta_setup(container_store *cs, container_record *r, pid_t pid, hull_err **err)
{
    cleanup_free char *pidf = pasta_file(r, "pasta.pid");
    cleanup_free char *nsf = pasta_file(r, "netns");
    pasta_teardown(r); /* a previous run's, if any */
    char src[64];
    snprintf(src, sizeof src, "/proc/%d/ns/net", (int)pid);
    int fd = open(nsf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return hull_error(err, errno, "create `%s`", nsf);
    close(fd);
    if (mount(src, nsf, NULL, MS_BIND, NULL) < 0) {
        int saved = errno;
        unlink(nsf);
        return hull_error(err, saved, "bind the network namespace to `%s`", nsf);
    }
    cleanup_free struct net_port *ports = NULL;
    size_t n = 0;
    if (ports_of(r, &ports, &n, err) < 0 || net_pasta_start(nsf, ports, n, pidf, err) < 0) {
        pasta_teardown(r);
        return -1;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:i, s:i, s:s}", "hostIP", ports[i].host_ip,
                                        "hostPort", (int)ports[i].host_port, "containerPort",
                                        (int)ports[i].container_port, "protocol", ports[i].proto));
    cleanup_json json_t *doc = json_pack("{s:o}", "portMappings", list);
    if (container_write_json(r->dirfd, "pasta-ports.json", doc, err) < 0 ||
        container_network_write_etc(cs, r, NULL, err) < 0 ||
        container_net_policy_setup(cs, r, pid, err) < 0) {
        pasta_teardown(r);
        return -1;
    }
    return 0;
}

int container_network_setup(container_store *cs, container_record *r, pid_t pid, hull_err **err)
{
    if (mode_is_pasta(net_mode(r->doc)))
        return pasta_setup(cs, r, pid, err) < 0
                   ? hull_error_prefix(err, "container %s: network", r->name)
                   : 0;
    if (mode_is_special(net_mode(r->doc)))
        return 0;
    cleanup_json json_t *eps = NULL;
    if (attach(cs, r, pid, NULL, true, &eps, err) < 0)
        return hull_error_prefix(err, "container %s: network", r->name);
    if (container_network_write_etc(cs, r, eps, err) < 0 ||
        container_net_policy_setup(cs, r, pid, err) < 0) {
        cleanup_err hull_err *e = NULL;
        container_network_teardown(cs, r, &e);
        return -1;
    }
    return 0;
}

int container_network_teardown(container_store *cs, container_record *r, hull_err **err)
{
    if (mode_is_pasta(net_mode(r->doc)))
        pasta_teardown(r);
    if (mode_is_special(net_mode(r->doc)))
        return 0;
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(cs->data_root, &ns, err) < 0 || net_detach(ns, r->id, NULL, err) < 0)
        return hull_error_prefix(err, "container %s: network teardown", r->name);
    return 0;
}

bool container_network_uses(container_record *r, const char *network)
{
    json_t *nets = json_object_get(json_object_get(r->doc, "NetworkSettings"), "Networks");
    return json_object_get(nets, network) != NULL;
}

static int open_network(container_store *cs, const char *network, net_store **ns, json_t **conf,
                        hull_err **err)
{
    if (net_store_open(cs->data_root, ns, err) < 0 || net_network_load(*ns, network, conf, err) < 0)
        return -1;
    return 0;
}

int container_network_connect(container_store *cs, container_record *r, const char *network,
                              char *const *aliases, const char *ip, const char *ip6, hull_err **err)
{
    if (mode_is_special(net_mode(r->doc)))
        return hull_error(err, 0,
                          "container cannot be disconnected from host network or "
                          "connected to host network");
    cleanup_net_store net_store *ns = NULL;
    cleanup_json json_t *conf = NULL;
    if (open_network(cs, network, &ns, &conf, err) < 0)
        return -1;
    const char *name = net_network_name(conf);
    json_t *nets = json_object_get(json_object_get(r->doc, "NetworkSettings"), "Networks");
    if (json_object_get(nets, name))
        return hull_error(err, EEXIST, "endpoint with name %s already exists in network %s",
                          r->name, name);
    json_object_set_new(nets, name,
                        json_pack("{s:o, s:o, s:O}", "Aliases", strv_array(aliases), "IPAMConfig",
                                  ipam_config(ip, ip6), "NetworkID",
                                  json_object_get(net_network_meta(conf), "id")));
    pid_t pid = running_pid(cs, r->id, err);
    if (pid < 0)
        return -1;
    if (pid > 0) {
        cleanup_json json_t *only = json_string(name);
        cleanup_json json_t *eps = NULL;
        if (attach(cs, r, pid, only, false, &eps, err) < 0)
            return -1;
    }
    if (container_record_save(r, err) < 0) {
        cleanup_err hull_err *e = NULL;
        net_detach(ns, r->id, name, &e);
        return -1;
    }
    return 0;
}

int container_network_disconnect(container_store *cs, container_record *r, const char *network,
                                 hull_err **err)
{
    cleanup_net_store net_store *ns = NULL;
    cleanup_json json_t *conf = NULL;
    if (open_network(cs, network, &ns, &conf, err) < 0)
        return -1;
    const char *name = net_network_name(conf);
    json_t *nets = json_object_get(json_object_get(r->doc, "NetworkSettings"), "Networks");
    if (json_object_get(nets, name) == NULL)
        return hull_error(err, 0, "container %s is not connected to network %s", r->name, name);
    if (net_detach(ns, r->id, name, err) < 0)
        return -1;
    json_object_del(nets, name);
    return container_record_save(r, err);
}

/* Add portMappings (CNI's capability argument shape) to docker's NetworkSettings.Ports. */
static void ports_add_mappings(json_t *ports, json_t *mappings)
{
    size_t j;
    json_t *pm;
    json_array_foreach(mappings, j, pm)
    {
        char key[48], hp[12];
        snprintf(key, sizeof key, "%d/%s",
                 (int)json_integer_value(json_object_get(pm, "containerPort")),
                 json_string_value(json_object_get(pm, "protocol")));
        snprintf(hp, sizeof hp, "%d", (int)json_integer_value(json_object_get(pm, "hostPort")));
        const char *hip = json_string_value(json_object_get(pm, "hostIP"));
        json_t *list = json_object_get(ports, key);
        if (list == NULL) {
            list = json_array();
            json_object_set_new(ports, key, list);
        }
        json_array_append_new(
            list, json_pack("{s:s, s:s}", "HostIp", hip && *hip ? hip : "0.0.0.0", "HostPort", hp));
    }
}

/* docker's NetworkSettings.Ports from portMappings. */
static json_t *pasta_ports(json_t *mappings)
{
    json_t *ports = json_object();
    ports_add_mappings(ports, mappings);
    return ports;
}

json_t *container_network_settings(container_store *cs, container_record *r)
{
    json_t *ns_doc =
        json_pack("{s:s, s:s, s:o, s:s, s:i, s:s, s:s, s:i, s:s, s:s, s:o}", "Bridge", "",
                  "SandboxKey", "", "Ports", json_object(), "IPAddress", "", "IPPrefixLen", 0,
                  "Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "IPv6Gateway",
                  "", "MacAddress", "", "Networks", json_object());
    json_t *cfg = json_object_get(json_object_get(r->doc, "NetworkSettings"), "Networks");
    json_t *nets = json_object_get(ns_doc, "Networks");
    const char *name;
    json_t *ep;
    json_object_foreach(cfg, name, ep)
    {
        json_t *e = json_deep_copy(ep);
        json_object_set_new(e, "IPAddress", json_string(""));
        json_object_set_new(e, "Gateway", json_string(""));
        json_object_set_new(e, "IPPrefixLen", json_integer(0));
        json_object_set_new(e, "MacAddress", json_string(""));
        json_object_set_new(e, "EndpointID", json_string(""));
        json_object_set_new(nets, name, e);
    }
    const char *mode = net_mode(r->doc);
    if (strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0 || mode_is_pasta(mode))
        json_object_set_new(nets, mode, json_object());
    if (mode_is_pasta(mode)) {
        cleanup_json json_t *pm = NULL;
        cleanup_err hull_err *e = NULL;
        if (container_read_json(r->dirfd, "pasta-ports.json", &pm, &e) == 0)
            json_object_set_new(ns_doc, "Ports", pasta_ports(json_object_get(pm, "portMappings")));
        return ns_doc;
    }
    cleanup_net_store net_store *ns = NULL;
    cleanup_json json_t *entries = NULL;
    cleanup_err hull_err *err = NULL;
    if (mode_is_special(mode) || net_store_open(cs->data_root, &ns, &err) < 0 ||
        net_attachments(ns, r->id, &entries, &err) < 0)
        return ns_doc;
    size_t i;
    json_t *en;
    json_t *ports = json_object_get(ns_doc, "Ports");
    json_array_foreach(entries, i, en)
    {
        json_t *h = json_object_get(en, "hull");
        const char *n = json_string_value(json_object_get(en, "networkName"));
        json_t *e = json_object_get(nets, n);
        if (e == NULL)
            continue;
        const char *addr = json_string_value(json_object_get(h, "address"));
        const char *slash = addr ? strchr(addr, '/') : NULL;
        cleanup_free char *ip =
            addr ? strndup(addr, slash ? (size_t)(slash - addr) : strlen(addr)) : strdup("");
        json_object_set_new(e, "IPAddress", json_string(ip));
        json_object_set_new(e, "IPPrefixLen", json_integer(slash ? atoi(slash + 1) : 0));
        json_object_set(e, "Gateway", json_object_get(h, "gateway"));
        json_object_set(e, "MacAddress", json_object_get(h, "mac"));
        json_object_set(e, "EndpointID", json_object_get(h, "endpointId"));
        json_object_set_new(e, "DNSNames", json_pack("[O]", json_object_get(h, "name")));
        const char *addr6 = json_string_value(json_object_get(h, "address6"));
        const char *slash6 = addr6 ? strchr(addr6, '/') : NULL;
        cleanup_free char *ip6 =
            addr6 ? strndup(addr6, slash6 ? (size_t)(slash6 - addr6) : strlen(addr6)) : strdup("");
        const char *gw6 = json_string_value(json_object_get(h, "gateway6"));
        json_object_set_new(e, "GlobalIPv6Address", json_string(ip6));
        json_object_set_new(e, "GlobalIPv6PrefixLen", json_integer(slash6 ? atoi(slash6 + 1) : 0));
        json_object_set_new(e, "IPv6Gateway", json_string(gw6 ? gw6 : ""));
        if (i == 0) {
            json_object_set_new(ns_doc, "IPAddress", json_string(ip));
            json_object_set(ns_doc, "Gateway", json_object_get(h, "gateway"));
            json_object_set(ns_doc, "IPPrefixLen", json_object_get(e, "IPPrefixLen"));
            json_object_set(ns_doc, "MacAddress", json_object_get(h, "mac"));
            json_object_set(ns_doc, "GlobalIPv6Address", json_object_get(e, "GlobalIPv6Address"));
            json_object_set(ns_doc, "GlobalIPv6PrefixLen",
                            json_object_get(e, "GlobalIPv6PrefixLen"));
            json_object_set(ns_doc, "IPv6Gateway", json_object_get(e, "IPv6Gateway"));
        }
        ports_add_mappings(ports,
                           json_object_get(json_object_get(en, "capabilityArgs"), "portMappings"));
    }
    /* docker lists an exposed port that is not published too, as null. */
    if (json_array_size(entries) > 0) {
        const char *key;
        json_t *unused;
        json_object_foreach(json_object_get(json_object_get(r->doc, "Config"), "ExposedPorts"), key,
                            unused) if (json_object_get(ports, key) == NULL)
            json_object_set_new(ports, key, json_null());
    }
    return ns_doc;
}

char *container_ports_text(container_store *cs, container_record *r)
{
    json_t *host = json_object_get(r->doc, "HostConfig");
    if (json_object_size(json_object_get(host, "PortBindings")) == 0 &&
        !json_is_true(json_object_get(host, "PublishAllPorts")) &&
        json_object_size(json_object_get(json_object_get(r->doc, "Config"), "ExposedPorts")) == 0)
        return strdup("");
    cleanup_json json_t *settings = container_network_settings(cs, r);
    return container_ports_display(json_object_get(settings, "Ports"));
}
