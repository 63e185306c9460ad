/* Shared between the files of linux/cgroup/ only: knob I/O relative to a cgroup directory fd,
 * the v1 and v2 resource writers, and the device-rule model both enforce. */
#ifndef HULL_LINUX_CGROUP_INTERNAL_H
#define HULL_LINUX_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "linux/cgroup/cgroup.h"

/* ---- mount_list.c: the cgroup mounts of this mount namespace as /proc/self/mountinfo lines
 * (listed with statmount(2) where the kernel has it, else mountinfo itself, all of it). `self`:
 * the text of /proc/self/cgroup when the caller has read it (NULL: read here if needed). */
int cgroup_mounts_text(const char *self, char **out, hull_err **err);

/* ---- files.c: knobs. Files are never created: a missing file is a missing feature. */
int cg_write(int dirfd, const char *file, const char *value, hull_err **err);
int cg_writef(int dirfd, const char *file, hull_err **err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Read a knob, trailing newline removed. */
int cg_read(int dirfd, const char *file, char **out, hull_err **err);
/* A number ("max" reads as UINT64_MAX). */
int cg_read_u64(int dirfd, const char *file, uint64_t *out, hull_err **err);
/* The value of `key` in a "key value" per line file (memory.stat, memory.events...); returns 0
 * and sets *out when found, -1 otherwise (no error object: absence is normal). */
int cg_read_keyed(int dirfd, const char *file, const char *key, uint64_t *out);
bool cg_exists(int dirfd, const char *file);
/* Open a cgroup directory. */
int cg_open_dir(const char *path, hull_err **err);
/* "max" for negative (unlimited) values, the number otherwise. */
const char *cg_limit_str(char *buf, size_t size, int64_t v);

/* Writers whose files are spelled alike on v1 and v2: hugetlb.SIZE.<suffix> ("limit_in_bytes"
 * on v1, "max" on v2) rdma.max, cpuset.cpus/mems and pids.max. */
int cgroup_apply_hugetlb(int dirfd, const struct hull_resources *r, const char *suffix,
                         hull_err **err);
int cgroup_apply_rdma(int dirfd, const struct hull_resources *r, hull_err **err);
int cgroup_apply_cpuset(int dirfd, const struct hull_resources *r, hull_err **err);
int cgroup_apply_pids(int dirfd, const struct hull_resources *r, hull_err **err);

/* ---- device_rules.c: the v1 device-controller semantics, computed in user space, so that v1
 * and the BPF program enforce exactly the same thing. Rules apply in order from the kernel's
 * initial "allow everything"; a type 'a' rule for every device with rwm switches the default
 * and clears the exceptions; any other rule either adds an exception (when it disagrees with the
 * default) or removes access bits from an identical exception (when it agrees). */
struct cgroup_device_policy {
    bool default_allow;
    struct hull_device_rule *exceptions; /* type 'c' or 'b' only; allow = !default_allow */
    size_t n;
};
int cgroup_devices_compute(const struct hull_device_rule *rules, size_t n,
                           struct cgroup_device_policy *out, hull_err **err);
void cgroup_device_policy_clear(struct cgroup_device_policy *p);
/* Is it the policy of the default rules alone (deny everything, then runc's allowed devices):
 * what nearly every container gets, the one device program worth keeping loaded. */
bool cgroup_devices_is_default(const struct cgroup_device_policy *p);
/* Does the policy allow `access` (HULL_DEV_*) to the device type/major/minor? */
bool cgroup_devices_allows(const struct cgroup_device_policy *p, char type, int64_t major,
                           int64_t minor, unsigned access);
/* The rules a container gets: the configured ones followed by runc's default allowed devices
 * (mknod of anything, /dev/null, zero, full, random, urandom, tty, console, pts, ptmx). */
int cgroup_devices_with_defaults(const struct hull_resources *r, struct hull_device_rule **out,
                                 size_t *n, hull_err **err);

/* ---- bpf_devices.c */
struct bpf_insn;
/* Generate the program for a policy; *n_insns instructions in a malloc'd array. */
int bpf_devices_generate(const struct cgroup_device_policy *p, struct bpf_insn **insns,
                         size_t *n_insns, hull_err **err);
/* Load the program and attach it to the cgroup2 directory, replacing (detaching) the programs
 * hull attached before. `anchor_parent_fd`: a directory of the same hierarchy where the loaded
 * program is kept for the next container of the same policy (hull's own `/hull`), or -1. */
int bpf_devices_attach(int cgroup_fd, const struct cgroup_device_policy *p, int anchor_parent_fd,
                       hull_err **err);

/* ---- v1.c / v2.c: each writes the resources of the controllers its directory holds. */
int cgroup_v1_apply(int dirfd, unsigned controllers, const struct hull_resources *r, bool update,
                    hull_err **err);
int cgroup_v1_apply_devices(int dirfd, const struct cgroup_device_policy *p, hull_err **err);
/* A new cpuset directory's cpus and mems (`parent_fd`: the directory above it, or -1). */
int cgroup_v1_prepare_cpuset(const struct cgroup_dir *d, int parent_fd, hull_err **err);
/* cpu.realtimeRuntime under parents hull created (/hull): a parent's rt budget starts at 0 and
 * the kernel refuses a child more than its parent has (EINVAL). Give each created parent, top
 * down, what its children's budgets add up to with this one, as runc does. */
int cgroup_v1_grant_rt_budget(const struct cgroup_dir *d, const struct hull_resources *r,
                              hull_err **err);
int cgroup_v1_freeze(int dirfd, bool frozen, hull_err **err);
int cgroup_v1_is_frozen(int dirfd);

int cgroup_v2_apply(int dirfd, unsigned controllers, const struct hull_resources *r, bool update,
                    hull_err **err);
/* Write "+ctrl" for `want` into cgroup.subtree_control of every ancestor of the directory below
 * its base (the mount root or our own cgroup). */
int cgroup_v2_enable_controllers(const struct cgroup_dir *d, unsigned want, hull_err **err);
int cgroup_v2_freeze(int dirfd, bool frozen, hull_err **err);
int cgroup_v2_is_frozen(int dirfd);
/* cpu.shares (2..262144) to cpu.weight (1..10000) the way crun and runc convert today: a
 * quadratic in log2 space that maps 2 -> 1, 1024 -> 100 and 262144 -> 10000. */
uint64_t cgroup_v2_shares_to_weight(uint64_t shares);
/* blkio weight (10..1000) to io.weight (1..10000), linearly as runc does. */
uint64_t cgroup_v2_blkio_to_io_weight(uint64_t weight);
/* OCI memory.swap is memory+swap; v2 memory.swap.max is swap alone. -1 = "max". */
int cgroup_v2_swap_value(int64_t limit, bool limit_set, int64_t swap, int64_t *out, hull_err **err);

#endif
