/* OCI config.json for a container record (see bundle.h). */
#include "container/bundle.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "container/devices.h"
#include "container/seccomp_trace.h"
#include "linux/capabilities.h"
#include "linux/seccomp_trace.h"
#include "oci/config_security.h"
#include "oci/landlock_default.h"
#include "oci/spec_default.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* "net_admin", "CAP_NET_ADMIN", "NET_ADMIN" -> "CAP_NET_ADMIN"; NULL when unknown. */
static const char *capability_canonical(const char *name)
{
    char buf[64];
    const char *body = strncasecmp(name, "CAP_", 4) == 0 ? name + 4 : name;
    snprintf(buf, sizeof buf, "CAP_%s", body);
    for (char *p = buf; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    for (int c = 0; c <= capabilities_last_cap(); c++) {
        const char *n = capability_name(c);
        if (n && strcmp(n, buf) == 0)
            return n;
    }
    return NULL;
}

static bool has_all(json_t *list)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcasecmp(json_string_value(v) ? json_string_value(v) : "", "ALL") == 0)
            return true;
    }
    return false;
}

int container_capabilities(json_t *cap_add, json_t *cap_drop, json_t **out, hull_err **err)
{
    int last = capabilities_last_cap();
    bool set[128] = {false};
    if (last >= 128)
        last = 127;
    if (has_all(cap_add)) {
        for (int c = 0; c <= last; c++)
            set[c] = true;
    } else if (!has_all(cap_drop)) {
        for (const char *const *d = spec_default_capabilities; *d; d++)
            for (int c = 0; c <= last; c++)
                if (capability_name(c) && strcmp(capability_name(c), *d) == 0)
                    set[c] = true;
    }
    json_t *lists[2] = {cap_add, cap_drop};
    for (int which = 0; which < 2; which++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[which], i, v)
        {
            const char *name = json_string_value(v);
            if (name == NULL || strcasecmp(name, "ALL") == 0)
                continue;
            const char *canon = capability_canonical(name);
            if (canon == NULL)
                return hull_error(err, 0, "%s: unknown capability `%s`",
                                  which ? "--cap-drop" : "--cap-add", name);
            for (int c = 0; c <= last; c++)
                if (capability_name(c) == canon)
                    set[c] = which == 0;
        }
    }
    json_t *arr = json_array();
    for (int c = 0; c <= last; c++)
        if (set[c])
            json_array_append_new(arr, json_string(capability_name(c)));
    *out = arr;
    return 0;
}

static json_t *strings(const char *const *list)
{
    json_t *a = json_array();
    for (; list && *list; list++)
        json_array_append_new(a, json_string(*list));
    return a;
}

static json_t *bind_mount(const char *dest, const char *source, bool readonly)
{
    const char *opts[] = {"rbind", "rprivate", readonly ? "ro" : "rw", NULL};
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", "bind", "source", source,
                     "options", strings(opts));
}

static json_t *tmpfs_mount(const char *dest, const char *user_opts, bool readonly)
{
    json_t *opts = json_array();
    json_array_append_new(opts, json_string("nosuid"));
    json_array_append_new(opts, json_string("nodev"));
    /* docker's default for --tmpfs is noexec unless the user asked for exec. */
    bool exec = user_opts && (strstr(user_opts, "exec") == user_opts || strstr(user_opts, ",exec"));
    if (!exec)
        json_array_append_new(opts, json_string("noexec"));
    if (readonly)
        json_array_append_new(opts, json_string("ro"));
    if (user_opts) {
        cleanup_free char *copy = strdup(user_opts);
        for (char *tok, *save = NULL, *p = copy; (tok = strtok_r(p, ",", &save)); p = NULL)
            if (strcmp(tok, "noexec") != 0 || exec)
                json_array_append_new(opts, json_string(tok));
    }
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", "tmpfs", "source",
                     "tmpfs", "options", opts);
}

static int add_user_mounts(json_t *mounts, json_t *record, hull_err **err)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(record, "Mounts"), i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        const char *dst = json_string_value(json_object_get(m, "Destination"));
        const char *src = json_string_value(json_object_get(m, "Source"));
        bool ro = !json_is_true(json_object_get(m, "RW"));
        if (type == NULL || dst == NULL)
            return hull_error(err, 0, "container record: Mounts[%zu] is incomplete", i);
        if (strcmp(type, "tmpfs") == 0) {
            json_array_append_new(
                mounts, tmpfs_mount(dst, json_string_value(json_object_get(m, "Options")), ro));
        } else {
            if (src == NULL)
                return hull_error(err, 0, "container record: Mounts[%zu] has no Source", i);
            json_array_append_new(mounts, bind_mount(dst, src, ro));
        }
    }
    return 0;
}

/* linux.resources from -m, --cpus and --pids-limit (only what was asked for), added to the
 * defaults' (the device rules). */
static void resources(json_t *res, json_t *host)
{
    json_int_t memory = json_integer_value(json_object_get(host, "Memory"));
    json_int_t nano_cpus = json_integer_value(json_object_get(host, "NanoCpus"));
    json_int_t pids = json_integer_value(json_object_get(host, "PidsLimit"));
    if (memory > 0)
        json_object_set_new(res, "memory", json_pack("{s:I}", "limit", memory));
    if (nano_cpus > 0) {
        /* docker's --cpus: a CFS quota over a 100 ms period. */
        json_int_t period = 100000;
        json_object_set_new(
            res, "cpu",
            json_pack("{s:I, s:I}", "quota", nano_cpus * period / 1000000000, "period", period));
    }
    if (pids != 0)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", pids));
}

/* --sysctl into linux.sysctl; --ulimit over the default process.rlimits (same type: replaced). */
static void add_limits(json_t *spec, json_t *host)
{
    if (json_object_size(json_object_get(host, "Sysctls")))
        json_object_set(json_object_get(spec, "linux"), "sysctl", json_object_get(host, "Sysctls"));
    json_t *rlimits = json_object_get(json_object_get(spec, "process"), "rlimits");
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(host, "Ulimits"), i, u)
    {
        const char *name = json_string_value(json_object_get(u, "Name"));
        if (name == NULL)
            continue;
        char type[64] = "RLIMIT_";
        for (size_t k = 0; name[k] && k + 8 < sizeof type; k++)
            type[7 + k] = (char)toupper((unsigned char)name[k]);
        for (size_t k = json_array_size(rlimits); k-- > 0;)
            if (strcmp(json_string_value(json_object_get(json_array_get(rlimits, k), "type")),
                       type) == 0)
                json_array_remove(rlimits, k);
        json_array_append_new(rlimits, json_pack("{s:s, s:O, s:O}", "type", type, "soft",
                                                 json_object_get(u, "Soft"), "hard",
                                                 json_object_get(u, "Hard")));
    }
}

/* --device: the nodes and the rules allowing them, after the default deny-all list. */
static int add_devices(json_t *spec, json_t *host, hull_err **err)
{
    json_t *lin = json_object_get(spec, "linux");
    json_t *rules = json_object_get(json_object_get(lin, "resources"), "devices");
    json_t *devices = json_array();
    json_object_set_new(lin, "devices", devices);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(host, "Devices"), i, d)
    {
        const char *h = json_string_value(json_object_get(d, "PathOnHost"));
        const char *c = json_string_value(json_object_get(d, "PathInContainer"));
        const char *p = json_string_value(json_object_get(d, "CgroupPermissions"));
        if (h == NULL || c == NULL || p == NULL)
            return hull_error(err, 0, "container record: HostConfig.Devices[%zu] is incomplete", i);
        if (container_devices_from_host(h, c, p, devices, rules, err) < 0)
            return -1;
    }
    return 0;
}

static void drop_option(json_t *mount, const char *option)
{
    json_t *opts = json_object_get(mount, "options");
    for (size_t i = json_array_size(opts); i-- > 0;)
        if (strcmp(json_string_value(json_array_get(opts, i)), option) == 0)
            json_array_remove(opts, i);
}

/* docker's --privileged: every capability (that hull itself holds: a bounding set narrower
 * than the kernel's would make capset fail), every host device and an allow-all device cgroup,
 * no seccomp, masked or read-only paths, /sys and its cgroup mount read-write. Landlock (hull's
 * own layer) goes too. */
static int make_privileged(json_t *spec, hull_err **err)
{
    json_t *all = json_array();
    for (int c = 0; c <= capabilities_last_cap(); c++)
        if (capability_name(c) && capabilities_in_bounding_set(c))
            json_array_append_new(all, json_string(capability_name(c)));
    json_object_set_new(
        json_object_get(spec, "process"), "capabilities",
        json_pack("{s:O, s:O, s:O}", "bounding", all, "effective", all, "permitted", all));
    json_decref(all);
    json_t *lin = json_object_get(spec, "linux");
    json_object_del(lin, "seccomp");
    json_object_del(lin, "maskedPaths");
    json_object_del(lin, "readonlyPaths");
    json_object_set_new(json_object_get(lin, "resources"), "devices",
                        json_pack("[{s:b, s:s}]", "allow", 1, "access", "rwm"));
    json_t *devices = json_object_get(lin, "devices");
    if (container_devices_all_host(devices, err) < 0)
        return -1;
    json_object_del(json_object_get(spec, "annotations"), HULL_LANDLOCK_ANNOTATION);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(spec, "mounts"), i, m)
    {
        const char *dest = json_string_value(json_object_get(m, "destination"));
        if (dest && (strcmp(dest, "/sys") == 0 || strcmp(dest, "/sys/fs/cgroup") == 0))
            drop_option(m, "ro");
    }
    return 0;
}

/* Destinations of the writable volumes and binds: what the default Landlock policy opens. */
static char **writable_mounts(json_t *record)
{
    size_t n = json_array_size(json_object_get(record, "Mounts"));
    char **v = calloc(n + 1, sizeof *v);
    if (v == NULL)
        abort();
    size_t used = 0, i;
    json_t *m;
    json_array_foreach(json_object_get(record, "Mounts"), i, m)
    {
        if (json_is_true(json_object_get(m, "RW")))
            v[used++] = (char *)json_string_value(json_object_get(m, "Destination"));
    }
    return v;
}

/* --security-opt seccomp=FILE|unconfined and landlock=FILE|default; --seccomp-trace (recorded as
 * `seccomp-trace=FILE`): the tracing profile, whose listener is the container's trace socket. */
static int apply_security_opts(json_t *spec, json_t *record, hull_err **err)
{
    json_t *host = json_object_get(record, "HostConfig");
    json_t *lin = json_object_get(spec, "linux");
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(host, "SecurityOpt"), i, o)
    {
        const char *opt = json_string_value(o);
        if (opt == NULL)
            continue;
        if (strncmp(opt, CONTAINER_SECCOMP_TRACE_OPT, strlen(CONTAINER_SECCOMP_TRACE_OPT)) == 0) {
            const char *id = json_string_value(json_object_get(record, "Id"));
            if (id == NULL)
                return hull_error(err, EINVAL, "container record: no `Id`");
            cleanup_free char *sock = container_seccomp_trace_socket(id);
            json_object_set_new(lin, "seccomp", seccomp_trace_profile(sock));
        } else if (strncmp(opt, "seccomp=", 8) == 0) {
            const char *file = opt + 8;
            if (strcmp(file, "unconfined") == 0) {
                json_object_del(lin, "seccomp");
                continue;
            }
            json_error_t je;
            json_t *profile = json_load_file(file, 0, &je);
            if (profile == NULL)
                return hull_error(err, 0, "--security-opt seccomp=%s: %s (line %d)", file, je.text,
                                  je.line);
            if (!json_is_object(profile)) {
                json_decref(profile);
                return hull_error(err, 0,
                                  "--security-opt seccomp=%s: expected a runtime-spec "
                                  "linux.seccomp object",
                                  file);
            }
            json_object_set_new(lin, "seccomp", profile);
        } else if (strncmp(opt, "landlock=", 9) == 0) {
            const char *file = opt + 9;
            char *policy = NULL;
            if (strcmp(file, "default") == 0) {
                cleanup_free char **volumes = writable_mounts(record);
                policy = landlock_default_policy_json((const char *const *)volumes);
            } else {
                size_t len;
                if (fs_read_file(file, 1u << 20, &policy, &len, err) < 0)
                    return hull_error_prefix(err, "--security-opt landlock");
            }
            json_t *ann = json_object_get(spec, "annotations");
            if (!json_is_object(ann)) {
                ann = json_object();
                json_object_set_new(spec, "annotations", ann);
            }
            json_object_set_new(ann, HULL_LANDLOCK_ANNOTATION, json_string(policy));
            free(policy);
        }
    }
    return 0;
}

int container_bundle_config(json_t *record, const char *dir, const char *init_path, json_t **out,
                            hull_err **err)
{
    json_t *cfg = json_object_get(record, "Config");
    json_t *host = json_object_get(record, "HostConfig");
    json_t *user = json_object_get(record, "ResolvedUser");
    struct spec_options so = {.rootless = false};
    json_t *spec = spec_default(&so);

    json_t *proc = json_object_get(spec, "process");
    json_t *args = json_array();
    if (json_is_true(json_object_get(host, "Init"))) {
        json_array_append_new(args, json_string("/dev/init"));
        json_array_append_new(args, json_string("--"));
    }
    json_array_append(args, json_object_get(record, "Path"));
    json_array_extend(args, json_object_get(record, "Args"));
    json_object_set_new(proc, "args", args);
    json_object_set(proc, "env", json_object_get(cfg, "Env"));
    json_object_set(proc, "cwd", json_object_get(cfg, "WorkingDir"));
    json_object_set(proc, "terminal",
                    json_is_true(json_object_get(cfg, "Tty")) ? json_true() : json_false());
    json_t *u = json_pack("{s:O, s:O}", "uid", json_object_get(user, "uid"), "gid",
                          json_object_get(user, "gid"));
    json_t *extra = json_object_get(user, "additionalGids");
    if (json_array_size(extra))
        json_object_set(u, "additionalGids", extra);
    json_object_set_new(proc, "user", u);
    json_t *caps = NULL;
    if (container_capabilities(json_object_get(host, "CapAdd"), json_object_get(host, "CapDrop"),
                               &caps, err) < 0) {
        json_decref(spec);
        return -1;
    }
    json_object_set_new(
        proc, "capabilities",
        json_pack("{s:O, s:O, s:O}", "bounding", caps, "effective", caps, "permitted", caps));
    json_decref(caps);
    json_object_set(proc, "noNewPrivileges",
                    json_is_false(json_object_get(host, "NoNewPrivileges")) ? json_false()
                                                                            : json_true());

    json_object_set_new(spec, "root",
                        json_pack("{s:s, s:b}", "path", "rootfs", "readonly",
                                  json_is_true(json_object_get(host, "ReadonlyRootfs"))));
    json_object_set(spec, "hostname", json_object_get(cfg, "Hostname"));

    json_t *mounts = json_object_get(spec, "mounts");
    static const char *const files[] = {"hostname", "hosts", "resolv.conf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char src[4096], dst[64];
        snprintf(src, sizeof src, "%s/%s", dir, files[i]);
        snprintf(dst, sizeof dst, "/etc/%s", files[i]);
        json_array_append_new(mounts, bind_mount(dst, src, false));
    }
    if (init_path)
        json_array_append_new(mounts, bind_mount("/dev/init", init_path, true));
    if (add_user_mounts(mounts, record, err) < 0) {
        json_decref(spec);
        return -1;
    }

    json_t *lin = json_object_get(spec, "linux");
    const char *net = json_string_value(json_object_get(host, "NetworkMode"));
    if (net && strcmp(net, "host") == 0) {
        json_t *ns = json_object_get(lin, "namespaces");
        for (size_t i = json_array_size(ns); i-- > 0;) {
            const char *t = json_string_value(json_object_get(json_array_get(ns, i), "type"));
            if (t && strcmp(t, "network") == 0)
                json_array_remove(ns, i);
        }
    }
    resources(json_object_get(lin, "resources"), host);
    add_limits(spec, host);
    if (add_devices(spec, host, err) < 0) {
        json_decref(spec);
        return -1;
    }
    json_object_set_new(spec, "annotations",
                        json_pack("{s:O, s:O}", "io.hull.container.name",
                                  json_object_get(record, "Name"), "io.hull.image.name",
                                  json_object_get(record, "ImageName")));
    const char *runtime = json_string_value(json_object_get(host, "Runtime"));
    if (runtime && strcmp(runtime, "vm") == 0) /* libhull's microVM handler (docs/vm.md) */
        json_object_set_new(json_object_get(spec, "annotations"), "run.oci.handler",
                            json_string("vm"));
    if (apply_security_opts(spec, record, err) < 0 ||
        (json_is_true(json_object_get(host, "Privileged")) && make_privileged(spec, err) < 0)) {
        json_decref(spec);
        return -1;
    }
    *out = spec;
    return 0;
}
