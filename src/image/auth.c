/* Credentials files: read Docker's `auths` format, write it with mode 0600. */
#include "image/auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <nettle/base64.h>

#include "util/cleanup.h"
#include "util/fs.h"

char *auth_default_file(void)
{
    char *p = NULL;
    const char *env = getenv("HULL_AUTH_FILE");
    if (env && *env)
        return strdup(env);
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int r;
    if (xdg && *xdg)
        r = asprintf(&p, "%s/hull/auth.json", xdg);
    else
        r = asprintf(&p, "%s/.config/hull/auth.json", home && *home ? home : "/root");
    if (r < 0)
        abort();
    return p;
}

char *base64_encode(const void *data, size_t len)
{
    char *out = malloc(BASE64_ENCODE_RAW_LENGTH(len) + 1);
    if (out == NULL)
        abort();
    base64_encode_raw(out, len, data);
    out[BASE64_ENCODE_RAW_LENGTH(len)] = '\0';
    return out;
}

char *base64_decode(const char *text, size_t *len)
{
    size_t tl = strlen(text);
    if (tl % 4 != 0)
        return NULL;
    uint8_t *out = malloc(BASE64_DECODE_LENGTH(tl) + 1);
    if (out == NULL)
        abort();
    struct base64_decode_ctx ctx;
    base64_decode_init(&ctx);
    size_t n = BASE64_DECODE_LENGTH(tl);
    if (!base64_decode_update(&ctx, &n, out, tl, text) || !base64_decode_final(&ctx)) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    if (len)
        *len = n;
    return (char *)out;
}

static json_t *load_auths(const char *file, hull_err **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    cleanup_err hull_err *read_err = NULL;
    if (fs_read_file(file, 1 << 20, &data, &len, &read_err) < 0) {
        if (read_err->errnum == ENOENT)
            return json_object();
        if (err) {
            hull_err_free(*err);
            *err = steal_pointer(&read_err);
        }
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        hull_error(err, 0, "credentials file `%s` is not valid JSON", file);
        return NULL;
    }
    return root;
}

static int lookup_in(const char *file, const char *registry, char **user, char **password,
                     hull_err **err)
{
    json_auto_t *root = load_auths(file, err);
    if (root == NULL)
        return -1;
    json_t *auths = json_object_get(root, "auths");
    json_t *entry = json_object_get(auths, registry);
    if (entry == NULL && strcmp(registry, "docker.io") == 0)
        entry = json_object_get(auths, "https://index.docker.io/v1/");
    const char *auth = json_string_value(json_object_get(entry, "auth"));
    if (auth == NULL)
        return 0;
    cleanup_free char *plain = base64_decode(auth, NULL);
    char *colon = plain ? strchr(plain, ':') : NULL;
    if (colon == NULL)
        return hull_error(err, 0, "credentials for `%s` in `%s` are malformed", registry, file);
    *colon = '\0';
    *user = strdup(plain);
    *password = strdup(colon + 1);
    return 1;
}

int auth_lookup(const char *authfile, const char *registry, char **user, char **password,
                hull_err **err)
{
    cleanup_free char *def = authfile ? NULL : auth_default_file();
    int r = lookup_in(authfile ? authfile : def, registry, user, password, err);
    if (r != 0)
        return r;
    const char *home = getenv("HOME");
    if (home == NULL || *home == '\0')
        return 0;
    cleanup_free char *docker = NULL;
    if (asprintf(&docker, "%s/.docker/config.json", home) < 0)
        abort();
    cleanup_err hull_err *ignored = NULL;
    r = lookup_in(docker, registry, user, password, &ignored);
    return r > 0 ? 1 : 0;
}

static int save_auths(const char *file, json_t *root, hull_err **err)
{
    cleanup_free char *dir = strdup(file);
    char *slash = strrchr(dir, '/');
    if (slash != NULL && slash != dir) {
        *slash = '\0';
        if (fs_mkdir_p(dir, 0700, err) < 0)
            return -1;
    }
    cleanup_free char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (text == NULL)
        return hull_error(err, ENOMEM, "serialise credentials");
    return fs_write_file_atomic(file, text, strlen(text), 0600, err);
}

int auth_store(const char *authfile, const char *registry, const char *user, const char *password,
               hull_err **err)
{
    cleanup_free char *def = authfile ? NULL : auth_default_file();
    const char *file = authfile ? authfile : def;
    json_auto_t *root = load_auths(file, err);
    if (root == NULL)
        return -1;
    if (!json_is_object(json_object_get(root, "auths")))
        json_object_set_new(root, "auths", json_object());
    cleanup_free char *plain = NULL;
    if (asprintf(&plain, "%s:%s", user, password) < 0)
        abort();
    cleanup_free char *enc = base64_encode(plain, strlen(plain));
    json_object_set_new(json_object_get(root, "auths"), registry, json_pack("{s:s}", "auth", enc));
    explicit_bzero(plain, strlen(plain));
    return save_auths(file, root, err);
}

int auth_remove(const char *authfile, const char *registry, hull_err **err)
{
    cleanup_free char *def = authfile ? NULL : auth_default_file();
    const char *file = authfile ? authfile : def;
    json_auto_t *root = load_auths(file, err);
    if (root == NULL)
        return -1;
    json_t *auths = json_object_get(root, "auths");
    if (json_object_get(auths, registry) == NULL)
        return 0;
    json_object_del(auths, registry);
    return save_auths(file, root, err) < 0 ? -1 : 1;
}
