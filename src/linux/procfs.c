/* Verified /proc writes. */
#include "linux/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

static bool is_procfs(int fd)
{
    struct statfs sf;
    return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

int procfs_open(const char *subpath, int flags, hull_err **err)
{
    cleanup_close int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (proc < 0)
        return hull_error(err, errno, "open /proc");
    if (!is_procfs(proc))
        return hull_error(err, EPERM, "/proc is not a procfs mount");
    struct open_how how = {
        .flags = (unsigned long long)(flags | O_CLOEXEC | O_NOCTTY),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd;
    do
        fd = (int)syscall(SYS_openat2, proc, subpath, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    if (fd < 0) {
        if (errno == EXDEV || errno == ELOOP)
            return hull_error(err, errno,
                              "/proc/%s is covered by a mount or reached through a link; refusing "
                              "to write through it",
                              subpath);
        return hull_error(err, errno, "open /proc/%s", subpath);
    }
    if (!is_procfs(fd)) {
        close(fd);
        return hull_error(err, EPERM, "/proc/%s is not on procfs", subpath);
    }
    return fd;
}

int procfs_write(const char *subpath, const char *value, hull_err **err)
{
    cleanup_close int fd = procfs_open(subpath, O_WRONLY, err);
    if (fd < 0)
        return -1;
    if (fs_write_all(fd, value, strlen(value)) < 0)
        return hull_error(err, errno, "write `%s` to /proc/%s", value, subpath);
    return 0;
}
