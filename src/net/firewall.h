/* A network's host rules, made once with the network (not per container, which keeps iptables
 * off the container start path): outbound NAT (one MASQUERADE rule for the subnet, as docker
 * has it), docker's isolation rule (traffic from another bridge into this network's bridge is
 * dropped: HULL-ISOLATION-1/2 chains), --internal (nothing leaves the bridge), and FORWARD
 * accepts for hosts whose FORWARD policy is DROP (HULL-FORWARD). iptables (the nf_tables
 * backend the CNI plugins use) is run as a program; a dual-stack network gets the same rules
 * from ip6tables for its IPv6 subnet. */
#ifndef HULL_NET_FIREWALL_H
#define HULL_NET_FIREWALL_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* Add the rules of a network (its conflist); on failure some may exist: call _down. */
int net_firewall_network_up(json_t *conflist, hull_err **err);
/* Remove them (missing ones are no error). */
void net_firewall_network_down(json_t *conflist);

/* Run a host tool (ip, iptables) with a fixed PATH; its stderr is the error message.
 * quiet_missing: "no such device/rule" outcomes are success. */
int net_run_tool(char *const argv[], bool quiet_missing, hull_err **err);
/* The same with `input` on the tool's standard input (which it must read whole before it
 * writes: hull-nft). */
int net_run_tool_input(char *const argv[], const char *input, hull_err **err);

#endif
