/* `hull-runtime features`. */
#include "runtime/features.h"

#include <stdio.h>
#include <string.h>

#include "linux/capabilities.h"
#include "linux/landlock_ruleset.h"
#include "linux/lsm.h"
#include "linux/seccomp_filter.h"
#include "oci/config_sched.h"
#include "oci/config_security.h"

static json_t *strings(const char *const *list)
{
    json_t *a = json_array();
    for (; *list; list++)
        json_array_append_new(a, json_string(*list));
    return a;
}

static json_t *seccomp_features(void)
{
    json_t *supported = json_array();
    for (unsigned bit = 1, i = 0; hull_seccomp_flag_names[i]; bit <<= 1, i++)
        if (seccomp_flag_supported(bit))
            json_array_append_new(supported, json_string(hull_seccomp_flag_names[i]));
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1, "actions",
                     strings(hull_seccomp_action_names), "operators",
                     strings(hull_seccomp_operator_names), "archs",
                     strings(hull_seccomp_arch_names), "knownFlags",
                     strings(hull_seccomp_flag_names), "supportedFlags", supported);
}

json_t *runtime_features_document(void)
{
    static const char *const hooks[] = {
        "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
        NULL};
    static const char *const mount_options[] = {
        "async",    "atime",        "bind",          "defaults",    "dev",         "diratime",
        "dirsync",  "exec",         "iversion",      "lazytime",    "loud",        "mand",
        "noatime",  "nodev",        "nodiratime",    "noexec",      "noiversion",  "nolazytime",
        "nomand",   "norelatime",   "nostrictatime", "nosuid",      "nosymfollow", "private",
        "rbind",    "rdev",         "rdiratime",     "relatime",    "remount",     "rexec",
        "rnoatime", "rnodev",       "rnodiratime",   "rnoexec",     "rnosuid",     "rnosymfollow",
        "ro",       "rprivate",     "rrelatime",     "rro",         "rrw",         "rshared",
        "rslave",   "rstrictatime", "rsuid",         "rsymfollow",  "runbindable", "rw",
        "shared",   "silent",       "slave",         "strictatime", "suid",        "symfollow",
        "sync",     "tmpcopyup",    "unbindable",    NULL};
    static const char *const namespaces[] = {"cgroup", "ipc",  "mount", "network", "pid",
                                             "time",   "user", "uts",   NULL};
    json_t *f = json_object();
    json_object_set_new(f, "ociVersionMin", json_string("1.0.0"));
    json_object_set_new(f, "ociVersionMax", json_string("1.3.0"));
    json_object_set_new(f, "hooks", strings(hooks));
    json_object_set_new(f, "mountOptions", strings(mount_options));
    json_t *lin = json_object();
    json_object_set_new(lin, "namespaces", strings(namespaces));
    json_t *caps = json_array();
    for (int c = 0; c <= capabilities_last_cap(); c++)
        json_array_append_new(caps, json_string(capability_name(c)));
    json_object_set_new(lin, "capabilities", caps);
    json_object_set_new(lin, "cgroup",
                        json_pack("{s:b, s:b, s:b, s:b, s:b}", "v1", 1, "v2", 1, "systemd", 0,
                                  "systemdUser", 0, "rdma", 1));
    json_object_set_new(lin, "seccomp", seccomp_features());
    json_object_set_new(lin, "apparmor", json_pack("{s:b}", "enabled", lsm_apparmor_enabled()));
    json_object_set_new(lin, "selinux", json_pack("{s:b}", "enabled", lsm_selinux_enabled()));
    json_object_set_new(lin, "intelRdt", json_pack("{s:b}", "enabled", 0));
    json_object_set_new(lin, "memoryPolicy",
                        json_pack("{s:o, s:o}", "modes", strings(hull_mpol_mode_names), "flags",
                                  strings(hull_mpol_flag_names)));
    /* process.scheduler and process.ioPriority (no key in the spec's features schema yet). */
    json_t *policies = json_array();
    for (const char *const *n = hull_sched_policy_names; *n; n++)
        if (strcmp(*n, "SCHED_ISO") != 0) /* not in Linux */
            json_array_append_new(policies, json_string(*n));
    json_object_set_new(lin, "scheduler",
                        json_pack("{s:b, s:o, s:o}", "enabled", 1, "policies", policies, "flags",
                                  strings(hull_sched_flag_names)));
    json_object_set_new(
        lin, "ioPriority",
        json_pack("{s:b, s:o}", "enabled", 1, "classes", strings(hull_ioprio_class_names)));
    json_object_set_new(lin, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 0));
    json_object_set_new(f, "linux", lin);
    char abi[16];
    snprintf(abi, sizeof abi, "%d", landlock_abi_version());
    json_object_set_new(f, "annotations",
                        json_pack("{s:s, s:s, s:s}", "io.github.hull.version", HULL_VERSION,
                                  "org.opencontainers.runc.checkpoint.enabled", "false",
                                  "run.hull.landlock.abi", abi));
    return f;
}
