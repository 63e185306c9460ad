/* Merkle hashing of directory trees (see attest.h). */
#include "sandbox/attest.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static void node_hash(const char *text, size_t len, char hex[65])
{
    char d[DIGEST_STR_LEN];
    digest_of_buffer(text, len, d);
    memcpy(hex, digest_hex(d), 65);
}

static int hash_dir(int dirfd, const char *prefix, json_t *files, long long uid, char hex[65],
                    hull_err **err);

static int hash_entry(int dirfd, const char *name, const char *rel, json_t *files, long long uid,
                      char hex[65], bool *is_dir, hull_err **err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "stat `%s`", rel);
    if (uid >= 0 && fchownat(dirfd, name, (uid_t)uid, (gid_t)uid, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "chown `%s`", rel);
    *is_dir = false;
    char buf[256];
    if (S_ISDIR(st.st_mode)) {
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return hull_error(err, errno, "open `%s`", rel);
        *is_dir = true;
        return hash_dir(fd, rel, files, uid, hex, err);
    } else if (S_ISREG(st.st_mode)) {
        cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            return hull_error(err, errno, "open `%s`", rel);
        char d[DIGEST_STR_LEN];
        off_t size;
        if (digest_of_fd(fd, d, &size, err) < 0)
            return hull_error_prefix(err, "hash `%s`", rel);
        int n =
            snprintf(buf, sizeof buf, "F %04o %s", (unsigned)(st.st_mode & 07777), digest_hex(d));
        node_hash(buf, (size_t)n, hex);
    } else if (S_ISLNK(st.st_mode)) {
        char target[4096 + 2] = "L ";
        ssize_t n = readlinkat(dirfd, name, target + 2, sizeof target - 3);
        if (n < 0)
            return hull_error(err, errno, "readlink `%s`", rel);
        node_hash(target, (size_t)n + 2, hex);
    } else {
        int n = snprintf(buf, sizeof buf, "O %o", (unsigned)st.st_mode);
        node_hash(buf, (size_t)n, hex);
    }
    if (files)
        json_object_set_new(files, rel, json_string(hex));
    return 0;
}

static int hash_dir(int dirfd, const char *prefix, json_t *files, long long uid, char hex[65],
                    hull_err **err)
{
    struct stat st;
    if (fstat(dirfd, &st) < 0)
        return hull_error(err, errno, "stat `%s`", *prefix ? prefix : ".");
    char **names = NULL;
    size_t n = 0;
    if (fs_dir_names_sorted(dirfd, &names, &n, err) < 0)
        return hull_error_prefix(err, "`%s`", *prefix ? prefix : ".");
    digest_ctx *ctx = digest_new();
    char head[32];
    int hl = snprintf(head, sizeof head, "D %04o\n", (unsigned)(st.st_mode & 07777));
    digest_update(ctx, head, (size_t)hl);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        cleanup_free char *rel = NULL;
        if (asprintf(&rel, "%s%s%s", prefix, *prefix ? "/" : "", names[i]) < 0)
            abort();
        char child[65];
        bool is_dir;
        if (rc == 0 && hash_entry(dirfd, names[i], rel, files, uid, child, &is_dir, err) < 0)
            rc = -1;
        if (rc == 0) {
            digest_update(ctx, names[i], strlen(names[i]) + 1);
            digest_update(ctx, child, 64);
            digest_update(ctx, "\n", 1);
        }
        free(names[i]);
    }
    free(names);
    char d_out[DIGEST_STR_LEN];
    digest_final(ctx, d_out);
    digest_free(ctx);
    if (rc == 0)
        memcpy(hex, digest_hex(d_out), 65);
    return rc;
}

int sandbox_tree_hash(int dirfd, json_t *files, long long chown_uid, char out[DIGEST_STR_LEN],
                      hull_err **err)
{
    char hex[65];
    if (chown_uid >= 0 && fchown(dirfd, (uid_t)chown_uid, (gid_t)chown_uid) < 0)
        return hull_error(err, errno, "chown the workspace");
    if (hash_dir(dirfd, "", files, chown_uid, hex, err) < 0)
        return -1;
    snprintf(out, DIGEST_STR_LEN, "sha256:%s", hex);
    return 0;
}

void sandbox_json_hash(const json_t *v, char out[DIGEST_STR_LEN])
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    digest_of_buffer(text ? text : "", text ? strlen(text) : 0, out);
    free(text);
}
