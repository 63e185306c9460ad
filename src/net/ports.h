/* Published ports: `-p [IP:][HOST:]CONTAINER[/tcp|udp]` (ranges HOSTRANGE:CONTAINERRANGE) into
 * single-port mappings, and host-wide reservations of host ports, since portmap's kernel DNAT
 * binds no socket that would make a second user fail. Reservations live in /run/hull-ports (one
 * file per PROTO-PORT-IP naming its owner: pid, start time, boot id), checked under the
 * host-wide network lock together with a bind() probe for ports other programs listen on. */
#ifndef HULL_NET_PORTS_H
#define HULL_NET_PORTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

#define NET_PORTS_DIR "/run/hull-ports"
/* Where hull before 2026-12-06 kept them: inside hull-runtime's default state root, where
 * `hull-runtime list` showed the directory as a container "ports". Still read (a container
 * started by an older hull keeps its ports) and released from; never written. */
#define NET_PORTS_DIR_BEFORE "/run/hull/ports"

struct net_port {
    char host_ip[46];   /* "" = every address; IPv4 or IPv6 (without brackets) */
    unsigned host_port; /* 0 = a free port, chosen at start */
    unsigned container_port;
    char proto[4]; /* tcp | udp */
};

/* Append the mappings of one -p value to *ports (realloc'd). An IPv6 host address is written
 * in brackets, docker's way: `-p [fd00::1]:8080:80`. */
int net_port_parse(const char *spec, struct net_port **ports, size_t *n, hull_err **err);
/* Append the ports of one --expose value (`PORT[-END][/tcp|udp]`, docker's) to the
 * NULL-terminated *keys as "PORT/PROTO" (*n counts them; realloc'd). */
int net_expose_parse(const char *spec, char ***keys, size_t *n, hull_err **err);
/* Can kernel DNAT publish p? Not on ::1 (IPv6 has no route_localnet: docs/networking.md). */
int net_port_check_dnat(const struct net_port *p, hull_err **err);
/* The owner of a reservation or an attachment: a process (pid + start time) of this boot. */
struct net_owner {
    pid_t pid;
    unsigned long long start_time;
    char boot_id[40];
};
void net_owner_self(struct net_owner *o, pid_t pid);
bool net_owner_alive(const struct net_owner *o);
json_t *net_owner_json(const struct net_owner *o);
void net_owner_from_json(json_t *j, struct net_owner *o);

/* Reserve every host port (choosing free ones for host_port 0); *names receives the
 * reservation names, to release. On failure nothing stays reserved. Takes the host lock. */
int net_ports_reserve(struct net_port *ports, size_t n, const struct net_owner *owner,
                      const char *what, json_t **names, hull_err **err);
void net_ports_release(json_t *names);

#endif
