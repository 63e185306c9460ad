/* Image users: one empty file per container under users/<manifest hex>/. */
#include "image/users.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "image/index.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int valid_container_id(const char *id)
{
    if (id == NULL || *id == '\0' || *id == '.' || strlen(id) > 255)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return 0;
    return 1;
}

static int check_args(const char *manifest_digest, const char *container_id, hull_err **err)
{
    if (digest_check(manifest_digest, err) < 0)
        return -1;
    if (!valid_container_id(container_id))
        return hull_error(err, 0, "invalid container id `%s`", container_id ? container_id : "");
    return 0;
}

int image_store_add_user(image_store *s, const char *manifest_digest, const char *container_id,
                         hull_err **err)
{
    if (check_args(manifest_digest, container_id, err) < 0)
        return -1;
    /* Under the index lock, so `rmi` never sees the image unused while a container is created. */
    cleanup_close int lock = -1;
    if (index_lock(s, &lock, err) < 0)
        return -1;
    const char *hex = digest_hex(manifest_digest);
    if (mkdirat(s->users_fd, hex, 0700) < 0 && errno != EEXIST)
        return hull_error(err, errno, "record user of image %s", manifest_digest);
    cleanup_close int dfd =
        openat(s->users_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return hull_error(err, errno, "record user of image %s", manifest_digest);
    cleanup_close int fd =
        openat(dfd, container_id, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return hull_error(err, errno, "record container `%s` as user of image %s", container_id,
                          manifest_digest);
    /* Not fsync'ed (it cost 1-4 ms of every `hull run`): what must hold after a crash is that a
     * container record never outlives its entry here, and the entry is made before the record
     * that names the image. Both are metadata operations, which journaling file systems (ext4,
     * XFS, btrfs) commit in the order they were made; the record is not fsync'ed either. */
    return 0;
}

int image_store_remove_user(image_store *s, const char *manifest_digest, const char *container_id,
                            hull_err **err)
{
    if (check_args(manifest_digest, container_id, err) < 0)
        return -1;
    cleanup_close int lock = -1;
    if (index_lock(s, &lock, err) < 0)
        return -1;
    const char *hex = digest_hex(manifest_digest);
    cleanup_close int dfd =
        openat(s->users_fd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0
                               : hull_error(err, errno, "open users of image %s", manifest_digest);
    if (unlinkat(dfd, container_id, 0) < 0 && errno != ENOENT)
        return hull_error(err, errno, "remove container `%s` from users of image %s", container_id,
                          manifest_digest);
    /* The directory stays for the image's next container (image_store_forget_users removes it
     * with the image): on a file system where a new inode is dear (ext4 without a journal
     * searches past every recently deleted one) that was a mkdir and an rmdir per `run --rm`. */
    return 0;
}

int image_store_remove_user_any(image_store *s, const char *container_id, hull_err **err)
{
    if (!valid_container_id(container_id))
        return hull_error(err, 0, "invalid container id `%s`", container_id ? container_id : "");
    cleanup_close int lock = -1;
    if (index_lock(s, &lock, err) < 0)
        return -1;
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->users_fd, &d, err) < 0)
        return hull_error_prefix(err, "open image users");
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        cleanup_close int ufd =
            openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ufd >= 0 && unlinkat(ufd, container_id, 0) < 0 && errno != ENOENT)
            return hull_error(err, errno, "remove container `%s` from users of image %s",
                              container_id, de->d_name);
    }
    return 0;
}

void image_store_forget_users(image_store *s, const char *manifest_digest)
{
    if (digest_is_valid(manifest_digest))
        unlinkat(s->users_fd, digest_hex(manifest_digest), AT_REMOVEDIR);
}

int image_store_count_users(image_store *s, const char *manifest_digest)
{
    if (!digest_is_valid(manifest_digest))
        return 0;
    int dfd = openat(s->users_fd, digest_hex(manifest_digest),
                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    cleanup_dir DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return 0;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            n++;
    return n;
}
