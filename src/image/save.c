/* `hull save`: an image as an OCI archive. Docker-typed manifests are rewritten with OCI media
 * types (same blobs, new manifest digest) so every OCI reader accepts the archive. */
#include "image/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "image/image.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int write_header(struct archive *a, const char *path, mode_t mode, int64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, time(NULL), 0);
    int r = archive_write_header(a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : -1;
}

static int write_buffer(struct archive *a, const char *path, const char *data, size_t len)
{
    if (write_header(a, path, S_IFREG | 0644, (int64_t)len) < 0)
        return -1;
    return archive_write_data(a, data, len) == (la_ssize_t)len ? 0 : -1;
}

static int write_blob(struct archive *a, image_store *s, const char *digest, hull_err **err)
{
    cleanup_close int fd = store_blob_open(s, digest, err);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hull_error(err, errno, "stat blob %s", digest);
    char path[128];
    snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
    if (write_header(a, path, S_IFREG | 0644, st.st_size) < 0)
        return hull_error(err, 0, "write `%s`: %s", path, archive_error_string(a));
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hull_error(err, errno, "read blob %s", digest);
        if (n == 0)
            return 0;
        if (archive_write_data(a, buf, (size_t)n) != n)
            return hull_error(err, 0, "write `%s`: %s", path, archive_error_string(a));
    }
}

static const char *oci_layer_type(const char *mt)
{
    if (strcmp(mt, MT_DOCKER_LAYER) == 0)
        return MT_OCI_LAYER_GZIP;
    if (strcmp(mt, MT_DOCKER_LAYER_TAR) == 0 || *mt == '\0')
        return MT_OCI_LAYER;
    return mt;
}

/* The manifest to save: the stored one when already OCI, else an OCI rewrite. */
static char *oci_manifest(image_store *s, const image_info *info, hull_err **err)
{
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (store_blob_read(s, info->manifest_digest, &data, &len, err) < 0)
        return NULL;
    if (strcmp(info->manifest->media_type, MT_OCI_MANIFEST) == 0)
        return steal_pointer(&data);
    const image_manifest *m = info->manifest;
    json_auto_t *j = json_pack("{s:i,s:s,s:{s:s,s:s,s:I},s:[]}", "schemaVersion", 2, "mediaType",
                               MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                               m->config.digest, "size", (json_int_t)m->config.size, "layers");
    for (size_t i = 0; i < m->n_layers; i++)
        json_array_append_new(
            json_object_get(j, "layers"),
            json_pack("{s:s,s:s,s:I}", "mediaType", oci_layer_type(m->layers[i].media_type),
                      "digest", m->layers[i].digest, "size", (json_int_t)m->layers[i].size));
    return json_dumps(j, JSON_COMPACT);
}

static int write_archive(struct archive *a, image_store *s, const image_info *info,
                         const char *manifest, hull_err **err)
{
    char mdigest[DIGEST_STR_LEN];
    digest_of_buffer(manifest, strlen(manifest), mdigest);
    json_auto_t *index = json_pack("{s:i,s:s,s:[{s:s,s:s,s:I}]}", "schemaVersion", 2, "mediaType",
                                   MT_OCI_INDEX, "manifests", "mediaType", MT_OCI_MANIFEST,
                                   "digest", mdigest, "size", (json_int_t)strlen(manifest));
    if (info->names[0] != NULL)
        json_object_set_new(
            json_array_get(json_object_get(index, "manifests"), 0), "annotations",
            json_pack("{s:s}", "org.opencontainers.image.ref.name", info->names[0]));
    cleanup_free char *index_text = json_dumps(index, JSON_COMPACT);
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    char mpath[128];
    snprintf(mpath, sizeof(mpath), "blobs/sha256/%s", digest_hex(mdigest));
    if (write_buffer(a, "oci-layout", layout, strlen(layout)) < 0 ||
        write_buffer(a, "index.json", index_text, strlen(index_text)) < 0 ||
        write_header(a, "blobs", S_IFDIR | 0755, 0) < 0 ||
        write_header(a, "blobs/sha256", S_IFDIR | 0755, 0) < 0 ||
        write_buffer(a, mpath, manifest, strlen(manifest)) < 0)
        return hull_error(err, 0, "write archive: %s", archive_error_string(a));
    if (write_blob(a, s, info->id, err) < 0)
        return -1;
    for (size_t i = 0; i < info->n_layers; i++) {
        int dup_layer = 0;
        for (size_t k = 0; k < i; k++)
            dup_layer |=
                strcmp(info->manifest->layers[k].digest, info->manifest->layers[i].digest) == 0;
        if (!dup_layer && write_blob(a, s, info->manifest->layers[i].digest, err) < 0)
            return -1;
    }
    return 0;
}

int image_save(image_store *s, const char *ref, const char *file, hull_err **err)
{
    cleanup_image_info image_info *info = NULL;
    if (image_lookup(s, ref, &info, err) < 0)
        return hull_error_prefix(err, "save `%s`", ref);
    cleanup_free char *manifest = oci_manifest(s, info, err);
    if (manifest == NULL)
        return hull_error_prefix(err, "save `%s`", ref);
    /* Written next to the target and renamed: no half archive under the final name. */
    cleanup_free char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp-%d", file, (int)getpid()) < 0)
        abort();
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return hull_error(err, errno, "save `%s`: create `%s`", ref, tmp);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    int r = archive_write_open_fd(a, fd) == ARCHIVE_OK ? 0 : -1;
    if (r < 0)
        hull_error(err, 0, "write archive: %s", archive_error_string(a));
    if (r == 0)
        r = write_archive(a, s, info, manifest, err);
    if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
        r = hull_error(err, 0, "write archive: %s", archive_error_string(a));
    archive_write_free(a);
    if (r == 0 && fsync(fd) < 0)
        r = hull_error(err, errno, "sync `%s`", tmp);
    if (r == 0 && rename(tmp, file) < 0)
        r = hull_error(err, errno, "rename `%s` to `%s`", tmp, file);
    if (r < 0) {
        unlink(tmp);
        return hull_error_prefix(err, "save `%s`", ref);
    }
    return 0;
}
