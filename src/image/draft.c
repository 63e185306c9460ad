/* Images made locally (see draft.h). */
#include "image/draft.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/index.h"
#include "image/manifest.h"
#include "image/users.h"
#include "util/cleanup.h"
#include "util/time.h"

static void iso_time(long long t, char out[TIME_RFC3339_MAX])
{
    struct timespec ts = {.tv_sec = (time_t)t};
    time_rfc3339(out, &ts, false);
}

void image_draft_init_scratch(image_draft *d)
{
    memset(d, 0, sizeof *d);
    const char *platform = image_host_platform();
    d->config =
        json_pack("{s:s,s:s,s:{},s:{s:s,s:[]},s:[]}", "architecture", strchr(platform, '/') + 1,
                  "os", "linux", "config", "rootfs", "type", "layers", "diff_ids", "history");
}

static void descriptor_copy(image_descriptor *dst, const image_descriptor *src)
{
    dst->media_type = strdup(src->media_type ? src->media_type : MT_OCI_LAYER);
    dst->digest = strdup(src->digest);
    dst->size = src->size;
}

static void layers_append(image_draft *d, const image_descriptor *src)
{
    d->layers = realloc(d->layers, (d->n_layers + 1) * sizeof *d->layers);
    if (d->layers == NULL)
        abort();
    descriptor_copy(&d->layers[d->n_layers++], src);
}

int image_draft_from_image(image_draft *d, const image_info *img, hull_err **err)
{
    memset(d, 0, sizeof *d);
    json_error_t je;
    d->config = json_loads(img->config_json, 0, &je);
    if (!json_is_object(d->config)) {
        json_decref(d->config);
        d->config = NULL;
        return hull_error(err, 0, "image %s: config: %s", img->id, je.text);
    }
    for (size_t i = 0; i < img->manifest->n_layers; i++)
        layers_append(d, &img->manifest->layers[i]);
    return 0;
}

json_t *image_draft_to_json(const image_draft *d)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < d->n_layers; i++)
        json_array_append_new(
            layers, json_pack("{s:s,s:s,s:I}", "mediaType", d->layers[i].media_type, "digest",
                              d->layers[i].digest, "size", (json_int_t)d->layers[i].size));
    return json_pack("{s:O,s:o}", "config", d->config, "layers", layers);
}

int image_draft_from_json(image_draft *d, json_t *j, hull_err **err)
{
    memset(d, 0, sizeof *d);
    json_t *config = json_object_get(j, "config");
    json_t *layers = json_object_get(j, "layers");
    if (!json_is_object(config) || !json_is_array(layers))
        return hull_error(err, EINVAL, "image draft: no config or layers");
    d->config = json_deep_copy(config);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        image_descriptor desc = {
            .media_type = (char *)json_string_value(json_object_get(l, "mediaType")),
            .digest = (char *)json_string_value(json_object_get(l, "digest")),
            .size = json_integer_value(json_object_get(l, "size")),
        };
        if (desc.digest == NULL || !digest_is_valid(desc.digest)) {
            image_draft_clear(d);
            return hull_error(err, EINVAL, "image draft: layer %zu has no valid digest", i);
        }
        layers_append(d, &desc);
    }
    return 0;
}

void image_draft_clear(image_draft *d)
{
    json_decref(d->config);
    for (size_t i = 0; i < d->n_layers; i++)
        image_descriptor_clear(&d->layers[i]);
    free(d->layers);
    memset(d, 0, sizeof *d);
}

json_t *image_draft_container_config(image_draft *d)
{
    json_t *c = json_object_get(d->config, "config");
    if (!json_is_object(c)) {
        c = json_object();
        json_object_set_new(d->config, "config", c);
    }
    return c;
}

static json_t *history(image_draft *d)
{
    json_t *h = json_object_get(d->config, "history");
    if (!json_is_array(h)) {
        h = json_array();
        json_object_set_new(d->config, "history", h);
    }
    return h;
}

static void add_history(image_draft *d, const char *created_by, const char *comment, bool empty)
{
    char created[TIME_RFC3339_MAX];
    iso_time((long long)time(NULL), created);
    /* A config-only step takes the time of what came before: it makes nothing new. */
    json_t *h = history(d);
    json_t *last = json_array_get(h, json_array_size(h) - 1);
    const char *prev = json_string_value(json_object_get(last ? last : d->config, "created"));
    if (empty && prev != NULL)
        snprintf(created, sizeof created, "%s", prev);
    json_t *e = json_pack("{s:s,s:s}", "created", created, "created_by", created_by);
    if (comment && *comment)
        json_object_set_new(e, "comment", json_string(comment));
    if (empty)
        json_object_set_new(e, "empty_layer", json_true());
    json_array_append_new(history(d), e);
}

void image_draft_add_layer(image_draft *d, const char *digest, int64_t size, const char *created_by,
                           const char *comment)
{
    image_descriptor desc = {.media_type = MT_OCI_LAYER, .digest = (char *)digest, .size = size};
    layers_append(d, &desc);
    json_t *rootfs = json_object_get(d->config, "rootfs");
    if (!json_is_object(rootfs)) {
        rootfs = json_pack("{s:s,s:[]}", "type", "layers", "diff_ids");
        json_object_set_new(d->config, "rootfs", rootfs);
    }
    json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_array(ids)) {
        ids = json_array();
        json_object_set_new(rootfs, "diff_ids", ids);
    }
    json_array_append_new(ids, json_string(digest));
    add_history(d, created_by, comment, false);
}

void image_draft_add_history(image_draft *d, const char *created_by, const char *comment)
{
    add_history(d, created_by, comment, true);
}

void image_draft_set_created(image_draft *d, long long created, const char *author)
{
    char text[TIME_RFC3339_MAX];
    iso_time(created, text);
    json_object_set_new(d->config, "created", json_string(text));
    if (author && *author)
        json_object_set_new(d->config, "author", json_string(author));
}

int image_draft_write(image_store *s, const image_draft *d, const char *name,
                      char manifest_digest[DIGEST_STR_LEN], char config_digest[DIGEST_STR_LEN],
                      hull_err **err)
{
    if (json_object_get(d->config, "created") == NULL) {
        char created[TIME_RFC3339_MAX];
        iso_time((long long)time(NULL), created);
        json_object_set_new(d->config, "created", json_string(created));
    }
    int64_t config_size = 0;
    if (store_blob_put_json(s, d->config, config_digest, &config_size, err) < 0)
        return hull_error_prefix(err, "write image config");
    json_t *layers = json_array();
    for (size_t i = 0; i < d->n_layers; i++)
        json_array_append_new(
            layers, json_pack("{s:s,s:s,s:I}", "mediaType", d->layers[i].media_type, "digest",
                              d->layers[i].digest, "size", (json_int_t)d->layers[i].size));
    json_auto_t *man = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:o}", "schemaVersion", 2, "mediaType",
                                 MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                                 config_digest, "size", (json_int_t)config_size, "layers", layers);
    if (store_blob_put_json(s, man, manifest_digest, NULL, err) < 0)
        return hull_error_prefix(err, "write image manifest");
    return index_add_image(s, manifest_digest, config_digest, name, err);
}

void image_draft_settle_created(image_draft *d)
{
    json_t *h = json_object_get(d->config, "history");
    for (size_t i = json_array_size(h); i > 0; i--) {
        json_t *e = json_array_get(h, i - 1);
        json_t *created = json_object_get(e, "created");
        if (json_is_true(json_object_get(e, "empty_layer")) || !json_is_string(created))
            continue;
        json_object_set(d->config, "created", created);
        return;
    }
}

void image_draft_forget(image_store *s, const char *manifest_digest)
{
    cleanup_close int lock = -1;
    cleanup_err hull_err *err = NULL;
    if (image_store_count_users(s, manifest_digest) > 0 || index_lock(s, &lock, &err) < 0)
        return;
    json_auto_t *index = NULL;
    if (index_load(s, &index, &err) < 0)
        return;
    json_t *images = index_images(index);
    json_t *entry = index_find_manifest(index, manifest_digest);
    if (entry == NULL || json_array_size(json_object_get(entry, "names")) > 0)
        return;
    size_t i;
    json_t *v;
    json_array_foreach(images, i, v)
    {
        if (v == entry) {
            json_array_remove(images, i);
            break;
        }
    }
    index_save(s, index, &err);
}

char **image_draft_layer_dirs(image_store *s, const image_draft *d)
{
    char **dirs = calloc(d->n_layers + 1, sizeof *dirs);
    if (dirs == NULL)
        abort();
    for (size_t i = 0; i < d->n_layers; i++)
        dirs[i] = store_layer_dir(s, d->layers[i].digest);
    return dirs;
}

bool image_draft_complete(image_store *s, const image_draft *d)
{
    for (size_t i = 0; i < d->n_layers; i++)
        if (!store_blob_exists(s, d->layers[i].digest) ||
            !store_layer_exists(s, d->layers[i].digest))
            return false;
    return true;
}
