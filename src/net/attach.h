/* Attaching a container's network namespace to hull networks, and detaching it: the CNI ADD of
 * each network's conflist (interfaces eth0, eth1, ...), the result cached for DEL, host ports
 * reserved, the DNS server told. Detaching runs DEL from the cache in reverse order; it works
 * when the namespace is gone (a crash, a reboot): reconciling does it for every attachment
 * whose owner process is dead. All under the store lock. */
#ifndef HULL_NET_ATTACH_H
#define HULL_NET_ATTACH_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "net/network.h"
#include "net/ports.h"
#include "util/error.h"

struct net_endpoint_request {
    const char *network;
    char *const *aliases; /* NULL-terminated, may be NULL */
    const char *ip;       /* --ip, NULL = from the pool */
    const char *ip6;      /* --ip6, NULL = from the pool (IPv6 networks) */
};

struct net_attach_request {
    const char *container_id;
    const char *container_name;
    pid_t pid; /* a process in the target network namespace (the container's first) */
    const struct net_endpoint_request *endpoints;
    size_t n_endpoints;
    struct net_port *ports; /* published on the first endpoint; host_port 0 is chosen here */
    size_t n_ports;
    long long ingress_rate, egress_rate; /* bits/s on the first endpoint, 0 = unlimited */
};

/* *out: one object per endpoint: Network, IfName, IPAddress, IPPrefixLen, Gateway,
 * MacAddress, EndpointID, NetworkID. On failure nothing stays attached. */
int net_attach(net_store *s, const struct net_attach_request *req, json_t **out, hull_err **err);
/* DEL the container's attachments (only `network`'s when not NULL), newest first. Every one
 * is tried; the first error is returned. */
int net_detach(net_store *s, const char *container_id, const char *network, hull_err **err);
/* Detach every attachment whose owner process is gone (crashed monitors, reboots). */
int net_reconcile(net_store *s, hull_err **err);
/* The container's cached attachments (cni_cache.h entries), oldest first. */
int net_attachments(net_store *s, const char *container_id, json_t **out, hull_err **err);

#endif
