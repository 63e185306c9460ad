/* fs_copy_tree_at / fs_copy_dir_contents on a real tree in a temporary directory: modes,
 * owners, times, links, special files, replacement rules and overlay whiteouts. Owners and the
 * overlay xattr need root; without it those checks are left out (and said so). */
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

#include "check.h"
#include "util/fs.h"
#include "util/fs_copy.h"

static char base[] = "/tmp/hull-test-fs-copy-XXXXXX";
static bool root;

static void put(int dirfd, const char *name, const char *text, mode_t mode)
{
    int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    CHECK(fs_write_all(fd, text, strlen(text)) == 0);
    CHECK(fchmod(fd, mode) == 0);
    close(fd);
}

static char *get(int dirfd, const char *name)
{
    static char buf[256];
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static int opendir_at(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    return fd;
}

static void test_tree_copy(int b)
{
    CHECK(mkdirat(b, "src", 0755) == 0);
    int src = opendir_at(b, "src");
    put(src, "file", "data", 04750);
    CHECK(mkdirat(src, "sub", 0755) == 0);
    int sub = opendir_at(src, "sub");
    put(sub, "inner", "inner data", 0640);
    CHECK(symlinkat("/etc/passwd", sub, "abs-link") == 0);
    CHECK(mkfifoat(sub, "fifo", 0600) == 0);
    struct timespec old[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    CHECK(utimensat(sub, "inner", old, 0) == 0);
    if (root)
        CHECK(fchownat(sub, "inner", 1234, 5678, 0) == 0);
    /* A read-only directory is still filled, then gets its mode. */
    CHECK(fchmodat(src, "sub", 0555, 0) == 0);

    CHECK(mkdirat(b, "dst", 0755) == 0);
    int dst = opendir_at(b, "dst");
    hull_err *err = NULL;
    CHECK(fs_copy_tree_at(b, "src", dst, "copy", FS_COPY_OWNER | FS_COPY_TIMES, &err) == 0);
    int copy = opendir_at(dst, "copy");
    struct stat st;
    CHECK(fstatat(copy, "file", &st, 0) == 0 && (st.st_mode & 07777) == 04750);
    CHECK(strcmp(get(copy, "file"), "data") == 0);
    CHECK(fstatat(copy, "sub", &st, 0) == 0 && (st.st_mode & 07777) == 0555);
    CHECK(fstatat(copy, "sub/inner", &st, 0) == 0 && st.st_mtim.tv_sec == 1000000000);
    if (root)
        CHECK(st.st_uid == 1234 && st.st_gid == 5678);
    char target[64] = "";
    CHECK(readlinkat(copy, "sub/abs-link", target, sizeof target - 1) > 0);
    CHECK(strcmp(target, "/etc/passwd") == 0); /* copied as a link, not followed */
    CHECK(fstatat(copy, "sub/fifo", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode));

    /* Without FS_COPY_OWNER the copy belongs to us; without TIMES its mtime is now. */
    CHECK(fs_copy_tree_at(src, "sub", dst, "plain", 0, &err) == 0);
    CHECK(fstatat(dst, "plain/inner", &st, 0) == 0);
    CHECK(st.st_uid == geteuid() && st.st_mtim.tv_sec > 1000000000);

    /* Replacement: a symlink in the way of a file is replaced, never written through; a file
     * in the way of a directory is replaced; directories merge. */
    put(b, "victim", "untouched", 0644);
    CHECK(symlinkat("../victim", dst, "file-target") == 0);
    CHECK(fs_copy_tree_at(src, "file", dst, "file-target", 0, &err) == 0);
    CHECK(strcmp(get(b, "victim"), "untouched") == 0);
    CHECK(fstatat(dst, "file-target", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode));
    put(dst, "was-file", "x", 0644);
    CHECK(fs_copy_tree_at(src, "sub", dst, "was-file", 0, &err) == 0);
    CHECK(fstatat(dst, "was-file", &st, 0) == 0 && S_ISDIR(st.st_mode));
    CHECK(mkdirat(dst, "merge", 0755) == 0);
    put(opendir_at(dst, "merge"), "kept", "kept", 0644);
    CHECK(fs_copy_tree_at(src, "sub", dst, "merge", 0, &err) == 0);
    int merge = opendir_at(dst, "merge");
    CHECK(get(merge, "kept") && get(merge, "inner"));
    CHECK(fchmodat(src, "sub", 0755, 0) == 0);
    CHECK(fchmodat(copy, "sub", 0755, 0) == 0);
    close(merge);
    close(copy);
    close(dst);
    close(sub);
    close(src);
}

static void test_overlay_layers(int b)
{
    if (!root) {
        fprintf(stderr, "not root: overlay whiteouts (device nodes, trusted xattrs) left out\n");
        return;
    }
    CHECK(mkdirat(b, "lower", 0755) == 0 && mkdirat(b, "upper", 0755) == 0 &&
          mkdirat(b, "flat", 0755) == 0);
    int lower = opendir_at(b, "lower"), upper = opendir_at(b, "upper");
    put(lower, "gone", "deleted by the upper layer", 0644);
    CHECK(mkdirat(lower, "opaque", 0755) == 0 && mkdirat(lower, "merged", 0755) == 0);
    put(opendir_at(lower, "opaque"), "hidden", "x", 0644);
    put(opendir_at(lower, "merged"), "from-lower", "x", 0644);
    CHECK(mknodat(upper, "gone", S_IFCHR | 0000, makedev(0, 0)) == 0);
    CHECK(mkdirat(upper, "opaque", 0755) == 0 && mkdirat(upper, "merged", 0755) == 0);
    int op = opendir_at(upper, "opaque");
    CHECK(fsetxattr(op, "trusted.overlay.opaque", "y", 1, 0) == 0);
    put(op, "visible", "x", 0644);
    put(opendir_at(upper, "merged"), "from-upper", "x", 0644);
    int flat = opendir_at(b, "flat");
    hull_err *err = NULL;
    unsigned f = FS_COPY_OWNER | FS_COPY_TIMES | FS_COPY_OVERLAY;
    CHECK(fs_copy_dir_contents(lower, flat, f, &err) == 0);
    CHECK(fs_copy_dir_contents(upper, flat, f, &err) == 0);
    CHECK(faccessat(flat, "gone", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
    CHECK(faccessat(flat, "opaque/hidden", F_OK, 0) < 0);
    CHECK(faccessat(flat, "opaque/visible", F_OK, 0) == 0);
    CHECK(faccessat(flat, "merged/from-lower", F_OK, 0) == 0);
    CHECK(faccessat(flat, "merged/from-upper", F_OK, 0) == 0);
    close(op);
    close(flat);
    close(upper);
    close(lower);
}

/* fs_mkdir_p: the whole path at once when the parent exists, component by component when not,
 * an existing path is fine, a file in the way is not; fs_remove_tree: files, symlinks (not
 * followed), fifos and nested directories. */
static void test_mkdir_p_and_remove_tree(void)
{
    hull_err *err = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/mk/a/b/c", base);
    CHECK(fs_mkdir_p(path, 0755, &err) == 0);
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(fs_mkdir_p(path, 0755, &err) == 0); /* exists */
    snprintf(path, sizeof path, "%s/mk/a/b/d", base);
    CHECK(fs_mkdir_p(path, 0755, &err) == 0); /* parent exists */
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    snprintf(path, sizeof path, "%s/mk/file", base);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    close(fd);
    snprintf(path, sizeof path, "%s/mk/file/x/y", base);
    CHECK(fs_mkdir_p(path, 0755, &err) < 0 && err != NULL);
    hull_err_freep(&err);
    CHECK(fs_mkdir_p("", 0755, &err) < 0 && err != NULL);
    hull_err_freep(&err);

    char target[4096], link[4096], fifo[4096];
    snprintf(target, sizeof target, "%s/keep", base);
    CHECK(mkdir(target, 0755) == 0);
    snprintf(link, sizeof link, "%s/mk/a/link", base);
    CHECK(symlink(target, link) == 0);
    snprintf(fifo, sizeof fifo, "%s/mk/a/b/fifo", base);
    CHECK(mkfifo(fifo, 0600) == 0);
    snprintf(path, sizeof path, "%s/mk", base);
    CHECK(fs_remove_tree(path, &err) == 0);
    CHECK(lstat(path, &st) < 0 && errno == ENOENT);
    CHECK(stat(target, &st) == 0 && S_ISDIR(st.st_mode)); /* the link's target stays */
    CHECK(fs_remove_tree(path, &err) == 0);               /* already gone */
    CHECK(rmdir(target) == 0);
}

int main(void)
{
    root = geteuid() == 0;
    CHECK(mkdtemp(base) != NULL);
    int b = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(b >= 0);
    test_tree_copy(b);
    test_overlay_layers(b);
    test_mkdir_p_and_remove_tree();
    close(b);
    hull_err *err = NULL;
    CHECK(fs_remove_tree(base, &err) == 0);
    return 0;
}
