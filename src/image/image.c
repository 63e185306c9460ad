/* Local image lookup, listing, inspection and removal. */
#include "image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "image/builtin.h"
#include "image/index.h"
#include "image/reference.h"
#include "image/users.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define BUILTIN_MARKER "builtin-seeded"

void image_info_free(image_info *info)
{
    if (info == NULL)
        return;
    free(info->manifest_digest);
    free(info->id);
    hull_strvfree(info->names);
    image_manifest_free(info->manifest);
    image_config_free(info->config);
    free(info->config_json);
    hull_strvfree(info->layer_dirs);
    free(info);
}

void image_info_freep(image_info **info)
{
    image_info_free(*info);
}

void image_info_list_free(image_info **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        image_info_free(list[i]);
    free(list);
}

static char **json_strv(json_t *arr)
{
    char **v = calloc(json_array_size(arr) + 1, sizeof(char *));
    if (v == NULL)
        abort();
    size_t i, o = 0;
    json_t *s;
    json_array_foreach(arr, i, s)
    {
        if (json_string_value(s) && (v[o++] = strdup(json_string_value(s))) == NULL)
            abort();
    }
    return v;
}

/* Everything about one index entry, read from its manifest and config blobs. */
static int load_info(image_store *s, json_t *entry, image_info **out, hull_err **err)
{
    const char *manifest = json_string_value(json_object_get(entry, "manifest"));
    if (digest_check(manifest, err) < 0)
        return hull_error_prefix(err, "image index entry");
    cleanup_image_info image_info *info = calloc(1, sizeof(*info));
    if (info == NULL)
        abort();
    info->manifest_digest = strdup(manifest);
    info->names = json_strv(json_object_get(entry, "names"));
    info->added = json_integer_value(json_object_get(entry, "added"));
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (store_blob_read(s, manifest, &data, &len, err) < 0 ||
        manifest_parse(data, len, NULL, &info->manifest, err) < 0)
        return hull_error_prefix(err, "image %s", manifest);
    info->id = strdup(info->manifest->config.digest);
    size_t cfg_len = 0;
    if (store_blob_read(s, info->id, &info->config_json, &cfg_len, err) < 0 ||
        image_config_parse(info->config_json, cfg_len, &info->config, err) < 0)
        return hull_error_prefix(err, "image %s", manifest);
    info->n_layers = info->manifest->n_layers;
    info->layer_dirs = calloc(info->n_layers + 1, sizeof(char *));
    if (info->layer_dirs == NULL)
        abort();
    /* docker's SIZE: the layers' content, so that every name (and every manifest: gzip or not)
     * of one image id shows the same figure. A layer not unpacked counts as its blob. */
    info->size = 0;
    for (size_t i = 0; i < info->n_layers; i++) {
        info->layer_dirs[i] = store_layer_dir(s, info->manifest->layers[i].digest);
        int64_t content = store_layer_size(s, info->manifest->layers[i].digest);
        info->size += content >= 0 ? content : info->manifest->layers[i].size;
    }
    info->users = image_store_count_users(s, manifest);
    *out = steal_pointer(&info);
    return 0;
}

static int is_hex(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

/* An image whose ID or manifest digest starts with `text` (hex, or sha256:hex). */
static json_t *find_by_id(json_t *index, const char *text, hull_err **err)
{
    const char *hex = strncmp(text, "sha256:", 7) == 0 ? text + 7 : text;
    if (strlen(hex) < 3 || strlen(hex) > 64 || !is_hex(hex))
        return NULL;
    json_t *found = NULL;
    size_t i;
    json_t *img;
    json_array_foreach(index_images(index), i, img)
    {
        const char *ids[] = {json_string_value(json_object_get(img, "config")),
                             json_string_value(json_object_get(img, "manifest"))};
        for (size_t k = 0; k < 2; k++) {
            if (ids[k] && strncmp(ids[k] + 7, hex, strlen(hex)) == 0 && found != img) {
                if (found != NULL) {
                    hull_error(err, 0, "image ID `%s` is ambiguous", text);
                    return NULL;
                }
                found = img;
            }
        }
    }
    return found;
}

static json_t *find_by_name(json_t *index, const image_ref *ref, char **matched)
{
    cleanup_free char *full = image_ref_string(ref);
    json_t *img = index_find_name(index, full);
    if (img != NULL) {
        *matched = steal_pointer(&full);
        return img;
    }
    if (!ref->short_name || ref->tag == NULL)
        return NULL;
    /* Short name: localhost/NAME first (the built-in image lives there), then any registry. */
    const char *path = ref->path;
    if (strncmp(path, "library/", 8) == 0)
        path += 8;
    cleanup_free char *local = NULL;
    if (asprintf(&local, "localhost/%s:%s", path, ref->tag) < 0)
        abort();
    if ((img = index_find_name(index, local)) != NULL) {
        *matched = steal_pointer(&local);
        return img;
    }
    cleanup_free char *suffix = NULL;
    if (asprintf(&suffix, "/%s:%s", path, ref->tag) < 0)
        abort();
    size_t i, k;
    json_t *entry, *n;
    json_array_foreach(index_images(index), i, entry)
    {
        json_array_foreach(json_object_get(entry, "names"), k, n)
        {
            const char *name = json_string_value(n);
            size_t nl = name ? strlen(name) : 0, sl = strlen(suffix);
            if (nl > sl && strcmp(name + nl - sl, suffix) == 0) {
                *matched = strdup(name);
                return entry;
            }
        }
    }
    return NULL;
}

/* Find the index entry `text` names. *matched_name is set when it matched by name. */
static json_t *resolve(json_t *index, const char *text, char **matched_name, hull_err **err)
{
    *matched_name = NULL;
    json_t *img = find_by_id(index, text, err);
    if (img != NULL || (err && *err))
        return img;
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(text, &ref, err) < 0)
        return NULL;
    img = ref->digest != NULL ? index_find_manifest(index, ref->digest)
                              : find_by_name(index, ref, matched_name);
    if (img == NULL && hull_error(err, 0, "image `%s` not known", text) && err)
        (*err)->errnum = ENOENT; /* what `hull run` pulls on (message unchanged) */
    return img;
}

static int names_builtin(const char *text)
{
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(text, &ref, NULL) < 0 || ref->tag == NULL)
        return 0;
    if (strcmp(ref->tag, "latest") != 0)
        return 0;
    return (strcmp(ref->domain, "localhost") == 0 && strcmp(ref->path, "busybox") == 0) ||
           (ref->short_name && strcmp(ref->path, "library/busybox") == 0);
}

static int lookup(image_store *s, const char *text, bool seed, image_info **out, hull_err **err)
{
    for (int attempt = 0;; attempt++) {
        json_auto_t *index = NULL;
        if (index_load(s, &index, err) < 0)
            return -1;
        cleanup_free char *matched = NULL;
        cleanup_err hull_err *resolve_err = NULL;
        json_t *img = resolve(index, text, &matched, &resolve_err);
        if (img != NULL)
            return load_info(s, img, out, err);
        if (seed && attempt == 0 && names_builtin(text)) {
            if (builtin_busybox_seed(s, err) < 0)
                return -1;
            continue;
        }
        if (err) {
            hull_err_free(*err);
            *err = steal_pointer(&resolve_err);
        }
        return -1;
    }
}

int image_lookup(image_store *s, const char *text, image_info **out, hull_err **err)
{
    return lookup(s, text, true, out, err);
}

int image_find(image_store *s, const char *text, image_info **out, hull_err **err)
{
    return lookup(s, text, false, out, err);
}

int image_list(image_store *s, image_info ***out, size_t *n, hull_err **err)
{
    json_auto_t *index = NULL;
    if (index_load(s, &index, err) < 0)
        return -1;
    json_t *images = index_images(index);
    image_info **list = calloc(json_array_size(images) + 1, sizeof(*list));
    if (list == NULL)
        abort();
    size_t i, count = 0;
    json_t *img;
    json_array_foreach(images, i, img)
    {
        if (load_info(s, img, &list[count], err) < 0) {
            image_info_list_free(list, count);
            return -1;
        }
        count++;
    }
    *out = list;
    *n = count;
    return 0;
}

static json_t *strv_json(char *const *v)
{
    json_t *arr = json_array();
    for (; v && *v; v++)
        json_array_append_new(arr, json_string(*v));
    return arr;
}

/* repo@digest for every distinct repository among the names. */
static json_t *repo_digests(const image_info *info)
{
    json_t *arr = json_array();
    for (char **n = info->names; n && *n; n++) {
        cleanup_image_ref image_ref *ref = NULL;
        if (image_ref_parse(*n, &ref, NULL) < 0)
            continue;
        cleanup_free char *repo = image_ref_repository(ref);
        cleanup_free char *rd = NULL;
        if (asprintf(&rd, "%s@%s", repo, info->manifest_digest) < 0)
            abort();
        int dup = 0;
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) dup |= strcmp(json_string_value(v), rd) == 0;
        if (!dup)
            json_array_append_new(arr, json_string(rd));
    }
    return arr;
}

json_t *image_info_to_json(const image_info *info)
{
    json_t *o = json_object();
    json_object_set_new(o, "Id", json_string(info->id));
    json_object_set_new(o, "Digest", json_string(info->manifest_digest));
    json_object_set_new(o, "RepoTags", strv_json(info->names));
    json_object_set_new(o, "RepoDigests", repo_digests(info));
    const image_config *c = info->config;
    json_object_set_new(o, "Created", c->created ? json_string(c->created) : json_null());
    json_object_set_new(o, "Author", json_string(c->author ? c->author : ""));
    json_object_set_new(o, "Architecture", json_string(c->architecture ? c->architecture : ""));
    json_object_set_new(o, "Os", json_string(c->os ? c->os : ""));
    if (c->variant)
        json_object_set_new(o, "Variant", json_string(c->variant));
    json_object_set_new(o, "Size", json_integer(info->size));
    json_t *raw = json_loads(info->config_json, 0, NULL);
    json_t *cfg = json_object_get(raw, "config");
    json_object_set(o, "Config", cfg ? cfg : json_object());
    json_decref(raw);
    json_object_set_new(o, "RootFS",
                        json_pack("{s:s,s:o}", "Type", "layers", "Layers", strv_json(c->diff_ids)));
    json_t *layers = json_array();
    for (size_t i = 0; i < info->n_layers; i++)
        json_array_append_new(layers, json_string(info->manifest->layers[i].digest));
    json_object_set_new(o, "Layers", layers);
    json_object_set_new(o, "LayerDirs", strv_json(info->layer_dirs));
    json_object_set_new(o, "ManifestMediaType", json_string(info->manifest->media_type));
    json_object_set_new(o, "Users", json_integer(info->users));
    json_object_set_new(o, "Added", json_integer(info->added));
    return o;
}

int image_store_ensure_builtin(image_store *s, hull_err **err)
{
    if (faccessat(s->dirfd, BUILTIN_MARKER, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (builtin_busybox_seed(s, err) < 0)
        return -1;
    return fs_write_file_atomic_at(s->dirfd, BUILTIN_MARKER, "", 0, 0600, err);
}

void image_remove_result_clear(struct image_remove_result *r)
{
    hull_strvfree(r->untagged);
    free(r->deleted);
    r->untagged = NULL;
    r->deleted = NULL;
}

int image_remove(image_store *s, const char *text, int force, struct image_remove_result *res,
                 hull_err **err)
{
    memset(res, 0, sizeof(*res));
    {
        cleanup_close int lock = -1;
        if (index_lock(s, &lock, err) < 0)
            return -1;
        json_auto_t *index = NULL;
        if (index_load(s, &index, err) < 0)
            return -1;
        cleanup_free char *matched = NULL;
        json_t *img = resolve(index, text, &matched, err);
        if (img == NULL)
            return -1;
        json_t *names = json_object_get(img, "names");
        const char *manifest = json_string_value(json_object_get(img, "manifest"));
        const char *config = json_string_value(json_object_get(img, "config"));
        if (matched != NULL && json_array_size(names) > 1) {
            index_untag(index, matched);
            res->untagged = calloc(2, sizeof(char *));
            res->untagged[0] = steal_pointer(&matched);
            return index_save(s, index, err);
        }
        int users = image_store_count_users(s, manifest);
        if (users > 0 && !force)
            return hull_error(err, EBUSY,
                              "image `%s` is in use by %d container%s (use -f to untag it anyway)",
                              text, users, users == 1 ? "" : "s");
        res->untagged = json_strv(names);
        if (users > 0) {
            json_array_clear(names); /* content stays until its containers are gone */
        } else {
            res->deleted = strdup(config ? config : manifest);
            image_store_forget_users(s, manifest);
            size_t i;
            json_t *e;
            json_array_foreach(index_images(index), i, e)
            {
                if (e == img) {
                    json_array_remove(index_images(index), i);
                    break;
                }
            }
        }
        if (index_save(s, index, err) < 0) {
            image_remove_result_clear(res);
            return -1;
        }
    }
    if (res->deleted != NULL)
        image_store_gc_if_alone(s);
    return 0;
}

int image_tag(image_store *s, const char *source, const char *target, char **name_out,
              hull_err **err)
{
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(target, &ref, err) < 0)
        return hull_error_prefix(err, "target `%s`", target);
    if (ref->digest != NULL)
        return hull_error(err, 0, "target `%s`: refusing to create a tag with a digest reference",
                          target);
    cleanup_image_info image_info *img = NULL;
    if (image_lookup(s, source, &img, err) < 0)
        return -1;
    cleanup_free char *name = image_ref_string(ref);
    if (index_add_image(s, img->manifest_digest, img->id, name, err) < 0)
        return -1;
    if (name_out)
        *name_out = steal_pointer(&name);
    return 0;
}
