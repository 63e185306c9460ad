/* The name index of the image store. */
#include "image/index.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int index_lock(image_store *s, int *lock_fd, hull_err **err)
{
    return image_store_lock(s, "index", lock_fd, err);
}

int index_load(image_store *s, json_t **out, hull_err **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    cleanup_err hull_err *read_err = NULL;
    if (fs_read_file_at(s->dirfd, "index.json", 0, &data, &len, &read_err) < 0) {
        if (read_err->errnum != ENOENT) {
            *err = steal_pointer(&read_err);
            return hull_error_prefix(err, "read image index");
        }
        *out = json_pack("{s:i,s:[]}", "version", 1, "images");
        return 0;
    }
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (root == NULL || !json_is_array(json_object_get(root, "images"))) {
        json_decref(root);
        return hull_error(err, 0, "image index `%s/index.json` is corrupt: %s", s->path,
                          root ? "no images array" : jerr.text);
    }
    *out = root;
    return 0;
}

int index_save(image_store *s, json_t *index, hull_err **err)
{
    cleanup_free char *text = json_dumps(index, JSON_INDENT(1) | JSON_SORT_KEYS);
    if (text == NULL)
        return hull_error(err, ENOMEM, "serialise image index");
    size_t len = strlen(text);
    text[len] = '\n';
    if (fs_write_file_atomic_at(s->dirfd, "index.json", text, len, 0600, err) < 0)
        return hull_error_prefix(err, "write image index");
    return 0;
}

json_t *index_images(json_t *index)
{
    return json_object_get(index, "images");
}

json_t *index_find_manifest(json_t *index, const char *manifest_digest)
{
    size_t i;
    json_t *img;
    json_array_foreach(index_images(index), i, img)
    {
        const char *m = json_string_value(json_object_get(img, "manifest"));
        if (m && strcmp(m, manifest_digest) == 0)
            return img;
    }
    return NULL;
}

static int names_index(json_t *img, const char *name)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(img, "names"), i, n)
    {
        if (json_string_value(n) && strcmp(json_string_value(n), name) == 0)
            return (int)i;
    }
    return -1;
}

json_t *index_find_name(json_t *index, const char *name)
{
    size_t i;
    json_t *img;
    json_array_foreach(index_images(index), i, img)
    {
        if (names_index(img, name) >= 0)
            return img;
    }
    return NULL;
}

int index_untag(json_t *index, const char *name)
{
    json_t *img = index_find_name(index, name);
    if (img == NULL)
        return 0;
    json_array_remove(json_object_get(img, "names"), (size_t)names_index(img, name));
    return 1;
}

int index_add_image(image_store *s, const char *manifest_digest, const char *config_digest,
                    const char *name, hull_err **err)
{
    cleanup_close int lock = -1;
    if (index_lock(s, &lock, err) < 0)
        return -1;
    json_auto_t *index = NULL;
    if (index_load(s, &index, err) < 0)
        return -1;
    json_t *img = index_find_manifest(index, manifest_digest);
    bool changed = false;
    if (img == NULL) {
        img = json_pack("{s:s,s:s,s:[],s:I}", "manifest", manifest_digest, "config", config_digest,
                        "names", "added", (json_int_t)time(NULL));
        json_array_append_new(index_images(index), img);
        changed = true;
    }
    if (name != NULL && names_index(img, name) < 0) {
        index_untag(index, name);
        json_array_append_new(json_object_get(img, "names"), json_string(name));
        changed = true;
    }
    /* Nothing new (an unchanged rebuild, a second pull): no write, no fsync. */
    return changed ? index_save(s, index, err) : 0;
}
