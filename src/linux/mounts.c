/* Mount setup inside the container's mount namespace. Targets are opened with
 * resolve_in_root() and mounted through that fd (mount_on_fd: "." after fchdir there, or
 * /proc/self/fd/N; bind_fd: open_tree + move_mount), so the kernel mounts on the exact inode
 * that was resolved inside the rootfs, never on a path re-walked through symlinks. */
#include "linux/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/cgroup/cgroup.h"
#include "linux/lsm.h"
#include "linux/resolve.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* Mount flags the kernel locks on bind mounts made in a less privileged user namespace; a
 * remount must repeat them. */
static unsigned long locked_of(const struct statvfs *sv)
{
    unsigned long f = 0;
    if (sv->f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv->f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv->f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv->f_flag & ST_RDONLY)
        f |= MS_RDONLY;
    if (sv->f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv->f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv->f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    return statvfs(path, &sv) < 0 ? 0 : locked_of(&sv);
}

static unsigned long locked_flags_fd(int fd)
{
    struct statvfs sv;
    return fstatvfs(fd, &sv) < 0 ? 0 : locked_of(&sv);
}

/* `cwd`: the working directory for mount_on_fd (linux/resolve.h) to come back to. */
static int remount_bind(int cwd, int fd, unsigned long flags, hull_err **err)
{
    unsigned long f = MS_BIND | MS_REMOUNT | flags;
    if (mount_on_fd(cwd, NULL, fd, NULL, f, NULL) == 0)
        return 0;
    if (errno == EPERM) {
        /* Repeat the locked flags (e.g. nosuid,nodev of a user-namespace bind). */
        unsigned long locked = locked_flags_fd(fd) & ~MS_RDONLY;
        if (mount_on_fd(cwd, NULL, fd, NULL, f | locked, NULL) == 0)
            return 0;
    }
    char p[32];
    return hull_error(err, errno, "remount `%s`", fd_path(p, fd));
}

int mounts_prepare_rootfs(const struct hull_config *cfg, hull_err **err)
{
    unsigned long prop = cfg->rootfs_propagation ? cfg->rootfs_propagation : MS_SLAVE | MS_REC;
    /* A shared "/" would leak container mounts to the host; start from rslave (or private) and
     * apply a requested shared propagation to the new root only at the end. */
    unsigned long initial = (prop & MS_SHARED) ? (MS_SLAVE | MS_REC) : prop;
    if (mount(NULL, "/", NULL, initial | MS_REC, NULL) < 0)
        return hull_error(err, errno, "set propagation of `/`");
    if (mount(cfg->root_path, cfg->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
        return hull_error(err, errno, "bind mount the rootfs `%s`", cfg->root_path);
    /* pivot_root (and the MS_MOVE of no_pivot) refuses a new root whose parent mount is shared.
     * No mount below "/" is shared any more: the recursive rslave, rprivate or runbindable above
     * took every one out of its peer group, and the rootfs bind is a clone of a mount that is
     * not shared either. (Making the nearest mount point above the rootfs private, as was done
     * here, found it by trial mounts on each parent directory.) */
    int fd = open(cfg->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open rootfs `%s`", cfg->root_path);
    return fd;
}

static bool is_dir_path(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int apply_attrs(int fd, const struct hull_mount *m, hull_err **err)
{
    if (m->attr_set == 0 && m->attr_clr == 0)
        return 0;
    struct mount_attr attr = {.attr_set = m->attr_set, .attr_clr = m->attr_clr};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
        return hull_error(err, errno, "set recursive mount attributes on `%s`", m->destination);
    return 0;
}

/* Re-resolve the destination after mounting, so that the fd refers to the new mount's root. */
static int reopen_target(int rootfd, const struct hull_mount *m, hull_err **err)
{
    return resolve_in_root(rootfd, m->destination, RESOLVE_EXISTING, err);
}

static int bind_mount(int cwd, int rootfd, const struct hull_mount *m, hull_err **err)
{
    cleanup_close int src = open(m->source, O_PATH | O_CLOEXEC);
    if (src < 0)
        return hull_error(err, errno, "bind mount source `%s`", m->source);
    struct stat st;
    if (fstat(src, &st) < 0)
        return hull_error(err, errno, "stat `%s`", m->source);
    cleanup_close int target = resolve_in_root(
        rootfd, m->destination, S_ISDIR(st.st_mode) ? RESOLVE_MKDIR : RESOLVE_MKFILE, err);
    if (target < 0)
        return -1;
    if (bind_fd(src, target, m->recursive_bind) < 0)
        return hull_error(err, errno, "bind mount `%s` on `%s`", m->source, m->destination);
    cleanup_close int mounted = reopen_target(rootfd, m, err);
    if (mounted < 0)
        return -1;
    unsigned long flags = m->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
    if (flags != 0 && remount_bind(cwd, mounted, flags, err) < 0)
        return hull_error_prefix(err, "mount `%s`", m->destination);
    if (m->propagation && mount_on_fd(cwd, NULL, mounted, NULL, m->propagation, NULL) < 0)
        return hull_error(err, errno, "set propagation of `%s`", m->destination);
    return apply_attrs(mounted, m, err);
}

/* cgroup mounts: cgroup2 on a unified host; on v1 and hybrid hosts a tmpfs with one
 * sub-mount per mounted hierarchy, as runc lays it out. */
/* Our cgroup's path in the v1 hierarchy with these controllers (or cgroup2 for ""), from
 * /proc/self/cgroup: the runtime moved us into our cgroups before we mount anything. */
static bool own_cgroup_path(const char *proc_self_cgroup, const char *controllers, char *out,
                            size_t size)
{
    size_t want = strlen(controllers);
    for (const char *line = proc_self_cgroup; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        const char *a = memchr(line, ':', n);
        const char *b = a ? memchr(a + 1, ':', n - (size_t)(a + 1 - line)) : NULL;
        if (b && (size_t)(b - a - 1) == want && memcmp(a + 1, controllers, want) == 0) {
            snprintf(out, size, "%.*s", (int)(n - (size_t)(b + 1 - line)), b + 1);
            return true;
        }
        line = eol ? eol + 1 : NULL;
    }
    return false;
}

/* Without a cgroup namespace a fresh cgroup mount would show the host's whole tree: bind the
 * container's own cgroup directory instead, as runc does. `host_cg`: an fd of the host's
 * /sys/fs/cgroup (or -1): the source is opened from there, a walk that skips sysfs and /, and
 * bound by its fd. */
static int bind_own_cgroup(int cwd, int host_cg, const char *self, const char *mnt,
                           const char *controllers, int subfd, const char *sub, hull_err **err)
{
    static const char sys_fs_cgroup[] = "/sys/fs/cgroup/";
    char rel[2048], src[4096];
    if (!own_cgroup_path(self, controllers, rel, sizeof rel))
        return hull_error(err, ENOENT, "find our cgroup for `%s`", controllers);
    snprintf(src, sizeof src, "%s%s", mnt, strcmp(rel, "/") == 0 ? "" : rel);
    size_t skip = sizeof sys_fs_cgroup - 1;
    cleanup_close int from = host_cg >= 0 && strncmp(src, sys_fs_cgroup, skip) == 0
                                 ? openat(host_cg, src + skip, O_PATH | O_DIRECTORY | O_CLOEXEC)
                                 : -1;
    if (from >= 0 ? bind_fd(from, subfd, false) < 0
                  : mount_on_fd(cwd, src, subfd, NULL, MS_BIND, NULL) < 0)
        return hull_error(err, errno, "bind mount `%s` on `%s`", src, sub);
    return 0;
}

static const char *hierarchy_name(const struct cgroup_hierarchy *h)
{
    if (strncmp(h->mountpoint, "/sys/fs/cgroup/", 15) != 0)
        return NULL;
    const char *name = h->mountpoint + 15;
    return strchr(name, '/') != NULL || *name == '\0' ? NULL : name;
}

/* The flags of the cgroup mount for the tmpfs and every hierarchy below it (the binds were
 * made without them): one recursive mount_setattr(2); before Linux 5.12 a remount of each. */
static int seal_cgroup_tree(int cwd, int rootfd, int top, const struct hull_mount *m,
                            const struct cgroup_host *host, unsigned long flags, bool own_cgroupns,
                            hull_err **err)
{
    unsigned long f = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (f == 0)
        return 0;
    struct mount_attr attr = {.attr_set = ((f & MS_RDONLY) ? MOUNT_ATTR_RDONLY : 0) |
                                          ((f & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
                                          ((f & MS_NODEV) ? MOUNT_ATTR_NODEV : 0) |
                                          ((f & MS_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0)};
    if (syscall(SYS_mount_setattr, top, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) == 0)
        return 0;
    if (errno != ENOSYS)
        return hull_error(err, errno, "set the flags of `%s` and its cgroup mounts",
                          m->destination);
    for (size_t i = 0; i < host->n && !own_cgroupns; i++) {
        const char *name = hierarchy_name(&host->h[i]);
        if (name == NULL)
            continue;
        char sub[1200];
        snprintf(sub, sizeof sub, "%s/%s", m->destination, name);
        cleanup_close int mounted = resolve_in_root(rootfd, sub, RESOLVE_EXISTING, err);
        if (mounted < 0 || remount_bind(cwd, mounted, f, err) < 0)
            return -1;
    }
    if ((flags & MS_RDONLY) &&
        mount_on_fd(cwd, NULL, top, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                    "mode=755") < 0)
        return hull_error(err, errno, "remount `%s` read-only", m->destination);
    return 0;
}

/* One sub-mount per hierarchy mounted at /sys/fs/cgroup/NAME: at m->destination/NAME, in the
 * tmpfs `top` just mounted there (ours alone: nothing of the container has run in it, and NAME
 * is a single component, so no resolution in the root is needed). */
static int mount_hierarchies(int cwd, int host_cg, int top, const struct hull_mount *m,
                             const struct cgroup_host *host, const char *self, unsigned long flags,
                             bool own_cgroupns, hull_err **err)
{
    for (size_t i = 0; i < host->n; i++) {
        const struct cgroup_hierarchy *h = &host->h[i];
        const char *name = hierarchy_name(h);
        if (name == NULL)
            continue;
        char sub[1200];
        snprintf(sub, sizeof sub, "%s/%s", m->destination, name);
        if (mkdirat(top, name, 0755) < 0 && errno != EEXIST)
            return hull_error(err, errno, "mkdir `%s` inside the container", sub);
        cleanup_close int subfd = openat(top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (subfd < 0)
            return hull_error(err, errno, "open `%s` inside the container", sub);
        if (h->v2) {
            if (!own_cgroupns) {
                if (bind_own_cgroup(cwd, host_cg, self, h->mountpoint, "", subfd, sub, err) < 0)
                    return -1;
                continue;
            }
            if (mount_on_fd(cwd, "cgroup2", subfd, "cgroup2", flags, NULL) < 0)
                return hull_error(err, errno, "mount cgroup2 on `%s`", sub);
            continue;
        }
        /* Keep only the controller / name= options of the hierarchy. */
        char data[1024] = "";
        cleanup_free char *opts = strdup(h->options);
        if (opts == NULL)
            return hull_error(err, ENOMEM, "mount cgroups");
        char *save = NULL;
        for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
            if (strcmp(o, "rw") == 0 || strcmp(o, "ro") == 0)
                continue;
            if (*data)
                strncat(data, ",", sizeof data - strlen(data) - 1);
            strncat(data, o, sizeof data - strlen(data) - 1);
        }
        if (!own_cgroupns) {
            if (bind_own_cgroup(cwd, host_cg, self, h->mountpoint, data, subfd, sub, err) < 0)
                return -1;
            continue;
        }
        if (mount_on_fd(cwd, "cgroup", subfd, "cgroup", flags, data) < 0)
            return hull_error(err, errno, "mount cgroup (%s) on `%s`", data, sub);
    }
    return 0;
}

/* The whole of a small file into buf (NUL-terminated); -1 when it does not fit or cannot be
 * read. */
static int read_small_file(const char *path, char *buf, size_t size)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t used = 0;
    for (;;) {
        ssize_t n = read(fd, buf + used, size - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        used += (size_t)n;
        if (used == size - 1)
            return -1;
    }
    buf[used] = '\0';
    return 0;
}

static int mount_cgroup(int cwd, int rootfd, const struct hull_mount *m, int target,
                        bool own_cgroupns, const struct cgroup_host *cgroups, hull_err **err)
{
    unsigned long flags = m->flags & ~MS_REMOUNT;
    struct statfs sf;
    cleanup_close int host_cg = open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (host_cg >= 0 && fstatfs(host_cg, &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
        if (mount_on_fd(cwd, "cgroup2", target, "cgroup2", flags, NULL) < 0)
            return hull_error(err, errno, "mount cgroup2 on `%s`", m->destination);
        return 0;
    }
    if (mount_on_fd(cwd, "tmpfs", target, "tmpfs",
                    (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        return hull_error(err, errno, "mount tmpfs on `%s`", m->destination);
    cleanup_cgroup_host struct cgroup_host read = {0};
    if (cgroups == NULL) {
        if (cgroup_host_read_mounts(&read, err) < 0)
            return -1;
        cgroups = &read;
    }
    /* Without a cgroup namespace each hierarchy binds our own cgroup there: /proc/self/cgroup
     * is read once for all of them. */
    char small[8192];
    cleanup_free char *large = NULL;
    const char *self = NULL;
    if (!own_cgroupns) {
        /* On the stack when it fits: a heap buffer this size would make malloc walk its
         * fastbins (malloc_consolidate), each page a copy-on-write fault in this process. */
        size_t len;
        if (read_small_file("/proc/self/cgroup", small, sizeof small) == 0)
            self = small;
        else if (fs_read_file("/proc/self/cgroup", 0, &large, &len, err) < 0)
            return -1;
        else
            self = large;
    }
    /* The tmpfs itself (`target` is the directory under it). */
    cleanup_close int top = resolve_in_root(rootfd, m->destination, RESOLVE_EXISTING, err);
    if (top < 0)
        return -1;
    if (mount_hierarchies(cwd, host_cg, top, m, cgroups, self, flags, own_cgroupns, err) < 0)
        return -1;
    return seal_cgroup_tree(cwd, rootfd, top, m, cgroups, flags, own_cgroupns, err);
}

/* A copy of the comma-separated `data` without the options starting with `prefix`. */
static char *drop_option(const char *data, const char *prefix)
{
    char *out = calloc(1, strlen(data) + 1);
    if (out == NULL)
        abort();
    cleanup_free char *copy = strdup(data);
    for (char *save = NULL, *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        if (strncmp(o, prefix, strlen(prefix)) == 0)
            continue;
        if (*out)
            strcat(out, ",");
        strcat(out, o);
    }
    return out;
}

static int special_mount(int cwd, int rootfd, const struct hull_mount *m, bool in_userns,
                         bool own_cgroupns, const char *mount_label,
                         const struct cgroup_host *cgroups, hull_err **err)
{
    cleanup_close int target = resolve_in_root(rootfd, m->destination, RESOLVE_MKDIR, err);
    if (target < 0)
        return -1;
    if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0) {
        if (mount_cgroup(cwd, rootfd, m, target, own_cgroupns, cgroups, err) < 0)
            return -1;
    } else {
        unsigned long flags = m->flags & ~MS_REMOUNT;
        const char *source = m->source && *m->source ? m->source : m->type;
        /* linux.mountLabel: the SELinux context of the container's own filesystems. */
        cleanup_free char *labeled = lsm_mount_data(m->type, m->data, mount_label);
        int rc = mount_on_fd(cwd, source, target, m->type, flags, labeled ? labeled : m->data);
        /* devpts' gid=5 (tty) is refused in a user namespace that does not map gid 5 (rootless
         * hull's single-id fallback): mount it without, as crun does. */
        if (rc < 0 && errno == EINVAL && in_userns && strcmp(m->type, "devpts") == 0 && m->data &&
            strstr(m->data, "gid=")) {
            cleanup_free char *without = drop_option(labeled ? labeled : m->data, "gid=");
            rc = mount_on_fd(cwd, source, target, m->type, flags, without);
        }
        if (rc < 0) {
            int saved = errno;
            /* sysfs and mqueue cannot be mounted fresh without owning the network / ipc
             * namespace: bind the host's, as runc does. */
            const char *fallback = NULL;
            if (saved == EPERM && strcmp(m->type, "sysfs") == 0)
                fallback = "/sys";
            else if (saved == EPERM && strcmp(m->type, "mqueue") == 0)
                fallback = "/dev/mqueue";
            if (fallback == NULL || !is_dir_path(fallback))
                return hull_error(err, saved, "mount %s on `%s`%s", m->type, m->destination,
                                  in_userns ? " (in a user namespace)" : "");
            if (mount_on_fd(cwd, fallback, target, NULL, MS_BIND | MS_REC, NULL) < 0)
                return hull_error(err, errno, "bind mount `%s` on `%s`", fallback, m->destination);
            cleanup_close int again = reopen_target(rootfd, m, err);
            if (again < 0)
                return -1;
            if (flags && remount_bind(cwd, again, flags, err) < 0)
                return -1;
        }
    }
    if (m->propagation || m->attr_set || m->attr_clr) {
        cleanup_close int mounted = reopen_target(rootfd, m, err);
        if (mounted < 0)
            return -1;
        if (m->propagation && mount_on_fd(cwd, NULL, mounted, NULL, m->propagation, NULL) < 0)
            return hull_error(err, errno, "set propagation of `%s`", m->destination);
        if (apply_attrs(mounted, m, err) < 0)
            return -1;
    }
    return 0;
}

size_t mounts_first_cgroup(const struct hull_config *cfg)
{
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        const char *type = cfg->mounts[i].type;
        if (!cfg->mounts[i].bind && type &&
            (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0))
            return i;
    }
    return cfg->n_mounts;
}

int mounts_apply_config(const struct hull_config *cfg, int rootfd, bool in_userns,
                        const struct cgroup_host *cgroups, size_t from, size_t to, hull_err **err)
{
    if (from >= to || from >= cfg->n_mounts)
        return 0;
    /* -1 when the working directory cannot be entered again: then every mount goes through
     * /proc/self/fd/N. */
    cleanup_close int cwd = mount_cwd_open();
    for (size_t i = from; i < to && i < cfg->n_mounts; i++) {
        const struct hull_mount *m = &cfg->mounts[i];
        int r = m->bind ? bind_mount(cwd, rootfd, m, err)
                        : special_mount(cwd, rootfd, m, in_userns,
                                        config_has_namespace(cfg, CLONE_NEWCGROUP),
                                        cfg->mount_label, cgroups, err);
        if (r < 0)
            return hull_error_prefix(err, "mounts[%zu]", i);
    }
    return 0;
}

int mounts_pivot_root(const struct hull_config *cfg, int rootfd, bool no_pivot, hull_err **err)
{
    if (fchdir(rootfd) < 0)
        return hull_error(err, errno, "chdir to rootfs `%s`", cfg->root_path);
    if (no_pivot) {
        if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
            return hull_error(err, errno, "move rootfs to `/`");
        if (chroot(".") < 0)
            return hull_error(err, errno, "chroot into rootfs");
        if (chdir("/") < 0)
            return hull_error(err, errno, "chdir `/`");
        return 0;
    }
    cleanup_close int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0)
        return hull_error(err, errno, "open old root");
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return hull_error(err, errno, "pivot_root into `%s`", cfg->root_path);
    /* The old root is now stacked under the new one at "."; detach it. */
    if (fchdir(oldroot) < 0)
        return hull_error(err, errno, "fchdir to old root");
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return hull_error(err, errno, "make old root rslave");
    if (umount2(".", MNT_DETACH) < 0)
        return hull_error(err, errno, "detach old root");
    if (chdir("/") < 0)
        return hull_error(err, errno, "chdir `/`");
    return 0;
}

int mounts_finish_rootfs(const struct hull_config *cfg, hull_err **err)
{
    if (cfg->root_readonly) {
        unsigned long flags = locked_flags("/") | MS_RDONLY;
        if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | flags, NULL) < 0)
            return hull_error(err, errno, "remount the root filesystem read-only");
    }
    if (cfg->rootfs_propagation & MS_SHARED) {
        if (mount(NULL, "/", NULL, cfg->rootfs_propagation, NULL) < 0)
            return hull_error(err, errno, "set rootfs propagation");
    }
    return 0;
}

/* maskedPaths: files get /dev/null bound over them, directories an empty read-only tmpfs.
 * Both the source and the target are opened and checked first: /dev/null must really be the
 * null device, and the target is resolved without following symlinks (runc's 2025
 * advisories: a symlink swapped in for /dev/null or the masked path redirects the mount). */
int mounts_apply_masked_paths(const struct hull_config *cfg, hull_err **err)
{
    if (cfg->masked_paths == NULL || *cfg->masked_paths == NULL)
        return 0;
    cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return hull_error(err, errno, "open `/`");
    cleanup_close int devnull = -1;
    cleanup_close int cwd = mount_cwd_open();
    for (char **p = cfg->masked_paths; *p; p++) {
        /* No error built for a path that is not there (most of them, usually). */
        cleanup_close int target = resolve_open_in_root(root, *p, O_PATH, true, NULL);
        if (target < 0) {
            int e = errno;
            if (e == ENOENT)
                continue;
            if (e == ELOOP || e == EXDEV)
                return hull_error(err, e, "maskedPaths: `%s` is reached through a symlink", *p);
            return hull_error(err, e, "maskedPaths: open `%s`", *p);
        }
        struct stat st;
        if (fstat(target, &st) < 0)
            return hull_error(err, errno, "maskedPaths: stat `%s`", *p);
        if (S_ISDIR(st.st_mode)) {
            if (mount_on_fd(cwd, "tmpfs", target, "tmpfs",
                            MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=755") < 0)
                return hull_error(err, errno, "maskedPaths: mask directory `%s`", *p);
            continue;
        }
        if (devnull < 0) {
            devnull = resolve_open_in_root(root, "/dev/null", O_PATH, true, err);
            if (devnull < 0)
                return hull_error_prefix(err, "maskedPaths");
            struct stat ns;
            if (fstat(devnull, &ns) < 0 || !S_ISCHR(ns.st_mode) || major(ns.st_rdev) != 1 ||
                minor(ns.st_rdev) != 3)
                return hull_error(err, EPERM,
                                  "maskedPaths: /dev/null in the container is not the null device");
        }
        if (bind_fd(devnull, target, false) < 0)
            return hull_error(err, errno, "maskedPaths: mask `%s`", *p);
    }
    return 0;
}

/* A read-only copy of the mount tree at `target` put over it: a detached clone
 * (open_tree(2)), made read-only with every mount below (mount_setattr(2): only that
 * attribute changes, the locked ones stay as they are) and attached (move_mount(2)). No path
 * is resolved again, no flags are read back. -1 when the kernel lacks the calls (before 5.12)
 * or refuses: then bind and remount. */
static int readonly_tree(int target)
{
    cleanup_close int tree =
        (int)syscall(SYS_open_tree, target, "",
                     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
    if (tree < 0)
        return -1;
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return -1;
    return (int)syscall(SYS_move_mount, tree, "", target, "",
                        MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0
               ? -1
               : 0;
}

int mounts_apply_readonly_paths(const struct hull_config *cfg, hull_err **err)
{
    if (cfg->readonly_paths == NULL)
        return 0;
    cleanup_close int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return hull_error(err, errno, "open `/`");
    for (char **p = cfg->readonly_paths; *p; p++) {
        cleanup_close int target = resolve_open_in_root(root, *p, O_PATH, true, NULL);
        if (target < 0) {
            int e = errno;
            if (e == ENOENT)
                continue;
            return hull_error(err, e, "readonlyPaths: open `%s`", *p);
        }
        if (readonly_tree(target) == 0)
            continue;
        char tp[32];
        if (mount(fd_path(tp, target), fd_path(tp, target), NULL, MS_BIND | MS_REC, NULL) < 0)
            return hull_error(err, errno, "readonlyPaths: bind `%s`", *p);
        cleanup_close int mounted = resolve_open_in_root(root, *p, O_PATH, true, err);
        if (mounted < 0)
            return hull_error_prefix(err, "readonlyPaths");
        fd_path(tp, mounted);
        unsigned long flags = MS_RDONLY | (locked_flags(tp) & ~MS_RDONLY);
        if (mount(NULL, tp, NULL, MS_BIND | MS_REMOUNT | MS_REC | flags, NULL) < 0)
            return hull_error(err, errno, "readonlyPaths: remount `%s` read-only", *p);
    }
    return 0;
}
