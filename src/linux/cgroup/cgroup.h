/* cgroups: the container's control groups on whatever layout the host has — cgroup v1 only,
 * hybrid (v1 controllers plus a cgroup2 mount, usually /sys/fs/cgroup/unified) or unified v2.
 *
 * A container's cgroups are a `cgroup_set`: one directory in every mounted hierarchy. Each
 * controller is bound to exactly one hierarchy, so every resource is written in exactly one
 * directory: the v1 one holding the controller, else the v2 one when the controller is enabled
 * there. Device rules are enforced in both worlds when both exist: v1 devices.allow/deny and a
 * BPF_PROG_TYPE_CGROUP_DEVICE program on the v2 directory (bpf_devices.c).
 *
 * layout.c detects the hierarchies and plans paths; cgroup.c creates, fills, freezes and removes
 * the set; v1.c and v2.c write resources; stats.c reads them back for `events`. */
#ifndef HULL_LINUX_CGROUP_CGROUP_H
#define HULL_LINUX_CGROUP_CGROUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config.h"
#include "util/error.h"

enum cgroup_layout {
    CGROUP_LAYOUT_NONE = 0, /* nothing mounted */
    CGROUP_LAYOUT_LEGACY,   /* v1 hierarchies only */
    CGROUP_LAYOUT_HYBRID,   /* v1 controllers and a cgroup2 mount */
    CGROUP_LAYOUT_UNIFIED,  /* cgroup2 at /sys/fs/cgroup */
};

enum cgroup_controller {
    CG_CPU = 0,
    CG_CPUACCT,
    CG_CPUSET,
    CG_MEMORY,
    CG_DEVICES,
    CG_FREEZER,
    CG_BLKIO, /* "io" on v2 */
    CG_PIDS,
    CG_HUGETLB,
    CG_NET_CLS,
    CG_NET_PRIO,
    CG_RDMA,
    CG_MISC,
    CG_PERF_EVENT,
    CG_COUNT
};
#define CG_BIT(c) (1u << (c))

/* Name of a controller as v1 mounts it and v2 lists it ("blkio" vs "io"). */
const char *cgroup_controller_name(enum cgroup_controller c, bool v2);
/* Controller bit of a name from either world; 0 when unknown. */
unsigned cgroup_controller_bit(const char *name);

struct cgroup_hierarchy {
    char *mountpoint; /* /sys/fs/cgroup/memory */
    char *root;       /* the hierarchy's directory mounted there ("/" but in a cgroup namespace) */
    char *options;    /* the mount's super options ("rw,cpu,cpuacct", "rw,nsdelegate") */
    bool v2;
    unsigned controllers; /* CG_BIT()s bound here (v2: listed in the root's cgroup.controllers) */
    char *name;           /* v1 name= hierarchy ("systemd"), NULL otherwise */
    char *own;            /* this process's cgroup in the hierarchy, from /proc/self/cgroup */
};

struct cgroup_host {
    enum cgroup_layout layout;
    struct cgroup_hierarchy *h;
    size_t n;
};

/* Detect the host's hierarchies from /proc/self/mountinfo, /proc/self/cgroup and statfs. */
int cgroup_host_detect(struct cgroup_host *host, hull_err **err);
/* Only the cgroup mounts of /proc/self/mountinfo, in its order (no `own`, no v2 controllers, no
 * statfs, layout from the mounts alone): for callers on a fast path (exec, the container's
 * cgroup mounts). The one reader of mountinfo for cgroups is layout.c. */
int cgroup_host_read_mounts(struct cgroup_host *host, hull_err **err);
/* The hierarchy of a /proc/PID/cgroup line's controller list ("cpu,cpuacct", "name=systemd";
 * "" for cgroup2), NULL when it is not mounted here. */
const struct cgroup_hierarchy *cgroup_host_find(const struct cgroup_host *host,
                                                const char *controllers);
/* The same from given texts (unit tests); `unified_root_controllers` stands for the content of
 * the cgroup2 root's cgroup.controllers. */
int cgroup_host_parse(struct cgroup_host *host, const char *mountinfo, const char *proc_cgroup,
                      const char *unified_root_controllers, hull_err **err);
void cgroup_host_clear(struct cgroup_host *host);
/* A deep copy of `src` into `dst` (for a create that reuses its caller's detection). */
int cgroup_host_copy(struct cgroup_host *dst, const struct cgroup_host *src, hull_err **err);
static inline void cgroup_host_clearp(struct cgroup_host *host)
{
    cgroup_host_clear(host);
}
#define cleanup_cgroup_host __attribute__((cleanup(cgroup_host_clearp)))
const char *cgroup_layout_name(enum cgroup_layout l);

/* One directory of the container's set. */
struct cgroup_dir {
    char *path;      /* absolute host path: mountpoint + cgroup */
    size_t base_len; /* path[0..base_len) existed before us (mount root or our own cgroup) */
    bool v2;
    unsigned controllers;
};

struct cgroup_set {
    char *path; /* the cgroup path as configured (default /hull/<id>) */
    struct cgroup_dir *dirs;
    size_t n;
    /* NULL, or one entry per directory: an O_PATH fd of the directory above it (-1: not open),
     * opened by cgroup_set_create in this process and closed by cgroup_set_clear (close-on-exec:
     * a container process cloned meanwhile has them until its exec). Every walk through
     * cgroupfs by absolute path is redone without RCU from `/` (kernfs refuses RCU walks), so
     * mkdir, open and rmdir of the set's own directories go through these; whatever fails that
     * way is redone by path, which decides and names the path in the error. A set rebuilt from
     * the state (another process) has none: paths throughout. */
    int *parent_fds;
};

void cgroup_set_clear(struct cgroup_set *s);
static inline void cgroup_set_clearp(struct cgroup_set *s)
{
    cgroup_set_clear(s);
}
#define cleanup_cgroup_set __attribute__((cleanup(cgroup_set_clearp)))

/* Plan the directories of `cgroups_path` (NULL or "" = "/hull/<id>"): absolute paths are taken in
 * each hierarchy as given, relative ones under this process's own cgroup there. Rejects ".." and
 * systemd "slice:prefix:name" paths (those need the systemd manager). */
int cgroup_set_plan(const struct cgroup_host *host, const char *cgroups_path, const char *id,
                    struct cgroup_set *out, hull_err **err);

/* Fail, naming the config field, when a resource is set whose controller has no hierarchy here
 * or when a value needs a file this kernel lacks. */
int cgroup_check_resources(const struct cgroup_set *s, const struct hull_resources *r,
                           const char *path, hull_err **err);

/* mkdir the set (retrying when a concurrent delete removes a shared parent meanwhile) and enable
 * the needed v2 controllers on the way down. On failure, what was created is removed. Keeps the
 * parents' fds in s->parent_fds. */
int cgroup_set_create(struct cgroup_set *s, const struct hull_resources *r, hull_err **err);
/* Write every resource of `r`. `update` = the container already runs (memory checkBeforeUpdate,
 * and device rules are replaced rather than set up). Fields not set keep their values. */
int cgroup_set_apply(const struct cgroup_set *s, const struct hull_resources *r, bool update,
                     hull_err **err);
/* Move `pid` into every directory of the set. */
int cgroup_set_add_pid(const struct cgroup_set *s, pid_t pid, hull_err **err);
/* cgroup_set_create for the v2 directory only (`v2`) or for the v1 ones only. */
int cgroup_set_create_part(struct cgroup_set *s, const struct hull_resources *r, bool v2,
                           hull_err **err);
/* Open the directory `d` of `s` (O_RDONLY, close-on-exec: a BPF attach or clone3's
 * CLONE_INTO_CGROUP can use it); the caller closes it. */
int cgroup_set_open_dir(const struct cgroup_set *s, const struct cgroup_dir *d, hull_err **err);
/* Entering a set without the kernel's global cgroup_threadgroup_rwsem. Every pid written to
 * cgroup.procs takes it for writing, and on a quiet host the first writer of a burst waits a
 * full RCU grace period (8-25 ms here) for fork and exit to leave their per-CPU fast path. Two
 * ways in take no such lock: clone3(CLONE_INTO_CGROUP) for the cgroup2 directory (the child is
 * born there), and a single thread moving itself by writing "0" to a v1 hierarchy's `tasks`
 * file (the kernel skips the global lock when the mover is the moved thread). This is the
 * second: the calling process, single-threaded, moves itself into every v1 directory of `s`
 * (the files are opened with its credentials: root in the host's user namespace). */
int cgroup_set_join_self(const struct cgroup_set *s, hull_err **err);
/* The same for a process that cannot open those files itself (it is in a new user namespace):
 * its parent, root in the host's user namespace, opens every v1 `tasks` file of `s` (*fds, *n;
 * close-on-exec) and the process writes "0" to each: the kernel checks the credentials of the
 * file's opener, and the mover is still the moved thread (no global lock, no grace period). */
int cgroup_set_open_tasks(const struct cgroup_set *s, int **fds, size_t *n, hull_err **err);
int cgroup_join_self_fds(const int *fds, size_t n, hull_err **err);
/* Close and free what cgroup_set_open_tasks gave (NULL is fine). */
void cgroup_close_fds(int **fds, size_t n);
/* Remove every directory (sub-cgroups first), retrying while the kernel drains exiting tasks,
 * then every ancestor we may have created if it is empty. Missing directories are fine. */
int cgroup_set_destroy(const struct cgroup_set *s, hull_err **err);

/* Freezer: v1 freezer.state when the freezer hierarchy is mounted, else v2 cgroup.freeze. Waits
 * until the kernel reports the new state. */
int cgroup_set_freeze(const struct cgroup_set *s, bool frozen, hull_err **err);
/* 1 frozen, 0 not (or no freezer), -1 on error. */
int cgroup_set_is_frozen(const struct cgroup_set *s);
/* Thaw every freezer of the set (the v1 freezer and cgroup.freeze of v2, whichever exist and
 * whoever froze them), without waiting and ignoring errors: for killing a frozen container. */
void cgroup_set_thaw_all(const struct cgroup_set *s);

/* Every pid in the cgroups (cgroup.procs of the first directory; all hold the same processes). */
int cgroup_set_pids(const struct cgroup_set *s, pid_t **pids, size_t *n, hull_err **err);
/* Signal every process: SIGKILL through v2 cgroup.kill when available, else freeze, signal each
 * pid, thaw (so that nothing forks past us). */
int cgroup_set_signal_all(const struct cgroup_set *s, int sig, hull_err **err);

/* runc's stats document ({"cpu":..., "memory":..., "pids":..., "blkio":..., "hugetlb":...}). */
int cgroup_set_stats(const struct cgroup_set *s, json_t **out, hull_err **err);
/* How many times the kernel OOM-killed in the cgroup (memory.oom_control / memory.events). */
int cgroup_set_oom_kills(const struct cgroup_set *s, uint64_t *count, hull_err **err);
/* In the text of a flat keyed file (cpu.stat, memory.events, memory.oom_control: "KEY VALUE"
 * lines), the value of `key`; -1 when no line has it. */
int cgroup_keyed_value(const char *text, const char *key, uint64_t *out);
/* An fd that becomes readable on memory events (v1 eventfd on memory.oom_control, v2 inotify on
 * memory.events), or -1 with *err when there is no memory controller. */
int cgroup_set_oom_notify_fd(const struct cgroup_set *s, hull_err **err);

/* The set as a JSON record (the runtime keeps it in state.json) and back; from_json fails on a
 * malformed record. */
json_t *cgroup_set_to_json(const struct cgroup_set *s);
int cgroup_set_from_json(json_t *record, struct cgroup_set *s, hull_err **err);
/* The set from the cgroup.json of a state directory written by a runtime of before
 * 2026-12-06 (the record in a file of its own): 1 when read, 0 when there is no such file. */
int cgroup_set_load(int state_dirfd, struct cgroup_set *s, hull_err **err);
/* The directory cgroup_set_is_frozen looks at, as one line: "v1 DIR", "v2 DIR" or "none ".
 * The runtime keeps it in state.json, so that a status query (`hull ps` asks for every
 * container) needs neither cgroup.json parsed nor another file. NULL when out of memory. */
char *cgroup_set_freezer_line(const struct cgroup_set *s);
/* cgroup_set_is_frozen from such a line: 1 frozen, 0 not, -1 on error. */
int cgroup_freezer_line_is_frozen(const char *line);
/* The same from the one-line `freezer` file that states written between 2026-12-05 and this
 * change keep beside cgroup.json; -2 when there is no such file (load the set). */
int cgroup_state_is_frozen(int state_dirfd);

/* The directory of `s` that owns controller `c` (NULL if none); cgroup_set_v2_dir: the v2 one. */
const struct cgroup_dir *cgroup_set_dir_for(const struct cgroup_set *s, enum cgroup_controller c);
const struct cgroup_dir *cgroup_set_v2_dir(const struct cgroup_set *s);

/* Start a no-op cgroup migration in a forked child, once per process, so that the kernel's grace
 * period for the first cgroup.procs write of a burst passes while the caller does other work
 * (migration_warmup.c explains). Best effort, root only. */
void cgroup_warm_migration_lock(void);
/* The same with the hierarchies the caller detected already (no second mountinfo read). */
void cgroup_warm_migration_lock_host(const struct cgroup_host *host);
/* Reap that child (no-op when there is none): once the caller's own migration is done. */
void cgroup_warm_migration_wait(void);
static inline void cgroup_warm_migration_waitp(const bool *started)
{
    if (*started)
        cgroup_warm_migration_wait();
}
/* On a flag set when the warm-up was started: reaped however the scope is left. */
#define cleanup_warm_migration __attribute__((cleanup(cgroup_warm_migration_waitp)))

#endif
