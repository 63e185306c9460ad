/* The PORTS column of `hull ps`, in docker's form: a map of NetworkSettings.Ports (`"80/tcp":
 * [{"HostIp", "HostPort"}]`, null for an exposed port that is not published) to one line.
 * Ports published on the same number as the container's, and exposed ones, fold into ranges
 * per address and protocol (`0.0.0.0:8000-8002->8000-8002/tcp`, `7000-7001/tcp`); the other
 * mappings follow one by one (`0.0.0.0:8080->80/tcp`); IPv6 addresses in brackets. */
#ifndef HULL_CONTAINER_PORTS_DISPLAY_H
#define HULL_CONTAINER_PORTS_DISPLAY_H

#include <jansson.h>

/* A malloc'd string ("" for no ports). */
char *container_ports_display(json_t *ports);

#endif
