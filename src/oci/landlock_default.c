/* The default Landlock policy (see landlock_default.h). */
#include "oci/landlock_default.h"

#include <jansson.h>

char *landlock_default_policy_json(const char *const *writable_volumes)
{
    static const char *const system_dirs[] = {"/bin",   "/sbin",   "/usr", "/lib", "/lib32",
                                              "/lib64", "/libx32", "/opt", NULL};
    static const char *const scratch_dirs[] = {"/tmp", "/var/tmp", "/run", "/dev/shm", NULL};
    json_t *rules = json_array();
    for (const char *const *d = system_dirs; *d; d++)
        json_array_append_new(rules,
                              json_pack("{s:s, s:[s,s]}", "path", *d, "access", "read", "execute"));
    json_array_append_new(rules, json_pack("{s:s, s:[s]}", "path", "/etc", "access", "read"));
    json_array_append_new(rules, json_pack("{s:s, s:[s]}", "path", "/sys", "access", "read"));
    json_array_append_new(rules,
                          json_pack("{s:s, s:[s,s]}", "path", "/proc", "access", "read", "write"));
    json_array_append_new(rules, json_pack("{s:s, s:[s,s,s,s]}", "path", "/dev", "access", "read",
                                           "write", "truncate", "ioctl_dev"));
    for (const char *const *d = scratch_dirs; *d; d++)
        json_array_append_new(rules, json_pack("{s:s, s:[s,s,s,s,s]}", "path", *d, "access", "read",
                                               "write", "make", "remove", "truncate"));
    for (const char *const *v = writable_volumes; v && *v; v++)
        json_array_append_new(rules, json_pack("{s:s, s:[s,s,s,s,s]}", "path", *v, "access", "read",
                                               "write", "make", "remove", "truncate"));
    json_t *doc = json_pack("{s:i, s:o}", "min_abi", 1, "rules", rules);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return text;
}
