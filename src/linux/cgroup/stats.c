/* Statistics for `events`, in runc's JSON shape (libcontainer/events types): cpu, memory, pids,
 * blkio, hugetlb; plus the OOM-kill counter and a notification fd for OOM events. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"

static uint64_t read_u64_or0(int fd, const char *file)
{
    uint64_t v = 0;
    hull_err *e = NULL;
    if (cg_read_u64(fd, file, &v, &e) < 0) {
        hull_err_free(e);
        return 0;
    }
    return v == UINT64_MAX ? 0 : v;
}

/* "max" stays a huge number for limits, as runc reports them. */
static uint64_t read_limit(int fd, const char *file)
{
    uint64_t v = 0;
    hull_err *e = NULL;
    if (cg_read_u64(fd, file, &v, &e) < 0) {
        hull_err_free(e);
        return 0;
    }
    return v;
}

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *read_u64_list(int fd, const char *file)
{
    json_t *arr = json_array();
    cleanup_free char *text = NULL;
    hull_err *e = NULL;
    if (cg_read(fd, file, &text, &e) < 0) {
        hull_err_free(e);
        return arr;
    }
    for (char *p = text; *p;) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p)
            break;
        json_array_append_new(arr, u64(v));
        p = end;
    }
    return arr;
}

static json_t *cpu_v1(int cpu_fd, int acct_fd)
{
    json_t *usage = json_object(), *thr = json_object();
    if (acct_fd >= 0) {
        json_object_set_new(usage, "total", u64(read_u64_or0(acct_fd, "cpuacct.usage")));
        json_object_set_new(usage, "percpu", read_u64_list(acct_fd, "cpuacct.usage_percpu"));
        json_object_set_new(usage, "percpu_kernel",
                            read_u64_list(acct_fd, "cpuacct.usage_percpu_sys"));
        json_object_set_new(usage, "percpu_user",
                            read_u64_list(acct_fd, "cpuacct.usage_percpu_user"));
        /* cpuacct.stat is in clock ticks; runc reports nanoseconds. */
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t user = 0, system = 0;
        cg_read_keyed(acct_fd, "cpuacct.stat", "user", &user);
        cg_read_keyed(acct_fd, "cpuacct.stat", "system", &system);
        json_object_set_new(usage, "kernel", u64(system * (1000000000ull / (uint64_t)hz)));
        json_object_set_new(usage, "user", u64(user * (1000000000ull / (uint64_t)hz)));
    }
    if (cpu_fd >= 0) {
        uint64_t v = 0;
        if (cg_read_keyed(cpu_fd, "cpu.stat", "nr_periods", &v) == 0)
            json_object_set_new(thr, "periods", u64(v));
        if (cg_read_keyed(cpu_fd, "cpu.stat", "nr_throttled", &v) == 0)
            json_object_set_new(thr, "throttled_periods", u64(v));
        if (cg_read_keyed(cpu_fd, "cpu.stat", "throttled_time", &v) == 0)
            json_object_set_new(thr, "throttled_time", u64(v));
    }
    return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
}

static json_t *cpu_v2(int fd)
{
    json_t *usage = json_object(), *thr = json_object();
    uint64_t v = 0;
    if (cg_read_keyed(fd, "cpu.stat", "usage_usec", &v) == 0)
        json_object_set_new(usage, "total", u64(v * 1000));
    if (cg_read_keyed(fd, "cpu.stat", "system_usec", &v) == 0)
        json_object_set_new(usage, "kernel", u64(v * 1000));
    if (cg_read_keyed(fd, "cpu.stat", "user_usec", &v) == 0)
        json_object_set_new(usage, "user", u64(v * 1000));
    if (cg_read_keyed(fd, "cpu.stat", "nr_periods", &v) == 0)
        json_object_set_new(thr, "periods", u64(v));
    if (cg_read_keyed(fd, "cpu.stat", "nr_throttled", &v) == 0)
        json_object_set_new(thr, "throttled_periods", u64(v));
    if (cg_read_keyed(fd, "cpu.stat", "throttled_usec", &v) == 0)
        json_object_set_new(thr, "throttled_time", u64(v * 1000));
    return json_pack("{s:o, s:o}", "usage", usage, "throttling", thr);
}

/* memory.stat as the "raw" map. */
static json_t *read_stat_map(int fd, const char *file)
{
    json_t *raw = json_object();
    cleanup_free char *text = NULL;
    hull_err *e = NULL;
    if (cg_read(fd, file, &text, &e) < 0) {
        hull_err_free(e);
        return raw;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char key[128];
        unsigned long long v;
        if (sscanf(line, "%127s %llu", key, &v) == 2)
            json_object_set_new(raw, key, u64(v));
    }
    return raw;
}

static json_t *mem_entry_v1(int fd, const char *prefix)
{
    char f[128];
    json_t *o = json_object();
    snprintf(f, sizeof f, "%s.limit_in_bytes", prefix);
    json_object_set_new(o, "limit", u64(read_limit(fd, f)));
    snprintf(f, sizeof f, "%s.usage_in_bytes", prefix);
    json_object_set_new(o, "usage", u64(read_u64_or0(fd, f)));
    snprintf(f, sizeof f, "%s.max_usage_in_bytes", prefix);
    json_object_set_new(o, "max", u64(read_u64_or0(fd, f)));
    snprintf(f, sizeof f, "%s.failcnt", prefix);
    json_object_set_new(o, "failcnt", u64(read_u64_or0(fd, f)));
    return o;
}

static json_t *memory_v1(int fd)
{
    json_t *m = json_object();
    json_t *raw = read_stat_map(fd, "memory.stat");
    json_t *cache = json_object_get(raw, "cache");
    json_object_set_new(m, "cache", cache ? json_incref(cache) : u64(0));
    json_object_set_new(m, "usage", mem_entry_v1(fd, "memory"));
    if (cg_exists(fd, "memory.memsw.usage_in_bytes"))
        json_object_set_new(m, "swap", mem_entry_v1(fd, "memory.memsw"));
    if (cg_exists(fd, "memory.kmem.usage_in_bytes"))
        json_object_set_new(m, "kernel", mem_entry_v1(fd, "memory.kmem"));
    if (cg_exists(fd, "memory.kmem.tcp.usage_in_bytes"))
        json_object_set_new(m, "kernelTCP", mem_entry_v1(fd, "memory.kmem.tcp"));
    json_object_set_new(m, "raw", raw);
    return m;
}

static json_t *memory_v2(int fd)
{
    json_t *m = json_object();
    json_t *raw = read_stat_map(fd, "memory.stat");
    json_t *cache = json_object_get(raw, "file");
    json_object_set_new(m, "cache", cache ? json_incref(cache) : u64(0));
    uint64_t failcnt = 0;
    cg_read_keyed(fd, "memory.events", "max", &failcnt);
    uint64_t current = read_u64_or0(fd, "memory.current");
    json_object_set_new(m, "usage",
                        json_pack("{s:o, s:o, s:o, s:o}", "limit",
                                  u64(read_limit(fd, "memory.max")), "usage", u64(current), "max",
                                  u64(read_u64_or0(fd, "memory.peak")), "failcnt", u64(failcnt)));
    if (cg_exists(fd, "memory.swap.current"))
        json_object_set_new(
            m, "swap",
            json_pack("{s:o, s:o, s:o}", "limit", u64(read_limit(fd, "memory.swap.max")), "usage",
                      u64(read_u64_or0(fd, "memory.swap.current") + current), "failcnt", u64(0)));
    json_object_set_new(m, "raw", raw);
    return m;
}

static json_t *pids_stats(int fd)
{
    return json_pack("{s:o, s:o}", "current", u64(read_u64_or0(fd, "pids.current")), "limit",
                     u64(read_u64_or0(fd, "pids.max")));
}

/* v1 "8:0 Read 4096" lines. */
static json_t *blkio_v1_entries(int fd, const char *file)
{
    json_t *arr = json_array();
    cleanup_free char *text = NULL;
    hull_err *e = NULL;
    if (cg_read(fd, file, &text, &e) < 0) {
        hull_err_free(e);
        return arr;
    }
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long major, minor, v;
        char op[32];
        if (sscanf(line, "%llu:%llu %31s %llu", &major, &minor, op, &v) == 4)
            json_array_append_new(arr, json_pack("{s:o, s:o, s:s, s:o}", "major", u64(major),
                                                 "minor", u64(minor), "op", op, "value", u64(v)));
    }
    return arr;
}

static json_t *blkio_v1(int fd)
{
    return json_pack("{s:o, s:o}", "ioServiceBytesRecursive",
                     blkio_v1_entries(fd, "blkio.throttle.io_service_bytes_recursive"),
                     "ioServicedRecursive",
                     blkio_v1_entries(fd, "blkio.throttle.io_serviced_recursive"));
}

/* v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." */
static json_t *blkio_v2(int fd)
{
    json_t *bytes = json_array(), *ios = json_array();
    cleanup_free char *text = NULL;
    hull_err *e = NULL;
    if (cg_read(fd, "io.stat", &text, &e) < 0)
        hull_err_free(e);
    char *save = NULL;
    for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save)) {
        unsigned long long major, minor;
        if (sscanf(line, "%llu:%llu", &major, &minor) != 2)
            continue;
        static const struct {
            const char *key, *op;
            bool bytes;
        } map[] = {{"rbytes=", "Read", true},
                   {"wbytes=", "Write", true},
                   {"rios=", "Read", false},
                   {"wios=", "Write", false}};
        for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
            const char *p = strstr(line, map[i].key);
            if (p == NULL)
                continue;
            json_array_append_new(map[i].bytes ? bytes : ios,
                                  json_pack("{s:o, s:o, s:s, s:o}", "major", u64(major), "minor",
                                            u64(minor), "op", map[i].op, "value",
                                            u64(strtoull(p + strlen(map[i].key), NULL, 10))));
        }
    }
    return json_pack("{s:o, s:o}", "ioServiceBytesRecursive", bytes, "ioServicedRecursive", ios);
}

/* Hugepage sizes of the host as cgroup files name them: hugepages-2048kB -> "2MB". */
static void hugetlb_stats(json_t *out, int fd, bool v2)
{
    cleanup_dir DIR *d = opendir("/sys/kernel/mm/hugepages");
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        unsigned long long kb;
        if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1)
            continue;
        char size[32];
        if (kb >= 1024 * 1024 && kb % (1024 * 1024) == 0)
            snprintf(size, sizeof size, "%lluGB", kb / (1024 * 1024));
        else if (kb >= 1024 && kb % 1024 == 0)
            snprintf(size, sizeof size, "%lluMB", kb / 1024);
        else
            snprintf(size, sizeof size, "%lluKB", kb);
        char f1[96], f2[96], f3[96];
        uint64_t failcnt = 0;
        if (v2) {
            snprintf(f1, sizeof f1, "hugetlb.%s.current", size);
            snprintf(f2, sizeof f2, "hugetlb.%s.max", size);
            snprintf(f3, sizeof f3, "hugetlb.%s.events", size);
            cg_read_keyed(fd, f3, "max", &failcnt);
        } else {
            snprintf(f1, sizeof f1, "hugetlb.%s.usage_in_bytes", size);
            snprintf(f2, sizeof f2, "hugetlb.%s.max_usage_in_bytes", size);
            snprintf(f3, sizeof f3, "hugetlb.%s.failcnt", size);
            failcnt = read_u64_or0(fd, f3);
        }
        if (!cg_exists(fd, f1))
            continue;
        json_object_set_new(out, size,
                            json_pack("{s:o, s:o, s:o}", "usage", u64(read_u64_or0(fd, f1)), "max",
                                      u64(read_u64_or0(fd, f2)), "failcnt", u64(failcnt)));
    }
}

static int open_for(const struct cgroup_set *s, enum cgroup_controller c, bool *v2)
{
    const struct cgroup_dir *d = cgroup_set_dir_for(s, c);
    if (d == NULL)
        return -1;
    *v2 = d->v2;
    return open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

int cgroup_set_stats(const struct cgroup_set *s, json_t **out, hull_err **err)
{
    (void)err;
    json_t *st = json_object();
    bool v2 = false, acct_v2 = false;
    cleanup_close int cpu = open_for(s, CG_CPU, &v2);
    cleanup_close int acct = open_for(s, CG_CPUACCT, &acct_v2);
    if (cpu >= 0 && v2)
        json_object_set_new(st, "cpu", cpu_v2(cpu));
    else if (cpu >= 0 || acct >= 0)
        json_object_set_new(st, "cpu", cpu_v1(cpu, acct));
    cleanup_close int mem = open_for(s, CG_MEMORY, &v2);
    if (mem >= 0)
        json_object_set_new(st, "memory", v2 ? memory_v2(mem) : memory_v1(mem));
    cleanup_close int pids = open_for(s, CG_PIDS, &v2);
    if (pids >= 0)
        json_object_set_new(st, "pids", pids_stats(pids));
    cleanup_close int blk = open_for(s, CG_BLKIO, &v2);
    if (blk >= 0)
        json_object_set_new(st, "blkio", v2 ? blkio_v2(blk) : blkio_v1(blk));
    json_t *huge = json_object();
    cleanup_close int h = open_for(s, CG_HUGETLB, &v2);
    if (h >= 0)
        hugetlb_stats(huge, h, v2);
    json_object_set_new(st, "hugetlb", huge);
    *out = st;
    return 0;
}

int cgroup_set_oom_kills(const struct cgroup_set *s, uint64_t *count, hull_err **err)
{
    bool v2 = false;
    cleanup_close int fd = open_for(s, CG_MEMORY, &v2);
    if (fd < 0)
        return hull_error(err, ENOTSUP, "no memory controller");
    *count = 0;
    if (cg_read_keyed(fd, v2 ? "memory.events" : "memory.oom_control", "oom_kill", count) < 0)
        return hull_error(err, ENOENT, "no oom_kill counter in the memory cgroup");
    return 0;
}

int cgroup_set_oom_notify_fd(const struct cgroup_set *s, hull_err **err)
{
    const struct cgroup_dir *d = cgroup_set_dir_for(s, CG_MEMORY);
    if (d == NULL)
        return hull_error(err, ENOTSUP, "no memory controller");
    if (d->v2) {
        cleanup_close int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (in < 0)
            return hull_error(err, errno, "inotify_init1");
        cleanup_free char *path = NULL;
        if (asprintf(&path, "%s/memory.events", d->path) < 0)
            return hull_error(err, ENOMEM, "memory.events");
        if (inotify_add_watch(in, path, IN_MODIFY) < 0)
            return hull_error(err, errno, "watch `%s`", path);
        return steal_fd(&in);
    }
    /* v1: an eventfd registered through cgroup.event_control fires on OOM. */
    cleanup_close int dir = cg_open_dir(d->path, err);
    if (dir < 0)
        return -1;
    cleanup_close int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0)
        return hull_error(err, errno, "eventfd");
    cleanup_close int ctl = openat(dir, "memory.oom_control", O_RDONLY | O_CLOEXEC);
    if (ctl < 0)
        return hull_error(err, errno, "open memory.oom_control");
    if (cg_writef(dir, "cgroup.event_control", err, "%d %d", efd, ctl) < 0)
        return -1;
    return steal_fd(&efd);
}
