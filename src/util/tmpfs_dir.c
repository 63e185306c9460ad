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

int tmpfs_dir_ready(const char *path, const char *opts, int *hold, hull_err **err)
{
    *hold = -1;
    if (tmpfs_dir_is_tmpfs(path))
        return 0;
    if (fs_mkdir_p(path, 0711, err) < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", path);
    /* One mounter at a time, and none while a process works on the directory below. Not
     * waiting for the exclusive lock: a holder of the shared one works on the disk (the
     * directory is not empty, nothing to mount), and it may be this very process (another
     * store it opened: waiting would never end). */
    int rc;
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
        ;
    if (rc == 0) {
        if (tmpfs_dir_is_tmpfs(path) ||
            (fs_dir_is_empty(fd) &&
             mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) == 0)) {
            close(fd);
            return 0;
        }
    }
    /* Working on the disk: shared, after a mounter that holds it exclusively is done. */
    while (flock(fd, LOCK_SH) < 0 && errno == EINTR)
        ;
    if (rc < 0 && tmpfs_dir_is_tmpfs(path)) {
        close(fd); /* that mounter mounted it */
        return 0;
    }
    *hold = fd;
    return 0;
}
