/* Store directory, locks, blobs and unpacked layers. */
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct blob_writer {
    image_store *store;
    int fd;
    char *tmp_name; /* set when O_TMPFILE was not available */
    digest_ctx *digest;
    uint64_t size;
};

const char *image_store_default_root(void)
{
    const char *env = getenv("HULL_ROOT");
    return env && *env ? env : IMAGE_STORE_DEFAULT_ROOT;
}

static int open_subdir(int dirfd, const char *name, int *out, hull_err **err)
{
    if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create `%s`", name);
    *out = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*out < 0)
        return hull_error(err, errno, "open `%s`", name);
    return 0;
}

void image_store_close(image_store *s)
{
    if (s == NULL)
        return;
    int *fds[] = {&s->dirfd,    &s->blobs_fd, &s->layers_fd,    &s->tmp_fd,
                  &s->locks_fd, &s->users_fd, &s->store_lock_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    free(s->data_root);
    free(s->path);
    free(s);
}

void image_store_closep(image_store **s)
{
    image_store_close(*s);
}

int image_store_clean_tmp(image_store *s, hull_err **err)
{
    /* A new open file description: a dup would share (and exhaust) the read offset. */
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->tmp_fd, &d, err) < 0)
        return hull_error_prefix(err, "open `%s/tmp`", s->path);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fs_remove_tree_at(s->tmp_fd, de->d_name, err) < 0)
            return hull_error_prefix(err, "clean `%s/tmp`", s->path);
    }
    return 0;
}

int image_store_open(const char *data_root, image_store **out, hull_err **err)
{
    if (data_root == NULL)
        data_root = image_store_default_root();
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/images", data_root) < 0)
        abort();
    if (fs_mkdir_p(path, 0711, err) < 0)
        return hull_error_prefix(err, "create image store");
    image_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        abort();
    __attribute__((cleanup(image_store_closep))) image_store *guard = s;
    s->blobs_fd = s->layers_fd = s->tmp_fd = s->locks_fd = s->users_fd = s->store_lock_fd = -1;
    s->data_root = strdup(data_root);
    s->path = steal_pointer(&path);
    s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0)
        return hull_error(err, errno, "open image store `%s`", s->path);
    int blobs_parent = -1;
    if (open_subdir(s->dirfd, "blobs", &blobs_parent, err) < 0 ||
        open_subdir(blobs_parent, "sha256", &s->blobs_fd, err) < 0) {
        if (blobs_parent >= 0)
            close(blobs_parent);
        return hull_error_prefix(err, "open image store `%s`", s->path);
    }
    close(blobs_parent);
    if (open_subdir(s->dirfd, "layers", &s->layers_fd, err) < 0 ||
        open_subdir(s->dirfd, "tmp", &s->tmp_fd, err) < 0 ||
        open_subdir(s->dirfd, "locks", &s->locks_fd, err) < 0 ||
        open_subdir(s->dirfd, "users", &s->users_fd, err) < 0)
        return hull_error_prefix(err, "open image store `%s`", s->path);

    s->store_lock_fd =
        openat(s->locks_fd, "store.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (s->store_lock_fd < 0)
        return hull_error(err, errno, "open `%s/locks/store.lock`", s->path);
    /* Alone in the store? Then whatever is in tmp/ was left by a crash: remove it. */
    if (flock(s->store_lock_fd, LOCK_EX | LOCK_NB) == 0) {
        cleanup_err hull_err *ignored = NULL;
        image_store_clean_tmp(s, &ignored);
    }
    while (flock(s->store_lock_fd, LOCK_SH) < 0) {
        if (errno != EINTR)
            return hull_error(err, errno, "lock image store `%s`", s->path);
    }
    *out = steal_pointer(&guard);
    return 0;
}

int image_store_lock_exclusive(image_store *s, hull_err **err)
{
    while (flock(s->store_lock_fd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return hull_error(err, errno, "lock image store `%s` exclusively", s->path);
    }
    return 0;
}

int image_store_lock(image_store *s, const char *name, int *fd, hull_err **err)
{
    char file[128];
    if (snprintf(file, sizeof(file), "%s.lock", name) >= (int)sizeof(file))
        return hull_error(err, ENAMETOOLONG, "lock `%s`", name);
    cleanup_close int lfd =
        openat(s->locks_fd, file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lfd < 0)
        return hull_error(err, errno, "open lock `%s`", file);
    while (flock(lfd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return hull_error(err, errno, "lock `%s`", file);
    }
    *fd = steal_fd(&lfd);
    return 0;
}

int image_store_mkdtemp(image_store *s, const char *prefix, char **name_out, int *fd_out,
                        hull_err **err)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned int rnd = 0;
        if (getrandom(&rnd, sizeof(rnd), 0) < 0)
            rnd = (unsigned int)attempt;
        char *name = NULL;
        if (asprintf(&name, "%s-%d-%08x", prefix, (int)getpid(), rnd) < 0)
            abort();
        if (mkdirat(s->tmp_fd, name, 0700) < 0) {
            int saved = errno;
            free(name);
            if (saved == EEXIST)
                continue;
            return hull_error(err, saved, "create temporary directory in `%s/tmp`", s->path);
        }
        int fd = openat(s->tmp_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            int saved = errno;
            unlinkat(s->tmp_fd, name, AT_REMOVEDIR);
            free(name);
            return hull_error(err, saved, "open temporary directory");
        }
        *name_out = name;
        *fd_out = fd;
        return 0;
    }
    return hull_error(err, EEXIST, "create temporary directory in `%s/tmp`", s->path);
}

/* ---- blobs ---- */

int store_blob_exists(image_store *s, const char *digest)
{
    if (!digest_is_valid(digest))
        return 0;
    return faccessat(s->blobs_fd, digest_hex(digest), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int store_blob_open(image_store *s, const char *digest, hull_err **err)
{
    if (digest_check(digest, err) < 0)
        return -1;
    int fd = openat(s->blobs_fd, digest_hex(digest), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open blob %s", digest);
    return fd;
}

int64_t store_blob_size(image_store *s, const char *digest)
{
    struct stat st;
    if (!digest_is_valid(digest) ||
        fstatat(s->blobs_fd, digest_hex(digest), &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -1;
    return st.st_size;
}

int store_blob_read(image_store *s, const char *digest, char **data, size_t *len, hull_err **err)
{
    if (digest_check(digest, err) < 0)
        return -1;
    cleanup_free char *buf = NULL;
    size_t n = 0;
    if (fs_read_file_at(s->blobs_fd, digest_hex(digest), 16u << 20, &buf, &n, err) < 0)
        return hull_error_prefix(err, "read blob %s", digest);
    char actual[DIGEST_STR_LEN];
    digest_of_buffer(buf, n, actual);
    if (strcmp(actual, digest) != 0)
        return hull_error(err, 0, "blob %s is corrupt in the store (content hashes to %s)", digest,
                          actual);
    *data = steal_pointer(&buf);
    if (len)
        *len = n;
    return 0;
}

char *store_blob_path(image_store *s, const char *digest)
{
    char *p = NULL;
    if (asprintf(&p, "%s/blobs/sha256/%s", s->path, digest_hex(digest)) < 0)
        abort();
    return p;
}

int blob_writer_begin(image_store *s, blob_writer **out, hull_err **err)
{
    blob_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        abort();
    w->store = s;
    /* An unnamed file: a crash before commit leaves nothing behind. */
    w->fd = openat(s->blobs_fd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        for (int attempt = 0; attempt < 100 && w->fd < 0; attempt++) {
            unsigned int rnd = 0;
            if (getrandom(&rnd, sizeof(rnd), 0) < 0)
                rnd = (unsigned int)attempt;
            free(w->tmp_name);
            if (asprintf(&w->tmp_name, "blob-%d-%08x", (int)getpid(), rnd) < 0)
                abort();
            w->fd = openat(s->tmp_fd, w->tmp_name,
                           O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (w->fd < 0 && errno != EEXIST)
                break;
        }
        if (w->fd < 0) {
            int saved = errno;
            free(w->tmp_name);
            free(w);
            return hull_error(err, saved, "create blob in `%s`", s->path);
        }
    }
    w->digest = digest_new();
    *out = w;
    return 0;
}

int blob_writer_write(blob_writer *w, const void *data, size_t len, hull_err **err)
{
    if (fs_write_all(w->fd, data, len) < 0)
        return hull_error(err, errno, "write blob");
    digest_update(w->digest, data, len);
    w->size += len;
    return 0;
}

uint64_t blob_writer_size(const blob_writer *w)
{
    return w->size;
}

void blob_writer_abort(blob_writer *w)
{
    if (w == NULL)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp_name) {
        unlinkat(w->store->tmp_fd, w->tmp_name, 0);
        free(w->tmp_name);
    }
    digest_free(w->digest);
    free(w);
}

int blob_writer_commit(blob_writer *w, const char *expected, int64_t expected_size,
                       char out[DIGEST_STR_LEN], hull_err **err)
{
    char actual[DIGEST_STR_LEN];
    digest_final(w->digest, actual);
    int ret = 0;
    if (expected != NULL && strcmp(actual, expected) != 0) {
        ret = hull_error(err, 0, "digest mismatch: expected %s, got %s", expected, actual);
    } else if (expected_size >= 0 && (uint64_t)expected_size != w->size) {
        ret = hull_error(err, 0, "size mismatch for %s: expected %lld bytes, got %llu", actual,
                         (long long)expected_size, (unsigned long long)w->size);
    } else if (fsync(w->fd) < 0) {
        ret = hull_error(err, errno, "sync blob %s", actual);
    } else {
        const char *hex = digest_hex(actual);
        int r;
        if (w->tmp_name) {
            r = renameat(w->store->tmp_fd, w->tmp_name, w->store->blobs_fd, hex);
            if (r == 0) {
                free(w->tmp_name);
                w->tmp_name = NULL;
            }
        } else {
            char proc[64];
            snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
            r = linkat(AT_FDCWD, proc, w->store->blobs_fd, hex, AT_SYMLINK_FOLLOW);
            if (r < 0 && errno == EEXIST)
                r = 0; /* someone else stored the same content first */
        }
        if (r < 0)
            ret = hull_error(err, errno, "store blob %s", actual);
        else
            fsync(w->store->blobs_fd);
    }
    if (ret == 0 && out != NULL)
        memcpy(out, actual, DIGEST_STR_LEN);
    blob_writer_abort(w);
    return ret;
}

int store_blob_put(image_store *s, const void *data, size_t len, const char *expected,
                   char out[DIGEST_STR_LEN], hull_err **err)
{
    char digest[DIGEST_STR_LEN];
    digest_of_buffer(data, len, digest);
    if (expected && strcmp(expected, digest) != 0)
        return hull_error(err, 0, "digest mismatch: expected %s, got %s", expected, digest);
    if (out)
        memcpy(out, digest, DIGEST_STR_LEN);
    if (store_blob_exists(s, digest))
        return 0;
    blob_writer *w = NULL;
    if (blob_writer_begin(s, &w, err) < 0)
        return -1;
    if (blob_writer_write(w, data, len, err) < 0) {
        blob_writer_abort(w);
        return -1;
    }
    return blob_writer_commit(w, digest, -1, NULL, err);
}

int store_blob_put_json(image_store *s, json_t *doc, char out[DIGEST_STR_LEN], int64_t *size,
                        hull_err **err)
{
    cleanup_free char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return hull_error(err, ENOMEM, "serialise JSON");
    if (size)
        *size = (int64_t)strlen(text);
    return store_blob_put(s, text, strlen(text), NULL, out, err);
}

int store_blob_import_fd(image_store *s, int fd, const char *expected, int64_t expected_size,
                         char out[DIGEST_STR_LEN], hull_err **err)
{
    blob_writer *w = NULL;
    if (blob_writer_begin(s, &w, err) < 0)
        return -1;
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            blob_writer_abort(w);
            return hull_error(err, saved, "read blob source");
        }
        if (n == 0)
            break;
        if (blob_writer_write(w, buf, (size_t)n, err) < 0) {
            blob_writer_abort(w);
            return -1;
        }
    }
    return blob_writer_commit(w, expected, expected_size, out, err);
}

int store_blob_import_file(image_store *s, int dirfd, const char *name, const char *expected,
                           int64_t expected_size, int may_move, char out[DIGEST_STR_LEN],
                           hull_err **err)
{
    cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", name);
    if (!may_move)
        return store_blob_import_fd(s, fd, expected, expected_size, out, err);
    char actual[DIGEST_STR_LEN];
    off_t size = 0;
    if (digest_of_fd(fd, actual, &size, err) < 0)
        return hull_error_prefix(err, "hash `%s`", name);
    if (expected && strcmp(actual, expected) != 0)
        return hull_error(err, 0, "digest mismatch: expected %s, got %s", expected, actual);
    if (expected_size >= 0 && expected_size != size)
        return hull_error(err, 0, "size mismatch for %s: expected %lld bytes, got %lld", actual,
                          (long long)expected_size, (long long)size);
    if (fsync(fd) < 0)
        return hull_error(err, errno, "sync `%s`", name);
    if (out)
        memcpy(out, actual, DIGEST_STR_LEN);
    if (store_blob_exists(s, actual))
        return 0;
    if (renameat(dirfd, name, s->blobs_fd, digest_hex(actual)) < 0)
        return hull_error(err, errno, "store blob %s", actual);
    fsync(s->blobs_fd);
    return 0;
}

/* ---- layers ---- */

int store_layer_exists(image_store *s, const char *blob_digest)
{
    if (!digest_is_valid(blob_digest))
        return 0;
    return faccessat(s->layers_fd, digest_hex(blob_digest), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

char *store_layer_dir(image_store *s, const char *blob_digest)
{
    char *p = NULL;
    if (asprintf(&p, "%s/layers/%s/diff", s->path, digest_hex(blob_digest)) < 0)
        abort();
    return p;
}

/* Apparent size of the regular files and symlinks under dirfd (hard links counted once per
 * name, as a tar stream carries them). */
static int64_t tree_size(int fd)
{
    DIR *d = NULL;
    cleanup_err hull_err *e = NULL;
    if (fs_opendir_at(fd, &d, &e) < 0)
        return 0;
    int64_t total = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
            total += st.st_size;
        } else if (S_ISDIR(st.st_mode)) {
            cleanup_close int sub =
                openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                total += tree_size(sub);
        }
    }
    closedir(d);
    return total;
}

static int write_layer_size(int layer_dirfd, int64_t size)
{
    char text[32];
    int n = snprintf(text, sizeof text, "%lld\n", (long long)size);
    cleanup_err hull_err *e = NULL;
    return fs_write_file_atomic_at(layer_dirfd, "size", text, (size_t)n, 0644, &e);
}

int64_t store_layer_size(image_store *s, const char *blob_digest)
{
    if (!digest_is_valid(blob_digest))
        return -1;
    cleanup_close int layer =
        openat(s->layers_fd, digest_hex(blob_digest), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (layer < 0)
        return -1;
    char text[32];
    cleanup_close int fd = openat(layer, "size", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
    if (n > 0) {
        text[n] = '\0';
        return (int64_t)strtoll(text, NULL, 10);
    }
    cleanup_close int diff = openat(layer, "diff", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (diff < 0)
        return -1;
    int64_t size = tree_size(diff);
    write_layer_size(layer, size); /* a cache: the next listing reads it */
    return size;
}

int store_layer_unpack(image_store *s, const char *blob_digest, hull_err **err)
{
    if (store_layer_exists(s, blob_digest))
        return 0;
    cleanup_close int blob = store_blob_open(s, blob_digest, err);
    if (blob < 0)
        return -1;
    cleanup_free char *tmp = NULL;
    cleanup_close int tmpfd = -1;
    if (image_store_mkdtemp(s, "layer", &tmp, &tmpfd, err) < 0)
        return -1;
    int ret = 0;
    cleanup_close int diff = -1;
    if (mkdirat(tmpfd, "diff", 0755) < 0 ||
        (diff = openat(tmpfd, "diff", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        ret = hull_error(err, errno, "create layer directory");
    if (ret == 0 && layer_unpack_fd(blob, diff, LAYER_OVERLAY_WHITEOUTS, err) < 0)
        ret = hull_error_prefix(err, "unpack layer %s", blob_digest);
    if (ret == 0 && write_layer_size(tmpfd, tree_size(diff)) < 0)
        ret = hull_error(err, errno, "record the size of layer %s", blob_digest);
    /* One syncfs instead of an fsync per file: the rename below publishes a durable layer. */
    if (ret == 0 && syncfs(diff) < 0)
        ret = hull_error(err, errno, "sync layer %s", blob_digest);
    if (ret == 0 && renameat(s->tmp_fd, tmp, s->layers_fd, digest_hex(blob_digest)) < 0) {
        if (errno != EEXIST && errno != ENOTEMPTY)
            ret = hull_error(err, errno, "publish layer %s", blob_digest);
    } else if (ret == 0) {
        fsync(s->layers_fd);
        return 0;
    }
    cleanup_err hull_err *ignored = NULL;
    fs_remove_tree_at(s->tmp_fd, tmp, &ignored);
    return ret;
}
