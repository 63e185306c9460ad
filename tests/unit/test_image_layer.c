/* Unit tests for image/layer.c: whiteouts, hardlinks, and hostile entries that must never write
 * outside the destination. Tarballs are built in memory with libarchive. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image/layer.h"
#include "test_image_helpers.h"
#include "util/cleanup.h"
#include "util/fs.h"

struct entry {
    const char *path;
    mode_t mode; /* S_IFREG/S_IFDIR/S_IFLNK, 0 = hardlink */
    const char *data_or_target;
};

static int make_tar(const struct entry *entries, size_t n)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    CHECK(fd >= 0);
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    CHECK(archive_write_open_fd(a, fd) == ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, entries[i].path);
        const char *d = entries[i].data_or_target;
        if (entries[i].mode == 0) {
            archive_entry_set_hardlink(e, d);
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, 0);
        } else {
            archive_entry_set_mode(e, entries[i].mode);
            if (S_ISLNK(entries[i].mode))
                archive_entry_set_symlink(e, d);
            archive_entry_set_size(e, S_ISREG(entries[i].mode) && d ? (la_int64_t)strlen(d) : 0);
        }
        CHECK(archive_write_header(a, e) == ARCHIVE_OK);
        if (S_ISREG(entries[i].mode) && d)
            CHECK(archive_write_data(a, d, strlen(d)) == (la_ssize_t)strlen(d));
        archive_entry_free(e);
    }
    CHECK(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

static char base[] = "/tmp/hull-layer-test-XXXXXX";

static int fresh_dir(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", base, name);
    CHECK(mkdir(path, 0755) == 0);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(fd >= 0);
    return fd;
}

static int unpack(const char *name, const struct entry *e, size_t n, unsigned flags, char **msg)
{
    cleanup_close int tar = make_tar(e, n);
    cleanup_close int dir = fresh_dir(name);
    hull_err *err = NULL;
    int r = layer_unpack_fd(tar, dir, flags, &err);
    if (msg)
        *msg = err ? strdup(err->msg) : NULL;
    hull_err_free(err);
    return r;
}

static void test_features(void)
{
    const struct entry e[] = {
        {"./etc/", S_IFDIR | 0755, NULL},       {"etc/keep", S_IFREG | 0600, "keep\n"},
        {"etc/.wh.gone", S_IFREG | 0644, NULL}, {"dir/.wh..wh..opq", S_IFREG | 0644, NULL},
        {"dir/new", S_IFREG | 0644, "n"},       {"hard", 0, "etc/keep"},
        {"abs", S_IFLNK | 0777, "/etc/shadow"}, {"/rooted/file", S_IFREG | 0644, "r"},
    };
    CHECK(unpack("features", e, sizeof(e) / sizeof(e[0]), LAYER_OVERLAY_WHITEOUTS, NULL) == 0);
    char p[512];
    struct stat st, st2;
    snprintf(p, sizeof(p), "%s/features/etc/gone", base);
    CHECK(lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
    snprintf(p, sizeof(p), "%s/features/dir", base);
    char v[4] = {0};
    CHECK(getxattr(p, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
    snprintf(p, sizeof(p), "%s/features/etc/keep", base);
    CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
    snprintf(p, sizeof(p), "%s/features/hard", base);
    CHECK(stat(p, &st2) == 0 && st.st_ino == st2.st_ino);
    snprintf(p, sizeof(p), "%s/features/rooted/file", base);
    CHECK(access(p, F_OK) == 0);
    snprintf(p, sizeof(p), "%s/features/abs", base);
    char target[64] = {0};
    CHECK(readlink(p, target, sizeof(target) - 1) > 0 && strcmp(target, "/etc/shadow") == 0);
    /* Without whiteout conversion the markers are plain files. */
    const struct entry plain[] = {{"x/.wh.y", S_IFREG | 0644, "z"}};
    CHECK(unpack("plain", plain, 1, LAYER_PLAIN, NULL) == 0);
    snprintf(p, sizeof(p), "%s/plain/x/.wh.y", base);
    CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
}

static void expect_rejected(const char *name, const struct entry *e, size_t n, const char *why)
{
    char *msg = NULL;
    CHECK(unpack(name, e, n, LAYER_OVERLAY_WHITEOUTS, &msg) < 0);
    if (msg == NULL || strstr(msg, why) == NULL) {
        fprintf(stderr, "%s: unexpected error `%s`\n", name, msg ? msg : "(none)");
        exit(1);
    }
    free(msg);
    char outside[512];
    snprintf(outside, sizeof(outside), "%s/outside/pwned", base);
    CHECK(access(outside, F_OK) < 0 && errno == ENOENT);
}

static void test_hostile(void)
{
    char dotdot[512], sym[512];
    snprintf(dotdot, sizeof(dotdot), "../outside/pwned");
    snprintf(sym, sizeof(sym), "%s/outside", base);
    CHECK(mkdir(sym, 0755) == 0);
    const struct entry a[] = {{dotdot, S_IFREG | 0644, "x"}};
    expect_rejected("h1", a, 1, "escapes the layer root");
    const struct entry b[] = {{"ok/../../outside/pwned", S_IFREG | 0644, "x"}};
    expect_rejected("h2", b, 1, "escapes the layer root");
    const struct entry c[] = {{"link", S_IFLNK | 0777, sym}, {"link/pwned", S_IFREG | 0644, "x"}};
    expect_rejected("h3", c, 2, "goes through symlink");
    const struct entry d[] = {{"rel", S_IFLNK | 0777, "../outside"},
                              {"rel/pwned", S_IFREG | 0644, "x"}};
    expect_rejected("h4", d, 2, "goes through symlink");
    const struct entry e[] = {{"hard", 0, "../outside/pwned"}};
    expect_rejected("h5", e, 1, "escapes the layer root");
    const struct entry f[] = {{"x/.wh...", S_IFREG | 0644, NULL}};
    expect_rejected("h6", f, 1, "invalid whiteout");
    /* A symlink replaced by a file is replaced, not followed. */
    const struct entry g[] = {{"victim", S_IFLNK | 0777, "../outside/pwned"},
                              {"victim", S_IFREG | 0644, "safe"}};
    CHECK(unpack("h7", g, 2, LAYER_OVERLAY_WHITEOUTS, NULL) == 0);
    char outside[512];
    snprintf(outside, sizeof(outside), "%s/outside/pwned", base);
    CHECK(access(outside, F_OK) < 0);
}

static void test_garbage(void)
{
    int fd = memfd_create("garbage", MFD_CLOEXEC);
    CHECK(write(fd, "this is not a tarball at all, not even close", 44) == 44);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    cleanup_close int dir = fresh_dir("garbage");
    hull_err *err = NULL;
    CHECK(layer_unpack_fd(fd, dir, 0, &err) < 0 && err != NULL);
    hull_err_free(err);
    close(fd);
}

int main(void)
{
    CHECK(mkdtemp(base) != NULL);
    test_features();
    test_hostile();
    test_garbage();
    hull_err *err = NULL;
    fs_remove_tree(base, &err);
    hull_err_free(err);
    return 0;
}
