/* docker's export and import of flat root filesystem tarballs (see flat_archive.h): libarchive's
 * disk reader walks the tree (physical: symlinks are entries, never followed), its link
 * resolver turns repeated inodes into hard links; an import stores the decompressed stream as
 * the layer blob, so the blob digest is the layer's diff_id. */
#include "image/flat_archive.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "image/image.h"
#include "image/index.h"
#include "image/manifest.h"
#include "util/cleanup.h"
#include "util/time.h"

static int archive_fail(struct archive *a, const char *what, const char *path, hull_err **err)
{
    return hull_error(err, archive_errno(a) > 0 ? archive_errno(a) : 0, "%s `%s`: %s", what, path,
                      archive_error_string(a) ? archive_error_string(a) : "failed");
}

/* The entry's data from the disk reader to the writer. */
static int copy_data(struct archive *disk, struct archive *out, const char *path, hull_err **err)
{
    char buf[1 << 16];
    for (;;) {
        la_ssize_t n = archive_read_data(disk, buf, sizeof buf);
        if (n < 0)
            return archive_fail(disk, "read", path, err);
        if (n == 0)
            return 0;
        if (archive_write_data(out, buf, (size_t)n) != n)
            return archive_fail(out, "write", path, err);
    }
}

/* One entry with its path made relative to `dir`; *skip for the root itself and sockets. */
static int prepare_entry(struct archive_entry *e, const char *dir, bool *skip)
{
    const char *path = archive_entry_pathname(e);
    size_t dl = strlen(dir);
    *skip = false;
    if (strncmp(path, dir, dl) != 0)
        return -1;
    const char *rel = path + dl;
    while (*rel == '/')
        rel++;
    if (*rel == '\0' || archive_entry_filetype(e) == AE_IFSOCK) {
        *skip = true;
        return 0;
    }
    cleanup_free char *copy = strdup(rel);
    if (copy == NULL)
        abort();
    archive_entry_copy_pathname(e, copy);
    /* mtime only, to the second: what `tar -tv` shows, and no pax records for it */
    archive_entry_unset_atime(e);
    archive_entry_unset_ctime(e);
    archive_entry_unset_birthtime(e);
    archive_entry_set_mtime(e, archive_entry_mtime(e), 0);
    return 0;
}

int image_export_tree(const char *dir, int out_fd, hull_err **err)
{
    cleanup_free char *root = strdup(dir);
    if (root == NULL)
        abort();
    for (size_t n = strlen(root); n > 1 && root[n - 1] == '/'; n--)
        root[n - 1] = '\0';
    struct archive *disk = archive_read_disk_new();
    struct archive *out = archive_write_new();
    struct archive_entry_linkresolver *links = archive_entry_linkresolver_new();
    if (disk == NULL || out == NULL || links == NULL)
        abort();
    archive_read_disk_set_symlink_physical(disk);
    /* no uid -> name lookup: the host's names mean nothing in the container */
    archive_read_disk_set_behavior(disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS |
                                             ARCHIVE_READDISK_NO_ACL | ARCHIVE_READDISK_NO_FFLAGS);
    archive_write_set_format_pax_restricted(out);
    archive_entry_linkresolver_set_strategy(links, archive_format(out));
    int ret = 0;
    if (archive_write_open_fd(out, out_fd) != ARCHIVE_OK)
        ret = archive_fail(out, "write the archive of", root, err);
    else if (archive_read_disk_open(disk, root) != ARCHIVE_OK)
        ret = archive_fail(disk, "read", root, err);
    while (ret == 0) {
        struct archive_entry *e = archive_entry_new();
        int r = archive_read_next_header2(disk, e);
        if (r == ARCHIVE_EOF) {
            archive_entry_free(e);
            break;
        }
        if (r < ARCHIVE_WARN) {
            ret = archive_fail(disk, "read", root, err);
            archive_entry_free(e);
            break;
        }
        archive_read_disk_descend(disk);
        bool skip;
        if (prepare_entry(e, root, &skip) < 0) {
            ret = hull_error(err, 0, "export `%s`: unexpected entry `%s`", root,
                             archive_entry_pathname(e));
            archive_entry_free(e);
            break;
        }
        if (skip) {
            archive_entry_free(e);
            continue;
        }
        /* the first of several links to an inode carries the data, the others name it */
        struct archive_entry *sparse = NULL, *linked = e;
        archive_entry_linkify(links, &linked, &sparse);
        if (linked != NULL) {
            cleanup_free char *path = strdup(archive_entry_pathname(linked));
            if (archive_write_header(out, linked) < ARCHIVE_WARN)
                ret = archive_fail(out, "write", path, err);
            else if (archive_entry_filetype(linked) == AE_IFREG && archive_entry_size(linked) > 0 &&
                     archive_entry_hardlink(linked) == NULL)
                ret = copy_data(disk, out, path, err);
            if (linked != e)
                archive_entry_free(linked);
        }
        archive_entry_free(e); /* the resolver keeps copies of what it needs */
    }
    if (ret == 0 && archive_write_close(out) != ARCHIVE_OK)
        ret = archive_fail(out, "write the archive of", root, err);
    archive_entry_linkresolver_free(links);
    archive_read_free(disk);
    archive_write_free(out);
    return ret;
}

/* ---- import ---- */

/* The decompressed stream from in_fd into a blob (libarchive's filters, "raw" format). */
static int store_stream(image_store *s, int in_fd, char digest[DIGEST_STR_LEN], int64_t *size,
                        hull_err **err)
{
    struct archive *a = archive_read_new();
    if (a == NULL)
        abort();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    blob_writer *w = NULL;
    int ret = blob_writer_begin(s, &w, err);
    struct archive_entry *e;
    if (ret == 0 && (archive_read_open_fd(a, in_fd, 1 << 16) != ARCHIVE_OK ||
                     archive_read_next_header(a, &e) != ARCHIVE_OK))
        ret = archive_fail(a, "read", "the import stream", err);
    char buf[1 << 16];
    while (ret == 0) {
        la_ssize_t n = archive_read_data(a, buf, sizeof buf);
        if (n < 0)
            ret = archive_fail(a, "read", "the import stream", err);
        else if (n == 0)
            break;
        else
            ret = blob_writer_write(w, buf, (size_t)n, err);
    }
    archive_read_free(a);
    if (ret < 0) {
        if (w)
            blob_writer_abort(w);
        return -1;
    }
    *size = (int64_t)blob_writer_size(w);
    if (*size == 0) {
        blob_writer_abort(w);
        return hull_error(err, 0, "the import stream is empty");
    }
    return blob_writer_commit(w, NULL, -1, digest, err);
}

static int import_flat(image_store *s, int in_fd, const struct image_import_flat_options *opts,
                       char config_digest[DIGEST_STR_LEN], hull_err **err)
{
    char layer[DIGEST_STR_LEN];
    int64_t size = 0;
    if (store_stream(s, in_fd, layer, &size, err) < 0)
        return -1;
    /* unpacking is also the check that the stream is a tar archive */
    if (store_layer_unpack(s, layer, err) < 0)
        return -1;
    char created[TIME_RFC3339_MAX];
    time_rfc3339_now(created, false);
    cleanup_free char *platform = strdup(image_host_platform());
    if (platform == NULL)
        abort();
    char *arch = strchr(platform, '/');
    *arch++ = '\0';
    json_auto_t *history = json_pack("{s:s}", "created", created);
    if (opts->comment)
        json_object_set_new(history, "comment", json_string(opts->comment));
    json_auto_t *config = json_pack(
        "{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[O]}", "created", created, "architecture", arch,
        "os", platform, "config", opts->config ? json_deep_copy(opts->config) : json_object(),
        "rootfs", "type", "layers", "diff_ids", layer, "history", history);
    cleanup_free char *config_text = json_dumps(config, JSON_COMPACT);
    if (store_blob_put(s, config_text, strlen(config_text), NULL, config_digest, err) < 0)
        return -1;
    json_auto_t *manifest =
        json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
                  "mediaType", MT_OCI_MANIFEST, "config", "mediaType", MT_OCI_CONFIG, "digest",
                  config_digest, "size", (json_int_t)strlen(config_text), "layers", "mediaType",
                  MT_OCI_LAYER, "digest", layer, "size", (json_int_t)size);
    cleanup_free char *manifest_text = json_dumps(manifest, JSON_COMPACT);
    char manifest_digest[DIGEST_STR_LEN];
    if (store_blob_put(s, manifest_text, strlen(manifest_text), NULL, manifest_digest, err) < 0)
        return -1;
    return index_add_image(s, manifest_digest, config_digest, opts->name, err);
}

int image_import_flat(image_store *s, int in_fd, const struct image_import_flat_options *opts,
                      char config_digest[DIGEST_STR_LEN], hull_err **err)
{
    if (import_flat(s, in_fd, opts, config_digest, err) == 0)
        return 0;
    /* what was stored has no image: removed now unless another hull uses the store (then
     * `hull image prune` does) */
    image_store_gc_if_alone(s);
    return -1;
}
