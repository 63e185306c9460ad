/* Source: an OCI image layout (oci-layout, index.json, blobs/sha256/...), read fd-relative with
 * every path resolved inside the layout directory. */
#include "image/import.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

struct oci_layout_source {
    image_source base;
    int dirfd;
    char *description;
    char *tag;
    int may_move;
};

int open_in_root(int dirfd, const char *path, int flags, hull_err **err)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", path);
    return fd;
}

static int read_in_root(int dirfd, const char *path, char **data, size_t *len, hull_err **err)
{
    cleanup_close int fd = open_in_root(dirfd, path, O_RDONLY, err);
    if (fd < 0)
        return -1;
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
    if (fs_read_file(self, 0, data, len, err) < 0)
        return hull_error_prefix(err, "read `%s`", path);
    return 0;
}

static int read_blob_verified(int dirfd, const char *digest, char **data, size_t *len,
                              hull_err **err)
{
    if (digest_check(digest, err) < 0)
        return -1;
    char path[128];
    snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
    if (read_in_root(dirfd, path, data, len, err) < 0)
        return -1;
    char actual[DIGEST_STR_LEN];
    digest_of_buffer(*data, *len, actual);
    if (strcmp(actual, digest) != 0) {
        free(*data);
        *data = NULL;
        return hull_error(err, 0, "digest mismatch: expected %s, got %s", digest, actual);
    }
    return 0;
}

static json_t *load_index(int dirfd, hull_err **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (read_in_root(dirfd, "index.json", &data, &len, err) < 0)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (root == NULL || !json_is_array(json_object_get(root, "manifests"))) {
        json_decref(root);
        hull_error(err, 0, "invalid index.json: %s", root ? "no manifests" : jerr.text);
        return NULL;
    }
    return root;
}

static const char *ref_name(json_t *desc)
{
    return json_string_value(
        json_object_get(json_object_get(desc, "annotations"), REF_NAME_ANNOTATION));
}

int oci_layout_ref_names(int dirfd, char ***out, hull_err **err)
{
    json_auto_t *index = load_index(dirfd, err);
    if (index == NULL)
        return -1;
    json_t *manifests = json_object_get(index, "manifests");
    char **v = calloc(json_array_size(manifests) + 1, sizeof(char *));
    if (v == NULL)
        abort();
    size_t i, o = 0;
    json_t *d;
    json_array_foreach(manifests, i, d)
    {
        if (ref_name(d) != NULL && (v[o++] = strdup(ref_name(d))) == NULL)
            abort();
    }
    *out = v;
    return 0;
}

static int select_descriptor(struct oci_layout_source *src, char **digest, char **media_type,
                             hull_err **err)
{
    json_auto_t *index = load_index(src->dirfd, err);
    if (index == NULL)
        return -1;
    json_t *manifests = json_object_get(index, "manifests");
    json_t *chosen = NULL;
    size_t i;
    json_t *d;
    if (src->tag == NULL) {
        if (json_array_size(manifests) != 1)
            return hull_error(err, 0, "%zu images in the layout: name one with :TAG",
                              json_array_size(manifests));
        chosen = json_array_get(manifests, 0);
    } else {
        json_array_foreach(manifests, i, d)
        {
            if (ref_name(d) && strcmp(ref_name(d), src->tag) == 0)
                chosen = d;
        }
        if (chosen == NULL)
            return hull_error(err, 0, "no image tagged `%s` in the layout", src->tag);
    }
    const char *dg = json_string_value(json_object_get(chosen, "digest"));
    if (digest_check(dg, err) < 0)
        return -1;
    const char *mt = json_string_value(json_object_get(chosen, "mediaType"));
    *digest = strdup(dg);
    *media_type = mt ? strdup(mt) : NULL;
    return 0;
}

static int layout_get_manifest(image_source *base, const char *digest, char **data, size_t *len,
                               char **media_type, hull_err **err)
{
    struct oci_layout_source *src = (struct oci_layout_source *)base;
    *media_type = NULL;
    cleanup_free char *chosen = NULL;
    if (digest == NULL) {
        if (select_descriptor(src, &chosen, media_type, err) < 0)
            return -1;
        digest = chosen;
    }
    return read_blob_verified(src->dirfd, digest, data, len, err);
}

int import_blob_at(image_store *s, int dirfd, const char *path, const image_descriptor *d,
                   int may_move, hull_err **err)
{
    cleanup_close int fd = open_in_root(dirfd, path, O_RDONLY, err);
    if (fd < 0)
        return -1;
    /* Move only a regular file that really sits at `path` (not reached through a symlink). */
    struct stat st, lst;
    int movable = may_move && fstat(fd, &st) == 0 &&
                  fstatat(dirfd, path, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(lst.st_mode) &&
                  st.st_ino == lst.st_ino && st.st_dev == lst.st_dev;
    if (movable)
        return store_blob_import_file(s, dirfd, path, d->digest, d->size, 1, NULL, err);
    return store_blob_import_fd(s, fd, d->digest, d->size, NULL, err);
}

static int layout_fetch_blob(image_source *base, image_store *s, const image_descriptor *d,
                             hull_err **err)
{
    struct oci_layout_source *src = (struct oci_layout_source *)base;
    char path[128];
    snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(d->digest));
    return import_blob_at(s, src->dirfd, path, d, src->may_move, err);
}

static void layout_destroy(image_source *base)
{
    struct oci_layout_source *src = (struct oci_layout_source *)base;
    close(src->dirfd);
    free(src->description);
    free(src->tag);
    free(src);
}

static const struct image_source_ops oci_layout_ops = {
    .get_manifest = layout_get_manifest,
    .fetch_blob = layout_fetch_blob,
    .destroy = layout_destroy,
};

int oci_layout_source_new(int dirfd, const char *description, const char *tag, int may_move,
                          image_source **out, hull_err **err)
{
    struct stat st;
    cleanup_close int check = open_in_root(dirfd, "oci-layout", O_RDONLY, err);
    if (check < 0 || fstat(check, &st) < 0) {
        close(dirfd);
        return hull_error_prefix(err, "`%s` is not an OCI image layout", description);
    }
    struct oci_layout_source *src = calloc(1, sizeof(*src));
    if (src == NULL)
        abort();
    src->base.ops = &oci_layout_ops;
    src->dirfd = dirfd;
    src->description = strdup(description);
    src->tag = tag ? strdup(tag) : NULL;
    src->may_move = may_move;
    *out = &src->base;
    return 0;
}
