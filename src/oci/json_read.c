/* Typed readers over jansson with path-aware error messages. */
#include "oci/json_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

int json_field_error(const struct json_ctx *c, hull_err **err, const char *path, const char *fmt,
                     ...)
{
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    hull_error(err, 0, "%s: %s: %s", c->file, path, reason);
    (*err)->errnum = EINVAL;
    return -1;
}

const char *json_path_join(char *buf, size_t size, const char *parent, const char *key)
{
    if (parent == NULL || *parent == '\0')
        snprintf(buf, size, "%s", key);
    else
        snprintf(buf, size, "%s.%s", parent, key);
    return buf;
}

const char *json_path_index(char *buf, size_t size, const char *parent, size_t index)
{
    snprintf(buf, size, "%s[%zu]", parent, index);
    return buf;
}

bool json_is_set(json_t *obj, const char *key)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    if (v == NULL || json_is_null(v))
        return false;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_object(v))
        return json_object_size(v) > 0;
    return true;
}

static json_t *member(json_t *obj, const char *key)
{
    json_t *v = obj ? json_object_get(obj, key) : NULL;
    return (v == NULL || json_is_null(v)) ? NULL : v;
}

int json_read_string(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     char **out, hull_err **err)
{
    json_t *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    if (!json_is_string(v))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, key), "expected string");
    char *s = strdup(json_string_value(v));
    if (s == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    free(*out);
    *out = s;
    return 0;
}

int json_read_bool(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                   bool *out, hull_err **err)
{
    json_t *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    if (!json_is_boolean(v))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, key),
                                "expected boolean");
    *out = json_is_true(v);
    return 0;
}

int json_read_int64(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                    int64_t *out, bool *present, hull_err **err)
{
    json_t *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    if (!json_is_integer(v))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, key),
                                "expected integer");
    *out = json_integer_value(v);
    if (present)
        *present = true;
    return 0;
}

int json_read_uint64(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     uint64_t *out, bool *present, hull_err **err)
{
    json_t *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    json_path_join(p, sizeof p, path, key);
    if (json_is_real(v)) {
        /* jansson parses integers above INT64_MAX as reals; accept exact unsigned values. */
        double d = json_real_value(v);
        if (d >= 0 && d <= 18446744073709551615.0 && d == (double)(uint64_t)d) {
            *out = (uint64_t)d;
            if (present)
                *present = true;
            return 0;
        }
    }
    if (!json_is_integer(v))
        return json_field_error(c, err, p, "expected unsigned integer");
    if (json_integer_value(v) < 0)
        return json_field_error(c, err, p, "must not be negative");
    *out = (uint64_t)json_integer_value(v);
    if (present)
        *present = true;
    return 0;
}

int json_read_uint32(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     uint32_t *out, bool *present, hull_err **err)
{
    json_t *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    json_path_join(p, sizeof p, path, key);
    if (!json_is_integer(v))
        return json_field_error(c, err, p, "expected unsigned 32-bit integer");
    json_int_t i = json_integer_value(v);
    if (i < 0 || i > UINT32_MAX)
        return json_field_error(c, err, p, "value %lld out of range 0..%u", (long long)i,
                                UINT32_MAX);
    *out = (uint32_t)i;
    if (present)
        *present = true;
    return 0;
}

int json_read_strv(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                   char ***out, size_t *count, hull_err **err)
{
    json_t *v = member(obj, key);
    if (v == NULL)
        return 0;
    char p[512];
    json_path_join(p, sizeof p, path, key);
    if (!json_is_array(v))
        return json_field_error(c, err, p, "expected array of strings");
    size_t n = json_array_size(v);
    cleanup_strv char **list = calloc(n + 1, sizeof(char *));
    if (list == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(v, i);
        if (!json_is_string(s))
            return json_field_error(c, err, p, "expected array of strings");
        list[i] = strdup(json_string_value(s));
        if (list[i] == NULL)
            return hull_error(err, ENOMEM, "%s", c->file);
    }
    hull_strvfree(*out);
    *out = steal_pointer(&list);
    if (count)
        *count = n;
    return 0;
}

int json_read_object(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                     json_t **out, hull_err **err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    char p[512];
    if (!json_is_object(v))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, key), "expected object");
    *out = v;
    return 0;
}

int json_read_array(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                    json_t **out, hull_err **err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (v == NULL)
        return 0;
    char p[512];
    if (!json_is_array(v))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, key), "expected array");
    *out = v;
    return 0;
}

int json_load_string_checked(const char *text, size_t len, const char *display, json_t **out,
                             hull_err **err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        hull_error(err, 0, "%s: invalid JSON at line %d column %d: %s", display, je.line,
                   je.column, je.text);
        (*err)->errnum = EINVAL;
        return -1;
    }
    *out = j;
    return 0;
}

int json_load_file_checked(const char *path, const char *display, json_t **out, hull_err **err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (fs_read_file(path, 0, &text, &len, err) < 0)
        return -1;
    return json_load_string_checked(text, len, display, out, err);
}
