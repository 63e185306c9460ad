/* Garbage collection: whatever no image in the index references goes. Runs only under the
 * store's exclusive lock, so no pull can be between "blob written" and "image indexed". */
#include "image/image.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/index.h"
#include "image/users.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Mark the manifest, config and layers of one image (a set: hex -> true). */
static void mark_image(image_store *s, json_t *img, json_t *live)
{
    const char *manifest = json_string_value(json_object_get(img, "manifest"));
    const char *config = json_string_value(json_object_get(img, "config"));
    if (digest_is_valid(manifest))
        json_object_set_new(live, digest_hex(manifest), json_true());
    if (digest_is_valid(config))
        json_object_set_new(live, digest_hex(config), json_true());
    cleanup_free char *data = NULL;
    size_t len = 0;
    image_manifest *m = NULL;
    if (store_blob_read(s, manifest, &data, &len, NULL) < 0 ||
        manifest_parse(data, len, NULL, &m, NULL) < 0)
        return;
    json_object_set_new(live, digest_hex(m->config.digest), json_true());
    for (size_t i = 0; i < m->n_layers; i++)
        json_object_set_new(live, digest_hex(m->layers[i].digest), json_true());
    image_manifest_free(m);
}

static int sweep(int dirfd, json_t *live, int dirs, size_t *count, uint64_t *bytes, hull_err **err)
{
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(dirfd, &d, err) < 0)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || json_object_get(live, de->d_name) != NULL)
            continue;
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (dirs) {
            if (fs_remove_tree_at(dirfd, de->d_name, err) < 0)
                return hull_error_prefix(err, "remove layer %s", de->d_name);
        } else {
            if (unlinkat(dirfd, de->d_name, 0) < 0)
                return hull_error(err, errno, "remove blob %s", de->d_name);
            *bytes += (uint64_t)st.st_size;
        }
        (*count)++;
    }
    return 0;
}

static int gc_run(image_store *s, int remove_dangling, struct image_prune_report *report,
                  hull_err **err)
{
    cleanup_close int lock = -1;
    if (index_lock(s, &lock, err) < 0)
        return -1;
    json_auto_t *index = NULL;
    if (index_load(s, &index, err) < 0)
        return -1;
    json_t *images = index_images(index);
    if (remove_dangling) {
        for (size_t i = json_array_size(images); i-- > 0;) {
            json_t *img = json_array_get(images, i);
            const char *manifest = json_string_value(json_object_get(img, "manifest"));
            if (json_array_size(json_object_get(img, "names")) == 0 &&
                image_store_count_users(s, manifest) == 0) {
                const char *id = json_string_value(json_object_get(img, "config"));
                char **grown = realloc(report->deleted, (report->images + 2) * sizeof(char *));
                if (grown == NULL || id == NULL || (grown[report->images] = strdup(id)) == NULL)
                    abort();
                grown[report->images + 1] = NULL;
                report->deleted = grown;
                image_store_forget_users(s, manifest);
                json_array_remove(images, i);
                report->images++;
            }
        }
        if (report->images > 0 && index_save(s, index, err) < 0)
            return -1;
    }
    json_auto_t *live = json_object();
    size_t i;
    json_t *img;
    json_array_foreach(images, i, img) mark_image(s, img, live);
    if (sweep(s->blobs_fd, live, 0, &report->blobs, &report->bytes, err) < 0 ||
        sweep(s->layers_fd, live, 1, &report->layers, &report->bytes, err) < 0)
        return hull_error_prefix(err, "prune image store `%s`", s->path);
    return image_store_clean_tmp(s, err);
}

int image_store_gc(image_store *s, int remove_dangling, struct image_prune_report *report,
                   hull_err **err)
{
    struct image_prune_report local = {0};
    if (report == NULL)
        report = &local;
    memset(report, 0, sizeof(*report));
    int rc = gc_run(s, remove_dangling, report, err);
    hull_strvfree(local.deleted);
    return rc;
}

int image_prune(image_store *s, struct image_prune_report *report, hull_err **err)
{
    if (image_store_lock_exclusive(s, err) < 0)
        return -1;
    int r = image_store_gc(s, 1, report, err);
    flock(s->store_lock_fd, LOCK_SH);
    return r;
}

void image_store_gc_if_alone(image_store *s)
{
    if (flock(s->store_lock_fd, LOCK_EX | LOCK_NB) == 0)
        image_store_gc(s, 0, NULL, NULL);
    flock(s->store_lock_fd, LOCK_SH);
}
