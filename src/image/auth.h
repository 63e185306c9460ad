/* Registry credentials. `hull login` writes them to the auth file (0600) in Docker's format:
 *   {"auths": {"HOST[:PORT]": {"auth": "base64(user:password)"}}}
 * Lookups read the auth file, then ~/.docker/config.json (the same `auths` format).
 * The auth file is --authfile, else $HULL_AUTH_FILE, else $XDG_CONFIG_HOME/hull/auth.json,
 * else ~/.config/hull/auth.json. */
#ifndef HULL_IMAGE_AUTH_H
#define HULL_IMAGE_AUTH_H

#include <stddef.h>

#include "util/error.h"

char *auth_default_file(void);

/* 1 and the credentials when found, 0 when there are none, -1 on error. */
int auth_lookup(const char *authfile, const char *registry, char **user, char **password,
                hull_err **err);
int auth_store(const char *authfile, const char *registry, const char *user, const char *password,
               hull_err **err);
/* 1 when an entry was removed, 0 when there was none. */
int auth_remove(const char *authfile, const char *registry, hull_err **err);

/* base64 of `len` bytes, malloc'd; decode returns NULL on invalid input. */
char *base64_encode(const void *data, size_t len);
char *base64_decode(const char *text, size_t *len);

#endif
