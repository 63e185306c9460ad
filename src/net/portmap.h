/* Published ports as nftables rules: the work of hull-portmap, hull's CNI plugin for the
 * `portMappings` capability (src/cli/hull-portmap). It does what Debian's portmap plugin does
 * (kernel DNAT from the host's addresses, hairpin and 127.0.0.1 by masquerade) in one nftables
 * transaction per ADD and one per DEL, where portmap 1.1.1 runs iptables about 17 and 10 times.
 *
 * Everything lives in the table `inet hull_portmap`: base chains `prerouting` and `output` (nat,
 * dstnat) jump to `hostports` for packets to a local address; `postrouting` (nat, srcnat)
 * masquerades what carries the mark bit. `hostports` holds every attachment's rules, each
 * tagged with a comment naming the attachment (net_portmap_tag), which is how DEL finds them.
 * Per mapping and address family of the container: a rule that marks packets from the
 * container's own subnet (hairpin) and from 127.0.0.0/8 (IPv4), and the DNAT rule. */
#ifndef HULL_NET_PORTMAP_H
#define HULL_NET_PORTMAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define NET_PORTMAP_TABLE "hull_portmap"
/* portmap's default mark bit (13, 0x2000), so that the two can share a host. */
#define NET_PORTMAP_MARK_BIT 13

/* The comment of an attachment's rules: "CONTAINERID IFNAME", or a SHA-256 of both when that
 * does not fit a comment (127 bytes) or holds other characters than [A-Za-z0-9_.-]. */
char *net_portmap_tag(const char *container_id, const char *ifname);

/* The attachment's rules for a plugin config (runtimeConfig.portMappings, prevResult with the
 * container's addresses, optional `snat` and `markMasqBit`), as `add rule` commands into
 * `hostports`. *script is NULL when nothing is to be published. *localnet_dev receives the
 * host interface (the bridge) that needs route_localnet for 127.0.0.1 to be published, or
 * NULL. */
int net_portmap_add_script(json_t *conf, const char *tag, char **script, char **localnet_dev,
                           hull_err **err);

/* The table, its chains and the base chains' rules, for an ADD that found no table (`create
 * table`: should another ADD make it first, the transaction fails and is retried with repair).
 * Once the table is there an ADD adds its rules alone: a transaction that deletes nothing is
 * cheap, where a deletion (or an aborted transaction) makes nf_tables wait for an RCU grace
 * period, 5-10 ms on this host. repair: re-declares everything and makes the base chains'
 * rules anew (a table whose chains someone removed). */
char *net_portmap_table_script(bool repair);

/* The nft command that lists `hostports` (run with JSON output and handles). */
#define NET_PORTMAP_LIST "list chain inet " NET_PORTMAP_TABLE " hostports"

/* From that listing (libnftables' JSON): the handles of the rules tagged `tag`. */
int net_portmap_handles(const char *listing, const char *tag, long long **handles, size_t *n,
                        hull_err **err);
/* The DEL transaction for those handles (NULL when there are none). */
char *net_portmap_del_script(const long long *handles, size_t n);

#endif
