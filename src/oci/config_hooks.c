/* config.json `hooks`: prestart, createRuntime, createContainer, startContainer, poststart,
 * poststop; each a list of {path, args, env, timeout}. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

static int parse_hook_list(const struct json_ctx *c, json_t *hooks, const char *key,
                           struct hull_hook **out, size_t *n, hull_err **err)
{
    json_t *arr;
    if (json_read_array(c, hooks, key, "hooks", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    *n = json_array_size(arr);
    *out = calloc(*n + 1, sizeof(**out));
    if (*out == NULL)
        return hull_error(err, ENOMEM, "hooks.%s", key);
    for (size_t i = 0; i < *n; i++) {
        char base[64], p[80], q[96];
        snprintf(base, sizeof base, "hooks.%s", key);
        json_path_index(p, sizeof p, base, i);
        json_t *o = json_array_get(arr, i);
        struct hull_hook *h = &(*out)[i];
        if (!json_is_object(o))
            return json_field_error(c, err, p, "expected object");
        int64_t timeout = 0;
        bool has_timeout = false;
        if (json_read_string(c, o, "path", p, &h->path, err) < 0 ||
            json_read_strv(c, o, "args", p, &h->args, NULL, err) < 0 ||
            json_read_strv(c, o, "env", p, &h->env, NULL, err) < 0 ||
            json_read_int64(c, o, "timeout", p, &timeout, &has_timeout, err) < 0)
            return -1;
        if (h->path == NULL || h->path[0] != '/')
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "path"),
                                    "must be an absolute path");
        if (has_timeout && timeout <= 0)
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "timeout"),
                                    "must be positive");
        h->timeout = (int)(timeout > 86400 ? 86400 : timeout);
    }
    return 0;
}

int config_parse_hooks(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                       hull_err **err)
{
    json_t *hooks;
    if (json_read_object(c, root, "hooks", "", &hooks, err) < 0)
        return -1;
    if (hooks == NULL)
        return 0;
    struct hull_hooks *h = &cfg->hooks;
    if (parse_hook_list(c, hooks, "prestart", &h->prestart, &h->n_prestart, err) < 0 ||
        parse_hook_list(c, hooks, "createRuntime", &h->create_runtime, &h->n_create_runtime,
                        err) < 0 ||
        parse_hook_list(c, hooks, "createContainer", &h->create_container,
                        &h->n_create_container, err) < 0 ||
        parse_hook_list(c, hooks, "startContainer", &h->start_container, &h->n_start_container,
                        err) < 0 ||
        parse_hook_list(c, hooks, "poststart", &h->poststart, &h->n_poststart, err) < 0 ||
        parse_hook_list(c, hooks, "poststop", &h->poststop, &h->n_poststop, err) < 0)
        return -1;
    return 0;
}

static void free_list(struct hull_hook *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(list[i].path);
        hull_strvfree(list[i].args);
        hull_strvfree(list[i].env);
    }
    free(list);
}

void config_hooks_clear(struct hull_hooks *h)
{
    free_list(h->prestart, h->n_prestart);
    free_list(h->create_runtime, h->n_create_runtime);
    free_list(h->create_container, h->n_create_container);
    free_list(h->start_container, h->n_start_container);
    free_list(h->poststart, h->n_poststart);
    free_list(h->poststop, h->n_poststop);
    memset(h, 0, sizeof(*h));
}
