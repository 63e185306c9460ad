/* Network records: conflists with docker's metadata, subnets from the pools, the bridge device
 * (see network.h). */
#include "linux/rootless.h"
#include "net/network.h"

#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/exe_protect.h"
#include "net/addr.h"
#include "net/cni_cache.h"
#include "net/cni_exec.h"
#include "net/dns.h"
#include "net/firewall.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/fs.h"
#include "util/time.h"

#define HOST_LOCK_DIR  "/run/hull"
#define HOST_LOCK_FILE "/run/hull/network.lock"
#define BRIDGE_TAG     "hull-network"

const char *net_network_name(json_t *conflist)
{
    return json_string_value(json_object_get(conflist, "name"));
}

json_t *net_network_meta(json_t *conflist)
{
    return json_object_get(conflist, "hull");
}

const char *net_network_id(json_t *conflist)
{
    return json_string_value(json_object_get(net_network_meta(conflist), "id"));
}

/* Debian's plugins come first: a file named like one of them next to hull (in /usr/local/bin,
 * say) is never run in its place; hull's own plugins (hull-*) are found after them. */
static char *cni_search_path(hull_err **err)
{
    const char *env = getenv("HULL_CNI_PATH");
    cleanup_free char *self = runtime_binary_dir(err);
    if (self == NULL)
        return NULL;
    char *path;
    if (asprintf(&path, "%s:%s", env && *env ? env : NET_CNI_DEFAULT_PATH, self) < 0)
        abort();
    return path;
}

int net_store_open(const char *data_root, net_store **out, hull_err **err)
{
    /* Bridges, veths and iptables rules need root in the host's network namespace. */
    if (rootless_in_userns())
        return hull_error(err, 0,
                          "rootless hull has no bridge networks: containers get pasta's "
                          "(the default), none, host or container:C (docs/rootless.md)");
    net_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        abort();
    s->dirfd = s->cache_fd = -1;
    s->data_root = strdup(data_root);
    if (asprintf(&s->dir, "%s/networks", data_root) < 0 ||
        asprintf(&s->ipam_dir, "%s/networks/ipam", data_root) < 0 ||
        asprintf(&s->dns_dir, "%s/networks/aardvark-dns", data_root) < 0)
        abort();
    cleanup_free char *cache = NULL;
    if (asprintf(&cache, "%s/cache", s->dir) < 0)
        abort();
    s->cni_path = cni_search_path(err);
    if (s->cni_path == NULL) {
        net_store_close(s);
        return -1;
    }
    if (fs_mkdir_p(cache, 0700, err) < 0 || fs_mkdir_p(s->ipam_dir, 0700, err) < 0 ||
        fs_mkdir_p(s->dns_dir, 0700, err) < 0) {
        net_store_close(s);
        return hull_error_prefix(err, "network store `%s`", data_root);
    }
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->cache_fd = open(cache, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0 || s->cache_fd < 0) {
        int e = errno;
        net_store_close(s);
        return hull_error(err, e, "open `%s`", cache);
    }
    *out = s;
    return 0;
}

void net_store_close(net_store *s)
{
    if (s == NULL)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
    if (s->cache_fd >= 0)
        close(s->cache_fd);
    free(s->data_root);
    free(s->dir);
    free(s->ipam_dir);
    free(s->dns_dir);
    free(s->cni_path);
    free(s);
}

void net_store_closep(net_store **s)
{
    net_store_close(*s);
    *s = NULL;
}

static int lock_file(int dirfd, const char *path, hull_err **err)
{
    int fd = openat(dirfd, path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", path);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return hull_error(err, e, "lock `%s`", path);
        }
    return fd;
}

int net_store_lock(net_store *s, hull_err **err)
{
    return lock_file(s->dirfd, "lock", err);
}

int net_host_lock(hull_err **err)
{
    if (mkdir(HOST_LOCK_DIR, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create `%s`", HOST_LOCK_DIR);
    return lock_file(AT_FDCWD, HOST_LOCK_FILE, err);
}

int net_host_chains_lock(hull_err **err)
{
    if (mkdir(HOST_LOCK_DIR, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create `%s`", HOST_LOCK_DIR);
    return lock_file(AT_FDCWD, HOST_LOCK_DIR "/chains.lock", err);
}

static void random_id(char out[65])
{
    unsigned char b[32];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        abort();
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static bool name_valid(const char *n)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    size_t l = strlen(n);
    return l > 0 && l <= 128 && strspn(n, ok) == l && n[0] != '.' && n[0] != '-' && n[0] != '_';
}

static int read_pools(net_store *s, struct net_pool **pools, size_t *n, hull_err **err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/config.json", s->data_root) < 0)
        abort();
    cleanup_json json_t *cfg = NULL;
    if (access(path, F_OK) == 0 && json_load_file_checked(path, path, &cfg, err) < 0)
        return -1;
    json_t *list = json_object_get(cfg, "default-address-pools");
    size_t count = json_array_size(list);
    *pools = calloc(count ? count : 1, sizeof **pools);
    if (*pools == NULL)
        abort();
    if (count == 0) {
        (*pools)[0] = (struct net_pool){{0xac1c0000u, 16}, 24}; /* 172.28.0.0/16, /24s */
        *n = 1;
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        json_t *p = json_array_get(list, i);
        const char *base = json_string_value(json_object_get(p, "base"));
        json_int_t size = json_integer_value(json_object_get(p, "size"));
        if (net_cidr_parse(base, &(*pools)[i].base, err) < 0 || size < (*pools)[i].base.prefix ||
            size > 30) {
            free(*pools);
            *pools = NULL;
            return hull_error(err, 0,
                              "`%s`: default-address-pools[%zu]: expected {\"base\": CIDR, "
                              "\"size\": N} with the base's prefix <= N <= 30",
                              path, i);
        }
        (*pools)[i].size = (int)size;
    }
    *n = count;
    return 0;
}

static const char *meta_str(json_t *conflist, const char *key)
{
    return json_string_value(json_object_get(net_network_meta(conflist), key));
}

/* An IPv6 subnet may not overlap another network's (of this store) or a host route: the
 * message names the other. */
static int check_subnet6(net_store *s, const struct net_cidr6 *want, hull_err **err)
{
    char wb[50];
    net_cidr6_format(want, wb);
    cleanup_json json_t *list = NULL;
    if (net_network_list(s, &list, err) < 0)
        return -1;
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
    {
        struct net_cidr6 c;
        cleanup_err hull_err *e = NULL;
        const char *sub = json_string_value(json_object_get(net_network_meta(n), "subnet6"));
        if (sub && net_cidr6_parse(sub, &c, false, &e) == 0 && net_cidr6_overlap(want, &c))
            return hull_error(err, 0,
                              "invalid pool request: subnet %s overlaps with network %s (%s)", wb,
                              net_network_name(n), sub);
    }
    struct net_cidr6 *routes = NULL;
    cleanup_strv char **devs = NULL;
    size_t nr = 0;
    if (net_host_routes6(&routes, &devs, &nr, err) < 0)
        return -1;
    int rc = 0;
    for (size_t r = 0; r < nr && rc == 0; r++)
        if (net_cidr6_overlap(want, &routes[r])) {
            char rb[50];
            net_cidr6_format(&routes[r], rb);
            rc = hull_error(err, 0,
                            "invalid pool request: subnet %s overlaps with the host route %s dev "
                            "%s (%s)",
                            wb, rb, devs[r], rb);
        }
    free(routes);
    return rc;
}

/* --ipv6 without an IPv6 subnet: a unique local /64 with a random global id (RFC 4193), as
 * docker does; tried again when it happens to be taken. */
static int choose_subnet6(net_store *s, const struct net_create_opts *o, struct net_cidr6 *out,
                          hull_err **err)
{
    if (o->subnet6)
        return check_subnet6(s, out, err);
    for (int tries = 0; tries < 16; tries++) {
        memset(out, 0, sizeof *out);
        out->addr[0] = 0xfd;
        if (getrandom(out->addr + 1, 5, 0) != 5)
            abort();
        out->prefix = 64;
        cleanup_err hull_err *e = NULL;
        if (check_subnet6(s, out, &e) == 0)
            return 0;
    }
    return hull_error(err, 0, "no free IPv6 subnet found: give one with --subnet");
}

/* What the subnet may not overlap: every network of this store, every host route. `names`
 * says what each entry is, for the error message. */
struct taken {
    struct net_cidr *c;
    char **what;
    size_t n;
};

static void taken_add(struct taken *t, struct net_cidr c, char *what)
{
    t->c = realloc(t->c, (t->n + 1) * sizeof *t->c);
    t->what = realloc(t->what, (t->n + 1) * sizeof *t->what);
    if (t->c == NULL || t->what == NULL)
        abort();
    t->c[t->n] = c;
    t->what[t->n++] = what;
}

static void taken_free(struct taken *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->what[i]);
    free(t->c);
    free(t->what);
}

static int collect_taken(net_store *s, struct taken *t, hull_err **err)
{
    cleanup_json json_t *list = NULL;
    if (net_network_list(s, &list, err) < 0)
        return -1;
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
    {
        struct net_cidr c;
        cleanup_err hull_err *e = NULL;
        if (net_cidr_parse(meta_str(n, "subnet"), &c, &e) < 0)
            continue;
        char *what;
        if (asprintf(&what, "network %s", net_network_name(n)) < 0)
            abort();
        taken_add(t, c, what);
    }
    struct net_cidr *routes;
    cleanup_strv char **devs = NULL;
    size_t nr;
    if (net_host_routes(&routes, &devs, &nr, err) < 0)
        return -1;
    for (size_t r = 0; r < nr; r++) {
        char *what;
        char buf[20];
        net_cidr_format(&routes[r], buf);
        if (asprintf(&what, "the host route %s dev %s", buf, devs[r]) < 0)
            abort();
        taken_add(t, routes[r], what);
    }
    free(routes);
    return 0;
}

/* -o com.docker.network.driver.mtu=N: the MTU of the bridge and the containers' interfaces
 * (0: not given, -1: not a number from 68 to 65535). */
static long option_mtu(const struct net_create_opts *o)
{
    static const char key[] = "com.docker.network.driver.mtu=";
    for (char **opt = o->options; opt && *opt; opt++)
        if (strncmp(*opt, key, sizeof key - 1) == 0) {
            char *end;
            long mtu = strtol(*opt + sizeof key - 1, &end, 10);
            return *end || end == *opt + sizeof key - 1 || mtu < 68 || mtu > 65535 ? -1 : mtu;
        }
    return 0;
}

static json_t *kv_object(char **kv)
{
    json_t *o = json_object();
    for (; kv && *kv; kv++) {
        const char *eq = strchr(*kv, '=');
        cleanup_free char *k = eq ? strndup(*kv, (size_t)(eq - *kv)) : strdup(*kv);
        json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
    }
    return o;
}

/* The conflist: bridge (+host-local), hull-portmap (net/portmap.h: Debian's portmap does the same
 * with about 27 iptables runs per container), bandwidth; the network-wide rules are
 * firewall.c's. */
static json_t *build_conflist(net_store *s, const struct net_create_opts *o, const char *id,
                              const char *bridge, const struct net_cidr *subnet, uint32_t gw,
                              const struct net_cidr *range, const struct net_cidr6 *subnet6,
                              const unsigned char gw6[16])
{
    char sub[20], gwb[16], now[TIME_RFC3339_MAX];
    net_cidr_format(subnet, sub);
    net_ip_format(gw, gwb);
    time_rfc3339_now(now, true);
    json_t *r = json_pack("{s:s, s:s}", "subnet", sub, "gateway", gwb);
    char rb[20] = "";
    if (range) {
        char start[16], end[16];
        uint32_t first = range->addr, last = range->addr | ~net_cidr_mask(range->prefix);
        if (range->prefix < 31) {
            first++;
            last--;
        }
        net_ip_format(first, start);
        net_ip_format(last, end);
        json_object_set_new(r, "rangeStart", json_string(start));
        json_object_set_new(r, "rangeEnd", json_string(end));
        net_cidr_format(range, rb);
    }
    json_t *routes = o->internal ? json_array() : json_pack("[{s:s}]", "dst", "0.0.0.0/0");
    json_t *ipam = json_pack("{s:s, s:[[o]], s:o, s:s}", "type", "host-local", "ranges", r,
                             "routes", routes, "dataDir", s->ipam_dir);
    char sub6[50] = "", gw6b[INET6_ADDRSTRLEN] = "";
    if (subnet6) {
        net_cidr6_format(subnet6, sub6);
        net_ip6_format(gw6, gw6b);
        json_array_append_new(json_object_get(ipam, "ranges"),
                              json_pack("[{s:s, s:s}]", "subnet", sub6, "gateway", gw6b));
        if (!o->internal)
            json_array_append_new(routes, json_pack("{s:s}", "dst", "::/0"));
    }
    json_t *plugins = json_array();
    json_array_append_new(plugins, json_pack("{s:s, s:s, s:b, s:b, s:b, s:o}", "type", "bridge",
                                             "bridge", bridge, "isGateway", 1, "ipMasq", 0,
                                             "hairpinMode", 1, "ipam", ipam));
    if (option_mtu(o) > 0)
        json_object_set_new(json_array_get(plugins, 0), "mtu", json_integer(option_mtu(o)));
    if (!o->internal)
        json_array_append_new(plugins, json_pack("{s:s, s:{s:b}, s:b}", "type", "hull-portmap",
                                                 "capabilities", "portMappings", 1, "snat", 1));
    json_array_append_new(
        plugins, json_pack("{s:s, s:{s:b}}", "type", "bandwidth", "capabilities", "bandwidth", 1));
    json_t *opts = kv_object(o->options);
    json_object_set_new(opts, "com.docker.network.bridge.name", json_string(bridge));
    json_t *meta =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:b}", "id", id, "created",
                  now, "driver", "bridge", "subnet", sub, "gateway", gwb, "bridge", bridge,
                  "internal", o->internal, "isolate", o->isolate, "labels", kv_object(o->labels),
                  "options", opts, "dns", strcmp(o->name, NET_DEFAULT_NETWORK) != 0);
    if (range)
        json_object_set_new(meta, "ipRange", json_string(rb));
    json_object_set_new(meta, "ipv6", json_boolean(subnet6 != NULL));
    if (subnet6) {
        json_object_set_new(meta, "subnet6", json_string(sub6));
        json_object_set_new(meta, "gateway6", json_string(gw6b));
    }
    return json_pack("{s:s, s:s, s:o, s:o}", "cniVersion", "1.0.0", "name", o->name, "plugins",
                     plugins, "hull", meta);
}

/* The owner tag of a bridge (its ifalias, kept by the kernel): "hull-network ID SUBNET NAME
 * DATA_ROOT". It lets any later hull command find a bridge whose data root or network record
 * is gone (net_network_remove_orphans). NULL when the data root's path does not fit. */
static char *bridge_tag(net_store *s, json_t *conf)
{
    cleanup_free char *root = realpath(s->data_root, NULL);
    char *tag;
    const char *sub6 = meta_str(conf, "subnet6");
    if (root == NULL || asprintf(&tag, "%s %s %s%s%s %s %s", BRIDGE_TAG, net_network_id(conf),
                                 meta_str(conf, "subnet"), sub6 ? "," : "", sub6 ? sub6 : "",
                                 net_network_name(conf), root) < 0)
        return NULL;
    if (strlen(tag) >= 256) { /* IFALIASZ: a cut path would name another directory */
        free(tag);
        return NULL;
    }
    return tag;
}

static int bridge_create(const char *bridge, uint32_t gw, int prefix, const char *addr6,
                         const char *tag, hull_err **err)
{
    char addr[24], gwb[16];
    net_ip_format(gw, gwb);
    snprintf(addr, sizeof addr, "%s/%d", gwb, prefix);
    char *add[] = {"ip", "link", "add", (char *)bridge, "type", "bridge", NULL};
    char *ad[] = {"ip", "addr", "add", addr, "dev", (char *)bridge, NULL};
    char *up[] = {"ip", "link", "set", (char *)bridge, "up", NULL};
    char *alias[] = {"ip", "link", "set", (char *)bridge, "alias", (char *)tag, NULL};
    if (net_run_tool(add, false, err) < 0)
        return hull_error_prefix(err, "create bridge %s", bridge);
    /* nodad: the address is usable at once (aardvark-dns binds it), no neighbour can hold it */
    char *ad6[] = {"ip", "-6", "addr", "add", (char *)addr6, "dev", (char *)bridge, "nodad", NULL};
    if ((tag && net_run_tool(alias, false, err) < 0) || net_run_tool(ad, false, err) < 0 ||
        (addr6 && net_run_tool(ad6, false, err) < 0) || net_run_tool(up, false, err) < 0) {
        cleanup_err hull_err *e = NULL;
        char *del[] = {"ip", "link", "del", (char *)bridge, NULL};
        net_run_tool(del, true, &e);
        return hull_error_prefix(err, "set up bridge %s", bridge);
    }
    return 0;
}

static int bridge_delete(json_t *conf, hull_err **err)
{
    const char *bridge = meta_str(conf, "bridge");
    net_firewall_network_down(conf);
    char *del[] = {"ip", "link", "del", (char *)bridge, NULL};
    if (net_run_tool(del, true, err) < 0)
        return hull_error_prefix(err, "delete bridge %s", bridge);
    return 0;
}

static int remove_orphans_locked(json_t *removed);
static int bridge_up(net_store *s, json_t *conf, bool *made, hull_err **err);
static int rules_up(json_t *conf, hull_err **err);

static int conflist_path_exists(net_store *s, const char *name)
{
    cleanup_free char *file = NULL;
    if (asprintf(&file, "%s.conflist", name) < 0)
        abort();
    return faccessat(s->dirfd, file, F_OK, 0) == 0;
}

static bool bridge_in_use(net_store *s, const char *bridge)
{
    cleanup_json json_t *list = NULL;
    cleanup_err hull_err *e = NULL;
    if (net_network_list(s, &list, &e) < 0)
        return false;
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
    {
        const char *b = meta_str(n, "bridge");
        if (b && strcmp(b, bridge) == 0)
            return true;
    }
    char path[64];
    snprintf(path, sizeof path, "/sys/class/net/%s", bridge);
    return access(path, F_OK) == 0;
}

static int choose_subnet(net_store *s, const struct net_create_opts *o, struct net_cidr *subnet,
                         hull_err **err)
{
    struct taken t = {0};
    if (collect_taken(s, &t, err) < 0) {
        taken_free(&t);
        return -1;
    }
    int rc = 0;
    if (o->subnet) {
        char want[20];
        net_cidr_format(subnet, want);
        for (size_t i = 0; i < t.n; i++)
            if (net_cidr_overlap(subnet, &t.c[i])) {
                char other[20];
                net_cidr_format(&t.c[i], other);
                rc = hull_error(err, 0, "invalid pool request: subnet %s overlaps with %s (%s)",
                                want, t.what[i], other);
                break;
            }
    } else {
        struct net_pool *pools = NULL;
        size_t np = 0;
        rc = read_pools(s, &pools, &np, err);
        if (rc == 0)
            rc = net_pool_allocate(pools, np, t.c, t.n, subnet, err);
        free(pools);
    }
    taken_free(&t);
    return rc;
}

static int validate_create6(const struct net_create_opts *o, struct net_cidr6 *subnet6,
                            unsigned char gw6[16], hull_err **err)
{
    if (o->subnet6 == NULL)
        return 0;
    if (net_cidr6_parse(o->subnet6, subnet6, false, err) < 0)
        return hull_error_prefix(err, "--subnet");
    if (subnet6->prefix > 120)
        return hull_error(err, 0, "--subnet %s: too small (at most /120)", o->subnet6);
    if (o->gateway6) {
        if (net_ip6_parse(o->gateway6, gw6, err) < 0)
            return hull_error_prefix(err, "--gateway");
        if (!net_cidr6_contains(subnet6, gw6))
            return hull_error(err, 0, "--gateway %s is not in --subnet %s", o->gateway6,
                              o->subnet6);
    }
    return 0;
}

static int validate_create(const struct net_create_opts *o, struct net_cidr *subnet, uint32_t *gw,
                           struct net_cidr *range, hull_err **err)
{
    if (!name_valid(o->name))
        return hull_error(err, 0,
                          "invalid network name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-] "
                          "are allowed",
                          o->name);
    if (o->driver && strcmp(o->driver, "bridge") != 0)
        return hull_error(err, 0, "--driver `%s`: only bridge is supported", o->driver);
    if (o->bridge &&
        (strlen(o->bridge) == 0 || strlen(o->bridge) > 15 || strpbrk(o->bridge, "/ :") != NULL))
        return hull_error(err, 0,
                          "com.docker.network.bridge.name `%s`: not a valid interface "
                          "name (1 to 15 characters)",
                          o->bridge);
    if (option_mtu(o) < 0)
        return hull_error(err, 0,
                          "com.docker.network.driver.mtu: expected a number from 68 to "
                          "65535");
    if (o->subnet && net_cidr_parse(o->subnet, subnet, err) < 0)
        return hull_error_prefix(err, "--subnet");
    if (o->subnet && subnet->prefix > 30)
        return hull_error(err, 0, "--subnet %s: too small (at most /30)", o->subnet);
    if ((o->gateway || o->ip_range) && !o->subnet)
        return hull_error(err, 0, "--gateway and --ip-range need --subnet");
    if (o->gateway) {
        if (net_ip_parse(o->gateway, gw, err) < 0)
            return hull_error_prefix(err, "--gateway");
        if (!net_cidr_contains(subnet, *gw))
            return hull_error(err, 0, "--gateway %s is not in --subnet %s", o->gateway, o->subnet);
    }
    if (o->subnet6 && !o->ipv6)
        return hull_error(err, 0, "--subnet %s: an IPv6 subnet needs --ipv6", o->subnet6);
    if (o->gateway6 && !o->subnet6)
        return hull_error(err, 0, "--gateway %s: an IPv6 gateway needs an IPv6 --subnet",
                          o->gateway6);
    if (o->ip_range) {
        if (net_cidr_parse(o->ip_range, range, err) < 0)
            return hull_error_prefix(err, "--ip-range");
        if (range->prefix < subnet->prefix || !net_cidr_overlap(range, subnet))
            return hull_error(err, 0, "--ip-range %s is not in --subnet %s", o->ip_range,
                              o->subnet);
    }
    return 0;
}

int net_network_create(net_store *s, const struct net_create_opts *o, json_t **out, hull_err **err)
{
    if (out)
        *out = NULL;
    struct net_cidr subnet = {0}, range = {0};
    uint32_t gw = 0;
    struct net_cidr6 subnet6 = {0};
    unsigned char gw6[16] = {0};
    if (validate_create(o, &subnet, &gw, &range, err) < 0 ||
        validate_create6(o, &subnet6, gw6, err) < 0)
        return -1;
    cleanup_close int lock = net_store_lock(s, err);
    if (lock < 0)
        return -1;
    if (conflist_path_exists(s, o->name))
        return hull_error(err, 0, "network with name %s already exists", o->name);
    /* Subnet choice and bridge creation under the host-wide lock: another data root cannot
     * pick the same subnet before our bridge's route shows it taken. */
    cleanup_close int hlock = net_host_lock(err);
    if (hlock < 0)
        return -1;
    remove_orphans_locked(NULL); /* their routes would hold subnets */
    if (choose_subnet(s, o, &subnet, err) < 0)
        return -1;
    if (!o->gateway)
        gw = subnet.addr + 1;
    if (o->ipv6 && choose_subnet6(s, o, &subnet6, err) < 0)
        return -1;
    if (o->ipv6 && !o->gateway6) {
        memcpy(gw6, subnet6.addr, 16);
        gw6[15] |= 1;
    }
    char id[65];
    random_id(id);
    char bridge[16];
    if (o->bridge)
        snprintf(bridge, sizeof bridge, "%s", o->bridge);
    else if (strcmp(o->name, NET_DEFAULT_NETWORK) == 0 &&
             strcmp(s->data_root, "/var/lib/hull") == 0)
        snprintf(bridge, sizeof bridge, "hull0");
    else
        snprintf(bridge, sizeof bridge, "hull-%.10s", id);
    if (bridge_in_use(s, bridge))
        return hull_error(err, 0,
                          "bridge %s is already in use (by another network or "
                          "device)",
                          bridge);
    cleanup_json json_t *conf = build_conflist(
        s, o, id, bridge, &subnet, gw, o->ip_range ? &range : NULL, o->ipv6 ? &subnet6 : NULL, gw6);
    bool made;
    if (bridge_up(s, conf, &made, err) < 0)
        return -1;
    cleanup_free char *file = NULL;
    cleanup_free char *text = json_dumps(conf, JSON_INDENT(2));
    if (asprintf(&file, "%s.conflist", o->name) < 0)
        abort();
    if (fs_write_file_atomic_at(s->dirfd, file, text, strlen(text), 0644, err) < 0) {
        cleanup_err hull_err *e = NULL;
        bridge_delete(conf, &e);
        return hull_error_prefix(err, "network %s", o->name);
    }
    /* The host lock guards the subnet choice until the bridge's route shows it taken, and the
     * owner tag until the record exists (another hull's orphan sweep reads both). The rules
     * (a dozen iptables runs, seconds on a loaded host) need only the store lock, held until
     * the end: every data root's first `hull run` makes its default network, so holding the
     * host lock through them made all of them wait in line. */
    close(steal_fd(&hlock));
    if (rules_up(conf, err) < 0) {
        unlinkat(s->dirfd, file, 0);
        return -1;
    }
    if (out)
        *out = json_incref(conf);
    return 0;
}

/* The bridge device with its addresses and owner tag (not its rules), unless it exists. */
static int bridge_up(net_store *s, json_t *conf, bool *made, hull_err **err)
{
    *made = false;
    const char *bridge = meta_str(conf, "bridge");
    char path[64];
    snprintf(path, sizeof path, "/sys/class/net/%s", bridge);
    if (access(path, F_OK) == 0)
        return 0;
    struct net_cidr subnet;
    uint32_t gw;
    if (net_cidr_parse(meta_str(conf, "subnet"), &subnet, err) < 0 ||
        net_ip_parse(meta_str(conf, "gateway"), &gw, err) < 0)
        return hull_error_prefix(err, "network %s", net_network_name(conf));
    cleanup_free char *tag = bridge_tag(s, conf);
    cleanup_free char *addr6 = NULL;
    const char *sub6 = meta_str(conf, "subnet6"), *gw6 = meta_str(conf, "gateway6");
    if (sub6 && gw6 && asprintf(&addr6, "%s%s", gw6, strchr(sub6, '/')) < 0)
        abort();
    if (bridge_create(bridge, gw, subnet.prefix, addr6, tag, err) < 0)
        return -1;
    *made = true;
    return 0;
}

/* The network's rules; on failure none stay, nor the bridge. */
static int rules_up(json_t *conf, hull_err **err)
{
    if (net_firewall_network_up(conf, err) == 0)
        return 0;
    cleanup_err hull_err *e = NULL;
    bridge_delete(conf, &e);
    return hull_error_prefix(err, "network %s", net_network_name(conf));
}

int net_network_ensure_up(net_store *s, json_t *conf, hull_err **err)
{
    bool made;
    if (bridge_up(s, conf, &made, err) < 0)
        return -1;
    return made ? rules_up(conf, err) : 0;
}

int net_network_list(net_store *s, json_t **list, hull_err **err)
{
    *list = NULL;
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->dirfd, &d, err) < 0)
        return -1;
    json_t *arr = json_array();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= 9 || strcmp(de->d_name + l - 9, ".conflist") != 0)
            continue;
        cleanup_free char *text = NULL;
        size_t len;
        cleanup_err hull_err *e = NULL;
        if (fs_read_file_at(s->dirfd, de->d_name, 1u << 20, &text, &len, &e) < 0)
            continue;
        json_t *c = json_loadb(text, len, 0, NULL);
        if (c && net_network_meta(c) && net_network_name(c))
            json_array_append_new(arr, c);
        else
            json_decref(c);
    }
    /* Sorted by name (insertion sort: lists are short). */
    for (size_t i = 1; i < json_array_size(arr); i++)
        for (size_t j = i; j > 0 && strcmp(net_network_name(json_array_get(arr, j - 1)),
                                           net_network_name(json_array_get(arr, j))) > 0;
             j--) {
            json_t *a = json_incref(json_array_get(arr, j - 1));
            json_array_set(arr, j - 1, json_array_get(arr, j));
            json_array_set_new(arr, j, a);
        }
    *list = arr;
    return 0;
}

int net_network_load(net_store *s, const char *ref, json_t **conflist, hull_err **err)
{
    *conflist = NULL;
    cleanup_json json_t *list = NULL;
    if (net_network_list(s, &list, err) < 0)
        return -1;
    json_t *found = NULL;
    size_t i;
    json_t *n;
    size_t rl = strlen(ref);
    json_array_foreach(list, i, n)
    {
        if (strcmp(net_network_name(n), ref) == 0 ||
            strcmp(net_network_id(n) ? net_network_id(n) : "", ref) == 0) {
            found = n;
            break;
        }
    }
    if (found == NULL && rl > 0 && rl < 64) {
        json_array_foreach(list, i, n)
        {
            const char *id = net_network_id(n);
            if (id && strncmp(id, ref, rl) == 0) {
                if (found)
                    return hull_error(err, 0,
                                      "network %s is ambiguous (%zu matches found based "
                                      "on ID prefix)",
                                      ref, (size_t)2);
                found = n;
            }
        }
    }
    if (found == NULL)
        return hull_error(err, ENOENT, "network %s not found", ref);
    *conflist = json_incref(found);
    return 0;
}

/* docker's daemon.json keys for the default network's IPv6, in DATA_ROOT/config.json:
 * "ipv6": true and "fixed-cidr-v6": CIDR (optional: a random unique local /64 without it). */
static int read_default_ipv6(net_store *s, bool *ipv6, char **cidr6, hull_err **err)
{
    *ipv6 = false;
    *cidr6 = NULL;
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/config.json", s->data_root) < 0)
        abort();
    cleanup_json json_t *cfg = NULL;
    if (access(path, F_OK) != 0)
        return 0;
    if (json_load_file_checked(path, path, &cfg, err) < 0)
        return -1;
    json_t *v6 = json_object_get(cfg, "ipv6");
    json_t *fixed = json_object_get(cfg, "fixed-cidr-v6");
    if (v6 && !json_is_boolean(v6))
        return hull_error(err, 0, "`%s`: ipv6: expected true or false", path);
    if (fixed && !json_is_string(fixed))
        return hull_error(err, 0, "`%s`: fixed-cidr-v6: expected a CIDR string", path);
    if (fixed && !json_is_true(v6))
        return hull_error(err, 0, "`%s`: fixed-cidr-v6 needs \"ipv6\": true", path);
    *ipv6 = json_is_true(v6);
    if (fixed) {
        struct net_cidr6 c;
        if (net_cidr6_parse(json_string_value(fixed), &c, false, err) < 0)
            return hull_error_prefix(err, "`%s`: fixed-cidr-v6", path);
        *cidr6 = strdup(json_string_value(fixed));
    }
    return 0;
}

int net_network_ensure_default(net_store *s, hull_err **err)
{
    bool ipv6;
    cleanup_free char *cidr6 = NULL;
    if (read_default_ipv6(s, &ipv6, &cidr6, err) < 0)
        return hull_error_prefix(err, "default network");
    if (conflist_path_exists(s, NET_DEFAULT_NETWORK)) {
        cleanup_json json_t *conf = NULL;
        cleanup_err hull_err *e = NULL;
        if (ipv6 && net_network_load(s, NET_DEFAULT_NETWORK, &conf, &e) == 0 &&
            !json_is_true(json_object_get(net_network_meta(conf), "ipv6")))
            hull_warn("config.json asks for IPv6 on the default network `bridge`, made before "
                      "without it: it takes effect when the network is made again (`hull network "
                      "rm -f bridge` once no container uses it)");
        return 0;
    }
    struct net_create_opts o = {
        .name = NET_DEFAULT_NETWORK, .isolate = true, .ipv6 = ipv6, .subnet6 = cidr6};
    cleanup_err hull_err *e = NULL;
    if (net_network_create(s, &o, NULL, &e) < 0) {
        if (conflist_path_exists(s, NET_DEFAULT_NETWORK))
            return 0; /* created meanwhile by a parallel command */
        *err = steal_pointer(&e);
        return hull_error_prefix(err, "default network");
    }
    return 0;
}

int net_network_remove(net_store *s, const char *ref, hull_err **err)
{
    cleanup_close int lock = net_store_lock(s, err);
    if (lock < 0)
        return -1;
    cleanup_json json_t *conf = NULL;
    if (net_network_load(s, ref, &conf, err) < 0)
        return -1;
    const char *name = net_network_name(conf);
    cleanup_json json_t *entries = NULL;
    if (net_cni_cache_list(s->cache_fd, NULL, &entries, err) < 0)
        return -1;
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "networkName")), name) == 0)
            return hull_error(err, 0,
                              "error while removing network: network %s id %s has active "
                              "endpoints",
                              name, net_network_id(conf));
    }
    if (bridge_delete(conf, err) < 0)
        return -1;
    cleanup_free char *file = NULL;
    if (asprintf(&file, "%s.conflist", name) < 0)
        abort();
    if (unlinkat(s->dirfd, file, 0) < 0)
        return hull_error(err, errno, "remove `%s`", file);
    cleanup_free char *ipam = NULL;
    if (asprintf(&ipam, "%s/%s", s->ipam_dir, name) < 0)
        abort();
    cleanup_err hull_err *e2 = NULL;
    fs_remove_tree(ipam, &e2);
    net_dns_network_removed(s, name);
    return 0;
}

json_t *net_network_inspect(net_store *s, json_t *conflist)
{
    json_t *m = net_network_meta(conflist);
    json_t *ipam_cfg = json_pack("{s:O, s:O}", "Subnet", json_object_get(m, "subnet"), "Gateway",
                                 json_object_get(m, "gateway"));
    if (json_object_get(m, "ipRange"))
        json_object_set(ipam_cfg, "IPRange", json_object_get(m, "ipRange"));
    json_t *containers = json_object();
    cleanup_json json_t *entries = NULL;
    cleanup_err hull_err *e = NULL;
    if (net_cni_cache_list(s->cache_fd, NULL, &entries, &e) == 0) {
        size_t i;
        json_t *en;
        json_array_foreach(entries, i, en)
        {
            if (strcmp(json_string_value(json_object_get(en, "networkName")),
                       net_network_name(conflist)) != 0)
                continue;
            json_t *h = json_object_get(en, "hull");
            json_object_set_new(containers, json_string_value(json_object_get(en, "containerId")),
                                json_pack("{s:O, s:O, s:O, s:O, s:s}", "Name",
                                          json_object_get(h, "name"), "EndpointID",
                                          json_object_get(h, "endpointId"), "MacAddress",
                                          json_object_get(h, "mac"), "IPv4Address",
                                          json_object_get(h, "address"), "IPv6Address",
                                          json_string_value(json_object_get(h, "address6"))
                                              ? json_string_value(json_object_get(h, "address6"))
                                              : ""));
        }
    }
    json_t *configs = json_pack("[o]", ipam_cfg);
    if (json_object_get(m, "subnet6"))
        json_array_append_new(configs,
                              json_pack("{s:O, s:O}", "Subnet", json_object_get(m, "subnet6"),
                                        "Gateway", json_object_get(m, "gateway6")));
    return json_pack(
        "{s:O, s:O, s:O, s:s, s:O, s:b, s:{s:s, s:{}, s:o}, s:O, s:b, s:b, "
        "s:{s:s}, s:b, s:o, s:O, s:O}",
        "Name", json_object_get(conflist, "name"), "Id", json_object_get(m, "id"), "Created",
        json_object_get(m, "created"), "Scope", "local", "Driver", json_object_get(m, "driver"),
        "EnableIPv6", json_is_true(json_object_get(m, "ipv6")), "IPAM", "Driver", "default",
        "Options", "Config", configs, "Internal", json_object_get(m, "internal"), "Attachable", 0,
        "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly", 0, "Containers", containers,
        "Options", json_object_get(m, "options"), "Labels", json_object_get(m, "labels"));
}

/* A tagged bridge whose network record is gone: `root` no longer holds NAME.conflist with ID.
 * Errors other than "no such file" (a data root on a slow or unreadable mount) keep it. */
static bool tag_orphaned(const char *tag)
{
    char id[65], subnet[80], name[129];
    int used = 0;
    if (sscanf(tag, BRIDGE_TAG " %64s %79s %128s %n", id, subnet, name, &used) != 3 || used == 0)
        return false;
    const char *root = tag + used;
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/networks/%s.conflist", root, name) < 0)
        abort();
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file(path, 1u << 20, &text, &len, &e) < 0)
        return e->errnum == ENOENT || e->errnum == ENOTDIR;
    cleanup_json json_t *conf = json_loadb(text, len, 0, NULL);
    const char *have = net_network_id(conf);
    return conf && have && strcmp(have, id) != 0;
}

static int remove_orphans_locked(json_t *removed)
{
    cleanup_dir DIR *d = opendir("/sys/class/net");
    if (d == NULL)
        return 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[300];
        snprintf(path, sizeof path, "/sys/class/net/%s/ifalias", de->d_name);
        cleanup_free char *tag = NULL;
        size_t len;
        cleanup_err hull_err *e = NULL;
        if (fs_read_file(path, 4096, &tag, &len, &e) < 0 ||
            strncmp(tag, BRIDGE_TAG " ", strlen(BRIDGE_TAG) + 1) != 0)
            continue;
        while (len && tag[len - 1] == '\n')
            tag[--len] = '\0';
        if (!tag_orphaned(tag))
            continue;
        char id[65], subnet[80];
        if (sscanf(tag, BRIDGE_TAG " %64s %79s", id, subnet) != 2)
            continue;
        char *comma = strchr(subnet, ',');
        if (comma)
            *comma++ = '\0';
        cleanup_json json_t *conf =
            json_pack("{s:{s:s, s:s}}", "hull", "bridge", de->d_name, "subnet", subnet);
        if (comma)
            json_object_set_new(json_object_get(conf, "hull"), "subnet6", json_string(comma));
        cleanup_err hull_err *de_err = NULL;
        if (bridge_delete(conf, &de_err) == 0 && removed)
            json_array_append_new(removed, json_string(de->d_name));
    }
    return 0;
}

int net_network_remove_orphans(json_t *removed, hull_err **err)
{
    cleanup_close int hlock = net_host_lock(err);
    if (hlock < 0)
        return -1;
    return remove_orphans_locked(removed);
}

int net_network_prune(net_store *s, json_t **removed, hull_err **err)
{
    *removed = json_array();
    cleanup_err hull_err *oe = NULL;
    net_network_remove_orphans(NULL, &oe);
    cleanup_json json_t *list = NULL;
    if (net_network_list(s, &list, err) < 0)
        return -1;
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
    {
        const char *name = net_network_name(n);
        if (strcmp(name, NET_DEFAULT_NETWORK) == 0)
            continue;
        cleanup_err hull_err *e = NULL;
        if (net_network_remove(s, name, &e) < 0)
            continue; /* in use */
        json_array_append_new(*removed, json_string(name));
    }
    return 0;
}
