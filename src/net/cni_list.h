/* A network configuration list (conflist) run as one chain, as the CNI spec's "Network
 * configuration lists" section describes: ADD runs the plugins in order, each one's result
 * passed to the next as prevResult; DEL runs them in reverse with the cached ADD result as
 * prevResult; CHECK in order with the same. Capability arguments (portMappings, bandwidth, ...)
 * reach only the plugins that declare them, as runtimeConfig. */
#ifndef HULL_NET_CNI_LIST_H
#define HULL_NET_CNI_LIST_H

#include <jansson.h>

#include "net/cni_exec.h"
#include "util/error.h"

/* `caps` maps capability name -> value (may be NULL). *result: the last plugin's result. On
 * failure, the plugins that succeeded are deleted again (nothing half-made). */
int net_cni_list_add(json_t *conflist, const struct net_cni_runtime *rt, json_t *caps,
                     json_t **result, hull_err **err);
/* Every plugin runs even when one fails; the first error is returned. */
int net_cni_list_del(json_t *conflist, const struct net_cni_runtime *rt, json_t *caps,
                     json_t *prev_result, hull_err **err);
int net_cni_list_check(json_t *conflist, const struct net_cni_runtime *rt, json_t *caps,
                       json_t *prev_result, hull_err **err);

#endif
