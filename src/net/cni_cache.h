/* The result cache (libcni's "cniCacheV1" shape): one JSON file per attachment, named
 * NETWORK-CONTAINERID-IFNAME, written after a successful ADD and removed after DEL. It holds
 * everything DEL needs after a crash or a reboot: the conflist as it was at ADD, CNI_ARGS,
 * the capability arguments and the result, plus hull's own `hull` object (the netns owner's pid
 * and start time and the boot id, so a dead attachment can be recognised). */
#ifndef HULL_NET_CNI_CACHE_H
#define HULL_NET_CNI_CACHE_H

#include <jansson.h>

#include "util/error.h"

int net_cni_cache_write(int dirfd, const char *network, const char *container_id,
                        const char *ifname, json_t *entry, hull_err **err);
/* *entry = NULL when there is none. */
int net_cni_cache_read(int dirfd, const char *network, const char *container_id, const char *ifname,
                       json_t **entry, hull_err **err);
int net_cni_cache_remove(int dirfd, const char *network, const char *container_id,
                         const char *ifname, hull_err **err);
/* Every cached entry (the parsed files; with `container_id`, only that container's), sorted by
 * their "hull.seq" attachment order. */
int net_cni_cache_list(int dirfd, const char *container_id, json_t **entries, hull_err **err);

#endif
