/* Unit tests for image/store.c, index, users and rootfs: verified atomic blobs, layer unpack
 * once, in-use records, overlay and vfs root filesystems. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "image/image.h"
#include "image/rootfs.h"
#include "image/store.h"
#include "image/users.h"
#include "check.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char base[] = "/tmp/hull-store-test-XXXXXX";

static size_t count_entries(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
    DIR *d = fdopendir(fd);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_blobs(image_store *s)
{
    hull_err *err = NULL;
    char digest[DIGEST_STR_LEN];
    CHECK(store_blob_put(s, "hello", 5, NULL, digest, &err) == 0);
    CHECK(store_blob_exists(s, digest));
    CHECK(store_blob_size(s, digest) == 5);
    /* A wrong expected digest is refused and leaves nothing. */
    size_t before = count_entries(s->blobs_fd);
    blob_writer *w = NULL;
    CHECK(blob_writer_begin(s, &w, &err) == 0);
    CHECK(blob_writer_write(w, "other", 5, &err) == 0);
    CHECK(blob_writer_commit(w, digest, -1, NULL, &err) < 0);
    CHECK(strstr(err->msg, "digest mismatch") != NULL);
    hull_err_freep(&err);
    CHECK(count_entries(s->blobs_fd) == before);
    CHECK(count_entries(s->tmp_fd) == 0);
    /* Size mismatch too. */
    CHECK(blob_writer_begin(s, &w, &err) == 0);
    CHECK(blob_writer_write(w, "hello", 5, &err) == 0);
    CHECK(blob_writer_commit(w, digest, 4, NULL, &err) < 0);
    hull_err_freep(&err);
    /* Corruption on disk is noticed when read back. */
    char *data = NULL;
    CHECK(store_blob_read(s, digest, &data, NULL, &err) == 0 && strcmp(data, "hello") == 0);
    free(data);
    int fd = openat(s->blobs_fd, digest_hex(digest), O_WRONLY);
    CHECK(fd >= 0 && write(fd, "j", 1) == 1);
    close(fd);
    CHECK(store_blob_read(s, digest, &data, NULL, &err) < 0);
    CHECK(strstr(err->msg, "corrupt") != NULL);
    hull_err_freep(&err);
    CHECK(store_blob_open(s, "sha256:../../etc/passwd", &err) < 0);
    hull_err_freep(&err);
}

static void test_users(image_store *s)
{
    const char *m = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    hull_err *err = NULL;
    CHECK(image_store_count_users(s, m) == 0);
    CHECK(image_store_add_user(s, m, "c1", &err) == 0);
    CHECK(image_store_add_user(s, m, "c2", &err) == 0);
    CHECK(image_store_count_users(s, m) == 2);
    CHECK(image_store_add_user(s, m, "../evil", &err) < 0);
    hull_err_freep(&err);
    CHECK(image_store_remove_user(s, m, "c1", &err) == 0);
    CHECK(image_store_remove_user(s, m, "c2", &err) == 0);
    CHECK(image_store_count_users(s, m) == 0);
    /* The empty directory stays for the image's next container, and leaves with the image. */
    CHECK(faccessat(s->users_fd, digest_hex(m), F_OK, 0) == 0);
    CHECK(image_store_add_user(s, m, "c3", &err) == 0);
    image_store_forget_users(s, m); /* refused while a user remains */
    CHECK(image_store_count_users(s, m) == 1);
    CHECK(image_store_remove_user(s, m, "c3", &err) == 0);
    image_store_forget_users(s, m);
    CHECK(faccessat(s->users_fd, digest_hex(m), F_OK, 0) < 0);
}

static void check_rootfs(const char *target)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof(p), "%s/bin/busybox", target);
    CHECK(stat(p, &st) == 0);
    snprintf(p, sizeof(p), "%s/written", target);
    CHECK(fs_write_file_atomic(p, "w", 1, 0644, NULL) == 0);
}

static void test_rootfs(image_store *s)
{
    hull_err *err = NULL;
    cleanup_image_info image_info *info = NULL;
    CHECK(image_lookup(s, "busybox", &info, &err) == 0);
    CHECK(info->n_layers == 1 && strstr(info->layer_dirs[0], "/layers/") != NULL);
    CHECK(info->config->cmd[0] && strcmp(info->config->cmd[0], "sh") == 0);
    const unsigned modes[] = {0, IMAGE_ROOTFS_FORCE_VFS};
    for (size_t i = 0; i < 2; i++) {
        char state[256], target[256];
        snprintf(state, sizeof(state), "%s/c%zu", base, i);
        snprintf(target, sizeof(target), "%s/c%zu/merged", base, i);
        if (image_rootfs_mount(info->layer_dirs, info->n_layers, state, target, modes[i], &err) <
            0) {
            fprintf(stderr, "rootfs mount: %s\n", err->msg);
            exit(1);
        }
        check_rootfs(target);
        CHECK(image_rootfs_unmount(state, target, &err) == 0);
        char p[512];
        snprintf(p, sizeof(p), "%s/upper", state);
        CHECK(access(p, F_OK) < 0);
        snprintf(p, sizeof(p), "%s/rootfs", state);
        CHECK(access(p, F_OK) < 0);
    }
    /* The layer itself was never written to. */
    char p[512];
    snprintf(p, sizeof(p), "%s/written", info->layer_dirs[0]);
    CHECK(access(p, F_OK) < 0);
}

int main(void)
{
    CHECK(mkdtemp(base) != NULL);
    hull_err *err = NULL;
    image_store *s = NULL;
    if (image_store_open(base, &s, &err) < 0) {
        fprintf(stderr, "%s\n", err->msg);
        return 1;
    }
    test_blobs(s);
    test_users(s);
    if (geteuid() == 0)
        test_rootfs(s);
    image_store_close(s);
    fs_remove_tree(base, &err);
    hull_err_free(err);
    return 0;
}
