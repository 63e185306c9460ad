/* Creating and removing hull containers: a request plus an image become a container directory
 * with its record, its OCI bundle, its volumes and its image-user record; removal undoes all of
 * it (runtime state, rootfs mount, storage, name, image user, anonymous volumes). */
#ifndef HULL_CONTAINER_CREATE_H
#define HULL_CONTAINER_CREATE_H

#include <stdbool.h>

#include "container/request.h"
#include "container/store.h"
#include "image/image.h"
#include "image/store.h"

/* Apply the image config the way docker does (Entrypoint/Cmd, Env, WorkingDir, User,
 * StopSignal, Volumes) under the request's overrides, and create the container (not started).
 * Errors caused by the request or the image carry exit_code 125. Nothing is left behind on
 * failure. */
int container_create_from_image(container_store *cs, image_store *is, const struct run_request *req,
                                container_record **out, hull_err **err);
/* The same with the image already looked up (`img`, borrowed; NULL: looked up here), for a
 * caller that just checked the image is there (`hull run`: one lookup instead of two). */
int container_create_from_image_info(container_store *cs, image_store *is, image_info *img,
                                     const struct run_request *req, container_record **out,
                                     hull_err **err);

/* Remove the container completely. The container must not be running (callers stop it and its
 * monitor first) and the caller holds its lock. Idempotent: a half-created (`dead`) or
 * half-removed container is finished off. */
int container_remove_all(container_store *cs, image_store *is, container_record *r,
                         bool remove_volumes, hull_err **err);

#endif
