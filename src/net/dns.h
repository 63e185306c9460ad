/* Name resolution on user networks: aardvark-dns (Debian's, as podman/netavark drive it), one
 * process per data root serving every network with DNS enabled on its gateway address, port 53.
 * Its config dir (DATA_ROOT/networks/aardvark-dns) holds one file per network: the gateway on
 * the first line, then `ID IPV4S IPV6S NAMES` per container; SIGHUP reloads it. Names other than
 * the containers' are forwarded to the host's resolvers (/etc/resolv.conf). */
#ifndef HULL_NET_DNS_H
#define HULL_NET_DNS_H

#include <jansson.h>

#include "net/network.h"
#include "util/error.h"

/* Rewrite the files of the networks named in `networks` (a JSON array of names) from the
 * attachments in the cache, then start, reload or stop aardvark-dns, and wait until it answers
 * on every gateway from its new files: for `joining` (a container ID, or NULL when none joins)
 * its own name on its networks, and fail when that does not come within a few seconds. The
 * store lock is held. */
int net_dns_update(net_store *s, json_t *networks, const char *joining, hull_err **err);
/* A network went away: drop its file and reload. */
void net_dns_network_removed(net_store *s, const char *name);

#endif
