/* hull-runtime update: change the cgroup limits of a running container. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "oci/json_read.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"

enum {
    U_RESOURCES = 1,
    U_BLKIO_WEIGHT,
    U_CPU_PERIOD,
    U_CPU_QUOTA,
    U_CPU_SHARE,
    U_CPU_RT_PERIOD,
    U_CPU_RT_RUNTIME,
    U_CPU_BURST,
    U_CPU_IDLE,
    U_CPUSET_CPUS,
    U_CPUSET_MEMS,
    U_MEMORY,
    U_MEMORY_RESERVATION,
    U_MEMORY_SWAP,
    U_KERNEL_MEMORY,
    U_KERNEL_MEMORY_TCP,
    U_PIDS_LIMIT,
    U_L3_CACHE,
    U_MEM_BW,
};

static const struct option_spec update_options[] = {
    {"resources", 'r', true, U_RESOURCES},
    {"blkio-weight", 0, true, U_BLKIO_WEIGHT},
    {"cpu-period", 0, true, U_CPU_PERIOD},
    {"cpu-quota", 0, true, U_CPU_QUOTA},
    {"cpu-share", 0, true, U_CPU_SHARE},
    {"cpu-rt-period", 0, true, U_CPU_RT_PERIOD},
    {"cpu-rt-runtime", 0, true, U_CPU_RT_RUNTIME},
    {"cpu-burst", 0, true, U_CPU_BURST},
    {"cpu-idle", 0, true, U_CPU_IDLE},
    {"cpuset-cpus", 0, true, U_CPUSET_CPUS},
    {"cpuset-mems", 0, true, U_CPUSET_MEMS},
    {"memory", 0, true, U_MEMORY},
    {"memory-reservation", 0, true, U_MEMORY_RESERVATION},
    {"memory-swap", 0, true, U_MEMORY_SWAP},
    {"kernel-memory", 0, true, U_KERNEL_MEMORY},
    {"kernel-memory-tcp", 0, true, U_KERNEL_MEMORY_TCP},
    {"pids-limit", 0, true, U_PIDS_LIMIT},
    {"l3-cache-schema", 0, true, U_L3_CACHE},
    {"mem-bw-schema", 0, true, U_MEM_BW},
    {NULL, 0, false, 0},
};

/* Where each numeric flag goes in the LinuxResources document, and whether it is a byte size
 * ("64m", "1g", as runc accepts them). */
static const struct {
    int id;
    const char *section, *key;
    bool bytes;
} flag_fields[] = {
    {U_BLKIO_WEIGHT, "blockIO", "weight", false},
    {U_CPU_PERIOD, "cpu", "period", false},
    {U_CPU_QUOTA, "cpu", "quota", false},
    {U_CPU_SHARE, "cpu", "shares", false},
    {U_CPU_RT_PERIOD, "cpu", "realtimePeriod", false},
    {U_CPU_RT_RUNTIME, "cpu", "realtimeRuntime", false},
    {U_CPU_BURST, "cpu", "burst", false},
    {U_CPU_IDLE, "cpu", "idle", false},
    {U_MEMORY, "memory", "limit", true},
    {U_MEMORY_RESERVATION, "memory", "reservation", true},
    {U_MEMORY_SWAP, "memory", "swap", true},
    {U_KERNEL_MEMORY, "memory", "kernel", true},
    {U_KERNEL_MEMORY_TCP, "memory", "kernelTCP", true},
    {U_PIDS_LIMIT, "pids", "limit", false},
};

/* "1024", "-1", "64k", "64m", "1g", "1.5g", "2GiB": binary units, as docker's RAMInBytes. */
static int parse_number(const char *flag, const char *text, bool bytes, long long *out,
                        hull_err **err)
{
    char *end;
    errno = 0;
    if (!bytes) {
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end != '\0')
            return hull_error(err, EINVAL, "--%s: invalid number `%s`", flag, text);
        *out = v;
        return 0;
    }
    double v = strtod(text, &end);
    if (errno || end == text)
        return hull_error(err, EINVAL, "--%s: invalid size `%s`", flag, text);
    double mult = 1;
    switch (*end) {
    case 'k':
    case 'K':
        mult = 1024.0;
        break;
    case 'm':
    case 'M':
        mult = 1024.0 * 1024;
        break;
    case 'g':
    case 'G':
        mult = 1024.0 * 1024 * 1024;
        break;
    case 't':
    case 'T':
        mult = 1024.0 * 1024 * 1024 * 1024;
        break;
    case '\0':
    case 'b':
    case 'B':
        break;
    default:
        return hull_error(err, EINVAL, "--%s: invalid size `%s`", flag, text);
    }
    if (*end && *end != 'b' && *end != 'B')
        end++;
    if (*end == 'i')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end != '\0' || v * mult > 9.2e18)
        return hull_error(err, EINVAL, "--%s: invalid size `%s`", flag, text);
    *out = (long long)(v * mult);
    return 0;
}

static json_t *section(json_t *doc, const char *name)
{
    json_t *s = json_object_get(doc, name);
    if (!json_is_object(s)) {
        s = json_object();
        json_object_set_new(doc, name, s);
    }
    return s;
}

static int load_resources(const char *file, json_t **out, hull_err **err)
{
    if (strcmp(file, "-") == 0) {
        json_error_t je;
        json_t *doc = json_loadf(stdin, 0, &je);
        if (doc == NULL)
            return hull_error(err, EINVAL, "--resources -: line %d column %d: %s", je.line,
                              je.column, je.text);
        *out = doc;
        return 0;
    }
    return json_load_file_checked(file, file, out, err);
}

static int run_update(struct cli_ctx *ctx, struct option_parser *p, hull_err **err)
{
    cleanup_json json_t *doc = json_object();
    const char *resources_file = NULL;
    int id;
    const char *arg;
    /* First pass: the file; flags are applied over it, as runc does. */
    struct {
        int id;
        const char *arg;
    } flags[64];
    size_t n_flags = 0;
    while ((id = options_next(p, &arg, err)) != 0) {
        if (id < 0) {
            cli_usage_error("update", "%s", (*err)->msg);
            return -2;
        }
        if (id == U_L3_CACHE || id == U_MEM_BW)
            return hull_error(err, ENOTSUP,
                              "--l3-cache-schema/--mem-bw-schema: Intel RDT is "
                              "not supported");
        if (id == U_RESOURCES)
            resources_file = arg;
        else if (n_flags < sizeof flags / sizeof flags[0]) {
            flags[n_flags].id = id;
            flags[n_flags].arg = arg;
            n_flags++;
        }
    }
    if (p->n_positionals != 1) {
        cli_usage_error("update", "expected one container id");
        return -2;
    }
    if (resources_file) {
        json_decref(doc);
        doc = NULL;
        if (load_resources(resources_file, &doc, err) < 0)
            return -1;
        if (!json_is_object(doc))
            return hull_error(err, EINVAL, "%s: expected a JSON object (LinuxResources)",
                              resources_file);
    }
    for (size_t i = 0; i < n_flags; i++) {
        const char *name = NULL;
        for (const struct option_spec *o = update_options; o->name; o++)
            if (o->id == flags[i].id)
                name = o->name;
        if (flags[i].id == U_CPUSET_CPUS || flags[i].id == U_CPUSET_MEMS) {
            json_object_set_new(section(doc, "cpu"), flags[i].id == U_CPUSET_CPUS ? "cpus" : "mems",
                                json_string(flags[i].arg));
            continue;
        }
        for (size_t f = 0; f < sizeof flag_fields / sizeof flag_fields[0]; f++) {
            if (flag_fields[f].id != flags[i].id)
                continue;
            long long v = 0;
            if (parse_number(name, flags[i].arg, flag_fields[f].bytes, &v, err) < 0)
                return -1;
            json_object_set_new(section(doc, flag_fields[f].section), flag_fields[f].key,
                                json_integer(v));
        }
    }
    struct json_ctx jc = {.file = resources_file ? resources_file : "update"};
    struct hull_resources r = {0};
    int rc = config_parse_resources_object(&jc, doc, "", &r, err);
    if (rc == 0)
        rc = runtime_update(&ctx->ro, p->positionals[0], &r, err);
    config_resources_clear(&r);
    return rc;
}

int cmd_update(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, update_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    int rc = run_update(ctx, &p, &err);
    if (rc == -2) {
        hull_err_free(err);
        return 1;
    }
    return rc < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_update = {
    "update",
    cmd_update,
    "change the resource limits of a running container",
    "Usage: hull-runtime update [OPTIONS] ID\n"
    "\n"
    "Change the cgroup limits of container ID while it runs. --resources takes a JSON\n"
    "LinuxResources object (the `linux.resources` of config.json, as podman writes it); the\n"
    "flags below override its fields. Fields not given keep their current values. Devices in\n"
    "--resources replace the container's device rules (the default devices stay allowed).\n"
    "Values are checked as in config.json; a controller this host lacks is an error.\n"
    "\n"
    "Options:\n"
    "  -r, --resources FILE|-       LinuxResources JSON from FILE, or stdin with `-`\n"
    "  --memory BYTES               memory limit (k, m, g suffixes; -1 = unlimited)\n"
    "  --memory-reservation BYTES   soft limit (v1 memory.soft_limit_in_bytes, v2 memory.low)\n"
    "  --memory-swap BYTES          memory+swap limit (-1 = unlimited swap)\n"
    "  --kernel-memory BYTES        obsolete: accepted and ignored, as runc does\n"
    "  --kernel-memory-tcp BYTES    kernel TCP buffer limit (cgroup v1 only)\n"
    "  --cpu-share N                relative CPU weight (2..262144; converted to cpu.weight on "
    "v2)\n"
    "  --cpu-quota USEC             CPU time per period (-1 = unlimited)\n"
    "  --cpu-period USEC            CFS period (1000..1000000)\n"
    "  --cpu-burst USEC             CFS burst\n"
    "  --cpu-rt-period USEC         realtime period (cgroup v1 only)\n"
    "  --cpu-rt-runtime USEC        realtime runtime (cgroup v1 only)\n"
    "  --cpu-idle 0|1               SCHED_IDLE for the cgroup\n"
    "  --cpuset-cpus LIST           CPUs to run on, e.g. 0-2,4\n"
    "  --cpuset-mems LIST           memory nodes to use\n"
    "  --blkio-weight N             block I/O weight (10..1000)\n"
    "  --pids-limit N               maximum number of tasks (0 or -1 = unlimited)\n"
    "  --l3-cache-schema, --mem-bw-schema   Intel RDT: not supported (error)\n",
};
