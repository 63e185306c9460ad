/* linux.resources: cgroup limits. Parsed into the model by the cgroup layer. */
#include <errno.h>

#include "oci/config.h"
#include "oci/json_read.h"

int config_parse_resources(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                           hull_err **err)
{
    if (json_read_object(c, linux_obj, "resources", "linux", &cfg->resources, err) < 0)
        return -1;
    if (cfg->resources && json_object_size(cfg->resources) > 0) {
        hull_error(err, 0, "%s: linux.resources: not supported yet", c->file);
        (*err)->errnum = ENOTSUP;
        return -1;
    }
    return 0;
}
