/* The default config.json written by `hull-runtime spec`: hardened like runc's (few
 * capabilities, empty inheritable set, no_new_privs, masked and read-only /proc paths). */
#ifndef HULL_OCI_SPEC_DEFAULT_H
#define HULL_OCI_SPEC_DEFAULT_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/config.h"

struct spec_options {
    bool rootless; /* user namespace mapping the caller's uid/gid to root */
    uid_t uid;
    gid_t gid;
    char **args;           /* NULL: ["sh"] */
    bool landlock_default; /* add the default Landlock policy annotation */
};

json_t *spec_default(const struct spec_options *o);

/* The lists shared with the `hull` CLI's hardened defaults. */
extern const char *const spec_default_capabilities[];
extern const char *const spec_default_masked_paths[];
extern const char *const spec_default_readonly_paths[];

/* The devices every container may use, after a deny-all rule (runc's AllowedDevices, docker's
 * and podman's default list): mknod of any node, /dev/null, zero, full, random, urandom, tty,
 * console, ptmx and the pts/N terminals. The runtime appends them to a config's own rules;
 * `hull-runtime spec` and `hull run` write them after "deny all" so the config says it. */
extern const struct hull_device_rule spec_default_device_rules[];
extern const size_t spec_default_n_device_rules;
/* linux.resources.devices: deny everything, then spec_default_device_rules. */
json_t *spec_default_device_cgroup(void);
/* One linux.resources.devices entry as JSON. */
json_t *spec_device_rule_json(const struct hull_device_rule *r);

#endif
