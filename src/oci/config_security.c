/* Security sections of config.json that are not part of `process` parsing: seccomp and LSM
 * labels. Fields this runtime cannot honour yet are refused, never silently ignored. */
#include <errno.h>

#include "oci/config.h"
#include "oci/json_read.h"

static int unsupported(const struct json_ctx *c, const char *path, hull_err **err)
{
    hull_error(err, 0, "%s: %s: not supported yet", c->file, path);
    (*err)->errnum = ENOTSUP;
    return -1;
}

int config_parse_security(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                          hull_err **err)
{
    json_t *l = json_object_get(root, "linux");
    if (json_read_object(c, l, "seccomp", "linux", &cfg->seccomp, err) < 0)
        return -1;
    if (cfg->seccomp && json_object_size(cfg->seccomp) > 0)
        return unsupported(c, "linux.seccomp", err);
    if (cfg->process.apparmor_profile && *cfg->process.apparmor_profile)
        return unsupported(c, "process.apparmorProfile", err);
    if (cfg->process.selinux_label && *cfg->process.selinux_label)
        return unsupported(c, "process.selinuxLabel", err);
    if (cfg->mount_label && *cfg->mount_label)
        return unsupported(c, "linux.mountLabel", err);
    return 0;
}
