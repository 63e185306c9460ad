/* `-u USER[:GROUP]` and the image's User, resolved the way docker does against the image's
 * /etc/passwd and /etc/group (read from the topmost layer that has them, through
 * RESOLVE_IN_ROOT so a hostile layer's symlinks cannot point the lookup at host files). */
#ifndef HULL_CONTAINER_USER_H
#define HULL_CONTAINER_USER_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct user_ids {
    uid_t uid;
    gid_t gid;
    gid_t *additional; /* supplementary groups listing the user in /etc/group */
    size_t n_additional;
};

/* Names need the files; numeric ids work without them (gid 0 when the uid has no entry). */
int user_resolve(char *const *layer_dirs, size_t n_layers, const char *spec, struct user_ids *out,
                 hull_err **err);
void user_ids_clear(struct user_ids *u);

#endif
