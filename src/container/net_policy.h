/* Per-container network policy, on top of container/network.c: the egress allow-list
 * (--egress-allow CIDR, --egress-tcp-port N: nftables rules in the container's namespace, see
 * net/egress.h), stored in the record's HostConfig as EgressAllow and EgressTcpPorts. */
#ifndef HULL_CONTAINER_NET_POLICY_H
#define HULL_CONTAINER_NET_POLICY_H

#include <jansson.h>
#include <sys/types.h>

#include "container/request.h"
#include "container/store.h"
#include "util/error.h"

/* The drops, one line each (`hull logs --egress`), in the container directory. */
#define CONTAINER_EGRESS_LOG "egress.log"

/* Validate the request's policy fields into the record being built (after
 * container_network_record: the network mode decides whether they apply). */
int container_net_policy_record(const struct run_request *req, json_t *rec, hull_err **err);
/* After the CNI ADD and /etc/resolv.conf, before start: the egress rules and their logger. */
int container_net_policy_setup(container_store *cs, container_record *r, pid_t pid, hull_err **err);

#endif
