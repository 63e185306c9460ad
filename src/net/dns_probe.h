/* A DNS readiness probe: one A query for one name, made by hand (header, question; no
 * library resolver, whose retries and timeouts are its own), sent over UDP to a server until
 * it answers with a record. hull asks aardvark-dns this way after each reload. */
#ifndef HULL_NET_DNS_PROBE_H
#define HULL_NET_DNS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Header (12 bytes), a name of at most 255 bytes, type and class. */
#define DNS_QUERY_MAX (12 + 255 + 4)

/* Write an A/IN query with `id` and recursion desired for `name` (dot-separated labels) to
 * `buf`; its length, 0 when `name` is no valid DNS name. */
size_t dns_query_build(uint16_t id, const char *name, uint8_t buf[DNS_QUERY_MAX]);
/* Is `msg` a response to query `id` that carries an answer (NOERROR, ANCOUNT > 0)? */
bool dns_answer_positive(uint16_t id, const uint8_t *msg, size_t len);

struct dns_probe {
    int fd; /* UDP, connected to the server */
    uint16_t id;
    size_t len;
    uint8_t query[DNS_QUERY_MAX];
    int last_errno; /* of the last failed send or receive, 0: none */
};

/* A probe of SERVER:PORT (IPv4, host order) for `name`; close it with dns_probe_close. */
int dns_probe_open(struct dns_probe *p, uint32_t server, uint16_t port, const char *name,
                   hull_err **err);
/* Send the query and wait up to `wait_ms` for an answer with a record: 1 when one came, else 0,
 * early when the send or the socket fails (ECONNREFUSED: nothing listens on the port, the
 * kernel's refusal; kept in last_errno). Negative answers (NXDOMAIN...) are waited past. */
int dns_probe_ask(struct dns_probe *p, int wait_ms);
void dns_probe_close(struct dns_probe *p);

#endif
