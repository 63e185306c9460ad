/* Layer tarballs from directories (see layer_create.h). The walk is fd-relative and never
 * follows a symlink: the directory may be a container's, written by whatever ran in it. */
#include "image/layer_create.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

struct hardlink {
    dev_t dev;
    ino_t ino;
    char *path;
};

struct layer_writer {
    struct archive *a;
    blob_writer *blob;
    hull_err *err;
    struct hardlink *links;
    size_t n_links, cap_links;
    const char *const *skip_empty;
};

static la_ssize_t write_cb(struct archive *a, void *opaque, const void *buf, size_t len)
{
    (void)a;
    struct layer_writer *w = opaque;
    if (blob_writer_write(w->blob, buf, len, &w->err) < 0)
        return -1;
    return (la_ssize_t)len;
}

static int fail(struct layer_writer *w, int errnum, const char *what, const char *path)
{
    if (w->err == NULL)
        hull_error(&w->err, errnum, "%s `/%s`%s%s", what, path, errnum ? "" : ": ",
                   errnum ? "" : archive_error_string(w->a));
    return -1;
}

/* security.* and user.* extended attributes (file capabilities above all); overlayfs' own
 * trusted.overlay.* ones describe the upper directory, not the layer. */
static void add_xattrs(struct archive_entry *e, int dirfd, const char *name)
{
    char proc[64];
    cleanup_close int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    char list[4096];
    ssize_t n = llistxattr(proc, list, sizeof list);
    for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(list + off) + 1) {
        const char *key = list + off;
        if (strncmp(key, "security.", 9) != 0 && strncmp(key, "user.", 5) != 0)
            continue;
        char value[4096];
        ssize_t len = lgetxattr(proc, key, value, sizeof value);
        if (len >= 0)
            archive_entry_xattr_add_entry(e, key, value, (size_t)len);
    }
}

static int copy_file(struct layer_writer *w, int dirfd, const char *name, const char *path)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(w, errno, "open", path);
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(w, errno, "read", path);
        if (n == 0)
            return 0;
        if (archive_write_data(w->a, buf, (size_t)n) != n)
            return fail(w, 0, "write", path);
    }
}

static int write_plain(struct layer_writer *w, const char *path, mode_t mode, time_t mtime)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_mode(e, mode);
    archive_entry_set_mtime(e, mtime, 0);
    archive_entry_set_size(e, 0);
    int r = archive_write_header(w->a, e);
    archive_entry_free(e);
    return r == ARCHIVE_OK ? 0 : fail(w, 0, "write", path);
}

static bool skipped(const struct layer_writer *w, const char *path, const struct stat *st)
{
    if (!S_ISREG(st->st_mode) || st->st_size != 0)
        return false;
    for (const char *const *s = w->skip_empty; s && *s; s++)
        if (strcmp(*s, path) == 0)
            return true;
    return false;
}

static int write_tree(struct layer_writer *w, int dirfd, const char *prefix);

static int write_entry(struct layer_writer *w, int dirfd, const char *name, const char *prefix)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s%s", prefix, name) < 0)
        abort();
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return fail(w, errno, "stat", path);
    if (skipped(w, path, &st))
        return 0;
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
        cleanup_free char *wh = NULL;
        if (asprintf(&wh, "%s.wh.%s", prefix, name) < 0)
            abort();
        return write_plain(w, wh, S_IFREG | 0600, st.st_mtime);
    }
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_copy_stat(e, &st);
    archive_entry_set_atime(e, 0, 0);
    archive_entry_set_ctime(e, 0, 0);
    archive_entry_set_mtime(e, st.st_mtime, 0);
    archive_entry_set_ino64(e, 0);
    archive_entry_set_dev(e, 0);
    archive_entry_set_nlink(e, 0);
    if (!S_ISREG(st.st_mode))
        archive_entry_set_size(e, 0);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
        if (n < 0) {
            archive_entry_free(e);
            return fail(w, errno, "read link", path);
        }
        target[n] = '\0';
        archive_entry_set_symlink(e, target);
    }
    int is_link = 0;
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
        for (size_t i = 0; i < w->n_links; i++)
            if (w->links[i].dev == st.st_dev && w->links[i].ino == st.st_ino) {
                archive_entry_set_hardlink(e, w->links[i].path);
                archive_entry_set_size(e, 0);
                is_link = 1;
                break;
            }
        if (!is_link) {
            if (w->n_links == w->cap_links) {
                w->cap_links = w->cap_links ? w->cap_links * 2 : 16;
                w->links = realloc(w->links, w->cap_links * sizeof *w->links);
                if (w->links == NULL)
                    abort();
            }
            w->links[w->n_links++] =
                (struct hardlink){.dev = st.st_dev, .ino = st.st_ino, .path = strdup(path)};
        }
    }
    if (!S_ISLNK(st.st_mode))
        add_xattrs(e, dirfd, name);
    int r = archive_write_header(w->a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK)
        return fail(w, 0, "write", path);
    if (S_ISREG(st.st_mode) && !is_link && st.st_size > 0)
        return copy_file(w, dirfd, name, path);
    if (!S_ISDIR(st.st_mode))
        return 0;
    cleanup_close int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return fail(w, errno, "open", path);
    cleanup_free char *sub_prefix = NULL;
    if (asprintf(&sub_prefix, "%s/", path) < 0)
        abort();
    char opaque[2];
    if (fgetxattr(sub, OVERLAY_OPAQUE_XATTR, opaque, sizeof opaque) == 1 && opaque[0] == 'y') {
        cleanup_free char *wh = NULL;
        if (asprintf(&wh, "%s.wh..wh..opq", sub_prefix) < 0)
            abort();
        if (write_plain(w, wh, S_IFREG | 0600, st.st_mtime) < 0)
            return -1;
    }
    return write_tree(w, sub, sub_prefix);
}

static int write_tree(struct layer_writer *w, int dirfd, const char *prefix)
{
    char **names = NULL;
    size_t n = 0;
    if (fs_dir_names_sorted(dirfd, &names, &n, &w->err) < 0)
        return -1;
    int r = 0;
    for (size_t i = 0; i < n; i++) {
        if (r == 0)
            r = write_entry(w, dirfd, names[i], prefix);
        free(names[i]);
    }
    free(names);
    return r;
}

void layer_remove_empty(int dirfd, const char *const *paths)
{
    for (; paths && *paths; paths++) {
        struct stat st;
        if (fstatat(dirfd, *paths, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_size == 0)
            unlinkat(dirfd, *paths, 0);
    }
}

int layer_create_from_dir(image_store *s, int dirfd, const struct layer_create_options *opts,
                          char digest[DIGEST_STR_LEN], int64_t *size, hull_err **err)
{
    struct layer_writer w = {.skip_empty = opts ? opts->skip_empty : NULL};
    if (blob_writer_begin(s, &w.blob, err) < 0)
        return -1;
    w.a = archive_write_new();
    archive_write_set_format_pax_restricted(w.a);
    archive_write_set_bytes_in_last_block(w.a, 1);
    int r = archive_write_open(w.a, &w, NULL, write_cb, NULL) == ARCHIVE_OK ? 0 : -1;
    if (r == 0)
        r = write_tree(&w, dirfd, "");
    if (r == 0 && archive_write_close(w.a) != ARCHIVE_OK)
        r = fail(&w, 0, "finish", "");
    archive_write_free(w.a);
    for (size_t i = 0; i < w.n_links; i++)
        free(w.links[i].path);
    free(w.links);
    if (r < 0) {
        blob_writer_abort(w.blob);
        if (w.err == NULL)
            hull_error(&w.err, 0, "write layer");
        if (err != NULL) {
            hull_err_free(*err);
            *err = steal_pointer(&w.err);
        }
        hull_err_free(w.err);
        return -1;
    }
    *size = (int64_t)blob_writer_size(w.blob);
    return blob_writer_commit(w.blob, NULL, -1, digest, err);
}

int layer_adopt_dir(image_store *s, int parent_fd, const char *name, const char *digest,
                    hull_err **err)
{
    if (store_layer_exists(s, digest)) {
        cleanup_err hull_err *ignored = NULL;
        fs_remove_tree_at(parent_fd, name, &ignored);
        return 0;
    }
    cleanup_free char *tmp = NULL;
    cleanup_close int tmpfd = -1;
    if (image_store_mkdtemp(s, "adopt", &tmp, &tmpfd, err) < 0)
        return -1;
    int ret = 0;
    if (renameat(parent_fd, name, tmpfd, "diff") == 0) {
        if (syncfs(tmpfd) < 0)
            ret = hull_error(err, errno, "sync layer %s", digest);
        if (ret == 0 && renameat(s->tmp_fd, tmp, s->layers_fd, digest_hex(digest)) == 0) {
            fsync(s->layers_fd);
            return 0;
        }
        if (ret == 0 && errno != EEXIST && errno != ENOTEMPTY)
            ret = hull_error(err, errno, "publish layer %s", digest);
    } else {
        cleanup_err hull_err *ignored = NULL;
        fs_remove_tree_at(parent_fd, name, &ignored);
    }
    cleanup_err hull_err *ignored = NULL;
    fs_remove_tree_at(s->tmp_fd, tmp, &ignored);
    if (ret == 0 && !store_layer_exists(s, digest))
        ret = store_layer_unpack(s, digest, err);
    return ret;
}
