/* process.scheduler, process.ioPriority and linux.memoryPolicy: parsed and validated as the
 * kernel would (sched_setattr, ioprio_set, set_mempolicy), so a bad value is a clear config
 * error instead of an EINVAL during create. The names are also what `features` lists. */
#ifndef HULL_OCI_CONFIG_SCHED_H
#define HULL_OCI_CONFIG_SCHED_H

#include <jansson.h>

#include "oci/config.h"
#include "oci/json_read.h"

extern const char *const hull_sched_policy_names[];
extern const char *const hull_sched_flag_names[];
extern const char *const hull_ioprio_class_names[];
extern const char *const hull_mpol_mode_names[];
extern const char *const hull_mpol_flag_names[];

int config_parse_scheduler(const struct json_ctx *c, json_t *process, const char *path,
                           struct hull_process *p, hull_err **err);
int config_parse_io_priority(const struct json_ctx *c, json_t *process, const char *path,
                             struct hull_process *p, hull_err **err);
int config_parse_memory_policy(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                               hull_err **err);

#endif
