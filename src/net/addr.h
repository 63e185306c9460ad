/* IPv4 addresses and CIDR blocks: parsing, formatting, overlap, the host's routes, and the
 * address pools networks take their subnets from (docker's default-address-pools); IPv6 blocks
 * (net_cidr6) for dual-stack networks. */
#ifndef HULL_NET_ADDR_H
#define HULL_NET_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

struct net_cidr {
    uint32_t addr; /* host byte order, the network address (host bits cleared) */
    int prefix;    /* 0..32 */
};

/* "a.b.c.d" (host byte order). */
int net_ip_parse(const char *text, uint32_t *out, hull_err **err);
void net_ip_format(uint32_t ip, char buf[16]);
/* "a.b.c.d/N"; host bits are cleared. */
int net_cidr_parse(const char *text, struct net_cidr *out, hull_err **err);
void net_cidr_format(const struct net_cidr *c, char buf[20]);
uint32_t net_cidr_mask(int prefix);
bool net_cidr_overlap(const struct net_cidr *a, const struct net_cidr *b);
bool net_cidr_contains(const struct net_cidr *c, uint32_t ip);

/* The host's IPv4 routes (/proc/net/route) other than the default route, with their devices
 * (dev[i] owned, NULL-terminated). */
int net_host_routes(struct net_cidr **routes, char ***devs, size_t *n, hull_err **err);

struct net_pool {
    struct net_cidr base;
    int size; /* prefix length of the subnets cut from base */
};

/* The first subnet of the pools overlapping none of `taken`. */
int net_pool_allocate(const struct net_pool *pools, size_t n_pools, const struct net_cidr *taken,
                      size_t n_taken, struct net_cidr *out, hull_err **err);

/* IPv6: an address (network byte order) and a prefix. */
struct net_cidr6 {
    unsigned char addr[16];
    int prefix; /* 0..128 */
};

/* "x:y::z/N"; host bits must be clear unless `allow_host_bits` (then they are kept). */
int net_cidr6_parse(const char *text, struct net_cidr6 *out, bool allow_host_bits, hull_err **err);
int net_ip6_parse(const char *text, unsigned char out[16], hull_err **err);
/* buf: at least 50 bytes (INET6_ADDRSTRLEN + "/128"). */
void net_cidr6_format(const struct net_cidr6 *c, char *buf);
void net_ip6_format(const unsigned char ip[16], char *buf);
/* Clear the bits of `a` after the first `prefix` (an address to its network's). */
void net_ip6_mask(unsigned char a[16], int prefix);
bool net_cidr6_overlap(const struct net_cidr6 *a, const struct net_cidr6 *b);
bool net_cidr6_contains(const struct net_cidr6 *c, const unsigned char ip[16]);
/* The host's IPv6 routes (/proc/net/ipv6_route) other than default, link-local and multicast
 * ones, with their devices. */
int net_host_routes6(struct net_cidr6 **routes, char ***devs, size_t *n, hull_err **err);

#endif
