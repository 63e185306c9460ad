/* process.scheduler, process.ioPriority, linux.memoryPolicy (see config_sched.h). */
#include "oci/config_sched.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* The kernel's values (linux/sched.h, linux/ioprio.h, linux/mempolicy.h), spelled out so the
 * parser needs no kernel headers that older libcs lack. */
enum { SCHED_DEADLINE_POLICY = 6, SCHED_ISO_POLICY = 4 };
enum { IOPRIO_CLASS_SHIFT = 13 };

const char *const hull_sched_policy_names[] = {"SCHED_OTHER",    "SCHED_FIFO", "SCHED_RR",
                                               "SCHED_BATCH",    "SCHED_ISO",  "SCHED_IDLE",
                                               "SCHED_DEADLINE", NULL};
/* Index = the policy's number. */
static const int policy_numbers[] = {0, 1, 2, 3, SCHED_ISO_POLICY, 5, SCHED_DEADLINE_POLICY};

/* Index = the flag's bit. */
const char *const hull_sched_flag_names[] = {
    "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
    "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
    "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
    "SCHED_FLAG_UTIL_CLAMP_MAX", NULL};

/* Index = the class's number - 1. */
const char *const hull_ioprio_class_names[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                               "IOPRIO_CLASS_IDLE", NULL};

/* Index = the mode's number. */
const char *const hull_mpol_mode_names[] = {
    "MPOL_DEFAULT",        "MPOL_PREFERRED",           "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL",
    "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE", NULL};
enum { MPOL_DEFAULT_ = 0, MPOL_PREFERRED_ = 1, MPOL_BIND_ = 2, MPOL_LOCAL_ = 4 };

const char *const hull_mpol_flag_names[] = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                            "MPOL_F_STATIC_NODES", NULL};
static const unsigned mpol_flag_bits[] = {1u << 13, 1u << 14, 1u << 15};

static int name_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int config_parse_scheduler(const struct json_ctx *c, json_t *process, const char *path,
                           struct hull_process *p, hull_err **err)
{
    char q[256], r[300];
    json_t *s;
    if (json_read_object(c, process, "scheduler", path, &s, err) < 0)
        return -1;
    if (s == NULL)
        return 0;
    json_path_join(q, sizeof q, path, "scheduler");
    struct hull_scheduler *sc = &p->scheduler;
    cleanup_free char *policy = NULL;
    cleanup_strv char **flags = NULL;
    int64_t nice = 0, prio = 0;
    if (json_read_string(c, s, "policy", q, &policy, err) < 0 ||
        json_read_int64(c, s, "nice", q, &nice, NULL, err) < 0 ||
        json_read_int64(c, s, "priority", q, &prio, NULL, err) < 0 ||
        json_read_strv(c, s, "flags", q, &flags, NULL, err) < 0 ||
        json_read_uint64(c, s, "runtime", q, &sc->runtime, NULL, err) < 0 ||
        json_read_uint64(c, s, "deadline", q, &sc->deadline, NULL, err) < 0 ||
        json_read_uint64(c, s, "period", q, &sc->period, NULL, err) < 0)
        return -1;
    json_path_join(r, sizeof r, q, "policy");
    if (policy == NULL)
        return json_field_error(c, err, r, "missing");
    int i = name_index(hull_sched_policy_names, policy);
    if (i < 0)
        return json_field_error(c, err, r, "unknown policy `%s`", policy);
    sc->policy = policy_numbers[i];
    if (sc->policy == SCHED_ISO_POLICY)
        return json_field_error(c, err, r, "SCHED_ISO is not implemented by Linux");
    if (nice < -20 || nice > 19)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "nice"),
                                "%lld is outside -20..19", (long long)nice);
    sc->nice = (int)nice;
    bool rt = sc->policy == SCHED_FIFO || sc->policy == SCHED_RR;
    if (rt && (prio < 1 || prio > 99))
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "priority"),
                                "%lld is outside 1..99 (%s)", (long long)prio, policy);
    if (!rt && prio != 0)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "priority"),
                                "only SCHED_FIFO and SCHED_RR take a priority");
    sc->priority = (int)prio;
    for (char **f = flags; f && *f; f++) {
        int bit = name_index(hull_sched_flag_names, *f);
        if (bit < 0)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "flags"),
                                    "unknown flag `%s`", *f);
        sc->flags |= 1ull << bit;
    }
    bool dl = sc->policy == SCHED_DEADLINE_POLICY;
    if (!dl && (sc->runtime || sc->deadline || sc->period))
        return json_field_error(c, err, q,
                                "runtime, deadline and period are only for SCHED_DEADLINE");
    if (dl) {
        /* The kernel's __checkparam_dl: runtime at least 1024 ns (2^10, its precision),
         * runtime <= deadline <= period (a period of 0 means the deadline), below 2^63. */
        uint64_t period = sc->period ? sc->period : sc->deadline;
        if (sc->runtime < 1024)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "runtime"),
                                    "SCHED_DEADLINE needs a runtime of at least 1024 ns");
        if (sc->deadline < sc->runtime)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "deadline"),
                                    "%llu is below the runtime %llu",
                                    (unsigned long long)sc->deadline,
                                    (unsigned long long)sc->runtime);
        if (period < sc->deadline)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "period"),
                                    "%llu is below the deadline %llu", (unsigned long long)period,
                                    (unsigned long long)sc->deadline);
        if (period >> 63)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "period"), "too large");
    }
    p->has_scheduler = true;
    return 0;
}

int config_parse_io_priority(const struct json_ctx *c, json_t *process, const char *path,
                             struct hull_process *p, hull_err **err)
{
    char q[256], r[300];
    json_t *o;
    if (json_read_object(c, process, "ioPriority", path, &o, err) < 0)
        return -1;
    if (o == NULL)
        return 0;
    json_path_join(q, sizeof q, path, "ioPriority");
    cleanup_free char *cls = NULL;
    int64_t prio = 0;
    if (json_read_string(c, o, "class", q, &cls, err) < 0 ||
        json_read_int64(c, o, "priority", q, &prio, NULL, err) < 0)
        return -1;
    json_path_join(r, sizeof r, q, "class");
    if (cls == NULL)
        return json_field_error(c, err, r, "missing");
    int i = name_index(hull_ioprio_class_names, cls);
    if (i < 0)
        return json_field_error(c, err, r, "unknown class `%s`", cls);
    if (prio < 0 || prio > 7)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "priority"),
                                "%lld is outside 0..7", (long long)prio);
    p->io_priority = ((i + 1) << IOPRIO_CLASS_SHIFT) | (int)prio;
    p->has_io_priority = true;
    return 0;
}

/* "0-3,7" into the mask; returns the highest node, -1 on a syntax error. */
static int parse_nodes(const char *text, unsigned long *mask, size_t bits)
{
    int highest = -1;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        long a = strtol(p, &end, 10);
        if (end == p || errno || a < 0)
            return -1;
        long b = a;
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            if (end == p || errno || b < a)
                return -1;
        }
        if ((size_t)b >= bits)
            return -2;
        for (long n = a; n <= b; n++)
            mask[n / (8 * sizeof(unsigned long))] |= 1ul << (n % (8 * sizeof(unsigned long)));
        if (b > highest)
            highest = (int)b;
        if (*end == ',')
            end++;
        else if (*end != '\0')
            return -1;
        p = end;
    }
    return highest;
}

int config_parse_memory_policy(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                               hull_err **err)
{
    const char *q = "linux.memoryPolicy";
    char r[96];
    json_t *o;
    if (json_read_object(c, linux_obj, "memoryPolicy", "linux", &o, err) < 0)
        return -1;
    if (o == NULL)
        return 0;
    struct hull_memory_policy *mp = &cfg->memory_policy;
    cleanup_free char *mode = NULL, *nodes = NULL;
    cleanup_strv char **flags = NULL;
    if (json_read_string(c, o, "mode", q, &mode, err) < 0 ||
        json_read_string(c, o, "nodes", q, &nodes, err) < 0 ||
        json_read_strv(c, o, "flags", q, &flags, NULL, err) < 0)
        return -1;
    json_path_join(r, sizeof r, q, "mode");
    if (mode == NULL)
        return json_field_error(c, err, r, "missing");
    mp->mode = name_index(hull_mpol_mode_names, mode);
    if (mp->mode < 0)
        return json_field_error(c, err, r, "unknown mode `%s`", mode);
    bool have_nodes = nodes && *nodes;
    if (have_nodes) {
        int highest = parse_nodes(nodes, mp->nodes, HULL_MAX_NUMA_NODES);
        if (highest < 0)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "nodes"),
                                    highest == -2 ? "`%s`: a node above %d"
                                                  : "`%s` is not a node list like 0-3,7",
                                    nodes, HULL_MAX_NUMA_NODES - 1);
        mp->maxnode = (unsigned long)highest + 2;
    }
    for (char **f = flags; f && *f; f++) {
        int i = name_index(hull_mpol_flag_names, *f);
        if (i < 0)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "flags"),
                                    "unknown flag `%s`", *f);
        mp->flags |= mpol_flag_bits[i];
    }
    /* What set_mempolicy(2) refuses with EINVAL, said with the field. */
    if ((mp->mode == MPOL_DEFAULT_ || mp->mode == MPOL_LOCAL_) && have_nodes)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "nodes"),
                                "%s takes no nodes", mode);
    if (mp->mode != MPOL_DEFAULT_ && mp->mode != MPOL_LOCAL_ && mp->mode != MPOL_PREFERRED_ &&
        !have_nodes)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "nodes"), "%s needs nodes",
                                mode);
    if ((mp->mode == MPOL_DEFAULT_ || mp->mode == MPOL_LOCAL_) && mp->flags)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "flags"),
                                "%s takes no flags", mode);
    if ((mp->flags & mpol_flag_bits[1]) && (mp->flags & mpol_flag_bits[2]))
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "flags"),
                                "MPOL_F_RELATIVE_NODES and MPOL_F_STATIC_NODES exclude each "
                                "other");
    if ((mp->flags & mpol_flag_bits[0]) && mp->mode != MPOL_BIND_ && mp->mode != 5)
        return json_field_error(c, err, json_path_join(r, sizeof r, q, "flags"),
                                "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY");
    cfg->has_memory_policy = true;
    return 0;
}
