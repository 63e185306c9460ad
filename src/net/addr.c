/* IPv4 addresses, CIDR blocks, host routes and address pools (see addr.h). */
#include "net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

int net_ip_parse(const char *text, uint32_t *out, hull_err **err)
{
    struct in_addr a;
    if (text == NULL || inet_pton(AF_INET, text, &a) != 1)
        return hull_error(err, 0, "`%s` is not an IPv4 address", text ? text : "");
    *out = ntohl(a.s_addr);
    return 0;
}

void net_ip_format(uint32_t ip, char buf[16])
{
    snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

uint32_t net_cidr_mask(int prefix)
{
    return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int net_cidr_parse(const char *text, struct net_cidr *out, hull_err **err)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    if (slash == NULL || slash - text > 15)
        return hull_error(err, 0, "`%s` is not an IPv4 CIDR block (a.b.c.d/N)", text ? text : "");
    char ip[16];
    memcpy(ip, text, (size_t)(slash - text));
    ip[slash - text] = '\0';
    char *end;
    long p = strtol(slash + 1, &end, 10);
    uint32_t a;
    cleanup_err hull_err *e = NULL;
    if (slash[1] == '\0' || *end || p < 0 || p > 32 || net_ip_parse(ip, &a, &e) < 0)
        return hull_error(err, 0, "`%s` is not an IPv4 CIDR block (a.b.c.d/N)", text);
    out->prefix = (int)p;
    out->addr = a & net_cidr_mask(out->prefix);
    return 0;
}

void net_cidr_format(const struct net_cidr *c, char buf[20])
{
    char ip[16];
    net_ip_format(c->addr, ip);
    snprintf(buf, 20, "%s/%d", ip, c->prefix);
}

bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b)
{
    int p = a->prefix < b->prefix ? a->prefix : b->prefix;
    uint32_t m = net_cidr_mask(p);
    return (a->addr & m) == (b->addr & m);
}

bool net_cidr_contains(const struct net_cidr *c, uint32_t ip)
{
    return (ip & net_cidr_mask(c->prefix)) == c->addr;
}

int net_host_routes(struct net_cidr **routes, char ***devs, size_t *n, hull_err **err)
{
    *routes = NULL;
    *devs = NULL;
    *n = 0;
    cleanup_file FILE *f = fopen("/proc/net/route", "re");
    if (f == NULL)
        return hull_error(err, errno, "open /proc/net/route");
    char line[512];
    size_t cap = 0;
    struct net_cidr *r = NULL;
    char **d = NULL;
    if (fgets(line, sizeof line, f) == NULL) { /* header */
        *devs = calloc(1, sizeof **devs);
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        char dev[64];
        unsigned dst, gw, flags, mask;
        if (sscanf(line, "%63s %x %x %x %*d %*d %*d %x", dev, &dst, &gw, &flags, &mask) != 5)
            continue;
        if (mask == 0)
            continue; /* the default route covers everything: not a conflict */
        if (*n + 1 >= cap) {
            cap = cap ? cap * 2 : 16;
            r = realloc(r, cap * sizeof *r);
            d = realloc(d, (cap + 1) * sizeof *d);
            if (r == NULL || d == NULL)
                abort();
        }
        /* /proc/net/route prints the words in host byte order of a little-endian read. */
        r[*n].addr = ntohl(dst);
        r[*n].prefix = __builtin_popcount(mask);
        d[*n] = strdup(dev);
        (*n)++;
    }
    if (d == NULL)
        d = calloc(1, sizeof *d);
    d[*n] = NULL;
    *routes = r;
    *devs = d;
    return 0;
}

int net_pool_allocate(const struct net_pool *pools, size_t n_pools, const struct net_cidr *taken,
                      size_t n_taken, struct net_cidr *out, hull_err **err)
{
    for (size_t p = 0; p < n_pools; p++) {
        const struct net_pool *pool = &pools[p];
        if (pool->size < pool->base.prefix || pool->size > 30)
            continue;
        uint64_t count = 1ull << (pool->size - pool->base.prefix);
        for (uint64_t i = 0; i < count; i++) {
            struct net_cidr c = {
                .addr = pool->base.addr + (uint32_t)(i << (32 - pool->size)),
                .prefix = pool->size,
            };
            bool clash = false;
            for (size_t t = 0; t < n_taken && !clash; t++)
                clash = net_cidr_overlap(&c, &taken[t]);
            if (!clash) {
                *out = c;
                return 0;
            }
        }
    }
    return hull_error(err, 0, "all predefined address pools have been fully subnetted");
}

int net_ip6_parse(const char *text, unsigned char out[16], hull_err **err)
{
    if (text == NULL || inet_pton(AF_INET6, text, out) != 1)
        return hull_error(err, 0, "`%s` is not an IPv6 address", text ? text : "");
    return 0;
}

void net_ip6_mask(unsigned char a[16], int prefix)
{
    for (int i = 0; i < 16; i++) {
        int bits = prefix - 8 * i;
        a[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
    }
}

int net_cidr6_parse(const char *text, struct net_cidr6 *out, bool allow_host_bits, hull_err **err)
{
    const char *slash = text ? strchr(text, '/') : NULL;
    char ip[INET6_ADDRSTRLEN];
    char *end = NULL;
    long p = slash ? strtol(slash + 1, &end, 10) : -1;
    if (slash == NULL || (size_t)(slash - text) >= sizeof ip || end == slash + 1 || *end || p < 0 ||
        p > 128)
        return hull_error(err, 0, "`%s` is not an IPv6 CIDR block (x:y::z/N)", text ? text : "");
    memcpy(ip, text, (size_t)(slash - text));
    ip[slash - text] = '\0';
    if (inet_pton(AF_INET6, ip, out->addr) != 1)
        return hull_error(err, 0, "`%s` is not an IPv6 CIDR block (x:y::z/N)", text);
    out->prefix = (int)p;
    unsigned char net[16];
    memcpy(net, out->addr, 16);
    net_ip6_mask(net, out->prefix);
    if (!allow_host_bits && memcmp(net, out->addr, 16) != 0) {
        struct net_cidr6 fixed = *out;
        memcpy(fixed.addr, net, 16);
        char buf[50];
        net_cidr6_format(&fixed, buf);
        return hull_error(err, 0, "`%s`: host bits set (did you mean %s?)", text, buf);
    }
    return 0;
}

void net_ip6_format(const unsigned char ip[16], char *buf)
{
    inet_ntop(AF_INET6, ip, buf, INET6_ADDRSTRLEN);
}

void net_cidr6_format(const struct net_cidr6 *c, char *buf)
{
    net_ip6_format(c->addr, buf);
    snprintf(buf + strlen(buf), 5, "/%d", c->prefix);
}

bool net_cidr6_contains(const struct net_cidr6 *c, const unsigned char ip[16])
{
    unsigned char a[16], b[16];
    memcpy(a, c->addr, 16);
    memcpy(b, ip, 16);
    net_ip6_mask(a, c->prefix);
    net_ip6_mask(b, c->prefix);
    return memcmp(a, b, 16) == 0;
}

bool net_cidr6_overlap(const struct net_cidr6 *a, const struct net_cidr6 *b)
{
    return a->prefix <= b->prefix ? net_cidr6_contains(a, b->addr) : net_cidr6_contains(b, a->addr);
}

int net_host_routes6(struct net_cidr6 **routes, char ***devs, size_t *n, hull_err **err)
{
    *routes = NULL;
    *n = 0;
    *devs = calloc(1, sizeof **devs);
    if (*devs == NULL)
        abort();
    cleanup_file FILE *f = fopen("/proc/net/ipv6_route", "re");
    if (f == NULL)
        return errno == ENOENT ? 0 : hull_error(err, errno, "open /proc/net/ipv6_route");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char dst[33], dev[64];
        unsigned plen;
        if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %63s", dst, &plen, dev) != 3)
            continue;
        struct net_cidr6 c = {.prefix = (int)plen};
        for (int i = 0; i < 16; i++) {
            unsigned byte;
            sscanf(dst + 2 * i, "%2x", &byte);
            c.addr[i] = (unsigned char)byte;
        }
        /* default, link-local (fe80::/10), multicast (ff00::/8), host routes of lo: no
         * conflict with a network's subnet */
        if (plen == 0 || (c.addr[0] == 0xfe && (c.addr[1] & 0xc0) == 0x80) || c.addr[0] == 0xff ||
            strcmp(dev, "lo") == 0)
            continue;
        *routes = realloc(*routes, (*n + 1) * sizeof **routes);
        *devs = realloc(*devs, (*n + 2) * sizeof **devs);
        if (*routes == NULL || *devs == NULL)
            abort();
        (*routes)[*n] = c;
        (*devs)[*n] = strdup(dev);
        (*devs)[++*n] = NULL;
    }
    return 0;
}
