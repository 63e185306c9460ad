/* COPY and ADD sources and their copy (see context.h). */
#include "builder/context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>

#include "container/root_path.h"
#include "image/layer.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/fs_copy.h"

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = realloc(*v, (*n + 2) * sizeof **v);
    if (*v == NULL)
        abort();
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

/* Open `path` (relative) below the root: in the context nothing may lead outside it. */
static int open_source(const struct copy_source_root *root, const char *path, int flags,
                       hull_err **err)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = root->is_context ? RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS
                                    : RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, root->fd, path, &how, sizeof how);
    if (fd >= 0)
        return fd;
    if (errno == EXDEV)
        return hull_error(
            err, 0, "forbidden path outside the build context: `%s` (a symlink leads out)", path);
    if (errno == ENOENT)
        return hull_error(
            err, 0, "file not found in build context or excluded by .dockerignore: `%s`", path);
    return hull_error(err, errno, "open `%s`", path);
}

/* Lexically clean a source argument; refuse `..` leading out. "" -> ".". */
static int clean_source(const char *arg, char **out, hull_err **err)
{
    char *res = calloc(1, strlen(arg) + 2);
    size_t o = 0;
    const char *p = arg;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        size_t len = (size_t)(end - p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (o == 0) {
                free(res);
                return hull_error(err, 0, "forbidden path outside the build context: `%s`", arg);
            }
            while (o > 0 && res[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            res[o] = '\0';
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (o > 0)
                res[o++] = '/';
            memcpy(res + o, p, len);
            o += len;
            res[o] = '\0';
        }
        p = end;
    }
    if (o == 0)
        strcpy(res, ".");
    *out = res;
    return 0;
}

static bool has_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool excluded(const struct copy_source_root *root, const char *path)
{
    return root->ignore && strcmp(path, ".") != 0 && ignore_excluded(root->ignore, path);
}

/* Expand the glob components of `pattern` below `prefix` ("" = root). */
static int glob_walk(const struct copy_source_root *root, const char *prefix, const char *rest,
                     char ***out, size_t *n, hull_err **err)
{
    if (*rest == '\0') {
        if (!excluded(root, prefix))
            strv_push(out, n, strdup(*prefix ? prefix : "."));
        return 0;
    }
    const char *slash = strchrnul(rest, '/');
    cleanup_free char *comp = strndup(rest, (size_t)(slash - rest));
    const char *next = *slash ? slash + 1 : slash;
    if (!has_glob(comp)) {
        cleanup_free char *path = NULL;
        if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", comp) < 0)
            abort();
        return glob_walk(root, path, next, out, n, err);
    }
    cleanup_close int dfd = open_source(root, *prefix ? prefix : ".", O_RDONLY | O_DIRECTORY, err);
    if (dfd < 0) {
        hull_err_freep(err);
        return 0;
    }
    DIR *d = NULL;
    if (fs_opendir_at(dfd, &d, err) < 0)
        return -1;
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (fnmatch(comp, de->d_name, FNM_PERIOD) != 0)
            continue;
        cleanup_free char *path = NULL;
        if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0)
            abort();
        r = glob_walk(root, path, next, out, n, err);
    }
    closedir(d);
    return r;
}

int copy_sources_resolve(const struct copy_source_root *root, char *const *args, char ***out,
                         hull_err **err)
{
    char **list = calloc(1, sizeof *list);
    size_t n = 0;
    for (char *const *a = args; *a; a++) {
        if (strstr(*a, "://") != NULL || strncmp(*a, "git@", 4) == 0) {
            hull_strvfree(list);
            return hull_error(err, 0,
                              "`%s`: remote sources (URLs, git) are not supported by hull build; "
                              "download the file into the build context first",
                              *a);
        }
        cleanup_free char *clean = NULL;
        if (clean_source(*a, &clean, err) < 0) {
            hull_strvfree(list);
            return -1;
        }
        size_t before = n;
        if (has_glob(clean)) {
            if (glob_walk(root, "", strcmp(clean, ".") == 0 ? "" : clean, &list, &n, err) < 0) {
                hull_strvfree(list);
                return -1;
            }
            if (n == before) {
                hull_strvfree(list);
                return hull_error(err, 0, "no source files were specified: `%s` matches nothing",
                                  *a);
            }
            qsort(list + before, n - before, sizeof *list, cmp_str);
            continue;
        }
        if (excluded(root, clean)) {
            hull_strvfree(list);
            return hull_error(
                err, 0, "file not found in build context or excluded by .dockerignore: `%s`", *a);
        }
        /* It must exist and stay inside: opening it checks both. */
        int fd = open_source(root, clean, O_PATH, err);
        if (fd < 0) {
            hull_strvfree(list);
            return -1;
        }
        close(fd);
        strv_push(&list, &n, steal_pointer(&clean));
    }
    *out = list;
    return 0;
}

/* ---- hashing ---- */

static void hash_str(digest_ctx *h, const char *s)
{
    digest_update(h, s, strlen(s) + 1);
}

static int hash_tree(const struct copy_source_root *root, digest_ctx *h, int dirfd,
                     const char *name, const char *rel, hull_err **err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "stat `%s`", rel);
    char meta[128];
    snprintf(meta, sizeof meta, "%o %lld", (unsigned)st.st_mode, (long long)st.st_size);
    hash_str(h, rel);
    hash_str(h, meta);
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(dirfd, name, target, sizeof target - 1);
        if (n < 0)
            return hull_error(err, errno, "read link `%s`", rel);
        target[n] = '\0';
        hash_str(h, target);
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return hull_error(err, errno, "open `%s`", rel);
        char buf[1 << 16];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            digest_update(h, buf, (size_t)n);
        return n < 0 ? hull_error(err, errno, "read `%s`", rel) : 0;
    }
    if (!S_ISDIR(st.st_mode))
        return 0;
    cleanup_close int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
        return hull_error(err, errno, "open `%s`", rel);
    DIR *d = NULL;
    if (fs_opendir_at(sub, &d, err) < 0)
        return -1;
    char **names = calloc(1, sizeof *names);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            strv_push(&names, &n, strdup(de->d_name));
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int r = 0;
    for (size_t i = 0; r == 0 && i < n; i++) {
        cleanup_free char *child = NULL;
        if (asprintf(&child, "%s/%s", rel, names[i]) < 0)
            abort();
        const char *crel = strncmp(child, "./", 2) == 0 ? child + 2 : child;
        if (excluded(root, crel))
            continue;
        r = hash_tree(root, h, sub, names[i], crel, err);
    }
    hull_strvfree(names);
    return r;
}

int copy_sources_digest(const struct copy_source_root *root, char *const *sources,
                        char digest[DIGEST_STR_LEN], hull_err **err)
{
    digest_ctx *h = digest_new();
    int r = 0;
    for (char *const *s = sources; r == 0 && *s; s++) {
        /* Open the source's parent safely, then walk it by name. */
        cleanup_free char *parent = strdup(*s);
        char *slash = strrchr(parent, '/');
        const char *base = slash ? slash + 1 : parent;
        if (slash)
            *slash = '\0';
        if (strcmp(*s, ".") == 0)
            base = ".";
        cleanup_close int pfd =
            open_source(root, slash ? parent : ".", O_RDONLY | O_DIRECTORY, err);
        if (pfd < 0) {
            r = -1;
            break;
        }
        /* A top-level symlink is followed (inside the root): hash what it points at. */
        cleanup_close int target = open_source(root, *s, O_PATH, err);
        if (target < 0) {
            r = -1;
            break;
        }
        struct stat st;
        if (fstat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
            cleanup_close int dfd = open_source(root, *s, O_RDONLY | O_DIRECTORY, err);
            if (dfd < 0) {
                r = -1;
                break;
            }
            r = hash_tree(root, h, dfd, ".", *s, err);
        } else {
            r = hash_tree(root, h, pfd, base, *s, err);
        }
    }
    digest_final(h, digest);
    digest_free(h);
    return r;
}

/* ---- copying ---- */

static int apply_meta(int fd, const struct stat *st, const struct copy_options *o, bool is_link,
                      const char *what, hull_err **err)
{
    uid_t uid = o->chown ? o->uid : 0;
    gid_t gid = o->chown ? o->gid : 0;
    if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "chown `%s`", what);
    if (is_link)
        return 0;
    mode_t mode = o->chmod ? o->mode : (st->st_mode & 07777);
    if (fchmod(fd, mode) < 0)
        return hull_error(err, errno, "chmod `%s`", what);
    struct timespec times[2] = {st->st_atim, st->st_mtim};
    futimens(fd, times);
    return 0;
}

static int copy_entry(const struct copy_source_root *root, int sdir, const char *sname,
                      const char *rel, int ddir, const char *dname, const struct copy_options *o,
                      hull_err **err);

/* Every entry of directory `in` (rel: its path) into directory `out`, minus ignored ones. */
static int copy_children(const struct copy_source_root *root, int in, const char *rel, int out,
                         const struct copy_options *o, hull_err **err)
{
    DIR *d = NULL;
    if (fs_opendir_at(in, &d, err) < 0)
        return -1;
    struct dirent *de;
    int r = 0;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        cleanup_free char *child = NULL;
        if (asprintf(&child, "%s/%s", rel, de->d_name) < 0)
            abort();
        const char *crel = strncmp(child, "./", 2) == 0 ? child + 2 : child;
        if (excluded(root, crel))
            continue;
        r = copy_entry(root, in, de->d_name, crel, out, de->d_name, o, err);
    }
    closedir(d);
    return r;
}

/* Copy sdir/sname (rel: its path for the ignore rules) to ddir/dname; a directory merges. */
static int copy_entry(const struct copy_source_root *root, int sdir, const char *sname,
                      const char *rel, int ddir, const char *dname, const struct copy_options *o,
                      hull_err **err)
{
    struct stat st;
    if (fstatat(sdir, sname, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "stat `%s`", rel);
    struct stat dst;
    bool exists = fstatat(ddir, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(st.st_mode) && S_ISDIR(dst.st_mode))) {
        if (unlinkat(ddir, dname, S_ISDIR(dst.st_mode) ? AT_REMOVEDIR : 0) < 0) {
            cleanup_err hull_err *ignored = NULL;
            if (fs_remove_tree_at(ddir, dname, &ignored) < 0)
                return hull_error(err, errno, "replace `%s`", dname);
        }
        exists = false;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(sdir, sname, target, sizeof target - 1);
        if (n < 0)
            return hull_error(err, errno, "read link `%s`", rel);
        target[n] = '\0';
        if (symlinkat(target, ddir, dname) < 0)
            return hull_error(err, errno, "create symlink `%s`", dname);
        cleanup_close int fd = openat(ddir, dname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? hull_error(err, errno, "open `%s`", dname)
                      : apply_meta(fd, &st, o, true, dname, err);
    }
    if (S_ISREG(st.st_mode)) {
        cleanup_close int in = openat(sdir, sname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (in < 0)
            return hull_error(err, errno, "open `%s`", rel);
        cleanup_close int out =
            openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0)
            return hull_error(err, errno, "create `%s`", dname);
        if (fs_copy_data(in, out, rel, err) < 0)
            return -1;
        return apply_meta(out, &st, o, false, dname, err);
    }
    if (S_ISDIR(st.st_mode)) {
        if (!exists && mkdirat(ddir, dname, 0700) < 0)
            return hull_error(err, errno, "create directory `%s`", dname);
        cleanup_close int out =
            openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        cleanup_close int in = openat(sdir, sname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (out < 0 || in < 0)
            return hull_error(err, errno, "open directory `%s`", rel);
        if (copy_children(root, in, rel, out, o, err) < 0)
            return -1;
        return apply_meta(out, &st, o, false, dname, err);
    }
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        if (mknodat(ddir, dname, st.st_mode, st.st_rdev) < 0)
            return hull_error(err, errno, "create `%s`", dname);
        cleanup_close int fd = openat(ddir, dname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return hull_error(err, errno, "open `%s`", dname);
        uid_t uid = o->chown ? o->uid : 0;
        gid_t gid = o->chown ? o->gid : 0;
        fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
        return 0;
    }
    return 0; /* sockets are not copied */
}

/* A top-level source file (its symlinks already followed inside the root). */
static int copy_top_file(int in, const char *rel, int ddir, const char *dname,
                         const struct copy_options *o, hull_err **err)
{
    struct stat st, dst;
    if (fstat(in, &st) < 0)
        return hull_error(err, errno, "stat `%s`", rel);
    if (!S_ISREG(st.st_mode))
        return hull_error(err, 0, "`%s` is not a regular file or directory", rel);
    if (fstatat(ddir, dname, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
        cleanup_err hull_err *ignored = NULL;
        if (fs_remove_tree_at(ddir, dname, &ignored) < 0)
            return hull_error(err, errno, "replace `%s`", dname);
    }
    cleanup_close int out =
        openat(ddir, dname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0)
        return hull_error(err, errno, "create `%s`", dname);
    if (fs_copy_data(in, out, rel, err) < 0)
        return -1;
    return apply_meta(out, &st, o, false, dname, err);
}

/* A local tar archive (any compression libarchive knows)? */
static bool is_archive(int fd)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    bool yes = false;
    if (archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK) {
        struct archive_entry *e;
        yes = archive_read_next_header(a, &e) == ARCHIVE_OK;
    }
    archive_read_free(a);
    lseek(fd, 0, SEEK_SET);
    return yes;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int copy_sources_to(const struct copy_source_root *root, char *const *sources, int rootfs_fd,
                    const char *dest, const struct copy_options *opts, hull_err **err)
{
    size_t n = 0;
    while (sources[n])
        n++;
    size_t dlen = strlen(dest);
    bool dest_is_dir = n > 1 || (dlen > 0 && dest[dlen - 1] == '/');
    if (!dest_is_dir) {
        /* An existing directory also takes the source inside. */
        cleanup_err hull_err *ignored = NULL;
        int fd = container_root_open_dir(rootfs_fd, dest, &ignored);
        if (fd >= 0) {
            dest_is_dir = true;
            close(fd);
        }
    }
    for (size_t i = 0; i < n; i++) {
        cleanup_close int src = open_source(root, sources[i], O_PATH, err);
        if (src < 0)
            return -1;
        struct stat st;
        if (fstat(src, &st) < 0)
            return hull_error(err, errno, "stat `%s`", sources[i]);
        if (S_ISDIR(st.st_mode) || dest_is_dir) {
            /* A directory's contents go into dest; anything else into dest/NAME. */
            cleanup_close int ddir = container_root_make_dir(rootfs_fd, dest, err);
            if (ddir < 0)
                return hull_error_prefix(err, "destination `%s`", dest);
            cleanup_close int sdir = open_source(
                root, sources[i], S_ISDIR(st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY, err);
            if (sdir < 0)
                return -1;
            if (S_ISDIR(st.st_mode)) {
                /* copy_entry on "." would replace dest's own metadata: copy the children. */
                if (copy_children(root, sdir, sources[i], ddir, opts, err) < 0)
                    return -1;
                continue;
            }
            if (opts->extract && is_archive(sdir)) {
                if (layer_unpack_fd(sdir, ddir, 0, err) < 0)
                    return hull_error_prefix(err, "ADD `%s`", sources[i]);
                continue;
            }
            if (copy_top_file(sdir, sources[i], ddir, base_name(sources[i]), opts, err) < 0)
                return -1;
            continue;
        }
        /* One file to a file path: its parent made as needed. */
        cleanup_free char *parent = strdup(dest);
        char *slash = strrchr(parent, '/');
        const char *name = slash ? slash + 1 : parent;
        if (slash)
            *slash = '\0';
        cleanup_close int ddir =
            container_root_make_dir(rootfs_fd, slash && *parent ? parent : "/", err);
        if (ddir < 0)
            return hull_error_prefix(err, "destination `%s`", dest);
        cleanup_close int sfile = open_source(root, sources[i], O_RDONLY, err);
        if (sfile < 0)
            return -1;
        if (opts->extract && is_archive(sfile)) {
            return hull_error(err, 0,
                              "ADD `%s`: an archive is unpacked into a directory; "
                              "end the destination with /",
                              sources[i]);
        }
        if (copy_top_file(sfile, sources[i], ddir, name, opts, err) < 0)
            return -1;
    }
    return 0;
}
