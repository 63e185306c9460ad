/* Re-execution of the runtime from an unwritable copy of itself (CVE-2019-5736). */
#include "linux/exe_protect.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

extern char **environ;

static bool fd_is_protected(int fd)
{
    int seals = fcntl(fd, F_GET_SEALS);
    if (seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL))
        return true;
    struct statvfs sv;
    return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_RDONLY);
}

char *runtime_binary_path(hull_err **err)
{
    const char *env = getenv("HULL_EXE");
    if (env && *env == '/' && runtime_binary_is_protected())
        return strdup(env);
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) {
        hull_error(err, errno, "find the path of this program");
        return NULL;
    }
    buf[n] = '\0';
    return strdup(buf);
}

char *runtime_binary_dir(hull_err **err)
{
    char *path = runtime_binary_path(err);
    char *slash = path ? strrchr(path, '/') : NULL;
    if (slash)
        *slash = '\0';
    return path;
}

bool runtime_binary_is_protected(void)
{
    cleanup_close int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    return fd >= 0 && fd_is_protected(fd);
}

/* A detached, read-only bind mount of our own binary: needs CAP_SYS_ADMIN. */
static int readonly_clone(void)
{
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, "/proc/self/exe",
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (tree < 0)
        return -1;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
        int e = errno;
        close(tree);
        errno = e;
        return -1;
    }
    return tree;
}

/* A sealed memfd copy: works for unprivileged users, costs a copy of the binary. */
static int sealed_copy(void)
{
    cleanup_close int src = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (src < 0)
        return -1;
    int mfd = memfd_create("hull-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
    if (mfd < 0 && errno == EINVAL)
        mfd = memfd_create("hull-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (mfd < 0)
        return -1;
    struct stat st;
    off_t off = 0;
    if (fstat(src, &st) < 0)
        goto fail;
    while (off < st.st_size) {
        ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto fail;
    }
    if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        goto fail;
    return mfd;
fail:;
    int e = errno ? errno : EIO;
    close(mfd);
    errno = e;
    return -1;
}

static char **read_cmdline(void)
{
    cleanup_free char *buf = NULL;
    size_t len = 0;
    hull_err *e = NULL;
    if (fs_read_file("/proc/self/cmdline", 1 << 20, &buf, &len, &e) < 0) {
        hull_err_free(e);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += buf[i] == '\0';
    char **argv = calloc(n + 1, sizeof(char *));
    if (argv == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len && k < n; i += strlen(buf + i) + 1)
        argv[k++] = strdup(buf + i);
    return argv;
}

int runtime_binary_protect(hull_err **err)
{
    if (runtime_binary_is_protected())
        return 0;
    cleanup_strv char **argv = read_cmdline();
    if (argv == NULL || argv[0] == NULL)
        return hull_error(err, errno ? errno : ENOMEM, "protect the runtime binary: read argv");
    int fd = readonly_clone();
    const char *how = "read-only bind mount";
    if (fd < 0) {
        fd = sealed_copy();
        how = "sealed memfd";
    }
    if (fd < 0)
        return hull_error(err, errno,
                          "protect the runtime binary (CVE-2019-5736): neither a read-only mount "
                          "nor a sealed copy of it can be made");
    syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
    int e = errno;
    close(fd);
    return hull_error(err, e, "protect the runtime binary: re-execute from a %s", how);
}
