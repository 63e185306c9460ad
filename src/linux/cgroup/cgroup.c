/* The container's cgroup set: checking resources against the host, creating the directories,
 * dispatching resources to the v1 or v2 writer that owns each controller, device rules in both
 * worlds, moving processes in, freezing, signalling and removal. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Which controllers the resources need. */
static unsigned needed_controllers(const struct hull_resources *r)
{
    unsigned m = 0;
    const struct hull_opt_i64 *mem[] = {&r->memory.limit,      &r->memory.reservation,
                                        &r->memory.swap,       &r->memory.kernel,
                                        &r->memory.kernel_tcp, &r->memory.swappiness};
    for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
        if (mem[i]->set)
            m |= CG_BIT(CG_MEMORY);
    if (r->memory.has_disable_oom_killer)
        m |= CG_BIT(CG_MEMORY);
    if (r->cpu.shares.set || r->cpu.quota.set || r->cpu.period.set || r->cpu.burst.set ||
        r->cpu.realtime_runtime.set || r->cpu.realtime_period.set || r->cpu.idle.set)
        m |= CG_BIT(CG_CPU);
    if ((r->cpu.cpus && *r->cpu.cpus) || (r->cpu.mems && *r->cpu.mems))
        m |= CG_BIT(CG_CPUSET);
    if (r->pids_limit.set)
        m |= CG_BIT(CG_PIDS);
    bool blkio =
        r->block_io.weight.set || r->block_io.leaf_weight.set || r->block_io.n_weight_devices;
    for (int t = 0; t < HULL_THROTTLE_COUNT; t++)
        blkio |= r->block_io.n_throttle[t] > 0;
    if (blkio)
        m |= CG_BIT(CG_BLKIO);
    if (r->n_hugepage_limits)
        m |= CG_BIT(CG_HUGETLB);
    if (r->net_class_id.set)
        m |= CG_BIT(CG_NET_CLS);
    if (r->n_net_priorities)
        m |= CG_BIT(CG_NET_PRIO);
    if (r->n_rdma)
        m |= CG_BIT(CG_RDMA);
    for (size_t i = 0; i < r->n_unified; i++) {
        char ctrl[64];
        snprintf(ctrl, sizeof ctrl, "%.*s", (int)strcspn(r->unified[2 * i], "."),
                 r->unified[2 * i]);
        m |= cgroup_controller_bit(ctrl);
    }
    return m;
}

static const char *field_of(enum cgroup_controller c)
{
    switch (c) {
    case CG_MEMORY:
        return "memory";
    case CG_CPU:
        return "cpu";
    case CG_CPUSET:
        return "cpu.cpus/mems";
    case CG_PIDS:
        return "pids";
    case CG_BLKIO:
        return "blockIO";
    case CG_HUGETLB:
        return "hugepageLimits";
    case CG_NET_CLS:
        return "network.classID";
    case CG_NET_PRIO:
        return "network.priorities";
    case CG_RDMA:
        return "rdma";
    default:
        return cgroup_controller_name(c, false);
    }
}

/* Settings a v2 kernel has no file for. */
static int check_v2_only(const struct hull_resources *r, unsigned v2_ctrls, const char *path,
                         hull_err **err)
{
    const char *bad = NULL;
    if ((v2_ctrls & CG_BIT(CG_MEMORY)) && r->memory.swappiness.set)
        bad = "memory.swappiness";
    else if ((v2_ctrls & CG_BIT(CG_MEMORY)) && r->memory.disable_oom_killer)
        bad = "memory.disableOOMKiller";
    else if ((v2_ctrls & CG_BIT(CG_CPU)) &&
             (r->cpu.realtime_runtime.set || r->cpu.realtime_period.set))
        bad = "cpu.realtimeRuntime/realtimePeriod";
    else if ((v2_ctrls & CG_BIT(CG_BLKIO)) && r->block_io.leaf_weight.set)
        bad = "blockIO.leafWeight";
    if (bad)
        return hull_error(err, ENOTSUP, "%s%s%s: not available on cgroup v2", path,
                          *path ? "." : "", bad);
    return 0;
}

int cgroup_check_resources(const struct cgroup_set *s, const struct hull_resources *r,
                           const char *path, hull_err **err)
{
    const char *dot = *path ? "." : "";
    unsigned need = needed_controllers(r);
    const struct cgroup_dir *v2 = cgroup_set_v2_dir(s);
    for (int c = 0; c < CG_COUNT; c++) {
        if (!(need & CG_BIT(c)))
            continue;
        const struct cgroup_dir *d = cgroup_set_dir_for(s, c);
        if (d == NULL)
            return hull_error(err, ENOTSUP, "%s%s%s: the %s controller is not available here", path,
                              dot, field_of(c), cgroup_controller_name(c, v2 != NULL));
    }
    unsigned on_v2 = 0;
    for (int c = 0; c < CG_COUNT; c++) {
        const struct cgroup_dir *d = cgroup_set_dir_for(s, c);
        if (d && d->v2)
            on_v2 |= CG_BIT(c);
    }
    if (check_v2_only(r, on_v2, path, err) < 0)
        return -1;
    for (size_t i = 0; i < r->n_unified; i++) {
        const char *key = r->unified[2 * i];
        if (v2 == NULL)
            return hull_error(err, ENOTSUP, "%s%sunified.%s: this host has no cgroup v2", path, dot,
                              key);
        char ctrl[64];
        snprintf(ctrl, sizeof ctrl, "%.*s", (int)strcspn(key, "."), key);
        unsigned bit = cgroup_controller_bit(ctrl);
        if (bit && !(on_v2 & bit))
            return hull_error(err, ENOTSUP,
                              "%s%sunified.%s: the %s controller is not on cgroup v2 here", path,
                              dot, key, ctrl);
    }
    if (r->has_devices && cgroup_set_dir_for(s, CG_DEVICES) == NULL && v2 == NULL)
        return hull_error(err, ENOTSUP,
                          "%s%sdevices: neither the v1 devices controller nor cgroup v2 is "
                          "available to enforce device rules",
                          path, dot);
    return 0;
}

/* The name of a directory in its parent. */
static const char *leaf_name(const struct cgroup_dir *d)
{
    return strrchr(d->path, '/') + 1;
}

static int parent_fd(const struct cgroup_set *s, size_t i)
{
    return s->parent_fds ? s->parent_fds[i] : -1;
}

/* An O_PATH fd of the directory above `d` when it is at or below the base and exists, else -1.
 * `top`: an fd of /sys/fs/cgroup or -1: the walk from there skips sysfs (kernfs too). */
static int open_parent(const struct cgroup_dir *d, int top)
{
    static const char sys_fs_cgroup[] = "/sys/fs/cgroup/";
    size_t len = (size_t)(strrchr(d->path, '/') - d->path);
    if (len < d->base_len || len >= PATH_MAX)
        return -1;
    char parent[PATH_MAX];
    memcpy(parent, d->path, len);
    parent[len] = '\0';
    size_t skip = sizeof sys_fs_cgroup - 1;
    if (top >= 0 && len > skip && strncmp(parent, sys_fs_cgroup, skip) == 0)
        return openat(top, parent + skip, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The parents' fds, once per set, where they exist already (usually all: the default parent
 * `/hull` stays). Without memory the set keeps using paths. */
static void open_parents(struct cgroup_set *s)
{
    if (s->parent_fds != NULL || s->n == 0 || (s->parent_fds = malloc(s->n * sizeof(int))) == NULL)
        return;
    cleanup_close int top =
        s->n > 1 ? open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
    for (size_t i = 0; i < s->n; i++)
        s->parent_fds[i] = open_parent(&s->dirs[i], top);
}

int cgroup_set_open_dir(const struct cgroup_set *s, const struct cgroup_dir *d, hull_err **err)
{
    int pfd = parent_fd(s, (size_t)(d - s->dirs));
    if (pfd >= 0) {
        int fd = openat(pfd, leaf_name(d), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            return fd;
    }
    return cg_open_dir(d->path, err);
}

/* mkdir every missing component below the base. A concurrent delete may remove an empty
 * shared parent between two of our mkdirs: start over then. */
static int mkdir_below_base(const struct cgroup_dir *d, hull_err **err)
{
    cleanup_free char *path = strdup(d->path);
    if (path == NULL)
        return hull_error(err, ENOMEM, "cgroup path");
    size_t len = strlen(d->path);
    /* Usually only the last component is missing (the parents are shared). */
    if (mkdir(d->path, 0755) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return hull_error(err, errno, "create cgroup `%s`", d->path);
    for (int attempt = 0; attempt < 100; attempt++) {
        bool restart = false;
        for (size_t end = d->base_len + 1; end <= len && !restart; end++) {
            if (d->path[end] != '/' && d->path[end] != '\0')
                continue;
            memcpy(path, d->path, end);
            path[end] = '\0';
            if (mkdir(path, 0755) == 0 || errno == EEXIST)
                continue;
            if (errno == ENOENT) {
                restart = true;
                continue;
            }
            return hull_error(err, errno, "create cgroup `%s`", path);
        }
        if (!restart)
            return 0;
    }
    return hull_error(err, EAGAIN, "create cgroup `%s`: its parents keep disappearing", d->path);
}

/* mkdir s->dirs[i] in its open parent; else (no parent fd, or it is gone: a concurrent delete
 * removed it) by path, and keep an fd of the parent there is then. */
static int make_dir(struct cgroup_set *s, size_t i, hull_err **err)
{
    const struct cgroup_dir *d = &s->dirs[i];
    int pfd = parent_fd(s, i);
    if (pfd >= 0 && (mkdirat(pfd, leaf_name(d), 0755) == 0 || errno == EEXIST))
        return 0;
    if (mkdir_below_base(d, err) < 0)
        return -1;
    if (s->parent_fds) {
        hull_closep(&s->parent_fds[i]);
        s->parent_fds[i] = open_parent(d, -1);
    }
    return 0;
}

/* which: 0 the v1 directories, 1 the v2 one, 2 all */
static int create_dirs(struct cgroup_set *s, const struct hull_resources *r, int which,
                       hull_err **err)
{
    open_parents(s);
    unsigned need = needed_controllers(r);
    bool any_v1 = false;
    for (size_t i = 0; i < s->n; i++)
        any_v1 |= !s->dirs[i].v2;
    for (size_t i = 0; i < s->n; i++) {
        const struct cgroup_dir *d = &s->dirs[i];
        if (which != 2 && d->v2 != (which == 1))
            continue;
        int rc = make_dir(s, i, err);
        if (rc == 0 && !d->v2 && (d->controllers & CG_BIT(CG_CPUSET)))
            rc = cgroup_v1_prepare_cpuset(d, parent_fd(s, i), err);
        /* Pure v2: every available controller, as runc does; hybrid: only those the resources
         * use, so that the v2 tree stays as the host set it up otherwise. */
        if (rc == 0 && d->v2)
            rc = cgroup_v2_enable_controllers(d, any_v1 ? (need & d->controllers) : d->controllers,
                                              err);
        if (rc < 0) {
            hull_err *e2 = NULL;
            if (cgroup_set_destroy(s, &e2) < 0) {
                hull_warn("%s", e2->msg);
                hull_err_free(e2);
            }
            return -1;
        }
    }
    return 0;
}

int cgroup_set_create(struct cgroup_set *s, const struct hull_resources *r, hull_err **err)
{
    return create_dirs(s, r, 2, err);
}

int cgroup_set_create_part(struct cgroup_set *s, const struct hull_resources *r, bool v2,
                           hull_err **err)
{
    return create_dirs(s, r, v2 ? 1 : 0, err);
}

/* The open fd of d's parent when that is hull's own `/hull` right below the base (where the
 * device program's anchors live: bpf_devices.c), else -1. */
static int hull_parent_fd(const struct cgroup_set *s, const struct cgroup_dir *d)
{
    const char *rel = d->path + d->base_len;
    const char *leaf = leaf_name(d);
    if (strncmp(rel, "/hull/", 6) != 0 || rel + 6 != leaf)
        return -1;
    return parent_fd(s, (size_t)(d - s->dirs));
}

static int apply_devices(const struct cgroup_set *s, const struct hull_resources *r, bool update,
                         hull_err **err)
{
    if (update && !r->has_devices)
        return 0;
    cleanup_free struct hull_device_rule *rules = NULL;
    size_t n = 0;
    if (cgroup_devices_with_defaults(r, &rules, &n, err) < 0)
        return -1;
    struct cgroup_device_policy policy;
    if (cgroup_devices_compute(rules, n, &policy, err) < 0)
        return -1;
    int rc = 0;
    bool trivial = policy.default_allow && policy.n == 0;
    const struct cgroup_dir *v1 = cgroup_set_dir_for(s, CG_DEVICES);
    if (v1 && !v1->v2 && !(trivial && !update)) {
        cleanup_close int fd = cgroup_set_open_dir(s, v1, err);
        if (fd < 0 || cgroup_v1_apply_devices(fd, &policy, err) < 0)
            rc = hull_error_prefix(err, "cgroup `%s`", v1->path);
    }
    const struct cgroup_dir *v2 = cgroup_set_v2_dir(s);
    if (rc == 0 && v2 && !(trivial && !update)) {
        cleanup_close int fd = cgroup_set_open_dir(s, v2, err);
        /* Only the default policy's program is kept by an anchor: one anchor on a host, not
         * one more for every other set of devices ever given. */
        int anchor_parent = cgroup_devices_is_default(&policy) ? hull_parent_fd(s, v2) : -1;
        if (fd < 0 || bpf_devices_attach(fd, &policy, anchor_parent, err) < 0)
            rc = hull_error_prefix(err, "devices: cgroup `%s`", v2->path);
    }
    cgroup_device_policy_clear(&policy);
    return rc;
}

int cgroup_set_apply(const struct cgroup_set *s, const struct hull_resources *r, bool update,
                     hull_err **err)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct cgroup_dir *d = &s->dirs[i];
        /* Nothing to write there (devices are applied below). */
        if (!(needed_controllers(r) & d->controllers) && !(d->v2 && r->n_unified))
            continue;
        /* On update a controller may be needed that creation did not enable. */
        if (d->v2 &&
            cgroup_v2_enable_controllers(d, needed_controllers(r) & d->controllers, err) < 0)
            return -1;
        if (!d->v2 && (d->controllers & CG_BIT(CG_CPU)) && cgroup_v1_grant_rt_budget(d, r, err) < 0)
            return -1;
        cleanup_close int fd = cgroup_set_open_dir(s, d, err);
        if (fd < 0)
            return -1;
        int rc = d->v2 ? cgroup_v2_apply(fd, d->controllers, r, update, err)
                       : cgroup_v1_apply(fd, d->controllers, r, update, err);
        if (rc < 0)
            return hull_error_prefix(err, "cgroup `%s`", d->path);
    }
    return apply_devices(s, r, update, err);
}

int cgroup_set_add_pid(const struct cgroup_set *s, pid_t pid, hull_err **err)
{
    for (size_t i = 0; i < s->n; i++) {
        cleanup_close int fd = cgroup_set_open_dir(s, &s->dirs[i], err);
        if (fd < 0 || cg_writef(fd, "cgroup.procs", err, "%d", (int)pid) < 0)
            return hull_error_prefix(err, "move process %d into cgroup `%s`", (int)pid,
                                     s->dirs[i].path);
    }
    return 0;
}

/* The `tasks` file of v1 directory i for writing: through its parent's fd, else by path. */
static int open_tasks(const struct cgroup_set *s, size_t i)
{
    char path[PATH_MAX];
    int pfd = parent_fd(s, i);
    if (pfd >= 0) {
        snprintf(path, sizeof path, "%s/tasks", leaf_name(&s->dirs[i]));
        int fd = openat(pfd, path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
            return fd;
    }
    snprintf(path, sizeof path, "%s/tasks", s->dirs[i].path);
    return open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
}

int cgroup_set_join_self(const struct cgroup_set *s, hull_err **err)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->dirs[i].v2)
            continue;
        cleanup_close int fd = open_tasks(s, i);
        if (fd < 0 || write(fd, "0", 1) != 1)
            return hull_error(err, errno, "move into cgroup `%s`", s->dirs[i].path);
    }
    return 0;
}

int cgroup_set_open_tasks(const struct cgroup_set *s, int **fds, size_t *n, hull_err **err)
{
    *fds = NULL;
    *n = 0;
    int *list = malloc((s->n ? s->n : 1) * sizeof *list);
    if (list == NULL)
        return hull_error(err, ENOMEM, "cgroup tasks files");
    size_t count = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->dirs[i].v2)
            continue;
        int fd = open_tasks(s, i);
        if (fd < 0) {
            int e = errno;
            cgroup_close_fds(&list, count);
            return hull_error(err, e, "open `%s/tasks`", s->dirs[i].path);
        }
        list[count++] = fd;
    }
    *fds = list;
    *n = count;
    return 0;
}

int cgroup_join_self_fds(const int *fds, size_t n, hull_err **err)
{
    for (size_t i = 0; i < n; i++) {
        if (write(fds[i], "0", 1) != 1)
            return hull_error(err, errno, "move into a cgroup");
        close(fds[i]);
    }
    return 0;
}

void cgroup_close_fds(int **fds, size_t n)
{
    if (*fds == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if ((*fds)[i] >= 0)
            close((*fds)[i]);
    free(*fds);
    *fds = NULL;
}

/* The default parent of every container, `/hull` right below the base, is left in place when
 * it empties, as docker leaves `/docker` and podman `libpod_parent`: making and removing it in
 * every hierarchy was half of a run's cgroup mkdir and rmdir work. It holds nothing and limits
 * nothing (a v1 cpuset parent carries the cpus and mems it was created with, as docker's does),
 * except a real-time budget hull gave it for a container's cpu.realtimeRuntime: a `/hull` that
 * holds one is removed when it empties, as before, so that the budget goes back to its parent. */
static bool keeps_runtime_parent(const struct cgroup_dir *d, const char *parent, int open_fd)
{
    if (strcmp(parent + d->base_len, "/hull") != 0)
        return false;
    if (d->v2 || !(d->controllers & CG_BIT(CG_CPU)))
        return true;
    /* Whatever container gave it the budget: read every time. */
    cleanup_close int fd = open_fd >= 0 ? -1 : open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    cleanup_free char *rt = NULL;
    hull_err *e = NULL;
    if ((open_fd < 0 && fd < 0) ||
        cg_read(open_fd >= 0 ? open_fd : fd, "cpu.rt_runtime_us", &rt, &e) < 0) {
        hull_err_free(e);
        return true; /* no real-time group scheduling: no budget */
    }
    return strcmp(rt, "0") == 0;
}

/* rmdir a cgroup and the sub-cgroups the container made inside it. */
static int rmdir_tree(const char *path)
{
    /* Usually there is nothing inside: try that first. */
    if (rmdir(path) == 0 || errno == ENOENT)
        return 0;
    if (errno != EBUSY && errno != ENOTEMPTY)
        return -1;
    cleanup_dir DIR *dir = opendir(path);
    if (dir == NULL)
        return errno == ENOENT ? 0 : -1;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        cleanup_free char *child = NULL;
        if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
            return -1;
        rmdir_tree(child);
    }
    if (rmdir(path) == 0 || errno == ENOENT)
        return 0;
    return -1;
}

/* pfd: an fd of the directory above (its first rmdir goes through it), or -1. */
static int remove_dir(const struct cgroup_dir *d, int pfd, hull_err **err)
{
    bool gone = pfd >= 0 && unlinkat(pfd, leaf_name(d), AT_REMOVEDIR) == 0;
    /* Exiting tasks keep a cgroup busy for a moment: retry for up to 5 seconds, killing what
     * is left halfway through (delete only runs once the container is stopped). */
    for (int attempt = 0; !gone && attempt < 500; attempt++) {
        if (rmdir_tree(d->path) == 0)
            break;
        int e = errno;
        if (e != EBUSY && e != ENOTEMPTY)
            return hull_error(err, e, "remove cgroup `%s`", d->path);
        if (attempt == 499)
            return hull_error(err, e, "remove cgroup `%s`: still busy after 5s", d->path);
        if (attempt == 100) {
            cleanup_close int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            hull_err *kill_err = NULL;
            if (fd >= 0 && d->v2 && cg_exists(fd, "cgroup.kill"))
                cg_write(fd, "cgroup.kill", "1", &kill_err);
            hull_err_free(kill_err);
        }
        sleep_ms(10);
    }
    /* The empty parents the path created (never above the base), but for the runtime's own
     * `/hull`, which stays for the next container (see keeps_runtime_parent). */
    cleanup_free char *parent = strdup(d->path);
    if (parent == NULL)
        return hull_error(err, ENOMEM, "cgroup path");
    for (;;) {
        char *slash = strrchr(parent, '/');
        if (slash == NULL || (size_t)(slash - parent) <= d->base_len)
            break;
        *slash = '\0';
        /* pfd is the first parent's (the live one: the unlinkat went through it). */
        if (keeps_runtime_parent(d, parent, gone ? pfd : -1))
            break;
        gone = false;
        if (rmdir(parent) < 0)
            break; /* in use by another container, or not ours to judge */
    }
    return 0;
}

int cgroup_set_destroy(const struct cgroup_set *s, hull_err **err)
{
    int rc = 0;
    for (size_t i = 0; i < s->n; i++) {
        hull_err *e = NULL;
        if (remove_dir(&s->dirs[i], parent_fd(s, i), &e) < 0) {
            if (rc == 0) {
                hull_err_freep(err);
                *err = e;
            } else {
                hull_err_free(e);
            }
            rc = -1;
        }
    }
    return rc;
}

int cgroup_set_freeze(const struct cgroup_set *s, bool frozen, hull_err **err)
{
    const struct cgroup_dir *d = cgroup_set_dir_for(s, CG_FREEZER);
    if (d == NULL || d->v2)
        d = cgroup_set_v2_dir(s);
    if (d == NULL)
        return hull_error(err, ENOTSUP, "no freezer: neither the v1 freezer nor cgroup v2");
    cleanup_close int fd = cgroup_set_open_dir(s, d, err);
    if (fd < 0)
        return -1;
    int rc = d->v2 ? cgroup_v2_freeze(fd, frozen, err) : cgroup_v1_freeze(fd, frozen, err);
    return rc < 0 ? hull_error_prefix(err, "cgroup `%s`", d->path) : 0;
}

void cgroup_set_thaw_all(const struct cgroup_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct cgroup_dir *d = &s->dirs[i];
        if (!d->v2 && !(d->controllers & CG_BIT(CG_FREEZER)))
            continue;
        hull_err *e = NULL;
        cleanup_close int fd = cgroup_set_open_dir(s, d, &e);
        if (fd >= 0 && (d->v2 ? cg_exists(fd, "cgroup.freeze") : true))
            cg_write(fd, d->v2 ? "cgroup.freeze" : "freezer.state", d->v2 ? "0" : "THAWED", &e);
        hull_err_free(e);
    }
}

int cgroup_set_is_frozen(const struct cgroup_set *s)
{
    const struct cgroup_dir *d = cgroup_set_dir_for(s, CG_FREEZER);
    if (d == NULL || d->v2)
        d = cgroup_set_v2_dir(s);
    if (d == NULL)
        return 0;
    hull_err *e = NULL;
    cleanup_close int fd = cgroup_set_open_dir(s, d, &e);
    hull_err_free(e);
    if (fd < 0)
        return -1;
    return d->v2 ? cgroup_v2_is_frozen(fd) : cgroup_v1_is_frozen(fd);
}

int cgroup_state_is_frozen(int state_dirfd)
{
    cleanup_close int fd = openat(state_dirfd, "freezer", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -2 : -1;
    char line[PATH_MAX + 8];
    ssize_t n = read(fd, line, sizeof line - 1);
    if (n <= 0)
        return -1;
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    return cgroup_freezer_line_is_frozen(line);
}

int cgroup_freezer_line_is_frozen(const char *line)
{
    if (strcmp(line, "none ") == 0)
        return 0;
    bool v2 = strncmp(line, "v2 /", 4) == 0;
    if (!v2 && strncmp(line, "v1 /", 4) != 0)
        return -1;
    cleanup_close int dir = open(line + 3, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    return v2 ? cgroup_v2_is_frozen(dir) : cgroup_v1_is_frozen(dir);
}

int cgroup_set_pids(const struct cgroup_set *s, pid_t **pids, size_t *n, hull_err **err)
{
    *pids = NULL;
    *n = 0;
    if (s->n == 0)
        return 0;
    cleanup_close int fd = cgroup_set_open_dir(s, &s->dirs[0], err);
    if (fd < 0)
        return -1;
    cleanup_free char *text = NULL;
    if (cg_read(fd, "cgroup.procs", &text, err) < 0)
        return hull_error_prefix(err, "cgroup `%s`", s->dirs[0].path);
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == '\n';
    pid_t *list = calloc(cap, sizeof(pid_t));
    if (list == NULL)
        return hull_error(err, ENOMEM, "pids");
    size_t count = 0;
    for (char *p = text; *p && count < cap;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (v > 0)
            list[count++] = (pid_t)v;
        p = end;
        while (*p == '\n')
            p++;
    }
    *pids = list;
    *n = count;
    return 0;
}

int cgroup_set_signal_all(const struct cgroup_set *s, int sig, hull_err **err)
{
    int was_frozen = cgroup_set_is_frozen(s);
    /* Freeze so that nothing forks between reading the list and signalling it. */
    bool froze = false;
    const struct cgroup_dir *v2 = cgroup_set_v2_dir(s);
    hull_err *open_err = NULL;
    cleanup_close int v2fd = v2 ? cgroup_set_open_dir(s, v2, &open_err) : -1;
    hull_err_free(open_err);
    bool kill_file = sig == SIGKILL && v2fd >= 0 && cg_exists(v2fd, "cgroup.kill");
    if (!kill_file && was_frozen == 0) {
        /* An empty set has nothing to signal and nothing in it to fork: no freeze (the first
         * frozen v1 cgroup flips a static key, which patches kernel text on every CPU). */
        pid_t *pids = NULL;
        size_t n = 1;
        hull_err *e = NULL;
        if (cgroup_set_pids(s, &pids, &n, &e) < 0) {
            hull_err_free(e);
            n = 1; /* unknown: freeze and signal as usual */
        }
        free(pids);
        if (n == 0)
            return 0;
    }
    if (!kill_file && was_frozen == 0) {
        hull_err *e = NULL;
        if (cgroup_set_freeze(s, true, &e) == 0)
            froze = true;
        else
            hull_err_free(e);
    }
    int rc = 0;
    if (kill_file) {
        /* The kernel kills every task, forks included. */
        if (cg_write(v2fd, "cgroup.kill", "1", err) < 0)
            rc = hull_error_prefix(err, "cgroup `%s`", v2->path);
    } else {
        pid_t *pids = NULL;
        size_t n = 0;
        rc = cgroup_set_pids(s, &pids, &n, err);
        for (size_t i = 0; rc == 0 && i < n; i++)
            if (kill(pids[i], sig) < 0 && errno != ESRCH)
                rc = hull_error(err, errno, "kill %d", (int)pids[i]);
        free(pids);
    }
    /* Thaw what we froze; and a paused container's tasks only die once thawed. */
    if (froze || (sig == SIGKILL && was_frozen == 1)) {
        hull_err *e = NULL;
        if (cgroup_set_freeze(s, false, &e) < 0) {
            if (rc == 0) {
                *err = e;
                rc = -1;
            } else {
                hull_err_free(e);
            }
        }
    }
    return rc;
}
