/* /dev population: mknod (or a bind of the host node inside a user namespace), symlinks. */
#include "linux/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/resolve.h"
#include "util/cleanup.h"

static const struct hull_device default_devices[] = {
    {.path = "/dev/null",
     .type = 'c',
     .major = 1,
     .minor = 3,
     .file_mode = 0666,
     .has_file_mode = true},
    {.path = "/dev/zero",
     .type = 'c',
     .major = 1,
     .minor = 5,
     .file_mode = 0666,
     .has_file_mode = true},
    {.path = "/dev/full",
     .type = 'c',
     .major = 1,
     .minor = 7,
     .file_mode = 0666,
     .has_file_mode = true},
    {.path = "/dev/random",
     .type = 'c',
     .major = 1,
     .minor = 8,
     .file_mode = 0666,
     .has_file_mode = true},
    {.path = "/dev/urandom",
     .type = 'c',
     .major = 1,
     .minor = 9,
     .file_mode = 0666,
     .has_file_mode = true},
    {.path = "/dev/tty",
     .type = 'c',
     .major = 5,
     .minor = 0,
     .file_mode = 0666,
     .has_file_mode = true},
};

static const struct {
    const char *name;
    const char *target;
} dev_symlinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};

static bool dev_is_bind_mounted(const struct hull_config *cfg)
{
    for (size_t i = 0; i < cfg->n_mounts; i++)
        if (cfg->mounts[i].bind && strcmp(cfg->mounts[i].destination, "/dev") == 0)
            return true;
    return false;
}

/* Whether /dev/NAME cannot exist yet: /dev is a tmpfs the runtime mounted fresh (the last mount
 * on "/dev" is one) and no mount after it has a destination under /dev/NAME. Then the node is
 * made without first removing what the image put there (runc's unlink). Anything else there
 * (/dev from the image, a bind or devtmpfs mount, a path spelt otherwise) keeps the unlink. */
static bool dev_fresh_for(const struct hull_config *cfg, const char *name)
{
    size_t last = cfg->n_mounts;
    for (size_t i = 0; i < cfg->n_mounts; i++)
        if (strcmp(cfg->mounts[i].destination, "/dev") == 0)
            last = i;
    if (last == cfg->n_mounts || cfg->mounts[last].bind || cfg->mounts[last].type == NULL ||
        strcmp(cfg->mounts[last].type, "tmpfs") != 0)
        return false;
    size_t n = strlen(name);
    for (size_t i = last + 1; i < cfg->n_mounts; i++) {
        const char *d = cfg->mounts[i].destination;
        if (strncmp(d, "/dev/", 5) != 0)
            continue;
        d += 5;
        /* Only plain /dev/x/y spellings are judged; any other one could be this node. */
        if (strstr(d, "//") || strstr(d, "/.") || *d == '.' || *d == '/' ||
            (strncmp(d, name, n) == 0 && (d[n] == '\0' || d[n] == '/')))
            return false;
    }
    return true;
}

static int split_parent(const char *path, char *parent, size_t size, const char **name)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash[1] == '\0')
        return -1;
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1;
    if (n >= size)
        return -1;
    memcpy(parent, path, n);
    parent[n] = '\0';
    *name = slash + 1;
    return 0;
}

/* A host node bound into a user namespace: nosuid and noexec (as runc), keeping the flags the
 * kernel locked on the host mount (a remount that drops them fails with EPERM). */
static int harden_device_bind(int rootfd, const char *path, hull_err **err)
{
    cleanup_close int target = resolve_in_root(rootfd, path, RESOLVE_EXISTING, err);
    if (target < 0)
        return -1;
    struct statvfs sv;
    if (fstatvfs(target, &sv) < 0)
        return hull_error(err, errno, "statvfs device `%s`", path);
    static const struct {
        unsigned long st, ms;
    } keep[] = {{ST_RDONLY, MS_RDONLY},     {ST_NODEV, MS_NODEV},
                {ST_NOATIME, MS_NOATIME},   {ST_NODIRATIME, MS_NODIRATIME},
                {ST_RELATIME, MS_RELATIME}, {ST_SYNCHRONOUS, MS_SYNCHRONOUS}};
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NOEXEC;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (sv.f_flag & keep[i].st)
            flags |= keep[i].ms;
    char tp[32];
    if (mount(NULL, fd_path(tp, target), NULL, flags, NULL) < 0)
        return hull_error(err, errno, "remount host device `%s` nosuid,noexec", path);
    return 0;
}

/* unlinkat of what may be at dirfd/name: 0 when it is gone or was never there (a directory
 * stays, and mknod then says so). */
static int unlink_node(int dirfd, const char *name)
{
    return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT && errno != EISDIR ? -1 : 0;
}

/* `devfd`: /dev resolved in the root once for every node in there (-1: resolve the parent
 * here). `fresh`: nothing can be at the path yet (dev_fresh_for). */
static int create_device(int rootfd, int devfd, const struct hull_device *d, bool fresh,
                         bool in_userns, hull_err **err)
{
    char parent[4096];
    const char *name;
    if (split_parent(d->path, parent, sizeof parent, &name) < 0)
        return hull_error(err, EINVAL, "device path `%s`", d->path);
    cleanup_close int own = -1;
    int dirfd = devfd;
    if (dirfd < 0 || strcmp(parent, "/dev") != 0) {
        own = resolve_in_root(rootfd, parent, RESOLVE_MKDIR, err);
        if (own < 0)
            return -1;
        dirfd = own;
    }
    mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
    mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
    dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);
    /* Replace whatever the image put there (runc does the same); where nothing can be there
     * (fresh), only if something is after all. */
    if (!fresh && unlink_node(dirfd, name) < 0)
        return hull_error(err, errno, "remove existing `%s`", d->path);
    if (!in_userns || type == S_IFIFO) {
        int rc = mknodat(dirfd, name, type | perm, dev);
        if (rc < 0 && errno == EEXIST && fresh) {
            if (unlink_node(dirfd, name) < 0)
                return hull_error(err, errno, "remove existing `%s`", d->path);
            rc = mknodat(dirfd, name, type | perm, dev);
        }
        if (rc < 0)
            return hull_error(err, errno, "mknod `%s`", d->path);
        /* mknod honours the umask; set the exact mode. */
        if (fchmodat(dirfd, name, perm, 0) < 0)
            return hull_error(err, errno, "chmod `%s`", d->path);
    } else {
        /* mknod is refused in a user namespace: bind the host's node onto an empty file. */
        int f = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0000);
        if (f < 0 && errno == EEXIST && fresh) {
            if (unlink_node(dirfd, name) < 0)
                return hull_error(err, errno, "remove existing `%s`", d->path);
            f = openat(dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0000);
        }
        if (f < 0)
            return hull_error(err, errno, "create `%s`", d->path);
        close(f);
        cleanup_close int target = resolve_in_root(rootfd, d->path, RESOLVE_EXISTING, err);
        if (target < 0)
            return -1;
        cleanup_close int host = open(d->path, O_PATH | O_CLOEXEC);
        if (host < 0 || bind_fd(host, target, false) < 0)
            return hull_error(err, errno, "bind mount host device `%s`", d->path);
        return harden_device_bind(rootfd, d->path, err);
    }
    uid_t uid = d->has_uid ? d->uid : 0;
    gid_t gid = d->has_gid ? d->gid : 0;
    if (fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return hull_error(err, errno, "chown `%s`", d->path);
    return 0;
}

int devices_setup(const struct hull_config *cfg, int rootfd, bool in_userns, hull_err **err)
{
    bool defaults = !dev_is_bind_mounted(cfg);
    cleanup_close int devfd = -1;
    if (defaults) {
        devfd = resolve_in_root(rootfd, "/dev", RESOLVE_MKDIR, err);
        if (devfd < 0)
            return hull_error_prefix(err, "default devices");
        for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++) {
            const struct hull_device *d = &default_devices[i];
            bool overridden = false;
            for (size_t k = 0; k < cfg->n_devices; k++)
                if (strcmp(cfg->devices[k].path, d->path) == 0)
                    overridden = true;
            if (!overridden && create_device(rootfd, devfd, d, dev_fresh_for(cfg, d->path + 5),
                                             in_userns, err) < 0)
                return hull_error_prefix(err, "default devices");
        }
    }
    for (size_t i = 0; i < cfg->n_devices; i++) {
        if (create_device(rootfd, devfd, &cfg->devices[i], false, in_userns, err) < 0)
            return hull_error_prefix(err, "linux.devices[%zu]", i);
    }
    if (!defaults)
        return 0;
    for (size_t i = 0; i < sizeof(dev_symlinks) / sizeof(dev_symlinks[0]); i++) {
        bool ptmx = strcmp(dev_symlinks[i].name, "ptmx") == 0;
        bool fresh = ptmx && dev_fresh_for(cfg, "ptmx");
        if (ptmx && !fresh)
            unlinkat(devfd, "ptmx", 0);
        int rc = symlinkat(dev_symlinks[i].target, devfd, dev_symlinks[i].name);
        if (rc < 0 && errno == EEXIST && fresh) {
            /* Something is there after all: replace it, as above. */
            unlinkat(devfd, "ptmx", 0);
            rc = symlinkat(dev_symlinks[i].target, devfd, dev_symlinks[i].name);
        }
        if (rc < 0 && errno != EEXIST)
            return hull_error(err, errno, "symlink /dev/%s", dev_symlinks[i].name);
    }
    if (access("/proc/kcore", F_OK) == 0 && symlinkat("/proc/kcore", devfd, "core") < 0 &&
        errno != EEXIST)
        return hull_error(err, errno, "symlink /dev/core");
    return 0;
}
