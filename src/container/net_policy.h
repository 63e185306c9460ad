/* Per-container network policy, on top of container/network.c: the egress allow-list
 * (--egress-allow CIDR, --egress-tcp-port N: nftables rules in the container's namespace, see
 * net/egress.h) and the bandwidth limits (--network-ingress-rate/--network-egress-rate: the CNI
 * bandwidth plugin in the container's chain). Stored in the record's HostConfig as EgressAllow,
 * EgressTcpPorts, NetworkIngressRate, NetworkEgressRate (bits/s, 0 = none). */
#ifndef HULL_CONTAINER_NET_POLICY_H
#define HULL_CONTAINER_NET_POLICY_H

#include <jansson.h>
#include <sys/types.h>

#include "container/request.h"
#include "container/store.h"
#include "util/error.h"

/* The drops, one line each (`hull logs --egress`), in the container directory. */
#define CONTAINER_EGRESS_LOG "egress.log"

/* "20m", "1.5g", "800k", "1000000": bits/s (k/m/g: 10^3/10^6/10^9). */
int container_rate_parse(const char *flag, const char *text, unsigned long long *out,
                         hull_err **err);
/* Validate the request's policy fields into the record being built (after
 * container_network_record: the network mode decides whether they apply). */
int container_net_policy_record(const struct run_request *req, json_t *rec, hull_err **err);
/* The bandwidth limits of the record (bits/s, 0 = none). */
void container_net_policy_rates(json_t *doc, unsigned long long *ingress,
                                unsigned long long *egress);
/* After the CNI ADD and /etc/resolv.conf, before start: the egress rules and their logger. */
int container_net_policy_setup(container_store *cs, container_record *r, pid_t pid,
                               hull_err **err);

#endif
