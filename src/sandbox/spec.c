/* A sandbox's config.json (spec.h). */
#include "sandbox/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config_security.h"
#include "oci/seccomp_default.h"
#include "oci/spec_default.h"
#include "util/cleanup.h"
#include "util/fs.h"

char *sandbox_landlock_policy(const char *workdir)
{
    json_t *rules = json_array();
    json_array_append_new(rules,
                          json_pack("{s:s, s:[s,s]}", "path", "/", "access", "read", "execute"));
    json_array_append_new(rules,
                          json_pack("{s:s, s:[s,s]}", "path", "/proc", "access", "read", "write"));
    json_array_append_new(rules, json_pack("{s:s, s:[s,s,s,s]}", "path", "/dev", "access", "read",
                                           "write", "truncate", "ioctl_dev"));
    const char *writable[] = {workdir, "/tmp", "/dev/shm", NULL};
    for (const char **w = writable; *w; w++)
        json_array_append_new(rules,
                              json_pack("{s:s, s:[s,s,s,s,s,s]}", "path", *w, "access", "read",
                                        "write", "execute", "make", "remove", "truncate"));
    json_t *doc = json_pack("{s:i, s:o}", "min_abi", 1, "rules", rules);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}

static json_t *mount_entry(const char *dest, const char *type, const char *source,
                           const char *const *options)
{
    json_t *opts = json_array();
    for (const char *const *o = options; *o; o++)
        json_array_append_new(opts, json_string(*o));
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", source,
                     "options", opts);
}

int sandbox_spec(const struct sandbox_opts *o, const char *rootfs, const char *workspace,
                 char **args, json_t **out, hull_err **err)
{
    json_t *seccomp;
    if (o->seccomp && strcmp(o->seccomp, "unconfined") == 0) {
        seccomp = NULL;
    } else if (o->seccomp) {
        json_error_t je;
        seccomp = json_load_file(o->seccomp, 0, &je);
        if (seccomp == NULL || !json_is_object(seccomp)) {
            json_decref(seccomp);
            return hull_error(err, 0, "--seccomp `%s`: not a JSON seccomp profile: %s", o->seccomp,
                              je.text);
        }
    } else {
        seccomp = seccomp_default_profile();
    }
    struct spec_options so = {.rootless = false, .args = args};
    json_t *spec = spec_default(&so);
    json_t *proc = json_object_get(spec, "process");
    json_t *env = json_object_get(proc, "env");
    json_array_append_new(env, json_string("HOME=/workspace"));
    for (char **e = o->env; e && *e; e++)
        json_array_append_new(env, json_string(*e));
    json_object_set_new(proc, "cwd", json_string(o->workdir));
    /* Every capability dropped. */
    json_t *caps = json_pack("{s:[], s:[], s:[], s:[], s:[]}", "bounding", "effective", "permitted",
                             "inheritable", "ambient");
    json_object_set_new(proc, "capabilities", caps);
    json_object_set_new(proc, "noNewPrivileges", json_true());
    json_object_set_new(proc, "rlimits",
                        json_pack("[{s:s, s:i, s:i}, {s:s, s:i, s:i}]", "type", "RLIMIT_NOFILE",
                                  "hard", 1024, "soft", 1024, "type", "RLIMIT_CORE", "hard", 0,
                                  "soft", 0));
    json_object_set_new(spec, "root", json_pack("{s:s, s:b}", "path", rootfs, "readonly", 1));
    json_object_set_new(spec, "hostname", json_string("sandbox"));

    static const char *const dev_opts[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
                                           NULL};
    static const char *const pts_opts[] = {"nosuid",        "noexec",    "newinstance",
                                           "ptmxmode=0666", "mode=0620", NULL};
    static const char *const shm_opts[] = {"nosuid",    "noexec",      "nodev",
                                           "mode=1777", "size=65536k", NULL};
    static const char *const tmp_opts[] = {"nosuid", "nodev", "mode=1777", "size=65536k", NULL};
    static const char *const ws_opts[] = {"rbind", "nosuid", "nodev", "rw", NULL};
    json_t *mounts = json_array();
    json_array_append_new(mounts,
                          mount_entry("/proc", "proc", "proc",
                                      (const char *const[]){"nosuid", "noexec", "nodev", NULL}));
    json_array_append_new(mounts, mount_entry("/dev", "tmpfs", "tmpfs", dev_opts));
    json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts", pts_opts));
    json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm", shm_opts));
    json_array_append_new(mounts, mount_entry("/tmp", "tmpfs", "tmpfs", tmp_opts));
    json_array_append_new(mounts, mount_entry(o->workdir, "bind", workspace, ws_opts));
    json_object_set_new(spec, "mounts", mounts);

    json_t *lin = json_object_get(spec, "linux");
    json_t *ns = json_array();
    const char *names[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", "user", NULL};
    for (const char **n = names; *n; n++)
        json_array_append_new(ns, json_pack("{s:s}", "type", *n));
    json_object_set_new(lin, "namespaces", ns);
    json_object_set_new(lin, "uidMappings",
                        json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                  (json_int_t)SANDBOX_HOST_UID, "size", 1));
    json_object_set_new(lin, "gidMappings",
                        json_pack("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                                  (json_int_t)SANDBOX_HOST_UID, "size", 1));
    json_t *res = json_pack("{s:o}", "devices", spec_default_device_cgroup());
    if (o->memory > 0)
        json_object_set_new(
            res, "memory",
            json_pack("{s:I, s:I}", "limit", (json_int_t)o->memory, "swap", (json_int_t)o->memory));
    if (o->pids > 0)
        json_object_set_new(res, "pids", json_pack("{s:I}", "limit", (json_int_t)o->pids));
    if (o->cpus_milli > 0)
        json_object_set_new(res, "cpu",
                            json_pack("{s:I, s:I}", "quota", (json_int_t)(o->cpus_milli * 100),
                                      "period", (json_int_t)100000));
    json_object_set_new(lin, "resources", res);
    if (seccomp)
        json_object_set_new(lin, "seccomp", seccomp);
    else
        json_object_del(lin, "seccomp");
    char *policy = sandbox_landlock_policy(o->workdir);
    json_object_set_new(spec, "annotations", json_pack("{s:s}", HULL_LANDLOCK_ANNOTATION, policy));
    free(policy);
    *out = spec;
    return 0;
}
