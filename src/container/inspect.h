/* The JSON documents `hull inspect` and `hull ps --format json` print for a container. */
#ifndef HULL_CONTAINER_INSPECT_H
#define HULL_CONTAINER_INSPECT_H

#include <jansson.h>

#include "container/status.h"
#include "container/store.h"

/* docker-inspect-like: Id, Name, Created, Path, Args, State (with Health when the container
 * has a health check and has started), Image, ImageName, Config,
 * HostConfig, Mounts, RestartCount, LogPath, HostnamePath, HostsPath, ResolvConfPath, Driver,
 * GraphDriver, Platform. */
json_t *container_inspect_json(const container_record *r, const struct container_state_info *st);

/* One `ps` entry: Id, Names, Image, ImageID, Command, Created, State, Status, ExitCode, Pid,
 * StartedAt, FinishedAt, Labels, Mounts, RestartCount, Health ("starting", "healthy",
 * "unhealthy" while running with a health check, else ""). */
json_t *container_ps_json(const container_record *r, const struct container_state_info *st);

/* "sh -c 'echo hi'" style command text (malloc'd). */
char *container_command_text(const container_record *r);

#endif
