/* The runtime-spec config.json model: parsed once into plain C, validated once, then applied by
 * the Linux layer. Nothing below this model reads JSON. */
#ifndef HULL_OCI_CONFIG_H
#define HULL_OCI_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/config_security.h"
#include "util/error.h"

struct hull_mount {
    char *destination;
    char *type;
    char *source;
    char **options;
    /* Derived from options: */
    unsigned long flags;       /* MS_* to set */
    unsigned long propagation; /* MS_SHARED|MS_SLAVE|MS_PRIVATE|MS_UNBINDABLE (+MS_REC) */
    uint64_t attr_set;         /* recursive MOUNT_ATTR_* (rro, rnosuid, ...) */
    uint64_t attr_clr;
    char *data; /* filesystem-specific options joined with ',' */
    bool bind;
    bool recursive_bind;
};

struct hull_namespace {
    int type; /* CLONE_NEW* */
    char *path;
};

struct hull_rlimit {
    int resource;
    uint64_t soft;
    uint64_t hard;
};

struct hull_device {
    char *path;
    char type; /* 'c', 'b', 'u', 'p' */
    int64_t major, minor;
    uint32_t file_mode;
    bool has_file_mode;
    uint32_t uid, gid;
    bool has_uid, has_gid;
};

struct hull_id_mapping {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct hull_hook {
    char *path;
    char **args;
    char **env;
    int timeout; /* seconds, 0 = none */
};

struct hull_hooks {
    struct hull_hook *prestart, *create_runtime, *create_container, *start_container, *poststart,
        *poststop;
    size_t n_prestart, n_create_runtime, n_create_container, n_start_container, n_poststart,
        n_poststop;
};

struct hull_capabilities {
    /* Each a NULL-terminated list of names as written ("CAP_CHOWN"); NULL = field absent. */
    char **bounding, **effective, **permitted, **inheritable, **ambient;
};

/* process.scheduler: sched_setattr(2) values, checked as the kernel checks them. */
struct hull_scheduler {
    int policy; /* SCHED_* */
    int nice;
    int priority;
    uint64_t flags; /* SCHED_FLAG_* */
    uint64_t runtime, deadline, period;
};

/* linux.memoryPolicy: set_mempolicy(2) arguments. */
#define HULL_MAX_NUMA_NODES 1024
struct hull_memory_policy {
    int mode;       /* MPOL_* */
    unsigned flags; /* MPOL_F_* */
    unsigned long nodes[HULL_MAX_NUMA_NODES / (8 * sizeof(unsigned long))];
    unsigned long maxnode; /* highest node + 2, 0 without nodes */
};

struct hull_process {
    bool terminal;
    bool has_console_size;
    uint32_t console_height, console_width;
    uint32_t uid, gid;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    bool has_umask;
    uint32_t umask;
    char **args;
    char **env;
    char *cwd;
    struct hull_rlimit *rlimits;
    size_t n_rlimits;
    bool has_oom_score_adj;
    int oom_score_adj;
    bool no_new_privileges;
    bool has_capabilities;
    struct hull_capabilities caps;
    char *apparmor_profile;
    char *selinux_label;
    bool has_scheduler;
    struct hull_scheduler scheduler;
    bool has_io_priority;
    int io_priority; /* ioprio_set value: class << 13 | level */
};

/* linux.resources (config_resources.c), applied by linux/cgroup/. An optional number is a
 * hull_opt_i64: unset means "leave the kernel's value alone". */
struct hull_opt_i64 {
    bool set;
    int64_t v;
};

/* Device access bits, the same values as the kernel's BPF_DEVCG_ACC_*. */
enum { HULL_DEV_MKNOD = 1, HULL_DEV_READ = 2, HULL_DEV_WRITE = 4 };

struct hull_device_rule {
    bool allow;
    char type;            /* 'a', 'c' or 'b' */
    int64_t major, minor; /* -1 = any */
    unsigned access;      /* HULL_DEV_* */
};

struct hull_block_device_rate {
    int64_t major, minor;
    uint64_t rate;
};

struct hull_block_device_weight {
    int64_t major, minor;
    struct hull_opt_i64 weight, leaf_weight;
};

enum {
    HULL_THROTTLE_READ_BPS,
    HULL_THROTTLE_WRITE_BPS,
    HULL_THROTTLE_READ_IOPS,
    HULL_THROTTLE_WRITE_IOPS,
    HULL_THROTTLE_COUNT
};

struct hull_hugepage_limit {
    char *page_size; /* "2MB", "1GB" */
    uint64_t limit;
};

struct hull_net_priority {
    char *name;
    uint32_t priority;
};

struct hull_rdma_limit {
    char *device;
    struct hull_opt_i64 hca_handles, hca_objects;
};

struct hull_resources {
    bool has_devices;
    struct hull_device_rule *devices;
    size_t n_devices;
    struct {
        struct hull_opt_i64 limit, reservation, swap, kernel, kernel_tcp, swappiness;
        bool disable_oom_killer, has_disable_oom_killer;
        bool check_before_update;
    } memory;
    struct {
        struct hull_opt_i64 shares, quota, burst, period, realtime_runtime, realtime_period, idle;
        char *cpus, *mems;
    } cpu;
    struct hull_opt_i64 pids_limit;
    struct {
        struct hull_opt_i64 weight, leaf_weight;
        struct hull_block_device_weight *weight_devices;
        size_t n_weight_devices;
        struct hull_block_device_rate *throttle[HULL_THROTTLE_COUNT];
        size_t n_throttle[HULL_THROTTLE_COUNT];
    } block_io;
    struct hull_hugepage_limit *hugepage_limits;
    size_t n_hugepage_limits;
    struct hull_opt_i64 net_class_id;
    struct hull_net_priority *net_priorities;
    size_t n_net_priorities;
    struct hull_rdma_limit *rdma;
    size_t n_rdma;
    char **unified; /* key, value, key, value, ..., NULL */
    size_t n_unified;
};

struct hull_config {
    json_t *raw;  /* the whole document, owned */
    char *bundle; /* absolute bundle directory */
    char *oci_version;
    char *root_path; /* absolute path of the rootfs on the host */
    bool root_readonly;
    char *hostname;
    char *domainname;
    struct hull_mount *mounts;
    size_t n_mounts;
    struct hull_process process;
    bool has_process;
    json_t *annotations; /* borrowed from raw, may be NULL */
    struct hull_hooks hooks;

    /* linux */
    struct hull_namespace *namespaces;
    size_t n_namespaces;
    int clone_flags; /* CLONE_NEW* for namespaces created fresh (no path) */
    struct hull_id_mapping *uid_mappings, *gid_mappings;
    size_t n_uid_mappings, n_gid_mappings;
    struct hull_device *devices;
    size_t n_devices;
    json_t *sysctl;                   /* borrowed: object of string -> string */
    unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 = default (rslave) */
    bool has_time_offsets;
    int64_t boottime_secs, monotonic_secs;
    uint32_t boottime_nsecs, monotonic_nsecs;
    bool has_memory_policy;
    struct hull_memory_policy memory_policy;
    bool has_personality;
    unsigned long personality;
    char *cgroups_path;
    json_t *resources;                     /* borrowed */
    struct hull_resources res;             /* parsed linux.resources */
    json_t *seccomp;                       /* borrowed */
    struct hull_seccomp *seccomp_profile;  /* parsed linux.seccomp, NULL when absent */
    struct hull_landlock_policy *landlock; /* annotation run.hull.landlock, NULL when absent */
    char **masked_paths;
    char **readonly_paths;
    char *mount_label;
};

enum config_load_flags {
    CONFIG_LOAD_DEFAULT = 0,
    /* For commands that only tear down (delete): skip checks of things that may have vanished
     * since create, like the rootfs directory. */
    CONFIG_LOAD_FOR_TEARDOWN = 1,
    /* Only `hooks` (and the bundle): for start and delete, whose copy of the config was
     * validated at create and which need nothing else from it. */
    CONFIG_LOAD_HOOKS_ONLY = 2,
};

/* Parse and validate `bundle`/config.json, or `file` (NULL: config.json) relative to the bundle
 * unless absolute (crun's --config). */
int config_load_bundle(const char *bundle, const char *file, enum config_load_flags flags,
                       struct hull_config **out, hull_err **err);
/* config_load_bundle that also hands back the file's text as read (malloc'd, in *text). */
int config_load_bundle_text(const char *bundle, const char *file, enum config_load_flags flags,
                            struct hull_config **out, char **text, hull_err **err);
/* config_load_bundle for a caller that built the document itself (`doc`, referenced by the
 * result as its `raw`; not modified): nothing read or parsed. */
int config_load_given(const char *bundle, json_t *doc, enum config_load_flags flags,
                      struct hull_config **out, hull_err **err);
/* Parse and validate an in-memory document; `display` names it in messages. */
int config_parse(const char *text, size_t len, const char *display, const char *bundle,
                 enum config_load_flags flags, struct hull_config **out, hull_err **err);
/* The same from a document already decoded (referenced as cfg->raw, not modified). */
int config_parse_json(json_t *doc, const char *display, const char *bundle,
                      enum config_load_flags flags, struct hull_config **out, hull_err **err);
void config_free(struct hull_config *cfg);
static inline void config_freep(struct hull_config **c)
{
    config_free(*c);
}
#define cleanup_config __attribute__((cleanup(config_freep)))

bool config_has_namespace(const struct hull_config *cfg, int type);
const struct hull_namespace *config_find_namespace(const struct hull_config *cfg, int type);

/* Process fields shared by config.json's `process` and exec's --process file. */
struct json_ctx;
int config_parse_process(const struct json_ctx *c, json_t *obj, const char *path,
                         struct hull_process *p, hull_err **err);
void config_process_clear(struct hull_process *p);

/* Mount option parsing (exported for unit tests). */
int config_parse_mount_options(struct hull_mount *m, const char *path, const char *file,
                               hull_err **err);

/* Namespace name <-> CLONE_NEW* flag. */
int namespace_type_from_name(const char *name);
const char *namespace_type_name(int type);

/* Security and resources sections live in their own files (config_security.c,
 * config_resources.c); config.c calls them. */
int config_parse_security(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                          hull_err **err);
int config_parse_resources(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                           hull_err **err);
int config_parse_hooks(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                       hull_err **err);
void config_hooks_clear(struct hull_hooks *h);

/* A LinuxResources object (config.json's linux.resources, `update --resources FILE`) into `r`;
 * `path` names the object in messages ("linux.resources", ""). */
int config_parse_resources_object(const struct json_ctx *c, json_t *obj, const char *path,
                                  struct hull_resources *r, hull_err **err);
void config_resources_clear(struct hull_resources *r);

#endif
