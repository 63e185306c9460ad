/* Source: a `docker save` tree (manifest.json, <id>.json config, layer tarballs), already
 * unpacked into a directory. Docker archives carry no registry manifest, so one is synthesised
 * (Docker v2 schema 2) from the files' digests. */
#include "image/import.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "util/cleanup.h"
#include "util/fs.h"

struct docker_archive_source {
    image_source base;
    int dirfd;
    int may_move;
    char *manifest;          /* synthesised */
    char **paths, **digests; /* blob digest -> file */
    size_t n;
};

static json_t *load_manifest_json(int dirfd, hull_err **err)
{
    cleanup_close int fd = open_in_root(dirfd, "manifest.json", O_RDONLY, err);
    if (fd < 0)
        return NULL;
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (fs_read_file(self, 0, &data, &len, err) < 0)
        return NULL;
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!json_is_array(root) || json_array_size(root) == 0) {
        json_decref(root);
        hull_error(err, 0, "invalid docker-archive manifest.json: %s",
                   root ? "expected a non-empty array" : jerr.text);
        return NULL;
    }
    return root;
}

int docker_archive_count(int dirfd, size_t *count, hull_err **err)
{
    json_auto_t *root = load_manifest_json(dirfd, err);
    if (root == NULL)
        return -1;
    *count = json_array_size(root);
    return 0;
}

int docker_archive_tags(int dirfd, size_t which, char ***tags, hull_err **err)
{
    json_auto_t *root = load_manifest_json(dirfd, err);
    if (root == NULL)
        return -1;
    json_t *arr = json_object_get(json_array_get(root, which), "RepoTags");
    char **v = calloc(json_array_size(arr) + 1, sizeof(char *));
    if (v == NULL)
        abort();
    size_t i, o = 0;
    json_t *t;
    json_array_foreach(arr, i, t)
    {
        if (json_string_value(t) && (v[o++] = strdup(json_string_value(t))) == NULL)
            abort();
    }
    *tags = v;
    return 0;
}

/* Digest, size and media type (from the compression magic) of one file of the archive. */
static json_t *describe_file(int dirfd, const char *path, const char *media_type,
                             char digest[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_close int fd = open_in_root(dirfd, path, O_RDONLY, err);
    if (fd < 0)
        return NULL;
    if (media_type == NULL) {
        unsigned char magic[4] = {0};
        ssize_t n = pread(fd, magic, sizeof(magic), 0);
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            media_type = "application/vnd.docker.image.rootfs.diff.tar.gzip";
        else if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
                 magic[3] == 0xfd)
            media_type = "application/vnd.oci.image.layer.v1.tar+zstd";
        else
            media_type = "application/vnd.docker.image.rootfs.diff.tar";
    }
    off_t size = 0;
    if (digest_of_fd(fd, digest, &size, err) < 0)
        return NULL;
    return json_pack("{s:s,s:I,s:s}", "mediaType", media_type, "size", (json_int_t)size, "digest",
                     digest);
}

static int remember(struct docker_archive_source *src, const char *path, const char *digest)
{
    src->paths = realloc(src->paths, (src->n + 1) * sizeof(char *));
    src->digests = realloc(src->digests, (src->n + 1) * sizeof(char *));
    if (src->paths == NULL || src->digests == NULL)
        abort();
    src->paths[src->n] = strdup(path);
    src->digests[src->n] = strdup(digest);
    src->n++;
    return 0;
}

static int archive_get_manifest(image_source *base, const char *digest, char **data, size_t *len,
                                char **media_type, hull_err **err)
{
    struct docker_archive_source *src = (struct docker_archive_source *)base;
    if (digest != NULL)
        return hull_error(err, 0, "docker archives hold no manifest %s", digest);
    *data = strdup(src->manifest);
    *len = strlen(src->manifest);
    *media_type = strdup("application/vnd.docker.distribution.manifest.v2+json");
    return 0;
}

static int archive_fetch_blob(image_source *base, image_store *s, const image_descriptor *d,
                              hull_err **err)
{
    struct docker_archive_source *src = (struct docker_archive_source *)base;
    for (size_t i = 0; i < src->n; i++)
        if (strcmp(src->digests[i], d->digest) == 0)
            return import_blob_at(s, src->dirfd, src->paths[i], d, src->may_move, err);
    return hull_error(err, 0, "blob %s is not in the archive", d->digest);
}

static void archive_destroy(image_source *base)
{
    struct docker_archive_source *src = (struct docker_archive_source *)base;
    for (size_t i = 0; i < src->n; i++) {
        free(src->paths[i]);
        free(src->digests[i]);
    }
    free(src->paths);
    free(src->digests);
    free(src->manifest);
    free(src);
}

static const struct image_source_ops docker_archive_ops = {
    .get_manifest = archive_get_manifest,
    .fetch_blob = archive_fetch_blob,
    .destroy = archive_destroy,
};

int docker_archive_source_new(int dirfd, size_t which, int may_move, image_source **out,
                              hull_err **err)
{
    json_auto_t *root = load_manifest_json(dirfd, err);
    if (root == NULL)
        return -1;
    json_t *entry = json_array_get(root, which);
    const char *config = json_string_value(json_object_get(entry, "Config"));
    json_t *layers = json_object_get(entry, "Layers");
    if (config == NULL || !json_is_array(layers))
        return hull_error(err, 0, "docker-archive manifest.json entry %zu has no Config or Layers",
                          which);
    struct docker_archive_source *src = calloc(1, sizeof(*src));
    if (src == NULL)
        abort();
    src->base.ops = &docker_archive_ops;
    src->dirfd = dirfd;
    src->may_move = may_move;
    char digest[DIGEST_STR_LEN];
    json_auto_t *manifest = json_pack("{s:i,s:s}", "schemaVersion", 2, "mediaType",
                                      "application/vnd.docker.distribution.manifest.v2+json");
    json_t *cdesc =
        describe_file(dirfd, config, "application/vnd.docker.container.image.v1+json", digest, err);
    if (cdesc == NULL) {
        archive_destroy(&src->base);
        return hull_error_prefix(err, "docker-archive config");
    }
    json_object_set_new(manifest, "config", cdesc);
    remember(src, config, digest);
    json_t *ldescs = json_array();
    json_object_set_new(manifest, "layers", ldescs);
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        const char *path = json_string_value(l);
        json_t *d = path ? describe_file(dirfd, path, NULL, digest, err) : NULL;
        if (d == NULL) {
            archive_destroy(&src->base);
            if (path == NULL)
                return hull_error(err, 0, "docker-archive layer %zu has no path", i);
            return hull_error_prefix(err, "docker-archive layer");
        }
        json_array_append_new(ldescs, d);
        remember(src, path, digest);
    }
    src->manifest = json_dumps(manifest, JSON_COMPACT);
    *out = &src->base;
    return 0;
}
