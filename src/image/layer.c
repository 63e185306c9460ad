/* Secure, fd-relative tar extraction for image layers. Everything that decides where bytes land
 * is in this file; read it with the threat "the tarball is hostile" in mind. */
#include "image/layer.h"

#include <errno.h>
#include <fcntl.h>
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

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define WHITEOUT_META   ".wh..wh."

struct dir_time {
    char *path;
    struct timespec times[2];
};

struct unpacker {
    int root;
    unsigned flags;
    struct archive *a;
    /* Last parent directory opened: tar entries come grouped by directory. */
    char *cached_path;
    int cached_fd;
    struct dir_time *dirs;
    size_t n_dirs, cap_dirs;
};

static void cache_drop(struct unpacker *u)
{
    free(u->cached_path);
    u->cached_path = NULL;
    if (u->cached_fd >= 0)
        close(u->cached_fd);
    u->cached_fd = -1;
}

/* Normalise an entry name: drop leading '/', "./" and empty components; refuse "..". The result
 * is "" for the root itself. */
static int clean_path(const char *in, char **out, hull_err **err)
{
    size_t len = strlen(in);
    char *res = malloc(len + 1);
    if (res == NULL)
        abort();
    size_t o = 0;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t clen = (size_t)(end - p);
        if (clen == 0)
            break;
        if (clen == 2 && p[0] == '.' && p[1] == '.') {
            free(res);
            return hull_error(err, 0, "entry `%s` escapes the layer root (`..`)", in);
        }
        if (!(clen == 1 && p[0] == '.')) {
            if (o > 0)
                res[o++] = '/';
            memcpy(res + o, p, clen);
            o += clen;
        }
        p = end;
    }
    res[o] = '\0';
    *out = res;
    return 0;
}

/* Open the directory holding `path` (already clean), creating missing directories when asked.
 * Returns a borrowed fd (owned by the cache) and points *leaf into path. */
static int open_parent(struct unpacker *u, const char *path, const char **leaf, int create,
                       hull_err **err)
{
    const char *slash = strrchr(path, '/');
    *leaf = slash ? slash + 1 : path;
    size_t plen = slash ? (size_t)(slash - path) : 0;
    if (plen == 0)
        return u->root;
    if (u->cached_path && strlen(u->cached_path) == plen && memcmp(u->cached_path, path, plen) == 0)
        return u->cached_fd;
    cache_drop(u);

    cleanup_free char *dir = strndup(path, plen);
    if (dir == NULL)
        abort();
    int cur = -1; /* -1 stands for u->root */
    for (char *comp = dir, *next; comp != NULL; comp = next) {
        next = strchr(comp, '/');
        if (next != NULL)
            *next++ = '\0';
        int base = cur >= 0 ? cur : u->root;
        int fd = openat(base, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(base, comp, 0755) < 0 && errno != EEXIST) {
                int saved = errno;
                if (cur >= 0)
                    close(cur);
                return hull_error(err, saved, "create directory for `%s`", path);
            }
            fd = openat(base, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (fd < 0) {
            int saved = errno;
            if (cur >= 0)
                close(cur);
            if (saved == ELOOP || saved == ENOTDIR)
                return hull_error(err, 0, "entry `%s` goes through symlink or non-directory `%s`",
                                  path, comp);
            return hull_error(err, saved, "open parent of `%s`", path);
        }
        if (cur >= 0)
            close(cur);
        cur = fd;
    }
    u->cached_path = strndup(path, plen);
    if (u->cached_path == NULL)
        abort();
    u->cached_fd = cur;
    return cur;
}

/* Make room for a new entry: remove whatever is at parent/leaf, whose full name is `path`. */
static int remove_existing(struct unpacker *u, int parent, const char *leaf, const char *path,
                           hull_err **err)
{
    if (unlinkat(parent, leaf, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR)
        return hull_error(err, errno, "replace `%s`", path);
    /* A directory goes away: forget the cached parent when it lies inside it. */
    size_t plen = strlen(path);
    if (u->cached_path && strncmp(u->cached_path, path, plen) == 0 &&
        (u->cached_path[plen] == '\0' || u->cached_path[plen] == '/'))
        cache_drop(u);
    return fs_remove_tree_at(parent, leaf, err) < 0 ? hull_error_prefix(err, "replace `%s`", path)
                                                    : 0;
}

static int apply_xattrs(struct unpacker *u, struct archive_entry *e, int fd, const char *path,
                        hull_err **err)
{
    if (u->flags & LAYER_PLAIN)
        return 0;
    const char *name;
    const void *value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        /* overlayfs's own attributes come only from whiteout conversion, never from a layer. */
        if (strncmp(name, "trusted.overlay.", 16) == 0)
            continue;
        if (fsetxattr(fd, name, value, size, 0) < 0)
            return hull_error(err, errno, "set xattr `%s` on `%s`", name, path);
    }
    return 0;
}

static int apply_owner_mode(struct unpacker *u, struct archive_entry *e, int fd, const char *path,
                            hull_err **err)
{
    if (!(u->flags & LAYER_PLAIN)) {
        if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
            return hull_error(err, errno, "chown `%s`", path);
    }
    /* After chown: chown clears the set-id bits. */
    if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
        return hull_error(err, errno, "chmod `%s`", path);
    return 0;
}

static void entry_times(struct archive_entry *e, struct timespec t[2])
{
    t[1].tv_sec = archive_entry_mtime(e);
    t[1].tv_nsec = archive_entry_mtime_nsec(e);
    if (archive_entry_atime_is_set(e)) {
        t[0].tv_sec = archive_entry_atime(e);
        t[0].tv_nsec = archive_entry_atime_nsec(e);
    } else {
        t[0] = t[1];
    }
}

static int copy_data(struct unpacker *u, int fd, const char *path, hull_err **err)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(u->a, &buf, &size, &offset)) == ARCHIVE_OK) {
        const char *p = buf;
        while (size > 0) {
            ssize_t n = pwrite(fd, p, size, offset);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                return hull_error(err, errno, "write `%s`", path);
            }
            p += n;
            size -= (size_t)n;
            offset += n;
        }
    }
    if (r != ARCHIVE_EOF)
        return hull_error(err, archive_errno(u->a) > 0 ? archive_errno(u->a) : 0,
                          "read data of `%s`: %s", path, archive_error_string(u->a));
    return 0;
}

static int extract_file(struct unpacker *u, struct archive_entry *e, int parent, const char *leaf,
                        const char *path, hull_err **err)
{
    if (remove_existing(u, parent, leaf, path, err) < 0)
        return -1;
    cleanup_close int fd =
        openat(parent, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return hull_error(err, errno, "create `%s`", path);
    if (copy_data(u, fd, path, err) < 0)
        return -1;
    if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
        return hull_error(err, errno, "truncate `%s`", path);
    if (apply_owner_mode(u, e, fd, path, err) < 0 || apply_xattrs(u, e, fd, path, err) < 0)
        return -1;
    struct timespec t[2];
    entry_times(e, t);
    futimens(fd, t);
    return 0;
}

static int extract_dir(struct unpacker *u, struct archive_entry *e, int parent, const char *leaf,
                       const char *path, hull_err **err)
{
    struct stat st;
    if (fstatat(parent, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
        if (unlinkat(parent, leaf, 0) < 0)
            return hull_error(err, errno, "replace `%s`", path);
    }
    if (mkdirat(parent, leaf, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "create directory `%s`", path);
    cleanup_close int fd = openat(parent, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open directory `%s`", path);
    if (apply_owner_mode(u, e, fd, path, err) < 0 || apply_xattrs(u, e, fd, path, err) < 0)
        return -1;
    if (u->n_dirs == u->cap_dirs) {
        u->cap_dirs = u->cap_dirs ? u->cap_dirs * 2 : 64;
        u->dirs = realloc(u->dirs, u->cap_dirs * sizeof(*u->dirs));
        if (u->dirs == NULL)
            abort();
    }
    struct dir_time *d = &u->dirs[u->n_dirs++];
    d->path = strdup(path);
    if (d->path == NULL)
        abort();
    entry_times(e, d->times);
    return 0;
}

static int extract_symlink(struct unpacker *u, struct archive_entry *e, int parent,
                           const char *leaf, const char *path, hull_err **err)
{
    const char *target = archive_entry_symlink(e);
    if (target == NULL || *target == '\0')
        return hull_error(err, 0, "symlink `%s` has no target", path);
    if (remove_existing(u, parent, leaf, path, err) < 0)
        return -1;
    /* The target is stored verbatim and never resolved here: absolute or `../` targets are
     * harmless because extraction never follows a symlink. */
    if (symlinkat(target, parent, leaf) < 0)
        return hull_error(err, errno, "create symlink `%s`", path);
    if (!(u->flags & LAYER_PLAIN) && fchownat(parent, leaf, (uid_t)archive_entry_uid(e),
                                              (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "chown `%s`", path);
    struct timespec t[2];
    entry_times(e, t);
    utimensat(parent, leaf, t, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int extract_node(struct unpacker *u, struct archive_entry *e, int parent, const char *leaf,
                        const char *path, hull_err **err)
{
    if (remove_existing(u, parent, leaf, path, err) < 0)
        return -1;
    mode_t type = archive_entry_filetype(e);
    dev_t dev =
        type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (mknodat(parent, leaf, type | (archive_entry_perm(e) & 0777), dev) < 0)
        return hull_error(err, errno, "create device node `%s`", path);
    if (fchownat(parent, leaf, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW) < 0 ||
        fchmodat(parent, leaf, archive_entry_perm(e) & 07777, 0) < 0)
        return hull_error(err, errno, "set owner and mode of `%s`", path);
    struct timespec t[2];
    entry_times(e, t);
    utimensat(parent, leaf, t, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int extract_hardlink(struct unpacker *u, const char *link, int parent, const char *leaf,
                            const char *path, hull_err **err)
{
    cleanup_free char *target = NULL;
    if (clean_path(link, &target, err) < 0)
        return hull_error_prefix(err, "hardlink `%s`", path);
    if (*target == '\0')
        return hull_error(err, 0, "hardlink `%s` points at the layer root", path);
    if (remove_existing(u, parent, leaf, path, err) < 0)
        return -1;
    /* Resolving the target may replace the cached parent: keep our own copy of `parent`. */
    cleanup_close int parent_fd = dup(parent);
    if (parent_fd < 0)
        return hull_error(err, errno, "dup");
    const char *tleaf;
    int tparent = open_parent(u, target, &tleaf, 0, err);
    if (tparent < 0)
        return hull_error_prefix(err, "hardlink `%s`", path);
    /* flags 0: a symlink target is linked itself, not followed. */
    if (linkat(tparent, tleaf, parent_fd, leaf, 0) < 0)
        return hull_error(err, errno, "hardlink `%s` to `%s`", path, target);
    return 0;
}

/* Overlayfs whiteouts. Returns 1 when the entry was a whiteout and is handled. */
static int handle_whiteout(struct unpacker *u, int parent, const char *leaf, const char *path,
                           hull_err **err)
{
    if (strncmp(leaf, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) != 0)
        return 0;
    if (strcmp(leaf, WHITEOUT_OPAQUE) == 0) {
        if (fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) < 0)
            return hull_error(err, errno, "mark `%s` opaque", path);
        return 1;
    }
    if (strncmp(leaf, WHITEOUT_META, strlen(WHITEOUT_META)) == 0)
        return 1; /* other AUFS metadata: meaningless for overlayfs */
    const char *name = leaf + strlen(WHITEOUT_PREFIX);
    if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return hull_error(err, 0, "invalid whiteout `%s`", path);
    cleanup_free char *hidden = NULL;
    if (asprintf(&hidden, "%.*s%s", (int)(leaf - path), path, name) < 0)
        abort();
    if (remove_existing(u, parent, name, hidden, err) < 0)
        return -1;
    if (mknodat(parent, name, S_IFCHR | 0, makedev(0, 0)) < 0)
        return hull_error(err, errno, "create whiteout for `%s`", path);
    return 1;
}

static int extract_entry(struct unpacker *u, struct archive_entry *e, hull_err **err)
{
    const char *raw = archive_entry_pathname(e);
    if (raw == NULL)
        return hull_error(err, 0, "entry without a name");
    cleanup_free char *path = NULL;
    if (clean_path(raw, &path, err) < 0)
        return -1;
    if (*path == '\0')
        return 0; /* the root itself: its metadata belongs to the layer directory */
    const char *leaf;
    int parent = open_parent(u, path, &leaf, 1, err);
    if (parent < 0)
        return -1;
    if (u->flags & LAYER_OVERLAY_WHITEOUTS) {
        int r = handle_whiteout(u, parent, leaf, path, err);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    const char *link = archive_entry_hardlink(e);
    if (link != NULL)
        return extract_hardlink(u, link, parent, leaf, path, err);
    switch (archive_entry_filetype(e)) {
    case AE_IFREG:
        return extract_file(u, e, parent, leaf, path, err);
    case AE_IFDIR:
        return extract_dir(u, e, parent, leaf, path, err);
    case AE_IFLNK:
        return extract_symlink(u, e, parent, leaf, path, err);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
        if (u->flags & LAYER_PLAIN)
            return 0;
        return extract_node(u, e, parent, leaf, path, err);
    default:
        return 0; /* sockets and unknown types carry no data */
    }
}

/* Directory times last: creating children changed them. */
static void apply_dir_times(struct unpacker *u)
{
    for (size_t i = u->n_dirs; i-- > 0;) {
        const char *leaf;
        int parent = open_parent(u, u->dirs[i].path, &leaf, 0, NULL);
        if (parent >= 0)
            utimensat(parent, leaf, u->dirs[i].times, AT_SYMLINK_NOFOLLOW);
    }
}

int layer_unpack_fd(int archive_fd, int dest_dirfd, unsigned flags, hull_err **err)
{
    struct unpacker u = {.root = dest_dirfd, .flags = flags, .cached_fd = -1};
    u.a = archive_read_new();
    if (u.a == NULL)
        abort();
    archive_read_support_filter_all(u.a);
    archive_read_support_format_tar(u.a);
    int ret = 0;
    if (archive_read_open_fd(u.a, archive_fd, 1 << 17) != ARCHIVE_OK) {
        ret = hull_error(err, 0, "open tar stream: %s", archive_error_string(u.a));
    } else {
        struct archive_entry *e;
        int r;
        while ((r = archive_read_next_header(u.a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
            if (extract_entry(&u, e, err) < 0) {
                ret = -1;
                break;
            }
        }
        if (ret == 0 && r != ARCHIVE_EOF)
            ret = hull_error(err, 0, "read tar stream: %s", archive_error_string(u.a));
        if (ret == 0)
            apply_dir_times(&u);
    }
    cache_drop(&u);
    for (size_t i = 0; i < u.n_dirs; i++)
        free(u.dirs[i].path);
    free(u.dirs);
    archive_read_free(u.a);
    return ret;
}
