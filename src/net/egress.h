/* Egress allow-lists (nucleus's egress_allow / egress_tcp_ports): nftables rules inside a
 * container's network namespace, made with libnftables between the runtime's create and start.
 * Allowed: loopback, established/related traffic, DNS (udp/tcp 53) to the container's
 * resolvers, and the allowed destinations: every allowed CIDR on every allowed TCP port (no
 * ports: any traffic to the CIDRs; no CIDRs: the TCP ports to anywhere). Everything else is
 * dropped; the drops are logged (`log group NET_EGRESS_LOG_GROUP`, prefix
 * NET_EGRESS_LOG_PREFIX) to an NFLOG netlink socket that a logger process, living in the same
 * namespace, turns into lines of a log file. The rules go with the namespace. */
#ifndef HULL_NET_EGRESS_H
#define HULL_NET_EGRESS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define NET_EGRESS_LOG_PREFIX "hull-egress-denied: "
#define NET_EGRESS_LOG_GROUP  7017
#define NET_EGRESS_TABLE      "hull_egress"

struct net_egress {
    char *const *cidrs;    /* normalized "A.B.C.D/N" or "X:Y::/N", NULL-terminated, may be NULL */
    const unsigned *ports; /* TCP ports */
    size_t n_ports;
    char *const *resolvers; /* DNS servers (IPv4 or IPv6), NULL-terminated, may be NULL */
};

/* --egress-allow: an IPv4 CIDR or address into "A.B.C.D/N" (host bits must be clear). */
int net_egress_cidr_normalize(const char *text, char out[20], hull_err **err);
/* The same for IPv4 or IPv6 ("X:Y::/N"; a bare address is /128). */
#define NET_EGRESS_CIDR_MAX 50
int net_egress_cidr_normalize_any(const char *text, char out[NET_EGRESS_CIDR_MAX], hull_err **err);
/* --egress-tcp-port: 1..65535. */
int net_egress_port_parse(const char *text, unsigned *out, hull_err **err);
/* The nft script for `e` (owned by the caller). */
char *net_egress_script(const struct net_egress *e);
/* Install the rules in the network namespace of `pid` and start the logger there: it appends
 * one line per dropped packet to `log_fd` and exits when `pid` does (or its parent dies).
 * The rules are applied by `nft_helper` (the hull-nft program, src/cli/hull-nft) run in that
 * namespace. *logger: its pid (a child of the caller). */
int net_egress_apply(pid_t pid, const struct net_egress *e, const char *nft_helper, int log_fd,
                     pid_t *logger, hull_err **err);

#endif
