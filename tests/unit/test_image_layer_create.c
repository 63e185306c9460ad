/* Unit test of layers made from overlay upper directories (src/image/layer_create.c): entries
 * in name order, whiteouts and opaque directories in OCI form, skipped empty mount points,
 * hard links, the same digest for the same tree, and the adopted directory as the layer.
 * Needs root (mknod of the 0:0 whiteout device, trusted.* xattrs). */
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

#include "check.h"
#include "image/layer_create.h"
#include "util/cleanup.h"
#include "util/fs.h"

static void make_tree(const char *dir)
{
    char p[1024];
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(p, sizeof p, "%s/b.txt", dir);
    CHECK(fs_write_file_atomic(p, "bee\n", 4, 0644, NULL) == 0);
    snprintf(p, sizeof p, "%s/a.txt", dir);
    CHECK(fs_write_file_atomic(p, "a\n", 2, 0600, NULL) == 0);
    char l[1024];
    snprintf(l, sizeof l, "%s/a-link", dir);
    CHECK(link(p, l) == 0);
    snprintf(p, sizeof p, "%s/gone", dir);
    CHECK(mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0);
    snprintf(p, sizeof p, "%s/opaque", dir);
    CHECK(mkdir(p, 0755) == 0);
    CHECK(setxattr(p, "trusted.overlay.opaque", "y", 1, 0) == 0);
    snprintf(p, sizeof p, "%s/etc", dir);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/etc/hosts", dir);
    CHECK(fs_write_file_atomic(p, "", 0, 0644, NULL) == 0);
    snprintf(p, sizeof p, "%s/sym", dir);
    CHECK(symlink("/target", p) == 0);
    utimensat(AT_FDCWD, dir, NULL, 0);
}

static char *entries(image_store *s, const char *digest)
{
    cleanup_close int fd = store_blob_open(s, digest, NULL);
    CHECK(fd >= 0);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    CHECK(archive_read_open_fd(a, fd, 1 << 16) == ARCHIVE_OK);
    char *out = calloc(1, 4096);
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        strcat(out, archive_entry_pathname(e));
        if (archive_entry_hardlink(e))
            strcat(out, "=>"), strcat(out, archive_entry_hardlink(e));
        strcat(out, " ");
    }
    archive_read_free(a);
    return out;
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "test_image_layer_create needs root\n");
        return 77;
    }
    char base[] = "/tmp/hull-layer-create-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    char root[600], tree[600];
    snprintf(root, sizeof root, "%s/root", base);
    snprintf(tree, sizeof tree, "%s/tree", base);
    image_store *s = NULL;
    CHECK(image_store_open(root, &s, NULL) == 0);
    make_tree(tree);
    static const char *const skip[] = {"etc/hosts", NULL};
    struct layer_create_options lo = {.skip_empty = skip};
    char d1[DIGEST_STR_LEN], d2[DIGEST_STR_LEN];
    int64_t size = 0;
    cleanup_close int fd = open(tree, O_RDONLY | O_DIRECTORY);
    CHECK(layer_create_from_dir(s, fd, &lo, d1, &size, NULL) == 0 && size > 0);
    CHECK(layer_create_from_dir(s, fd, &lo, d2, &size, NULL) == 0);
    CHECK(strcmp(d1, d2) == 0);
    cleanup_free char *names = entries(s, d1);
    CHECK(strcmp(names, "a-link a.txt=>a-link b.txt etc/ .wh.gone opaque/ opaque/.wh..wh..opq "
                        "sym ") == 0 ||
          (fprintf(stderr, "entries: %s\n", names), 0));
    /* The tree becomes the layer's unpacked form (the skipped file removed first). */
    layer_remove_empty(fd, skip);
    int parent = open(base, O_RDONLY | O_DIRECTORY);
    CHECK(layer_adopt_dir(s, parent, "tree", d1, NULL) == 0);
    CHECK(store_layer_exists(s, d1));
    CHECK(access(tree, F_OK) < 0);
    close(parent);
    image_store_close(s);
    fs_remove_tree(base, NULL);
    return 0;
}
