/* Verified /proc writes. */
#include "linux/procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

unsigned long long proc_start_time(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char buf[1024];
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    /* comm may contain spaces and parentheses: parse after the last ')'. */
    char *p = strrchr(buf, ')');
    if (p == NULL || p[1] == '\0')
        return 0;
    p += 2;
    char state = *p;
    if (state == 'Z' || state == 'X')
        return 0;
    /* Field 3 is the state; field 22 is starttime: skip 19 more fields. */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (p == NULL)
            return 0;
        p++;
    }
    return strtoull(p, NULL, 10);
}

void proc_terminate(pid_t pid, int grace_ms)
{
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    kill(pid, SIGTERM);
    if (pidfd < 0)
        return;
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    if (poll(&pfd, 1, grace_ms) == 0) {
        kill(pid, SIGKILL);
        poll(&pfd, 1, grace_ms);
    }
    close(pidfd);
}
