/* cgroup v2: the unified hierarchy. Resources are written into the container's one directory;
 * controllers must first be enabled in cgroup.subtree_control of every ancestor. Unit tests run
 * these writers against a plain directory tree (tests/unit/test_cgroup_v2_files.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/log.h"

uint64_t cgroup_v2_shares_to_weight(uint64_t shares)
{
    if (shares == 0)
        return 0;
    if (shares <= 2)
        return 1;
    if (shares >= 262144)
        return 10000;
    double l = log2((double)shares);
    double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
    return (uint64_t)ceil(pow(10.0, exponent));
}

uint64_t cgroup_v2_blkio_to_io_weight(uint64_t weight)
{
    if (weight == 0)
        return 0;
    return 1 + (weight - 10) * 9999 / 990;
}

int cgroup_v2_swap_value(int64_t limit, bool limit_set, int64_t swap, int64_t *out, hull_err **err)
{
    if (swap < 0) {
        *out = -1;
        return 0;
    }
    if (!limit_set || limit < 0)
        return hull_error(err, EINVAL,
                          "memory.swap: a limit on memory+swap needs a finite memory.limit on "
                          "cgroup v2");
    if (swap < limit)
        return hull_error(err, EINVAL, "memory.swap: %" PRId64 " is below memory.limit %" PRId64,
                          swap, limit);
    *out = swap - limit;
    return 0;
}

static int apply_memory(int fd, const struct hull_resources *r, bool update, hull_err **err)
{
    char buf[32];
    const struct hull_opt_i64 *limit = &r->memory.limit;
    if (update && r->memory.check_before_update && limit->set && limit->v > 0) {
        uint64_t usage = 0;
        if (cg_read_u64(fd, "memory.current", &usage, err) < 0)
            return hull_error_prefix(err, "memory.checkBeforeUpdate");
        if ((uint64_t)limit->v < usage)
            return hull_error(err, EBUSY,
                              "memory.limit: %" PRId64 " is below the current usage %" PRIu64
                              " (checkBeforeUpdate)",
                              limit->v, usage);
    }
    if (r->memory.swap.set) {
        int64_t swap;
        if (cgroup_v2_swap_value(limit->v, limit->set, r->memory.swap.v, &swap, err) < 0)
            return -1;
        /* Lower swap first: memory.max and memory.swap.max are independent on v2. */
        if (cg_write(fd, "memory.swap.max", cg_limit_str(buf, sizeof buf, swap), err) < 0)
            return hull_error_prefix(err, "memory.swap");
    }
    if (limit->set && cg_write(fd, "memory.max", cg_limit_str(buf, sizeof buf, limit->v), err) < 0)
        return hull_error_prefix(err, "memory.limit");
    if (r->memory.reservation.set &&
        cg_write(fd, "memory.low", cg_limit_str(buf, sizeof buf, r->memory.reservation.v), err) < 0)
        return hull_error_prefix(err, "memory.reservation");
    if (r->memory.kernel.set || r->memory.kernel_tcp.set)
        hull_warn("memory.kernel and memory.kernelTCP do not exist on cgroup v2: ignored, as runc "
                  "does");
    return 0;
}

static int apply_cpu(int fd, const struct hull_resources *r, hull_err **err)
{
    if (r->cpu.shares.set && cg_writef(fd, "cpu.weight", err, "%" PRIu64,
                                       cgroup_v2_shares_to_weight((uint64_t)r->cpu.shares.v)) < 0)
        return hull_error_prefix(err, "cpu.shares");
    if (r->cpu.quota.set || r->cpu.period.set) {
        /* cpu.max holds both: keep the half that is not being set. */
        char quota[32] = "max";
        int64_t period = 100000;
        cleanup_free char *cur = NULL;
        hull_err *e = NULL;
        if (cg_read(fd, "cpu.max", &cur, &e) == 0)
            sscanf(cur, "%31s %" SCNd64, quota, &period);
        else
            hull_err_free(e);
        if (r->cpu.quota.set)
            cg_limit_str(quota, sizeof quota, r->cpu.quota.v);
        if (r->cpu.period.set)
            period = r->cpu.period.v;
        if (cg_writef(fd, "cpu.max", err, "%s %" PRId64, quota, period) < 0)
            return hull_error_prefix(err, "cpu.quota");
    }
    if (r->cpu.burst.set && cg_writef(fd, "cpu.max.burst", err, "%" PRId64, r->cpu.burst.v) < 0)
        return hull_error_prefix(err, "cpu.burst");
    if (r->cpu.idle.set && cg_writef(fd, "cpu.idle", err, "%" PRId64, r->cpu.idle.v) < 0)
        return hull_error_prefix(err, "cpu.idle");
    return 0;
}

static int apply_io(int fd, const struct hull_resources *r, hull_err **err)
{
    /* BFQ takes blkio's 1..1000 scale as is; io.weight is 1..10000. */
    bool bfq = cg_exists(fd, "io.bfq.weight");
    const char *file = bfq ? "io.bfq.weight" : "io.weight";
    if (r->block_io.weight.set) {
        uint64_t w = bfq ? (uint64_t)r->block_io.weight.v
                         : cgroup_v2_blkio_to_io_weight((uint64_t)r->block_io.weight.v);
        if (cg_writef(fd, file, err, "default %" PRIu64, w) < 0)
            return hull_error_prefix(err, "blockIO.weight");
    }
    for (size_t i = 0; i < r->block_io.n_weight_devices; i++) {
        const struct hull_block_device_weight *d = &r->block_io.weight_devices[i];
        if (!d->weight.set)
            continue;
        uint64_t w =
            bfq ? (uint64_t)d->weight.v : cgroup_v2_blkio_to_io_weight((uint64_t)d->weight.v);
        if (cg_writef(fd, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, w) < 0)
            return hull_error_prefix(err, "blockIO.weightDevice[%zu]", i);
    }
    static const char *const keys[HULL_THROTTLE_COUNT] = {"rbps", "wbps", "riops", "wiops"};
    static const char *const fields[HULL_THROTTLE_COUNT] = {
        "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice"};
    for (int t = 0; t < HULL_THROTTLE_COUNT; t++)
        for (size_t i = 0; i < r->block_io.n_throttle[t]; i++) {
            const struct hull_block_device_rate *d = &r->block_io.throttle[t][i];
            char rate[32] = "max";
            if (d->rate > 0)
                snprintf(rate, sizeof rate, "%" PRIu64, d->rate);
            if (cg_writef(fd, "io.max", err, "%" PRId64 ":%" PRId64 " %s=%s", d->major, d->minor,
                          keys[t], rate) < 0)
                return hull_error_prefix(err, "blockIO.%s[%zu]", fields[t], i);
        }
    return 0;
}

static int apply_unified(int fd, const struct hull_resources *r, hull_err **err)
{
    for (size_t i = 0; i < r->n_unified; i++) {
        const char *key = r->unified[2 * i], *value = r->unified[2 * i + 1];
        if (!cg_exists(fd, key))
            return hull_error(err, ENOENT,
                              "unified.%s: no such file in the container's cgroup (is its "
                              "controller enabled on cgroup v2?)",
                              key);
        if (cg_write(fd, key, value, err) < 0)
            return hull_error_prefix(err, "unified.%s", key);
    }
    return 0;
}

int cgroup_v2_apply(int fd, unsigned controllers, const struct hull_resources *r, bool update,
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
    if ((controllers & CG_BIT(CG_BLKIO)) && apply_io(fd, r, err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_HUGETLB)) && cgroup_apply_hugetlb(fd, r, "max", err) < 0)
        return -1;
    if ((controllers & CG_BIT(CG_RDMA)) && cgroup_apply_rdma(fd, r, err) < 0)
        return -1;
    return apply_unified(fd, r, err);
}

int cgroup_v2_enable_controllers(const struct cgroup_dir *d, unsigned want, hull_err **err)
{
    if (want == 0)
        return 0;
    cleanup_free char *path = strdup(d->path);
    if (path == NULL)
        return hull_error(err, ENOMEM, "cgroup path");
    /* Every ancestor of the leaf from the base (included) down to the parent. */
    size_t leaf = strrchr(d->path, '/') - d->path;
    for (size_t end = d->base_len; end <= leaf; end++) {
        if (d->path[end] != '/')
            continue;
        memcpy(path, d->path, end);
        path[end] = '\0';
        cleanup_close int fd = cg_open_dir(path, err);
        if (fd < 0)
            return -1;
        for (int c = 0; c < CG_COUNT; c++) {
            if (!(want & CG_BIT(c)))
                continue;
            if (cg_writef(fd, "cgroup.subtree_control", err, "+%s",
                          cgroup_controller_name(c, true)) < 0)
                return hull_error_prefix(err, "enable the %s controller in `%s`",
                                         cgroup_controller_name(c, true), path);
        }
    }
    return 0;
}

int cgroup_v2_freeze(int fd, bool frozen, hull_err **err)
{
    if (cg_write(fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
        return -1;
    /* cgroup.events says "frozen 1" once every task stopped. */
    for (int attempt = 0; attempt < 2000; attempt++) {
        uint64_t state = 0;
        if (cg_read_keyed(fd, "cgroup.events", "frozen", &state) < 0)
            return 0; /* no events file: trust the write */
        if ((state == 1) == frozen)
            return 0;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return hull_error(err, EBUSY, "cgroup.freeze: the cgroup did not become %s",
                      frozen ? "frozen" : "thawed");
}

int cgroup_v2_is_frozen(int fd)
{
    uint64_t v = 0;
    cleanup_free char *text = NULL;
    hull_err *e = NULL;
    if (cg_read(fd, "cgroup.freeze", &text, &e) < 0) {
        hull_err_free(e);
        return -1;
    }
    v = strtoull(text, NULL, 10);
    return v != 0;
}
