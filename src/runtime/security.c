/* Orchestration of the security layers (order documented in security.h). */
#include "runtime/security.h"

#include <sched.h>
#include <string.h>
#include <strings.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

#define CAP_SYS_ADMIN_BIT 21

static bool keeps_sys_admin(const struct hull_config *cfg, const struct cap_sets *caps)
{
    if (caps->present)
        return (caps->effective >> CAP_SYS_ADMIN_BIT) & 1;
    /* No capabilities field: root keeps its capabilities, anyone else loses them at setuid. */
    return cfg->process.uid == 0;
}

bool security_container_can_reach_runtime(const struct hull_config *cfg)
{
    if (config_has_namespace(cfg, CLONE_NEWUSER))
        return false;
    const struct hull_namespace *pid = config_find_namespace(cfg, CLONE_NEWPID);
    if (pid == NULL || pid->path != NULL)
        return true;
    if (!cfg->process.has_capabilities)
        return cfg->process.uid == 0;
    for (char **c = cfg->process.caps.bounding; c && *c; c++)
        if (strcasecmp(*c, "CAP_SYS_PTRACE") == 0)
            return true;
    return false;
}

int security_prepare(const struct hull_config *cfg, const struct cap_sets *caps,
                     const char *cache_root, struct security_plan *plan, hull_err **err)
{
    *plan = (struct security_plan){.lsm = {.attr_fd = -1}};
    plan->late = cfg->process.no_new_privileges || keeps_sys_admin(cfg, caps);
    if (lsm_prepare(&cfg->process, &plan->lsm, err) < 0)
        return -1;
    if (landlock_prepare(cfg->landlock, &plan->landlock, err) < 0)
        return -1;
    if (cfg->seccomp_profile &&
        seccomp_prepare(cfg->seccomp_profile, cache_root, &plan->seccomp, err) < 0)
        return -1;
    return 0;
}

void security_plan_clear(struct security_plan *plan)
{
    seccomp_prepared_free(plan->seccomp);
    landlock_prepared_free(plan->landlock);
    lsm_plan_clear(&plan->lsm);
    free(plan->listener_msg);
    *plan = (struct security_plan){.lsm = {.attr_fd = -1}};
}

int security_before_mounts(struct security_plan *plan, hull_err **err)
{
    /* Until pivot_root, /proc is the runtime's: /proc/self names us as the runtime (and the
     * seccomp listener) sees us. */
    char buf[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        plan->host_pid = (pid_t)strtol(buf, NULL, 10);
    }
    return lsm_open_exec_attr(&plan->lsm, err);
}

int security_after_mounts(struct security_plan *plan, const char *state_json, hull_err **err)
{
    if (plan->landlock && landlock_build_ruleset(plan->landlock, err) < 0)
        return -1;
    if (plan->seccomp && seccomp_prepare_listener_message(plan->seccomp, state_json, plan->host_pid,
                                                          &plan->listener_msg, err) < 0)
        return -1;
    return 0;
}

static int enforce(struct security_plan *plan, hull_err **err)
{
    if (plan->applied)
        return 0;
    plan->applied = true;
    if (lsm_set_exec_label(&plan->lsm, err) < 0)
        return -1;
    if (plan->landlock && landlock_restrict(plan->landlock, err) < 0)
        return -1;
    /* Last: from here on only the listener hand-over and execve run under the filter. */
    if (plan->seccomp && seccomp_install(plan->seccomp, plan->listener_msg, err) < 0)
        return -1;
    return 0;
}

int security_apply_early(struct security_plan *plan, hull_err **err)
{
    if (plan->late)
        return 0;
    hull_debug("no no_new_privs and no CAP_SYS_ADMIN: Landlock and seccomp are enforced before "
               "the identity change");
    return enforce(plan, err);
}

int security_apply_final(struct security_plan *plan, hull_err **err)
{
    return enforce(plan, err);
}
