/* Directories inside a root filesystem, resolved and made within it. */
#include "container/root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "linux/resolve.h"

int container_root_open_dir(int rootfd, const char *path, hull_err **err)
{
    return resolve_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY, false, err);
}

int container_root_make_dir(int rootfd, const char *path, hull_err **err)
{
    int pfd = resolve_in_root(rootfd, path, RESOLVE_MKDIR, err);
    if (pfd < 0)
        return -1;
    /* resolve_in_root gives an O_PATH fd: reopen it as a directory to write into. */
    int fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    close(pfd);
    if (fd < 0)
        return hull_error(err, saved, "open `%s` inside the container", path);
    return fd;
}
