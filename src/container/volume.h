/* Named and anonymous volumes: directories under DATA_ROOT/volumes/<name>/_data that outlive
 * containers, as docker's local volume driver keeps them.
 *
 *   volumes/<name>/_data          the content, bind-mounted into containers
 *   volumes/<name>/volume.json    {"Name","CreatedAt","Anonymous","Labels"}
 *
 * A volume is in use while any container (running or not) lists it in its record's Mounts;
 * `hull volume rm` refuses such a volume, `hull rm -v` removes a container's anonymous ones. */
#ifndef HULL_CONTAINER_VOLUME_H
#define HULL_CONTAINER_VOLUME_H

#include <jansson.h>
#include <stdbool.h>

#include "container/store.h"

int volume_name_validate(const char *name, hull_err **err);
/* Create the volume `name` (NULL: a new anonymous one with a random 64-hex name) unless it
 * exists. *name_out and *path_out (the _data directory) are malloc'd; *created tells whether
 * this call made it. */
int volume_ensure(container_store *s, const char *name, bool anonymous, char **name_out,
                  char **path_out, bool *created, hull_err **err);
/* Remove a volume. Refused while containers use it (their ids in the message) unless `force`. */
int volume_remove(container_store *s, const char *name, bool force, hull_err **err);
/* Ids of the containers whose record mounts the volume (NULL-terminated). */
int volume_users(container_store *s, const char *name, char ***ids, hull_err **err);
/* Names of every volume (NULL-terminated). */
int volume_list(container_store *s, char ***names, hull_err **err);
/* {"Name","Driver":"local","Mountpoint","CreatedAt","Anonymous","Labels","UsedBy"} */
int volume_inspect(container_store *s, const char *name, json_t **out, hull_err **err);

/* docker's copy-up: every volume of the container's Mounts that is still empty gets what the
 * image has at its mount point (owners, modes and times kept), and the owner and mode of that
 * directory. `rootfd`: the container's mounted root filesystem. Called before the first run. */
int volume_prefill_from_image(container_record *r, int rootfd, hull_err **err);

#endif
