/* hull's networks: one CNI conflist per network under DATA_ROOT/networks (usable by any CNI
 * runtime), with docker's metadata (id, labels, options, ...) in its top-level `hull` object.
 *
 *   DATA_ROOT/networks/NAME.conflist   the network (cniVersion 1.0.0: bridge + host-local,
 *                                      portmap, firewall)
 *   DATA_ROOT/networks/lock            flock: records, attachments, DNS files
 *   DATA_ROOT/networks/ipam/           host-local's dataDir (its reservations)
 *   DATA_ROOT/networks/cache/          CNI results (cni_cache.h)
 *   DATA_ROOT/networks/aardvark-dns/   aardvark-dns's config dir (dns.h)
 *   DATA_ROOT/config.json              "default-address-pools": [{"base":CIDR,"size":N}]
 *
 * The bridge device is created with the network (so its route reserves the subnet host-wide
 * while the network exists) and deleted with it. Subnets are chosen under a host-wide lock. */
#ifndef HULL_NET_NETWORK_H
#define HULL_NET_NETWORK_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

#define NET_DEFAULT_NETWORK "bridge"

typedef struct net_store {
    char *data_root;
    char *dir;      /* DATA_ROOT/networks */
    char *ipam_dir; /* DATA_ROOT/networks/ipam */
    char *dns_dir;  /* DATA_ROOT/networks/aardvark-dns */
    /* The plugins' search path: $HULL_CNI_PATH or NET_CNI_DEFAULT_PATH, then the directory of
     * hull's own programs (hull-portmap, net/portmap.h). */
    char *cni_path;
    int dirfd;
    int cache_fd;
} net_store;

int net_store_open(const char *data_root, net_store **out, hull_err **err);
void net_store_close(net_store *s);
void net_store_closep(net_store **s);
#define cleanup_net_store __attribute__((cleanup(net_store_closep)))
/* flock DATA_ROOT/networks/lock; returns the fd (close to unlock). */
int net_store_lock(net_store *s, hull_err **err);
/* The host-wide lock (/run/hull/network.lock) of subnet choice and port reservations. */
int net_host_lock(hull_err **err);
/* Host-wide, short: the check-then-create of hull's iptables chains and their jumps
 * (/run/hull/chains.lock), so that networks made in parallel do not add a jump twice. */
int net_host_chains_lock(hull_err **err);

struct net_create_opts {
    const char *name;
    const char *driver;   /* bridge (the only one) */
    const char *subnet;   /* NULL: from the address pools */
    const char *gateway;  /* NULL: the subnet's first address */
    const char *ip_range; /* NULL: the whole subnet */
    const char *bridge;   /* device name, NULL: hull-<id> (hull0 for the default network) */
    bool ipv6;            /* dual stack: also an IPv6 subnet */
    const char *subnet6;  /* NULL with ipv6: a random ULA /64 (fdXX:XXXX:XXXX::/64) */
    const char *gateway6; /* NULL: the IPv6 subnet's first address */
    bool internal;
    bool isolate;   /* docker's rule: no traffic from other networks' bridges (default) */
    char **labels;  /* K=V */
    char **options; /* -o K=V as given (recorded in Options) */
};

/* Create the network (refused when the name exists or the subnet overlaps a network or a host
 * route). *out (may be NULL) receives the conflist. Takes the store lock itself. */
int net_network_create(net_store *s, const struct net_create_opts *o, json_t **out, hull_err **err);
/* By name, full id or unique id prefix. "no such network" (errnum ENOENT) otherwise. */
int net_network_load(net_store *s, const char *ref, json_t **conflist, hull_err **err);
/* Every network's conflist, sorted by name. */
int net_network_list(net_store *s, json_t **list, hull_err **err);
/* Refused while a container is attached (`force`: no check). Deletes the bridge device. */
int net_network_remove(net_store *s, const char *ref, hull_err **err);
/* The network's bridge device and outbound NAT rule, made again when missing (after a
 * reboot). */
int net_network_ensure_up(net_store *s, json_t *conflist, hull_err **err);
/* Every network of the store nothing is attached to, except the default one (docker's
 * `network prune`); *removed: their names. Orphaned bridges are removed first (below). */
int net_network_prune(net_store *s, json_t **removed, hull_err **err);
/* Host-wide: delete the bridges (and their NAT/isolation rules) whose network record is gone,
 * i.e. whose data root was deleted without `hull network rm`. Each bridge hull makes carries an
 * owner tag in its ifalias ("hull-network ID SUBNET NAME DATA_ROOT"). *removed (may be NULL)
 * receives the device names. Also run by every `network create`. */
int net_network_remove_orphans(json_t *removed, hull_err **err);
/* The default network `bridge`, created on first use. */
int net_network_ensure_default(net_store *s, hull_err **err);
/* docker's `network inspect` object for a conflist (Containers from the attachments). */
json_t *net_network_inspect(net_store *s, json_t *conflist);

/* Views into a conflist's `hull` object. */
const char *net_network_name(json_t *conflist);
const char *net_network_id(json_t *conflist);
json_t *net_network_meta(json_t *conflist);

#endif
