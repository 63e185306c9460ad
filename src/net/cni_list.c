/* Chaining a conflist's plugins (see cni_list.h). */
#include "net/cni_list.h"

#include <string.h>

#include "oci/json_read.h"

/* The config one plugin sees: its own object plus the list's name and cniVersion, the
 * runtimeConfig of its declared capabilities and the previous result. */
static json_t *plugin_conf(json_t *conflist, json_t *plugin, json_t *caps, json_t *prev)
{
    json_t *conf = json_deep_copy(plugin);
    json_object_set(conf, "name", json_object_get(conflist, "name"));
    json_object_set(conf, "cniVersion", json_object_get(conflist, "cniVersion"));
    json_object_del(conf, "capabilities");
    json_t *declared = json_object_get(plugin, "capabilities");
    json_t *rc = NULL;
    const char *key;
    json_t *on;
    json_object_foreach(declared, key, on)
    {
        json_t *v = json_object_get(caps, key);
        if (!json_is_true(on) || v == NULL)
            continue;
        if (rc == NULL)
            rc = json_object();
        json_object_set(rc, key, v);
    }
    if (rc)
        json_object_set_new(conf, "runtimeConfig", rc);
    if (prev)
        json_object_set(conf, "prevResult", prev);
    return conf;
}

static int check_list(json_t *conflist, hull_err **err)
{
    if (!json_is_string(json_object_get(conflist, "name")) ||
        !json_is_array(json_object_get(conflist, "plugins")))
        return hull_error(err, 0, "network config list: `name` and `plugins` are required");
    return 0;
}

int net_cni_list_add(json_t *conflist, const struct net_cni_runtime *rt, json_t *caps,
                     json_t **result, hull_err **err)
{
    *result = NULL;
    if (check_list(conflist, err) < 0)
        return -1;
    json_t *plugins = json_object_get(conflist, "plugins");
    json_t *prev = NULL;
    for (size_t i = 0; i < json_array_size(plugins); i++) {
        cleanup_json json_t *conf = plugin_conf(conflist, json_array_get(plugins, i), caps, prev);
        json_t *res = NULL;
        if (net_cni_exec("ADD", conf, rt, &res, err) < 0) {
            /* Undo what the chain did so far (DEL is idempotent for the plugin that failed). */
            cleanup_err hull_err *e2 = NULL;
            json_t *partial = json_object();
            json_object_set(partial, "cniVersion", json_object_get(conflist, "cniVersion"));
            json_object_set(partial, "name", json_object_get(conflist, "name"));
            json_t *sub = json_array();
            for (size_t j = 0; j <= i; j++)
                json_array_append(sub, json_array_get(plugins, j));
            json_object_set_new(partial, "plugins", sub);
            net_cni_list_del(partial, rt, caps, prev, &e2);
            json_decref(partial);
            json_decref(prev);
            return hull_error_prefix(err, "network %s",
                                     json_string_value(json_object_get(conflist, "name")));
        }
        if (res) {
            json_decref(prev);
            prev = res;
        }
    }
    *result = prev ? prev : json_object();
    return 0;
}

int net_cni_list_del(json_t *conflist, const struct net_cni_runtime *rt, json_t *caps,
                     json_t *prev_result, hull_err **err)
{
    if (check_list(conflist, err) < 0)
        return -1;
    json_t *plugins = json_object_get(conflist, "plugins");
    int rc = 0;
    for (size_t i = json_array_size(plugins); i-- > 0;) {
        cleanup_json json_t *conf =
            plugin_conf(conflist, json_array_get(plugins, i), caps, prev_result);
        cleanup_err hull_err *e = NULL;
        if (net_cni_exec("DEL", conf, rt, NULL, &e) < 0 && rc == 0) {
            rc = -1;
            hull_error(err, e->errnum, "network %s: %s",
                       json_string_value(json_object_get(conflist, "name")), e->msg);
        }
    }
    return rc;
}

int net_cni_list_check(json_t *conflist, const struct net_cni_runtime *rt, json_t *caps,
                       json_t *prev_result, hull_err **err)
{
    if (check_list(conflist, err) < 0)
        return -1;
    json_t *plugins = json_object_get(conflist, "plugins");
    for (size_t i = 0; i < json_array_size(plugins); i++) {
        cleanup_json json_t *conf =
            plugin_conf(conflist, json_array_get(plugins, i), caps, prev_result);
        if (net_cni_exec("CHECK", conf, rt, NULL, err) < 0)
            return hull_error_prefix(err, "network %s",
                                     json_string_value(json_object_get(conflist, "name")));
    }
    return 0;
}
