/* linux.resources: the cgroup limits of a container, parsed into struct hull_resources and
 * checked for values no kernel accepts. Whether a controller exists on this host is checked
 * later, by the cgroup layer (linux/cgroup/), which applies the model. The same parser reads
 * the LinuxResources document of `update --resources FILE`. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

/* Read an integer member into an optional; `unset` is the value that means "not set" (runc
 * treats 0 that way for most fields), `min`/`max` bound everything else. */
static int read_opt(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                    int64_t unset, int64_t min, int64_t max, struct hull_opt_i64 *out,
                    hull_err **err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    char p[512];
    json_path_join(p, sizeof p, path, key);
    if (json_is_real(v) && json_real_value(v) >= 9.2e18)
        return json_field_error(c, err, p, "value out of range %lld..%lld", (long long)min,
                                (long long)max);
    if (!json_is_integer(v))
        return json_field_error(c, err, p, "expected integer");
    int64_t i = json_integer_value(v);
    if (i == unset)
        return 0;
    if (i < min || i > max)
        return json_field_error(c, err, p, "value %lld out of range %lld..%lld", (long long)i,
                                (long long)min, (long long)max);
    out->set = true;
    out->v = i;
    return 0;
}

#define NO_UNSET INT64_MIN

static int parse_access(const struct json_ctx *c, const char *s, const char *path, unsigned *out,
                        hull_err **err)
{
    unsigned acc = 0;
    for (const char *p = s; *p; p++) {
        if (*p == 'r')
            acc |= HULL_DEV_READ;
        else if (*p == 'w')
            acc |= HULL_DEV_WRITE;
        else if (*p == 'm')
            acc |= HULL_DEV_MKNOD;
        else
            return json_field_error(c, err, path, "access `%s`: expected letters of `rwm`", s);
    }
    *out = acc;
    return 0;
}

static int parse_devices(const struct json_ctx *c, json_t *arr, const char *path,
                         struct hull_resources *r, hull_err **err)
{
    size_t n = json_array_size(arr);
    r->devices = calloc(n ? n : 1, sizeof(*r->devices));
    if (r->devices == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    r->has_devices = true;
    for (size_t i = 0; i < n; i++) {
        char p[512];
        json_path_index(p, sizeof p, path, i);
        json_t *d = json_array_get(arr, i);
        if (!json_is_object(d))
            return json_field_error(c, err, p, "expected object");
        struct hull_device_rule *rule = &r->devices[r->n_devices++];
        rule->type = 'a';
        rule->major = rule->minor = -1;
        rule->access = HULL_DEV_READ | HULL_DEV_WRITE | HULL_DEV_MKNOD;
        json_t *allow = json_object_get(d, "allow");
        if (!json_is_boolean(allow))
            return json_field_error(c, err, p, "allow: expected boolean (it is required)");
        rule->allow = json_is_true(allow);
        cleanup_free char *type = NULL, *access = NULL;
        if (json_read_string(c, d, "type", p, &type, err) < 0 ||
            json_read_string(c, d, "access", p, &access, err) < 0)
            return -1;
        if (type) {
            if (strcmp(type, "a") != 0 && strcmp(type, "c") != 0 && strcmp(type, "b") != 0) {
                char tp[600];
                return json_field_error(c, err, json_path_join(tp, sizeof tp, p, "type"),
                                        "`%s`: expected a, c or b", type);
            }
            rule->type = type[0];
        }
        char ap[600];
        if (access && parse_access(c, access, json_path_join(ap, sizeof ap, p, "access"),
                                   &rule->access, err) < 0)
            return -1;
        struct hull_opt_i64 major = {0}, minor = {0};
        if (read_opt(c, d, "major", p, NO_UNSET, -1, UINT32_MAX, &major, err) < 0 ||
            read_opt(c, d, "minor", p, NO_UNSET, -1, UINT32_MAX, &minor, err) < 0)
            return -1;
        if (major.set)
            rule->major = major.v;
        if (minor.set)
            rule->minor = minor.v;
    }
    return 0;
}

static int parse_memory(const struct json_ctx *c, json_t *m, const char *path,
                        struct hull_resources *r, hull_err **err)
{
    /* -1 = unlimited; 0 = unset, as runc reads these. */
    if (read_opt(c, m, "limit", path, 0, -1, INT64_MAX, &r->memory.limit, err) < 0 ||
        read_opt(c, m, "reservation", path, 0, -1, INT64_MAX, &r->memory.reservation, err) < 0 ||
        read_opt(c, m, "swap", path, 0, -1, INT64_MAX, &r->memory.swap, err) < 0 ||
        read_opt(c, m, "kernel", path, 0, -1, INT64_MAX, &r->memory.kernel, err) < 0 ||
        read_opt(c, m, "kernelTCP", path, 0, -1, INT64_MAX, &r->memory.kernel_tcp, err) < 0 ||
        read_opt(c, m, "swappiness", path, -1, 0, 100, &r->memory.swappiness, err) < 0)
        return -1;
    json_t *v = json_object_get(m, "disableOOMKiller");
    if (v && !json_is_null(v))
        r->memory.has_disable_oom_killer = true;
    if (json_read_bool(c, m, "disableOOMKiller", path, &r->memory.disable_oom_killer, err) < 0 ||
        json_read_bool(c, m, "checkBeforeUpdate", path, &r->memory.check_before_update, err) < 0)
        return -1;
    bool use_hierarchy = true;
    if (json_read_bool(c, m, "useHierarchy", path, &use_hierarchy, err) < 0)
        return -1;
    char p[512];
    if (!use_hierarchy)
        return json_field_error(
            c, err, json_path_join(p, sizeof p, path, "useHierarchy"),
            "false is not supported (every kernel hull runs on is hierarchical)");
    struct hull_opt_i64 *l = &r->memory.limit, *s = &r->memory.swap;
    if (l->set && s->set && s->v != -1 && (l->v == -1 || s->v < l->v))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "swap"),
                                "%lld is below memory.limit %lld (swap is memory+swap)",
                                (long long)s->v, (long long)l->v);
    return 0;
}

/* "0-3,5" style lists: digits, ',' and '-' only. */
static int check_cpu_list(const struct json_ctx *c, const char *value, const char *path,
                          hull_err **err)
{
    for (const char *p = value; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != ',' && *p != '-')
            return json_field_error(c, err, path, "`%s`: expected a list like 0-3,5", value);
    return 0;
}

static int parse_cpu(const struct json_ctx *c, json_t *cpu, const char *path,
                     struct hull_resources *r, hull_err **err)
{
    if (read_opt(c, cpu, "shares", path, 0, 2, 262144, &r->cpu.shares, err) < 0 ||
        read_opt(c, cpu, "quota", path, 0, -1, INT64_MAX / 1000, &r->cpu.quota, err) < 0 ||
        read_opt(c, cpu, "burst", path, NO_UNSET, 0, INT64_MAX / 1000, &r->cpu.burst, err) < 0 ||
        read_opt(c, cpu, "period", path, 0, 1000, 1000000, &r->cpu.period, err) < 0 ||
        read_opt(c, cpu, "realtimeRuntime", path, 0, -1, INT64_MAX / 1000, &r->cpu.realtime_runtime,
                 err) < 0 ||
        read_opt(c, cpu, "realtimePeriod", path, 0, 1, INT64_MAX / 1000, &r->cpu.realtime_period,
                 err) < 0 ||
        read_opt(c, cpu, "idle", path, NO_UNSET, 0, 1, &r->cpu.idle, err) < 0)
        return -1;
    char p[512];
    if (r->cpu.quota.set && r->cpu.quota.v != -1 && r->cpu.quota.v < 1000)
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "quota"),
                                "%lld is below the kernel's minimum of 1000 (1ms)",
                                (long long)r->cpu.quota.v);
    if (json_read_string(c, cpu, "cpus", path, &r->cpu.cpus, err) < 0 ||
        json_read_string(c, cpu, "mems", path, &r->cpu.mems, err) < 0)
        return -1;
    if (r->cpu.cpus &&
        check_cpu_list(c, r->cpu.cpus, json_path_join(p, sizeof p, path, "cpus"), err) < 0)
        return -1;
    if (r->cpu.mems &&
        check_cpu_list(c, r->cpu.mems, json_path_join(p, sizeof p, path, "mems"), err) < 0)
        return -1;
    return 0;
}

static int read_major_minor(const struct json_ctx *c, json_t *d, const char *p, int64_t *major,
                            int64_t *minor, hull_err **err)
{
    struct hull_opt_i64 ma = {0}, mi = {0};
    if (read_opt(c, d, "major", p, NO_UNSET, 0, UINT32_MAX, &ma, err) < 0 ||
        read_opt(c, d, "minor", p, NO_UNSET, 0, UINT32_MAX, &mi, err) < 0)
        return -1;
    if (!ma.set || !mi.set)
        return json_field_error(c, err, p, "major and minor are required");
    *major = ma.v;
    *minor = mi.v;
    return 0;
}

static int parse_block_io(const struct json_ctx *c, json_t *b, const char *path,
                          struct hull_resources *r, hull_err **err)
{
    if (read_opt(c, b, "weight", path, 0, 10, 1000, &r->block_io.weight, err) < 0 ||
        read_opt(c, b, "leafWeight", path, 0, 10, 1000, &r->block_io.leaf_weight, err) < 0)
        return -1;
    char p[512], ip[600];
    json_t *arr = NULL;
    if (json_read_array(c, b, "weightDevice", path, &arr, err) < 0)
        return -1;
    if (arr) {
        json_path_join(p, sizeof p, path, "weightDevice");
        size_t n = json_array_size(arr);
        r->block_io.weight_devices = calloc(n ? n : 1, sizeof(struct hull_block_device_weight));
        if (r->block_io.weight_devices == NULL)
            return hull_error(err, ENOMEM, "%s", c->file);
        for (size_t i = 0; i < n; i++) {
            struct hull_block_device_weight *w = &r->block_io.weight_devices[i];
            json_t *d = json_array_get(arr, i);
            json_path_index(ip, sizeof ip, p, i);
            if (!json_is_object(d))
                return json_field_error(c, err, ip, "expected object");
            if (read_major_minor(c, d, ip, &w->major, &w->minor, err) < 0 ||
                read_opt(c, d, "weight", ip, 0, 10, 1000, &w->weight, err) < 0 ||
                read_opt(c, d, "leafWeight", ip, 0, 10, 1000, &w->leaf_weight, err) < 0)
                return -1;
            r->block_io.n_weight_devices++;
        }
    }
    static const char *const names[HULL_THROTTLE_COUNT] = {
        "throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
        "throttleWriteIOPSDevice"};
    for (int t = 0; t < HULL_THROTTLE_COUNT; t++) {
        if (json_read_array(c, b, names[t], path, &arr, err) < 0)
            return -1;
        if (arr == NULL)
            continue;
        json_path_join(p, sizeof p, path, names[t]);
        size_t n = json_array_size(arr);
        r->block_io.throttle[t] = calloc(n ? n : 1, sizeof(struct hull_block_device_rate));
        if (r->block_io.throttle[t] == NULL)
            return hull_error(err, ENOMEM, "%s", c->file);
        for (size_t i = 0; i < n; i++) {
            struct hull_block_device_rate *rate = &r->block_io.throttle[t][i];
            json_t *d = json_array_get(arr, i);
            json_path_index(ip, sizeof ip, p, i);
            if (!json_is_object(d))
                return json_field_error(c, err, ip, "expected object");
            bool present = false;
            if (read_major_minor(c, d, ip, &rate->major, &rate->minor, err) < 0 ||
                json_read_uint64(c, d, "rate", ip, &rate->rate, &present, err) < 0)
                return -1;
            if (!present)
                return json_field_error(c, err, ip, "rate is required");
            r->block_io.n_throttle[t]++;
        }
    }
    return 0;
}

/* "2MB", "1GB", "64KB": a number and a binary unit, as the kernel names hugetlb files. */
static bool valid_page_size(const char *s)
{
    const char *p = s;
    while (isdigit((unsigned char)*p))
        p++;
    return p != s && (strcmp(p, "KB") == 0 || strcmp(p, "MB") == 0 || strcmp(p, "GB") == 0);
}

static int parse_hugepages(const struct json_ctx *c, json_t *arr, const char *path,
                           struct hull_resources *r, hull_err **err)
{
    size_t n = json_array_size(arr);
    r->hugepage_limits = calloc(n ? n : 1, sizeof(*r->hugepage_limits));
    if (r->hugepage_limits == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    for (size_t i = 0; i < n; i++) {
        char p[512];
        json_path_index(p, sizeof p, path, i);
        json_t *h = json_array_get(arr, i);
        if (!json_is_object(h))
            return json_field_error(c, err, p, "expected object");
        struct hull_hugepage_limit *l = &r->hugepage_limits[r->n_hugepage_limits++];
        bool present = false;
        if (json_read_string(c, h, "pageSize", p, &l->page_size, err) < 0 ||
            json_read_uint64(c, h, "limit", p, &l->limit, &present, err) < 0)
            return -1;
        if (l->page_size == NULL || !present)
            return json_field_error(c, err, p, "pageSize and limit are required");
        if (!valid_page_size(l->page_size))
            return json_field_error(c, err, p, "pageSize `%s`: expected a size like 2MB or 1GB",
                                    l->page_size);
    }
    return 0;
}

static int parse_network(const struct json_ctx *c, json_t *net, const char *path,
                         struct hull_resources *r, hull_err **err)
{
    if (read_opt(c, net, "classID", path, NO_UNSET, 0, UINT32_MAX, &r->net_class_id, err) < 0)
        return -1;
    json_t *arr = NULL;
    if (json_read_array(c, net, "priorities", path, &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    char p[512], ip[600];
    json_path_join(p, sizeof p, path, "priorities");
    size_t n = json_array_size(arr);
    r->net_priorities = calloc(n ? n : 1, sizeof(*r->net_priorities));
    if (r->net_priorities == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    for (size_t i = 0; i < n; i++) {
        json_path_index(ip, sizeof ip, p, i);
        json_t *e = json_array_get(arr, i);
        if (!json_is_object(e))
            return json_field_error(c, err, ip, "expected object");
        struct hull_net_priority *np = &r->net_priorities[r->n_net_priorities++];
        bool present = false;
        if (json_read_string(c, e, "name", ip, &np->name, err) < 0 ||
            json_read_uint32(c, e, "priority", ip, &np->priority, &present, err) < 0)
            return -1;
        if (np->name == NULL || !present || *np->name == '\0' || strchr(np->name, ' '))
            return json_field_error(c, err, ip, "name (an interface) and priority are required");
    }
    return 0;
}

static int parse_rdma(const struct json_ctx *c, json_t *obj, const char *path,
                      struct hull_resources *r, hull_err **err)
{
    size_t n = json_object_size(obj);
    r->rdma = calloc(n ? n : 1, sizeof(*r->rdma));
    if (r->rdma == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    const char *dev;
    json_t *v;
    json_object_foreach(obj, dev, v)
    {
        char p[512];
        json_path_join(p, sizeof p, path, dev);
        if (!json_is_object(v))
            return json_field_error(c, err, p, "expected object");
        if (*dev == '\0' || strpbrk(dev, " \n="))
            return json_field_error(c, err, p, "invalid device name");
        struct hull_rdma_limit *l = &r->rdma[r->n_rdma++];
        l->device = strdup(dev);
        if (l->device == NULL)
            return hull_error(err, ENOMEM, "%s", c->file);
        if (read_opt(c, v, "hcaHandles", p, NO_UNSET, 0, UINT32_MAX, &l->hca_handles, err) < 0 ||
            read_opt(c, v, "hcaObjects", p, NO_UNSET, 0, UINT32_MAX, &l->hca_objects, err) < 0)
            return -1;
    }
    return 0;
}

static int parse_unified(const struct json_ctx *c, json_t *obj, const char *path,
                         struct hull_resources *r, hull_err **err)
{
    size_t n = json_object_size(obj);
    r->unified = calloc(2 * n + 1, sizeof(char *));
    if (r->unified == NULL)
        return hull_error(err, ENOMEM, "%s", c->file);
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        char p[512];
        json_path_join(p, sizeof p, path, key);
        if (!json_is_string(v))
            return json_field_error(c, err, p, "expected string");
        const char *dot = strchr(key, '.');
        if (dot == NULL || dot == key || dot[1] == '\0' || strchr(key, '/') ||
            strcmp(key, "..") == 0)
            return json_field_error(c, err, p, "expected a cgroup v2 file name like memory.high");
        /* Files that would move processes or change the tree are the runtime's business. */
        if (strcmp(key, "cgroup.procs") == 0 || strcmp(key, "cgroup.threads") == 0 ||
            strcmp(key, "cgroup.subtree_control") == 0 || strcmp(key, "cgroup.kill") == 0 ||
            strcmp(key, "cgroup.type") == 0)
            return json_field_error(c, err, p, "this file cannot be set through resources");
        size_t i = 2 * r->n_unified;
        r->unified[i] = strdup(key);
        r->unified[i + 1] = strdup(json_string_value(v));
        r->n_unified++;
        if (!r->unified[i] || !r->unified[i + 1])
            return hull_error(err, ENOMEM, "%s", c->file);
    }
    return 0;
}

int config_parse_resources_object(const struct json_ctx *c, json_t *obj, const char *path,
                                  struct hull_resources *r, hull_err **err)
{
    char p[512];
    json_t *v = NULL;
    if (!json_is_object(obj))
        return json_field_error(c, err, *path ? path : "(document)", "expected object");
    if (json_read_array(c, obj, "devices", path, &v, err) < 0)
        return -1;
    if (v && parse_devices(c, v, json_path_join(p, sizeof p, path, "devices"), r, err) < 0)
        return -1;
    if (json_read_object(c, obj, "memory", path, &v, err) < 0)
        return -1;
    if (v && parse_memory(c, v, json_path_join(p, sizeof p, path, "memory"), r, err) < 0)
        return -1;
    if (json_read_object(c, obj, "cpu", path, &v, err) < 0)
        return -1;
    if (v && parse_cpu(c, v, json_path_join(p, sizeof p, path, "cpu"), r, err) < 0)
        return -1;
    if (json_read_object(c, obj, "pids", path, &v, err) < 0)
        return -1;
    if (v) {
        json_path_join(p, sizeof p, path, "pids");
        if (json_object_get(v, "limit") == NULL)
            return json_field_error(c, err, p, "limit is required");
        if (read_opt(c, v, "limit", p, NO_UNSET, INT64_MIN + 1, INT64_MAX, &r->pids_limit, err) < 0)
            return -1;
    }
    if (json_read_object(c, obj, "blockIO", path, &v, err) < 0)
        return -1;
    if (v && parse_block_io(c, v, json_path_join(p, sizeof p, path, "blockIO"), r, err) < 0)
        return -1;
    if (json_read_array(c, obj, "hugepageLimits", path, &v, err) < 0)
        return -1;
    if (v && parse_hugepages(c, v, json_path_join(p, sizeof p, path, "hugepageLimits"), r, err) < 0)
        return -1;
    if (json_read_object(c, obj, "network", path, &v, err) < 0)
        return -1;
    if (v && parse_network(c, v, json_path_join(p, sizeof p, path, "network"), r, err) < 0)
        return -1;
    if (json_read_object(c, obj, "rdma", path, &v, err) < 0)
        return -1;
    if (v && parse_rdma(c, v, json_path_join(p, sizeof p, path, "rdma"), r, err) < 0)
        return -1;
    if (json_read_object(c, obj, "unified", path, &v, err) < 0)
        return -1;
    if (v && parse_unified(c, v, json_path_join(p, sizeof p, path, "unified"), r, err) < 0)
        return -1;
    return 0;
}

int config_parse_resources(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                           hull_err **err)
{
    if (json_read_object(c, linux_obj, "resources", "linux", &cfg->resources, err) < 0)
        return -1;
    if (cfg->resources == NULL)
        return 0;
    return config_parse_resources_object(c, cfg->resources, "linux.resources", &cfg->res, err);
}

void config_resources_clear(struct hull_resources *r)
{
    free(r->devices);
    free(r->cpu.cpus);
    free(r->cpu.mems);
    free(r->block_io.weight_devices);
    for (int t = 0; t < HULL_THROTTLE_COUNT; t++)
        free(r->block_io.throttle[t]);
    for (size_t i = 0; i < r->n_hugepage_limits; i++)
        free(r->hugepage_limits[i].page_size);
    free(r->hugepage_limits);
    for (size_t i = 0; i < r->n_net_priorities; i++)
        free(r->net_priorities[i].name);
    free(r->net_priorities);
    for (size_t i = 0; i < r->n_rdma; i++)
        free(r->rdma[i].device);
    free(r->rdma);
    hull_strvfree(r->unified);
    memset(r, 0, sizeof(*r));
}
