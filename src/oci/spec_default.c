/* The default runtime-spec document. */
#include "oci/spec_default.h"

#include <stdlib.h>
#include <string.h>

#include "oci/config_security.h"
#include "oci/landlock_default.h"
#include "oci/seccomp_default.h"

const char *const spec_default_capabilities[] = {"CAP_AUDIT_WRITE", "CAP_KILL",
                                                 "CAP_NET_BIND_SERVICE", NULL};

const char *const spec_default_masked_paths[] = {
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/proc/interrupts",
    NULL,
};

const char *const spec_default_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

#define ACCESS_ALL (HULL_DEV_READ | HULL_DEV_WRITE | HULL_DEV_MKNOD)

const struct hull_device_rule spec_default_device_rules[] = {
    {true, 'c', -1, -1, HULL_DEV_MKNOD}, {true, 'b', -1, -1, HULL_DEV_MKNOD},
    {true, 'c', 1, 3, ACCESS_ALL},    /* /dev/null */
    {true, 'c', 1, 8, ACCESS_ALL},    /* /dev/random */
    {true, 'c', 1, 7, ACCESS_ALL},    /* /dev/full */
    {true, 'c', 5, 0, ACCESS_ALL},    /* /dev/tty */
    {true, 'c', 1, 5, ACCESS_ALL},    /* /dev/zero */
    {true, 'c', 1, 9, ACCESS_ALL},    /* /dev/urandom */
    {true, 'c', 5, 1, ACCESS_ALL},    /* /dev/console */
    {true, 'c', 136, -1, ACCESS_ALL}, /* /dev/pts/N */
    {true, 'c', 5, 2, ACCESS_ALL},    /* /dev/ptmx */
};
const size_t spec_default_n_device_rules =
    sizeof(spec_default_device_rules) / sizeof(spec_default_device_rules[0]);

json_t *spec_device_rule_json(const struct hull_device_rule *r)
{
    char access[4];
    size_t n = 0;
    if (r->access & HULL_DEV_READ)
        access[n++] = 'r';
    if (r->access & HULL_DEV_WRITE)
        access[n++] = 'w';
    if (r->access & HULL_DEV_MKNOD)
        access[n++] = 'm';
    access[n] = '\0';
    json_t *o = json_pack("{s:b, s:s}", "allow", r->allow, "access", access);
    if (r->type != 'a')
        json_object_set_new(o, "type", json_stringn(&r->type, 1));
    if (r->major >= 0)
        json_object_set_new(o, "major", json_integer(r->major));
    if (r->minor >= 0)
        json_object_set_new(o, "minor", json_integer(r->minor));
    return o;
}

json_t *spec_default_device_cgroup(void)
{
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));
    for (size_t i = 0; i < spec_default_n_device_rules; i++)
        json_array_append_new(a, spec_device_rule_json(&spec_default_device_rules[i]));
    return a;
}

static json_t *strings(const char *const *list)
{
    json_t *a = json_array();
    for (; *list; list++)
        json_array_append_new(a, json_string(*list));
    return a;
}

static json_t *mount(const char *dest, const char *type, const char *source,
                     const char *const *options)
{
    json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
    if (options)
        json_object_set_new(m, "options", strings(options));
    return m;
}

json_t *spec_default(const struct spec_options *o)
{
    json_t *root = json_object();
    json_object_set_new(root, "ociVersion", json_string("1.2.0"));

    json_t *proc = json_object();
    json_object_set_new(proc, "terminal", json_false());
    json_object_set_new(proc, "user", json_pack("{s:i, s:i}", "uid", 0, "gid", 0));
    json_object_set_new(proc, "args",
                        o->args ? strings((const char *const *)o->args) : json_pack("[s]", "sh"));
    json_object_set_new(
        proc, "env",
        json_pack("[s, s]", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                  "TERM=xterm"));
    json_object_set_new(proc, "cwd", json_string("/"));
    json_t *caps = json_object();
    json_object_set_new(caps, "bounding", strings(spec_default_capabilities));
    json_object_set_new(caps, "effective", strings(spec_default_capabilities));
    json_object_set_new(caps, "permitted", strings(spec_default_capabilities));
    /* Empty inheritable set: CVE-2022-29162 (inheritable caps leaking into execve'd
     * programs with file capabilities). */
    json_object_set_new(proc, "capabilities", caps);
    json_object_set_new(
        proc, "rlimits",
        json_pack("[{s:s, s:i, s:i}]", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024));
    json_object_set_new(proc, "noNewPrivileges", json_true());
    json_object_set_new(root, "process", proc);

    json_object_set_new(root, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 1));
    json_object_set_new(root, "hostname", json_string("hull"));

    static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
                                           NULL};
    static const char *const pts_opts[] = {"nosuid",        "noexec",    "newinstance",
                                           "ptmxmode=0666", "mode=0620", NULL};
    static const char *const pts_opts_root[] = {
        "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL};
    static const char *const shm_opts[] = {"nosuid",    "noexec",      "nodev",
                                           "mode=1777", "size=65536k", NULL};
    static const char *const mq_opts[] = {"nosuid", "noexec", "nodev", NULL};
    static const char *const sys_opts[] = {"nosuid", "noexec", "nodev", "ro", NULL};
    static const char *const sys_opts_rootless[] = {"rbind", "nosuid", "noexec",
                                                    "nodev", "ro",     NULL};
    static const char *const cg_opts[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
    json_t *mounts = json_array();
    json_array_append_new(mounts, mount("/proc", "proc", "proc", NULL));
    json_array_append_new(mounts, mount("/dev", "tmpfs", "tmpfs", dev_opts));
    json_array_append_new(
        mounts, mount("/dev/pts", "devpts", "devpts", o->rootless ? pts_opts : pts_opts_root));
    json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm", shm_opts));
    json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", mq_opts));
    if (o->rootless)
        json_array_append_new(mounts, mount("/sys", "none", "/sys", sys_opts_rootless));
    else
        json_array_append_new(mounts, mount("/sys", "sysfs", "sysfs", sys_opts));
    if (!o->rootless)
        json_array_append_new(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup", cg_opts));
    json_object_set_new(root, "mounts", mounts);

    json_t *lin = json_object();
    json_t *ns = json_array();
    const char *names[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
    for (const char **n = names; *n; n++) {
        if (o->rootless && strcmp(*n, "network") == 0)
            continue;
        json_array_append_new(ns, json_pack("{s:s}", "type", *n));
    }
    if (o->rootless) {
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
        json_object_set_new(lin, "uidMappings",
                            json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)o->uid, "size", 1));
        json_object_set_new(lin, "gidMappings",
                            json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
                                      (json_int_t)o->gid, "size", 1));
    }
    json_object_set_new(lin, "namespaces", ns);
    /* Deny-by-default devices: a node shipped in the image (kmsg, a host disk) stays closed.
     * Rootless containers get no cgroup (and a user namespace keeps host nodes closed). */
    if (!o->rootless)
        json_object_set_new(lin, "resources",
                            json_pack("{s:o}", "devices", spec_default_device_cgroup()));
    json_object_set_new(lin, "maskedPaths", strings(spec_default_masked_paths));
    json_object_set_new(lin, "readonlyPaths", strings(spec_default_readonly_paths));
    json_object_set_new(lin, "seccomp", seccomp_default_profile());
    json_object_set_new(root, "linux", lin);
    if (o->landlock_default) {
        char *policy = landlock_default_policy_json(NULL);
        json_object_set_new(root, "annotations",
                            json_pack("{s:s}", HULL_LANDLOCK_ANNOTATION, policy));
        free(policy);
    }
    return root;
}
