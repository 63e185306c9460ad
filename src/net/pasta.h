/* Rootless networking: pasta (Debian package passt) gives a container's network namespace a
 * tap device with the host's addresses and routes (--config-net), carries its traffic through
 * the host's sockets, and forwards published ports from host sockets it listens on, as podman
 * does for rootless containers. Rootless hull cannot make bridges, veths or iptables rules in
 * the host's network namespace. docs/rootless.md. */
#ifndef HULL_NET_PASTA_H
#define HULL_NET_PASTA_H

#include <stddef.h>

#include "net/ports.h"
#include "util/error.h"

/* Start pasta (it daemonises) for the network namespace bound at `netns_path` (a file: pasta
 * opens it without the ptrace check /proc/PID/ns/net would need and quits when it is removed),
 * forwarding `ports` (host_port 0: a free port is chosen first and written back). Its pid goes
 * to `pid_path`. */
int net_pasta_start(const char *netns_path, struct net_port *ports, size_t n, const char *pid_path,
                    hull_err **err);
/* Stop the pasta recorded in `pid_path` (if it still runs) and remove the file. */
void net_pasta_stop(const char *pid_path);

#endif
