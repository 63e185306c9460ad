/* The network side of hull's containers, between the record and net/: the request's network
 * fields into the record (HostConfig.NetworkMode, PortBindings, PublishAllPorts, Dns*,
 * ExtraHosts, Config.ExposedPorts, NetworkSettings.Networks: the endpoints asked for), the
 * set-up between the runtime's create and start (CNI ADD into the container process's network
 * namespace, /etc/hosts and /etc/resolv.conf rewritten in place, as they are bind mounts), the
 * teardown on every exit path, and the live NetworkSettings of inspect. The per-container hook
 * for more set-up inside the namespace (egress rules) is container_network_setup. */
#ifndef HULL_CONTAINER_NETWORK_H
#define HULL_CONTAINER_NETWORK_H

#include <jansson.h>
#include <sys/types.h>

#include "container/request.h"
#include "container/store.h"
#include "image/manifest.h"
#include "util/error.h"

/* Validate the request's network fields and add them to the record being built (`rec`).
 * Creates the default network on first use. */
int container_network_record(container_store *cs, const struct run_request *req,
                             const image_config *ic, json_t *rec, hull_err **err);
/* hosts and resolv.conf in the container directory (written in place: they are bind-mounted),
 * for the endpoints `eps` (net_attach's output; NULL before any). */
int container_network_write_etc(container_store *cs, container_record *r, json_t *eps,
                                hull_err **err);
/* Before the runtime's create: --network container:C points the bundle at C's namespace. */
int container_network_prepare(container_store *cs, container_record *r, hull_err **err);
/* After the runtime's create (pid: the container's first process), before start. */
int container_network_setup(container_store *cs, container_record *r, pid_t pid, hull_err **err);
/* Detach every network of the container (any run; idempotent). */
int container_network_teardown(container_store *cs, container_record *r, hull_err **err);
/* Connect / disconnect a container (created or running) to/from a network. */
int container_network_connect(container_store *cs, container_record *r, const char *network,
                              char *const *aliases, const char *ip, const char *ip6,
                              hull_err **err);
int container_network_disconnect(container_store *cs, container_record *r, const char *network,
                                 hull_err **err);
/* docker's NetworkSettings (Networks with the live addresses, Ports, IPAddress, Gateway). */
json_t *container_network_settings(container_store *cs, container_record *r);
/* docker's PORTS column: "127.0.0.1:32768->80/tcp, ..." for the published ports of a running
 * container ("" when it publishes none; the network state is read only then). Malloc'd. */
char *container_ports_text(container_store *cs, container_record *r);
/* Whether the record's NetworkSettings.Networks names `network`. */
bool container_network_uses(container_record *r, const char *network);

#endif
