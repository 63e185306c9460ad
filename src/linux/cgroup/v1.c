/* cgroup v1: one hierarchy per controller (or a few co-mounted); resources are written into the
 * container's directory of the hierarchy that holds each controller. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

static int write_limit(int fd, const char *file, int64_t v, hull_err **err)
{
    /* v1 spells "unlimited" -1. */
    return cg_writef(fd, file, err, "%" PRId64, v < 0 ? (int64_t)-1 : v);
}

/* Memory and memory+swap must be raised in the right order: memsw >= limit at every step. */
static int apply_memory_limits(int fd, const struct hull_resources *r, bool update, hull_err **err)
{
    const struct hull_opt_i64 *limit = &r->memory.limit, *swap = &r->memory.swap;
    if (update && r->memory.check_before_update && limit->set && limit->v > 0) {
        uint64_t usage = 0;
        if (cg_read_u64(fd, "memory.usage_in_bytes", &usage, err) < 0)
            return hull_error_prefix(err, "memory.checkBeforeUpdate");
        if ((uint64_t)limit->v < usage)
            return hull_error(err, EBUSY,
                              "memory.limit: %" PRId64 " is below the current usage %" PRIu64
                              " (checkBeforeUpdate)",
                              limit->v, usage);
    }
    bool has_memsw = cg_exists(fd, "memory.memsw.limit_in_bytes");
    if (swap->set && !has_memsw)
        return hull_error(err, ENOTSUP,
                          "memory.swap: memory.memsw.limit_in_bytes does not exist (swap "
                          "accounting is off: boot with swapaccount=1)");
    if (limit->set && swap->set) {
        hull_err *first = NULL;
        if (write_limit(fd, "memory.limit_in_bytes", limit->v, &first) == 0) {
            if (write_limit(fd, "memory.memsw.limit_in_bytes", swap->v, err) < 0)
                return hull_error_prefix(err, "memory.swap");
            return 0;
        }
        hull_err_free(first);
        if (write_limit(fd, "memory.memsw.limit_in_bytes", swap->v, err) < 0)
            return hull_error_prefix(err, "memory.swap");
        if (write_limit(fd, "memory.limit_in_bytes", limit->v, err) < 0)
            return hull_error_prefix(err, "memory.limit");
        return 0;
    }
    if (limit->set) {
        /* A limit above memory.memsw fails. Without a swap setting, a container that had no
         * swap (memsw == limit) keeps having none: memsw follows the new limit. */
        if (write_limit(fd, "memory.limit_in_bytes", limit->v, err) < 0) {
            uint64_t memsw = 0, old = 0;
            hull_err *e = NULL;
            bool follow = has_memsw &&
                          cg_read_u64(fd, "memory.memsw.limit_in_bytes", &memsw, &e) == 0 &&
                          cg_read_u64(fd, "memory.limit_in_bytes", &old, &e) == 0 &&
                          (memsw == old || limit->v < 0);
            hull_err_free(e);
            if (!follow)
                return hull_error_prefix(err, "memory.limit");
            hull_err_freep(err);
            if (write_limit(fd, "memory.memsw.limit_in_bytes", limit->v, err) < 0 ||
                write_limit(fd, "memory.limit_in_bytes", limit->v, err) < 0)
                return hull_error_prefix(err, "memory.limit");
        }
    } else if (swap->set) {
        if (write_limit(fd, "memory.memsw.limit_in_bytes", swap->v, err) < 0)
            return hull_error_prefix(err, "memory.swap");
    }
    return 0;
}

static int apply_memory(int fd, const struct hull_resources *r, bool update, hull_err **err)
{
    if (apply_memory_limits(fd, r, update, err) < 0)
        return -1;
    if (r->memory.reservation.set &&
        write_limit(fd, "memory.soft_limit_in_bytes", r->memory.reservation.v, err) < 0)
        return hull_error_prefix(err, "memory.reservation");
    if (r->memory.kernel.set)
        hull_warn("memory.kernel is deprecated by the kernel and ignored, as runc does");
    if (r->memory.kernel_tcp.set &&
        write_limit(fd, "memory.kmem.tcp.limit_in_bytes", r->memory.kernel_tcp.v, err) < 0)
        return hull_error_prefix(err, "memory.kernelTCP");
    if (r->memory.swappiness.set &&
        cg_writef(fd, "memory.swappiness", err, "%" PRId64, r->memory.swappiness.v) < 0)
        return hull_error_prefix(err, "memory.swappiness");
    if (r->memory.has_disable_oom_killer &&
        cg_write(fd, "memory.oom_control", r->memory.disable_oom_killer ? "1" : "0", err) < 0)
        return hull_error_prefix(err, "memory.disableOOMKiller");
    return 0;
}

static int apply_cpu(int fd, const struct hull_resources *r, hull_err **err)
{
    if (r->cpu.shares.set && cg_writef(fd, "cpu.shares", err, "%" PRId64, r->cpu.shares.v) < 0)
        return hull_error_prefix(err, "cpu.shares");
    if (r->cpu.period.set &&
        cg_writef(fd, "cpu.cfs_period_us", err, "%" PRId64, r->cpu.period.v) < 0)
        return hull_error_prefix(err, "cpu.period");
    if (r->cpu.quota.set && cg_writef(fd, "cpu.cfs_quota_us", err, "%" PRId64, r->cpu.quota.v) < 0)
        return hull_error_prefix(err, "cpu.quota");
    if (r->cpu.burst.set && cg_writef(fd, "cpu.cfs_burst_us", err, "%" PRId64, r->cpu.burst.v) < 0)
        return hull_error_prefix(err, "cpu.burst");
    /* The period first: the runtime must fit in the period. */
    if (r->cpu.realtime_period.set &&
        cg_writef(fd, "cpu.rt_period_us", err, "%" PRId64, r->cpu.realtime_period.v) < 0)
        return hull_error_prefix(err, "cpu.realtimePeriod");
    if (r->cpu.realtime_runtime.set &&
        cg_writef(fd, "cpu.rt_runtime_us", err, "%" PRId64, r->cpu.realtime_runtime.v) < 0)
        return hull_error_prefix(err, "cpu.realtimeRuntime");
    if (r->cpu.idle.set && cg_writef(fd, "cpu.idle", err, "%" PRId64, r->cpu.idle.v) < 0)
        return hull_error_prefix(err, "cpu.idle");
    return 0;
}

static int apply_blkio(int fd, const struct hull_resources *r, hull_err **err)
{
    /* CFQ's blkio.weight, or BFQ's blkio.bfq.weight on newer kernels. */
    const char *weight_file = cg_exists(fd, "blkio.weight")       ? "blkio.weight"
                              : cg_exists(fd, "blkio.bfq.weight") ? "blkio.bfq.weight"
                                                                  : NULL;
    bool wants_weight = r->block_io.weight.set || r->block_io.n_weight_devices;
    if (wants_weight && weight_file == NULL)
        return hull_error(err, ENOTSUP,
                          "blockIO.weight: neither blkio.weight nor blkio.bfq.weight exists (no "
                          "CFQ/BFQ I/O scheduler)");
    if (r->block_io.weight.set &&
        cg_writef(fd, weight_file, err, "%" PRId64, r->block_io.weight.v) < 0)
        return hull_error_prefix(err, "blockIO.weight");
    if (r->block_io.leaf_weight.set &&
        cg_writef(fd, "blkio.leaf_weight", err, "%" PRId64, r->block_io.leaf_weight.v) < 0)
        return hull_error_prefix(err, "blockIO.leafWeight");
    for (size_t i = 0; i < r->block_io.n_weight_devices; i++) {
        const struct hull_block_device_weight *w = &r->block_io.weight_devices[i];
        char file[64];
        snprintf(file, sizeof file, "%s_device", weight_file);
        if (w->weight.set && cg_writef(fd, file, err, "%" PRId64 ":%" PRId64 " %" PRId64, w->major,
                                       w->minor, w->weight.v) < 0)
            return hull_error_prefix(err, "blockIO.weightDevice[%zu]", i);
        if (w->leaf_weight.set &&
            cg_writef(fd, "blkio.leaf_weight_device", err, "%" PRId64 ":%" PRId64 " %" PRId64,
                      w->major, w->minor, w->leaf_weight.v) < 0)
            return hull_error_prefix(err, "blockIO.weightDevice[%zu]", i);
    }
    static const char *const files[HULL_THROTTLE_COUNT] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
    static const char *const fields[HULL_THROTTLE_COUNT] = {
        "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice"};
    for (int t = 0; t < HULL_THROTTLE_COUNT; t++)
        for (size_t i = 0; i < r->block_io.n_throttle[t]; i++) {
            const struct hull_block_device_rate *d = &r->block_io.throttle[t][i];
            if (cg_writef(fd, files[t], err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
                          d->rate) < 0)
                return hull_error_prefix(err, "blockIO.%s[%zu]", fields[t], i);
        }
    return 0;
}

int cgroup_v1_apply(int fd, unsigned controllers, const struct hull_resources *r, bool update,
                    hull_err **err)
{
    if ((controllers & CG_BIT(CG_MEMORY)) && apply_memory(fd, r, update, err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_CPU)) && apply_cpu(fd, r, err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_CPUSET)) && cgroup_apply_cpuset(fd, r, err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_PIDS)) && cgroup_apply_pids(fd, r, err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_BLKIO)) && apply_blkio(fd, r, err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_HUGETLB)) &&
        cgroup_apply_hugetlb(fd, r, "limit_in_bytes", err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_NET_CLS)) && r->net_class_id.set &&
        cg_writef(fd, "net_cls.classid", err, "%" PRId64, r->net_class_id.v) < 0)
        return hull_error_prefix(err, "network.classID");
    if (controllers & CG_BIT(CG_NET_PRIO))
        for (size_t i = 0; i < r->n_net_priorities; i++)
            if (cg_writef(fd, "net_prio.ifpriomap", err, "%s %u", r->net_priorities[i].name,
                          r->net_priorities[i].priority) < 0)
                return hull_error_prefix(err, "network.priorities[%zu]", i);
    if ((controllers & CG_BIT(CG_RDMA)) && cgroup_apply_rdma(fd, r, err) < 0)
        return -1;
    return 0;
}

static void format_rule(char *buf, size_t size, const struct hull_device_rule *e)
{
    char major[24] = "*", minor[24] = "*", access[4];
    if (e->major >= 0)
        snprintf(major, sizeof major, "%" PRId64, e->major);
    if (e->minor >= 0)
        snprintf(minor, sizeof minor, "%" PRId64, e->minor);
    size_t n = 0;
    if (e->access & HULL_DEV_READ)
        access[n++] = 'r';
    if (e->access & HULL_DEV_WRITE)
        access[n++] = 'w';
    if (e->access & HULL_DEV_MKNOD)
        access[n++] = 'm';
    access[n] = '\0';
    snprintf(buf, size, "%c %s:%s %s", e->type, major, minor, access);
}

int cgroup_v1_apply_devices(int fd, const struct cgroup_device_policy *p, hull_err **err)
{
    /* The default first (it clears the exceptions), then the exceptions. */
    if (cg_write(fd, p->default_allow ? "devices.allow" : "devices.deny", "a", err) < 0)
        return hull_error_prefix(err, "devices");
    if (p->n == 0)
        return 0;
    /* The exceptions through one open file: the kernel takes each write() as one rule. */
    const char *file = p->default_allow ? "devices.deny" : "devices.allow";
    cleanup_close int knob = openat(fd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (knob < 0)
        return hull_error(err, errno, "devices: open `%s`", file);
    for (size_t i = 0; i < p->n; i++) {
        char rule[96];
        format_rule(rule, sizeof rule, &p->exceptions[i]);
        size_t len = strlen(rule);
        ssize_t n;
        do
            n = write(knob, rule, len);
        while (n < 0 && errno == EINTR);
        if (n < 0 || (size_t)n != len)
            return hull_error(err, n < 0 ? errno : EIO, "devices: write `%s` to `%s`", rule, file);
    }
    return 0;
}

/* runtime/period of a cpu cgroup directory; 0 for no budget, -1 for unlimited. */
static double rt_ratio(int dirfd)
{
    cleanup_free char *rt = NULL, *per = NULL;
    hull_err *e = NULL;
    if (cg_read(dirfd, "cpu.rt_runtime_us", &rt, &e) < 0 ||
        cg_read(dirfd, "cpu.rt_period_us", &per, &e) < 0) {
        hull_err_free(e);
        return 0;
    }
    double runtime = strtod(rt, NULL), period = strtod(per, NULL);
    if (runtime < 0)
        return -1;
    return period > 0 ? runtime / period : 0;
}

int cgroup_v1_grant_rt_budget(const struct cgroup_dir *d, const struct hull_resources *r,
                              hull_err **err)
{
    if (!r->cpu.realtime_runtime.set || r->cpu.realtime_runtime.v <= 0)
        return 0;
    double period = r->cpu.realtime_period.set ? (double)r->cpu.realtime_period.v : 1000000.0;
    double want = (double)r->cpu.realtime_runtime.v / period;
    cleanup_free char *path = strdup(d->path);
    if (path == NULL)
        return hull_error(err, ENOMEM, "cpu.realtimeRuntime");
    /* Each directory strictly between the base and the container's, top down. */
    for (size_t end = d->base_len + 1; end < strlen(d->path); end++) {
        if (d->path[end] != '/')
            continue;
        memcpy(path, d->path, end);
        path[end] = '\0';
        const char *next = d->path + end + 1; /* our child of this directory */
        size_t next_len = strcspn(next, "/");
        cleanup_close int fd = cg_open_dir(path, err);
        if (fd < 0)
            return -1;
        double have = rt_ratio(fd);
        if (have < 0)
            continue;
        double need = want;
        cleanup_dir DIR *dir = fdopendir(dup(fd));
        struct dirent *de;
        while (dir && (de = readdir(dir)) != NULL) {
            if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
                (strlen(de->d_name) == next_len && strncmp(de->d_name, next, next_len) == 0))
                continue;
            cleanup_close int child = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            double c = child >= 0 ? rt_ratio(child) : 0;
            if (c > 0)
                need += c;
        }
        if (have >= need)
            continue;
        cleanup_free char *per = NULL;
        if (cg_read(fd, "cpu.rt_period_us", &per, err) < 0)
            return hull_error_prefix(err, "cpu.realtimeRuntime: cgroup `%s`", path);
        double p = strtod(per, NULL);
        long long runtime = (long long)(need * p + 0.999);
        if (cg_writef(fd, "cpu.rt_runtime_us", err, "%lld", runtime) < 0)
            return hull_error_prefix(err,
                                     "cpu.realtimeRuntime: give the parent cgroup `%s` an rt "
                                     "budget of %lld us per %s us",
                                     path, runtime, per);
    }
    return 0;
}

/* A new v1 cpuset directory starts with no cpus and no mems, and a task cannot join it: runc and
 * crun copy the nearest ancestor's down every level they create. The kernel does that copy
 * itself at mkdir when the parent's cgroup.clone_children is 1 (cpuset_css_online; LXC sets it
 * on its cpuset parents), so hull sets it on its own default parent `/hull` the first time a
 * container there needs the copy: after that a new container's directory has them already, and
 * reading the leaf's two files (through the parent's fd) is all. Otherwise (a custom
 * cgroupsPath, a parent hull does not own) the copy as runc does it, read from the leaf up, so
 * that the usual case (a parent that has them) reads the leaf and its parent only. */
int cgroup_v1_prepare_cpuset(const struct cgroup_dir *d, int parent_fd, hull_err **err)
{
    /* Levels: [0] the existing base, [1..n] the ones below it, the last one the leaf. */
    size_t ends[64];
    size_t n = 0, len = strlen(d->path);
    ends[n++] = d->base_len;
    for (size_t end = d->base_len + 1; end <= len && n < sizeof ends / sizeof ends[0]; end++)
        if (d->path[end] == '/' || d->path[end] == '\0')
            ends[n++] = end;
    if (n < 2 || ends[n - 1] != len)
        return n < 2 ? 0 : hull_error(err, ENAMETOOLONG, "cpuset `%s`", d->path);
    static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
    bool copied = false;
    for (int f = 0; f < 2; f++) {
        char path[4200];
        cleanup_free char *val = NULL;
        if (parent_fd >= 0) {
            /* The leaf through its parent: set already (clone_children) is the usual case. */
            hull_err *e = NULL;
            snprintf(path, sizeof path, "%s/%s", strrchr(d->path, '/') + 1, files[f]);
            if (cg_read(parent_fd, path, &val, &e) == 0 && *val != '\0')
                continue;
            hull_err_free(e);
            free(val);
            val = NULL;
        }
        size_t i = n;
        while (i-- > 0) {
            snprintf(path, sizeof path, "%.*s/%s", (int)ends[i], d->path, files[f]);
            free(val);
            val = NULL;
            if (cg_read(AT_FDCWD, path, &val, err) < 0)
                return -1;
            if (*val != '\0' || i == 0)
                break;
        }
        /* Set already (i == n - 1), or copy down from level i (the base's, even empty). */
        for (size_t j = i + 1; j < n; j++) {
            snprintf(path, sizeof path, "%.*s/%s", (int)ends[j], d->path, files[f]);
            if (cg_write(AT_FDCWD, path, val, err) < 0)
                return hull_error_prefix(err, "copy %s of `%.*s`", files[f], (int)ends[j - 1],
                                         d->path);
            copied = true;
        }
    }
    /* The parent is hull's own `/hull` (right below the base): from now on the kernel copies. */
    size_t parent_len = ends[n - 2];
    if (copied && parent_len - d->base_len == strlen("/hull") &&
        strncmp(d->path + d->base_len, "/hull", strlen("/hull")) == 0) {
        char path[4200];
        snprintf(path, sizeof path, "%.*s/cgroup.clone_children", (int)parent_len, d->path);
        hull_err *e = NULL;
        if (cg_write(AT_FDCWD, path, "1", &e) < 0) {
            hull_debug("cpuset: %s", e->msg);
            hull_err_free(e);
        }
    }
    return 0;
}

int cgroup_v1_freeze(int fd, bool frozen, hull_err **err)
{
    const char *want = frozen ? "FROZEN" : "THAWED";
    for (int attempt = 0; attempt < 2000; attempt++) {
        if (attempt % 50 == 0 && cg_write(fd, "freezer.state", want, err) < 0)
            return -1;
        cleanup_free char *state = NULL;
        if (cg_read(fd, "freezer.state", &state, err) < 0)
            return -1;
        if (strcmp(state, want) == 0)
            return 0;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return hull_error(err, EBUSY, "freezer.state did not become %s", want);
}

int cgroup_v1_is_frozen(int fd)
{
    cleanup_free char *state = NULL;
    hull_err *e = NULL;
    if (cg_read(fd, "freezer.state", &state, &e) < 0) {
        hull_err_free(e);
        return -1;
    }
    /* FREEZING counts as paused: it is on its way and no longer runs freely. */
    return strcmp(state, "THAWED") != 0;
}
