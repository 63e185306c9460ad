/* CNI plugin invocation (CNI spec 1.0, "Execution Protocol"): find the plugin named by a network
 * config's `type` in CNI_PATH, run it with the CNI_* environment and the config on stdin, and
 * return its result, or its error object as a hull_err. One plugin, one command: the chaining
 * of a conflist is cni_list.h. No networking here: the plugins do that. */
#ifndef HULL_NET_CNI_EXEC_H
#define HULL_NET_CNI_EXEC_H

#include <jansson.h>

#include "util/error.h"

/* The directories hull looks for plugins in (Debian's, then the upstream default). */
#define NET_CNI_DEFAULT_PATH "/usr/lib/cni:/opt/cni/bin"

/* The runtime's half of an invocation (the CNI_* variables). */
struct net_cni_runtime {
    const char *container_id; /* CNI_CONTAINERID */
    const char *netns;        /* CNI_NETNS: a path to the network namespace */
    const char *ifname;       /* CNI_IFNAME */
    const char *args;         /* CNI_ARGS ("K=V;K=V"), NULL = none */
    const char *path;         /* CNI_PATH, NULL = NET_CNI_DEFAULT_PATH */
};

/* Run the plugin `conf.type` with CNI_COMMAND=`command` (ADD, DEL, CHECK, VERSION). For ADD,
 * *result receives the parsed result (result may be NULL for other commands). A failure
 * carries the plugin's error message (`plugin bridge: ADD: <msg>: <details>`). */
int net_cni_exec(const char *command, json_t *conf, const struct net_cni_runtime *rt,
                 json_t **result, hull_err **err);

/* The absolute path of plugin `type` in `path` (a CNI_PATH list), or NULL with *err set. */
char *net_cni_find_plugin(const char *type, const char *path, hull_err **err);

#endif
