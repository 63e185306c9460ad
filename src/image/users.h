/* Which containers use which image. The container layer calls image_store_add_user when it
 * creates a container from an image and image_store_remove_user when it deletes it; `hull rmi`
 * and `hull image prune` refuse to delete an image (and its layers) while it has users.
 * A user is an empty file users/<manifest hex>/<container id>, so the records survive crashes
 * and can be audited with ls. */
#ifndef HULL_IMAGE_USERS_H
#define HULL_IMAGE_USERS_H

#include "image/store.h"

int image_store_add_user(image_store *s, const char *manifest_digest, const char *container_id,
                         hull_err **err);
int image_store_remove_user(image_store *s, const char *manifest_digest, const char *container_id,
                            hull_err **err);
/* Remove the container from the users of every image (a create interrupted before its record
 * named the image: the entry, if made, is found by the container id). */
int image_store_remove_user_any(image_store *s, const char *container_id, hull_err **err);
/* Number of containers using the image (0 when none or on error). */
int image_store_count_users(image_store *s, const char *manifest_digest);
/* The image leaves the store: remove its (empty) users directory, which outlives its last
 * user so that the next container of the image makes only its own entry. Under the index lock;
 * nothing happens while users remain. */
void image_store_forget_users(image_store *s, const char *manifest_digest);

#endif
