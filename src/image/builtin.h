/* Built-in images that need no network: `localhost/busybox:latest` from busybox-static. */
#ifndef HULL_IMAGE_BUILTIN_H
#define HULL_IMAGE_BUILTIN_H

#include "image/store.h"

#define BUILTIN_BUSYBOX_NAME "localhost/busybox:latest"

/* $HULL_BUSYBOX or /bin/busybox. */
const char *builtin_busybox_path(void);

/* Build the image and point localhost/busybox:latest at it (idempotent: same digests). */
int builtin_busybox_seed(image_store *s, hull_err **err);

#endif
