/* A stack's networks (docs/compose.md "Networks"): the compose top-level `networks` as hull
 * networks named <project>_<net> (labelled com.docker.compose.project / .network), created by
 * `up` when missing and removed by `down` after the containers; and each service container's
 * side of them: its network mode, first network with aliases (service name, networks.N.aliases,
 * container name) and ipv4_address, the further networks it is connected to before start,
 * published ports (-p specs), egress allow-list and dns; a changed network is recreated. */
#ifndef HULL_STACK_NET_H
#define HULL_STACK_NET_H

#include <stdio.h>

#include "container/request.h"
#include "container/store.h"
#include "stack/model.h"

#define STACK_LABEL_NETWORK "com.docker.compose.network"

/* One service container's network fields (owned strings). */
struct stack_net_req {
    char *network; /* the request's network mode / first network */
    char *ip;
    char **aliases, **publish, **expose, **egress_allow, **egress_tcp_ports, **dns;
    /* further networks: name, its aliases (NULL-separated groups) and ipv4_address */
    size_t n_extra;
    char **extra_names, **extra_ips;
    char ***extra_aliases;
};

void stack_net_req_clear(struct stack_net_req *n);
/* Fill `out` for container `cname` (replica `number`) of `svc` and point `r` at it. */
int stack_net_request(const struct stack *s, const struct stack_service *svc, long number,
                      const char *cname, struct stack_net_req *out, struct run_request *r,
                      hull_err **err);
/* Connect a created container to the further networks. */
int stack_net_connect_extra(container_store *cs, container_record *r, const struct stack_net_req *n,
                            hull_err **err);
/* The project's existing networks whose definition changed (subnet, gateway, ip_range,
 * internal, driver_opts, labels): *out maps each one's name to the first option that differs. */
int stack_net_changes(container_store *cs, const struct stack *s, json_t **out, hull_err **err);
/* docker compose's recreation of a changed network, first half: the project's containers on
 * it stopped and disconnected, then the network removed (stack_net_up makes it again; `up`
 * recreates the containers). Another project's container on it makes this fail. */
int stack_net_remove_changed(container_store *cs, const char *project, json_t *changed,
                             FILE *progress, hull_err **err);
/* Create the stack's missing networks (external ones must exist). */
int stack_net_up(container_store *cs, const struct stack *s, FILE *progress, hull_err **err);
/* Remove every network labelled with the project. */
int stack_net_down(container_store *cs, const char *project, FILE *progress, hull_err **err);

#endif
