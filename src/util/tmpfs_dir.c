/* Run directories on a tmpfs (tmpfs_dir.h). */
#include "util/tmpfs_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "util/fs.h"

bool tmpfs_dir_is_tmpfs(const char *path)
{
    struct statfs sf;
    return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == TMPFS_MAGIC;
}

/* The directories this process works on from the disk, each with its shared lock held. */
#define HELD_MAX 4
static struct {
    const char *path; /* the caller's (a constant or a string that outlives the process) */
    int fd;
} held[HELD_MAX];

static bool is_held(const char *path)
{
    for (int i = 0; i < HELD_MAX; i++)
        if (held[i].path && strcmp(held[i].path, path) == 0)
            return true;
    return false;
}

int tmpfs_dir_ready(const char *path, const char *opts, hull_err **err)
{
    if (is_held(path) || tmpfs_dir_is_tmpfs(path))
        return 0;
    if (fs_mkdir_p(path, 0711, err) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", path);
    /* One mounter at a time, and none while a process works on the directory below. */
    while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
        ;
    if (tmpfs_dir_is_tmpfs(path) ||
        (fs_dir_is_empty(fd) &&
         mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) == 0)) {
        close(fd);
        return 0;
    }
    while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < HELD_MAX; i++) {
        if (held[i].path == NULL) {
            held[i].path = path;
            held[i].fd = fd;
            return 0;
        }
    }
    return 0; /* more run directories than slots: fd stays open (and locked) to the end */
}
