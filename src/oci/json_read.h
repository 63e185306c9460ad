/* Typed, path-aware readers over jansson values. Every error names the file, the JSON path and
 * the reason, e.g. "config.json: process.args: expected array of strings". */
#ifndef HULL_OCI_JSON_READ_H
#define HULL_OCI_JSON_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct json_ctx {
    const char *file; /* "config.json", "process.json" ... */
};

/* Each reader: a missing key leaves *out untouched and returns 0 (use json_require for musts);
 * a key of the wrong type is an error. `path` is the JSON path of `obj`'s member for messages. */
int json_read_string(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     char **out, hull_err **err);
int json_read_bool(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                   bool *out, hull_err **err);
int json_read_int64(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                    int64_t *out, bool *present, hull_err **err);
int json_read_uint32(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     uint32_t *out, bool *present, hull_err **err);
int json_read_uint64(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     uint64_t *out, bool *present, hull_err **err);
/* NULL-terminated array of strings; *out stays NULL when the key is absent. */
int json_read_strv(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                   char ***out, size_t *count, hull_err **err);
/* Object or array members: NULL when absent, error when of another type. */
int json_read_object(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     json_t **out, hull_err **err);
int json_read_array(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                    json_t **out, hull_err **err);

/* Report "FILE: PATH: reason". Returns -1. */
int json_field_error(const struct json_ctx *c, hull_err **err, const char *path, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

/* Join a parent path and a key or index for messages: "linux" + "namespaces" -> "linux.namespaces" */
const char *json_path_join(char *buf, size_t size, const char *parent, const char *key);
const char *json_path_index(char *buf, size_t size, const char *parent, size_t index);

/* Does the member exist and hold something other than null / empty array / empty object? */
bool json_is_set(json_t *obj, const char *key);

/* Load a JSON document from a file or a string: parse errors give line and column. */
int json_load_file_checked(const char *path, const char *display, json_t **out, hull_err **err);
int json_load_string_checked(const char *text, size_t len, const char *display, json_t **out,
                             hull_err **err);

/* jansson provides json_decrefp (NULL-safe). */
#define cleanup_json __attribute__((cleanup(json_decrefp)))

#endif
