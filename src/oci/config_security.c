/* Security sections of config.json that are not part of `process` parsing: linux.seccomp, the
 * LSM labels, the Landlock policy annotation, and the mount destinations that would undermine
 * the security layers. Every error names the field. */
#include "oci/config_security.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

/* ---- seccomp ---------------------------------------------------------------------------- */

const char *const hull_seccomp_action_names[] = {
    "SCMP_ACT_KILL",         "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",       NULL,
};
static const enum hull_seccomp_action action_values[] = {
    HULL_SCMP_KILL_THREAD, HULL_SCMP_KILL_THREAD, HULL_SCMP_KILL_PROCESS,
    HULL_SCMP_TRAP,        HULL_SCMP_ERRNO,       HULL_SCMP_TRACE,
    HULL_SCMP_ALLOW,       HULL_SCMP_LOG,         HULL_SCMP_NOTIFY,
};

const char *const hull_seccomp_operator_names[] = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};
static const enum hull_seccomp_op op_values[] = {
    HULL_SCMP_CMP_NE, HULL_SCMP_CMP_LT, HULL_SCMP_CMP_LE,        HULL_SCMP_CMP_EQ,
    HULL_SCMP_CMP_GE, HULL_SCMP_CMP_GT, HULL_SCMP_CMP_MASKED_EQ,
};

const char *const hull_seccomp_flag_names[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    NULL,
};
static const enum hull_seccomp_flag flag_values[] = {
    HULL_SECCOMP_FLAG_TSYNC,
    HULL_SECCOMP_FLAG_LOG,
    HULL_SECCOMP_FLAG_SPEC_ALLOW,
    HULL_SECCOMP_FLAG_WAIT_KILLABLE_RECV,
};

/* The architectures the runtime-spec names (libseccomp's SCMP_ARCH_*). */
const char *const hull_seccomp_arch_names[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",    "SCMP_ARCH_SH",       "SCMP_ARCH_SHEB",        NULL,
};

static int name_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

/* Syscalls the runtime itself makes between loading the filter and execve when it hands the
 * notify fd to the listener: notifying on them would block the container forever. */
static const char *const notify_forbidden[] = {"sendmsg", "close", NULL};

static int parse_action(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                        enum hull_seccomp_action *out, hull_err **err)
{
    char p[512];
    json_path_join(p, sizeof p, path, key);
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return json_field_error(c, err, p, "missing");
    if (!json_is_string(v))
        return json_field_error(c, err, p, "expected string");
    const char *name = json_string_value(v);
    int i = name_index(hull_seccomp_action_names, name);
    if (i < 0)
        return json_field_error(c, err, p, "unknown action `%s`", name);
    *out = action_values[i];
    return 0;
}

static int parse_errno_ret(const struct json_ctx *c, json_t *obj, const char *key, const char *path,
                           enum hull_seccomp_action action, bool *has, uint32_t *out,
                           hull_err **err)
{
    if (json_read_uint32(c, obj, key, path, out, has, err) < 0)
        return -1;
    char p[512];
    json_path_join(p, sizeof p, path, key);
    if (*has && action != HULL_SCMP_ERRNO && action != HULL_SCMP_TRACE)
        return json_field_error(c, err, p, "only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
    if (*has && *out > 4095)
        return json_field_error(c, err, p, "%u is not an errno (0..4095)", *out);
    return 0;
}

static int parse_arg(const struct json_ctx *c, json_t *a, const char *path,
                     struct hull_seccomp_arg *out, hull_err **err)
{
    if (!json_is_object(a))
        return json_field_error(c, err, path, "expected object");
    bool has_index = false, has_value = false;
    char p[512];
    if (json_read_uint32(c, a, "index", path, &out->index, &has_index, err) < 0 ||
        json_read_uint64(c, a, "value", path, &out->value, &has_value, err) < 0 ||
        json_read_uint64(c, a, "valueTwo", path, &out->value_two, NULL, err) < 0)
        return -1;
    if (!has_index)
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "index"), "missing");
    if (out->index > 5)
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "index"),
                                "%u is out of range (syscalls take arguments 0..5)", out->index);
    if (!has_value)
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "value"), "missing");
    cleanup_free char *op = NULL;
    if (json_read_string(c, a, "op", path, &op, err) < 0)
        return -1;
    json_path_join(p, sizeof p, path, "op");
    if (op == NULL)
        return json_field_error(c, err, p, "missing");
    int i = name_index(hull_seccomp_operator_names, op);
    if (i < 0)
        return json_field_error(c, err, p, "unknown operator `%s`", op);
    out->op = op_values[i];
    return 0;
}

static int parse_rule(const struct json_ctx *c, json_t *r, const char *path,
                      struct hull_seccomp_rule *out, hull_err **err)
{
    char p[512];
    if (!json_is_object(r))
        return json_field_error(c, err, path, "expected object");
    size_t n_names = 0;
    if (json_read_strv(c, r, "names", path, &out->names, &n_names, err) < 0)
        return -1;
    if (n_names == 0)
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "names"),
                                "missing or empty");
    for (char **n = out->names; *n; n++)
        if (**n == '\0')
            return json_field_error(c, err, json_path_join(p, sizeof p, path, "names"),
                                    "empty syscall name");
    if (parse_action(c, r, "action", path, &out->action, err) < 0)
        return -1;
    if (parse_errno_ret(c, r, "errnoRet", path, out->action, &out->has_errno_ret, &out->errno_ret,
                        err) < 0)
        return -1;
    if (out->action == HULL_SCMP_NOTIFY)
        for (char **n = out->names; *n; n++)
            for (const char *const *f = notify_forbidden; *f; f++)
                if (strcmp(*n, *f) == 0)
                    return json_field_error(
                        c, err, json_path_join(p, sizeof p, path, "action"),
                        "SCMP_ACT_NOTIFY on `%s` would block the runtime before it hands the "
                        "notify fd to the listener",
                        *n);
    json_t *args;
    if (json_read_array(c, r, "args", path, &args, err) < 0)
        return -1;
    if (args && json_array_size(args)) {
        out->n_args = json_array_size(args);
        out->args = calloc(out->n_args, sizeof(*out->args));
        if (out->args == NULL)
            return hull_error(err, ENOMEM, "%s", path);
        char ap[512];
        json_path_join(p, sizeof p, path, "args");
        for (size_t i = 0; i < out->n_args; i++)
            if (parse_arg(c, json_array_get(args, i), json_path_index(ap, sizeof ap, p, i),
                          &out->args[i], err) < 0)
                return -1;
    }
    return 0;
}

static int parse_seccomp(const struct json_ctx *c, json_t *sc, struct hull_seccomp *s,
                         hull_err **err)
{
    const char *path = "linux.seccomp";
    char p[512];
    if (parse_action(c, sc, "defaultAction", path, &s->default_action, err) < 0)
        return -1;
    if (s->default_action == HULL_SCMP_NOTIFY)
        return json_field_error(c, err, "linux.seccomp.defaultAction",
                                "SCMP_ACT_NOTIFY cannot be the default action");
    if (parse_errno_ret(c, sc, "defaultErrnoRet", path, s->default_action,
                        &s->has_default_errno_ret, &s->default_errno_ret, err) < 0)
        return -1;
    if (json_read_strv(c, sc, "architectures", path, &s->archs, NULL, err) < 0)
        return -1;
    for (char **a = s->archs; a && *a; a++) {
        if (name_index(hull_seccomp_arch_names, *a) < 0)
            return json_field_error(c, err, "linux.seccomp.architectures",
                                    "unknown architecture `%s`", *a);
    }
    cleanup_strv char **flags = NULL;
    if (json_read_strv(c, sc, "flags", path, &flags, NULL, err) < 0)
        return -1;
    for (char **f = flags; f && *f; f++) {
        int i = name_index(hull_seccomp_flag_names, *f);
        if (i < 0)
            return json_field_error(c, err, "linux.seccomp.flags", "unknown flag `%s`", *f);
        s->flags |= flag_values[i];
    }
    if (json_read_string(c, sc, "listenerPath", path, &s->listener_path, err) < 0 ||
        json_read_string(c, sc, "listenerMetadata", path, &s->listener_metadata, err) < 0)
        return -1;
    if (s->listener_path && s->listener_path[0] != '/')
        return json_field_error(c, err, "linux.seccomp.listenerPath",
                                "`%s` is not an absolute path", s->listener_path);
    json_t *rules;
    if (json_read_array(c, sc, "syscalls", path, &rules, err) < 0)
        return -1;
    if (rules && json_array_size(rules)) {
        s->n_rules = json_array_size(rules);
        s->rules = calloc(s->n_rules, sizeof(*s->rules));
        if (s->rules == NULL)
            return hull_error(err, ENOMEM, "%s", path);
        for (size_t i = 0; i < s->n_rules; i++) {
            if (parse_rule(c, json_array_get(rules, i),
                           json_path_index(p, sizeof p, "linux.seccomp.syscalls", i), &s->rules[i],
                           err) < 0)
                return -1;
            if (s->rules[i].action == HULL_SCMP_NOTIFY)
                s->uses_notify = true;
        }
    }
    if (s->uses_notify && (s->listener_path == NULL || *s->listener_path == '\0'))
        return json_field_error(c, err, "linux.seccomp.listenerPath",
                                "required when an action is SCMP_ACT_NOTIFY");
    s->canonical = json_dumps(sc, JSON_COMPACT | JSON_SORT_KEYS);
    if (s->canonical == NULL)
        return hull_error(err, ENOMEM, "%s", path);
    return 0;
}

void seccomp_config_free(struct hull_seccomp *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_rules; i++) {
        hull_strvfree(s->rules[i].names);
        free(s->rules[i].args);
    }
    free(s->rules);
    hull_strvfree(s->archs);
    free(s->listener_path);
    free(s->listener_metadata);
    free(s->canonical);
    free(s);
}

/* ---- Landlock policy (annotation run.hull.landlock) --------------------------------------- */

static const struct {
    const char *word;
    unsigned bit;
} landlock_words[] = {
    {"read", HULL_LL_READ},           {"write", HULL_LL_WRITE},
    {"execute", HULL_LL_EXECUTE},     {"make", HULL_LL_MAKE},
    {"remove", HULL_LL_REMOVE},       {"truncate", HULL_LL_TRUNCATE},
    {"ioctl_dev", HULL_LL_IOCTL_DEV}, {"refer", HULL_LL_REFER},
    {"bind_tcp", HULL_LL_BIND_TCP},   {"connect_tcp", HULL_LL_CONNECT_TCP},
};

static const struct {
    const char *word;
    unsigned bit;
} landlock_scopes[] = {
    {"abstract_unix_socket", HULL_LL_SCOPE_ABSTRACT_UNIX_SOCKET},
    {"signal", HULL_LL_SCOPE_SIGNAL},
};

const char *landlock_access_word(unsigned bit)
{
    for (size_t i = 0; i < sizeof landlock_words / sizeof landlock_words[0]; i++)
        if (landlock_words[i].bit == bit)
            return landlock_words[i].word;
    return "?";
}

static int check_keys(const struct json_ctx *c, json_t *obj, const char *path,
                      const char *const *allowed, hull_err **err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(k, *a) == 0;
        if (!ok) {
            char p[512];
            return json_field_error(c, err, json_path_join(p, sizeof p, path, k), "unknown field");
        }
    }
    return 0;
}

static int parse_landlock_rule(const struct json_ctx *c, json_t *r, const char *path,
                               struct hull_landlock_rule *out, hull_err **err)
{
    static const char *const keys[] = {"path", "ports", "access", NULL};
    char p[512];
    if (!json_is_object(r))
        return json_field_error(c, err, path, "expected object");
    if (check_keys(c, r, path, keys, err) < 0)
        return -1;
    if (json_read_string(c, r, "path", path, &out->path, err) < 0)
        return -1;
    json_t *ports;
    if (json_read_array(c, r, "ports", path, &ports, err) < 0)
        return -1;
    if ((out->path == NULL) == (ports == NULL))
        return json_field_error(c, err, path, "a rule has either `path` or `ports`");
    if (out->path && out->path[0] != '/')
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "path"),
                                "`%s` is not an absolute path", out->path);
    if (ports) {
        json_path_join(p, sizeof p, path, "ports");
        out->n_ports = json_array_size(ports);
        out->ports = calloc(out->n_ports + 1, sizeof(*out->ports));
        if (out->ports == NULL)
            return hull_error(err, ENOMEM, "%s", path);
        for (size_t i = 0; i < out->n_ports; i++) {
            json_t *v = json_array_get(ports, i);
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535) {
                char ip[560];
                return json_field_error(c, err, json_path_index(ip, sizeof ip, p, i),
                                        "expected a TCP port (0..65535)");
            }
            out->ports[i] = (uint16_t)json_integer_value(v);
        }
    }
    cleanup_strv char **words = NULL;
    size_t n_words = 0;
    if (json_read_strv(c, r, "access", path, &words, &n_words, err) < 0)
        return -1;
    json_path_join(p, sizeof p, path, "access");
    if (n_words == 0)
        return json_field_error(c, err, p, "missing or empty");
    for (size_t i = 0; i < n_words; i++) {
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof landlock_words / sizeof landlock_words[0]; k++)
            if (strcmp(words[i], landlock_words[k].word) == 0)
                bit = landlock_words[k].bit;
        if (bit == 0)
            return json_field_error(c, err, p,
                                    "unknown access right `%s` (read, write, execute, make, "
                                    "remove, truncate, ioctl_dev, refer, bind_tcp, connect_tcp)",
                                    words[i]);
        bool net = (bit & HULL_LL_NET_ACCESS) != 0;
        if (net && out->path)
            return json_field_error(c, err, p, "`%s` needs a rule with `ports`, not `path`",
                                    words[i]);
        if (!net && out->path == NULL)
            return json_field_error(c, err, p, "`%s` needs a rule with `path`, not `ports`",
                                    words[i]);
        out->access |= bit;
    }
    return 0;
}

void landlock_policy_free(struct hull_landlock_policy *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n_rules; i++) {
        free(p->rules[i].path);
        free(p->rules[i].ports);
    }
    free(p->rules);
    free(p);
}

static void landlock_policy_freep(struct hull_landlock_policy **p)
{
    landlock_policy_free(*p);
}

int landlock_policy_parse(const struct json_ctx *c, json_t *doc, const char *path,
                          struct hull_landlock_policy **out, hull_err **err)
{
    static const char *const keys[] = {"min_abi", "rules", "scoped", NULL};
    char p[512];
    if (!json_is_object(doc))
        return json_field_error(c, err, path, "expected a JSON object");
    if (check_keys(c, doc, path, keys, err) < 0)
        return -1;
    __attribute__((cleanup(landlock_policy_freep))) struct hull_landlock_policy *pol =
        calloc(1, sizeof(*pol));
    if (pol == NULL)
        return hull_error(err, ENOMEM, "%s", path);
    int64_t min_abi = 0;
    bool has_min = false;
    if (json_read_int64(c, doc, "min_abi", path, &min_abi, &has_min, err) < 0)
        return -1;
    if (has_min && (min_abi < 0 || min_abi > 1000))
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "min_abi"),
                                "expected a Landlock ABI version (0 or more)");
    pol->min_abi = (int)min_abi;
    json_t *rules;
    if (json_read_array(c, doc, "rules", path, &rules, err) < 0)
        return -1;
    if (rules == NULL)
        return json_field_error(c, err, json_path_join(p, sizeof p, path, "rules"), "missing");
    pol->n_rules = json_array_size(rules);
    pol->rules = calloc(pol->n_rules + 1, sizeof(*pol->rules));
    if (pol->rules == NULL)
        return hull_error(err, ENOMEM, "%s", path);
    json_path_join(p, sizeof p, path, "rules");
    for (size_t i = 0; i < pol->n_rules; i++) {
        char rp[560];
        if (parse_landlock_rule(c, json_array_get(rules, i), json_path_index(rp, sizeof rp, p, i),
                                &pol->rules[i], err) < 0)
            return -1;
    }
    cleanup_strv char **scoped = NULL;
    if (json_read_strv(c, doc, "scoped", path, &scoped, NULL, err) < 0)
        return -1;
    for (char **s = scoped; s && *s; s++) {
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof landlock_scopes / sizeof landlock_scopes[0]; k++)
            if (strcmp(*s, landlock_scopes[k].word) == 0)
                bit = landlock_scopes[k].bit;
        if (bit == 0)
            return json_field_error(c, err, json_path_join(p, sizeof p, path, "scoped"),
                                    "unknown scope `%s` (abstract_unix_socket, signal)", *s);
        pol->scoped |= bit;
    }
    *out = steal_pointer(&pol);
    return 0;
}

static int parse_landlock_annotation(const struct json_ctx *c, struct hull_config *cfg,
                                     hull_err **err)
{
    const char *path = "annotations." HULL_LANDLOCK_ANNOTATION;
    json_t *v =
        cfg->annotations ? json_object_get(cfg->annotations, HULL_LANDLOCK_ANNOTATION) : NULL;
    if (v == NULL)
        return 0;
    const char *text = json_string_value(v); /* strings only: checked by config.c */
    json_error_t jerr;
    cleanup_json json_t *doc = json_loads(text ? text : "", 0, &jerr);
    if (doc == NULL)
        return json_field_error(c, err, path, "invalid JSON at line %d column %d: %s", jerr.line,
                                jerr.column, jerr.text);
    return landlock_policy_parse(c, doc, path, &cfg->landlock, err);
}

/* ---- LSM labels and mount destinations ----------------------------------------------------- */

static int check_label(const struct json_ctx *c, const char *field, const char *value,
                       hull_err **err)
{
    if (value == NULL || *value == '\0')
        return 0;
    if (strlen(value) > 4096)
        return json_field_error(c, err, field, "longer than 4096 bytes");
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return json_field_error(c, err, field, "contains control characters");
    return 0;
}

/* The /proc files that may be bind-mounted over (lxcfs and friends), as runc allows. Anything
 * else under /proc could hide the files the runtime writes to (attr/exec, sysctls) behind a
 * file of the caller's choosing (CVE-2019-16884 class). */
static const char *const proc_mount_allowed[] = {
    "/proc/cpuinfo",
    "/proc/diskstats",
    "/proc/meminfo",
    "/proc/stat",
    "/proc/swaps",
    "/proc/uptime",
    "/proc/loadavg",
    "/proc/slabinfo",
    "/proc/net/dev",
    "/proc/sys/kernel/ns_last_pid",
    NULL,
};

/* Lexically clean an absolute path ("//proc/./sys/../self" -> "/proc/self"). */
static void clean_path(const char *in, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        const char *end = strchrnul(p, '/');
        size_t n = (size_t)(end - p);
        if (n == 1 && p[0] == '.') {
            /* nothing */
        } else if (n == 2 && p[0] == '.' && p[1] == '.') {
            while (len > 0 && out[len - 1] != '/')
                len--;
            if (len > 0)
                len--;
            out[len] = '\0';
        } else if (len + n + 2 < size) {
            out[len++] = '/';
            memcpy(out + len, p, n);
            len += n;
            out[len] = '\0';
        }
        p = end;
    }
    if (len == 0)
        snprintf(out, size, "/");
}

static int check_mount_destinations(const struct json_ctx *c, const struct hull_config *cfg,
                                    hull_err **err)
{
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        const struct hull_mount *m = &cfg->mounts[i];
        char dest[4096];
        clean_path(m->destination, dest, sizeof dest);
        if (strncmp(dest, "/proc/", 6) != 0)
            continue;
        if (m->type && strcmp(m->type, "proc") == 0)
            continue;
        bool allowed = false;
        for (const char *const *a = proc_mount_allowed; *a && !allowed; a++)
            allowed = strcmp(dest, *a) == 0;
        if (!allowed) {
            char p[64];
            snprintf(p, sizeof p, "mounts[%zu].destination", i);
            return json_field_error(c, err, p,
                                    "`%s` would cover a /proc file the runtime relies on; only "
                                    "lxcfs-style files (/proc/cpuinfo, /proc/meminfo, ...) may "
                                    "be mounted under /proc",
                                    m->destination);
        }
    }
    return 0;
}

int config_parse_security(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                          hull_err **err)
{
    json_t *l = json_object_get(root, "linux");
    if (json_read_object(c, l, "seccomp", "linux", &cfg->seccomp, err) < 0)
        return -1;
    if (cfg->seccomp) {
        cfg->seccomp_profile = calloc(1, sizeof(*cfg->seccomp_profile));
        if (cfg->seccomp_profile == NULL)
            return hull_error(err, ENOMEM, "linux.seccomp");
        if (parse_seccomp(c, cfg->seccomp, cfg->seccomp_profile, err) < 0)
            return -1;
    }
    if (check_label(c, "process.apparmorProfile", cfg->process.apparmor_profile, err) < 0 ||
        check_label(c, "process.selinuxLabel", cfg->process.selinux_label, err) < 0 ||
        check_label(c, "linux.mountLabel", cfg->mount_label, err) < 0)
        return -1;
    if (parse_landlock_annotation(c, cfg, err) < 0)
        return -1;
    return check_mount_destinations(c, cfg, err);
}
