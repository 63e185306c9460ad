/* The config hash of a service: SHA-256 of its resolved configuration as canonical JSON (keys
 * sorted, no whitespace, ASCII escapes), leaving out what docker compose leaves out because it
 * does not change the container (build, scale, deploy.replicas, depends_on, profiles). The same
 * file gives the same hash on every run and every build of hull; it is recorded on containers as
 * com.docker.compose.config-hash. */
#ifndef HULL_STACK_HASH_H
#define HULL_STACK_HASH_H

#include <jansson.h>

/* The canonical JSON text that is hashed (malloc'd). */
char *stack_service_canonical_json(json_t *service);
/* 64 lowercase hex digits + NUL. */
void stack_service_hash(json_t *service, char out[65]);

#endif
