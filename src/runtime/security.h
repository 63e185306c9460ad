/* The security layers of a container process, in the one order they are applied. A reviewer
 * should be able to read this file and docs/security.md side by side.
 *
 *   runtime, before clone()   security_prepare: LSM availability, Landlock ABI and min_abi,
 *                             seccomp compiled (or read from the BPF cache), listener connected
 *   container, before mounts  security_before_mounts: host pid noted, LSM exec attribute opened
 *                             on the runtime's procfs
 *   container, after mounts   security_after_mounts: Landlock ruleset built from the final tree
 *   (identity, capabilities, cwd, no_new_privs, close_range: init.c)
 *   container, last step      security_apply_final: LSM exec label, Landlock enforced, seccomp
 *                             loaded (+ notify fd sent), then execve
 *
 * Landlock and seccomp need no_new_privs or CAP_SYS_ADMIN. When the process will have neither,
 * they are enforced earlier, before the identity change drops CAP_SYS_ADMIN
 * (security_apply_early), as runc does for seccomp; the remaining setup then runs filtered. */
#ifndef HULL_RUNTIME_SECURITY_H
#define HULL_RUNTIME_SECURITY_H

#include <stdbool.h>
#include <sys/types.h>

#include "linux/capabilities.h"
#include "linux/landlock_ruleset.h"
#include "linux/lsm.h"
#include "linux/seccomp_filter.h"
#include "oci/config.h"
#include "util/error.h"

struct security_plan {
    struct seccomp_prepared *seccomp;   /* NULL: no linux.seccomp */
    struct landlock_prepared *landlock; /* NULL: no policy (or none applicable) */
    struct lsm_plan lsm;
    bool late;      /* enforce after the exec.fifo wait (no_new_privs or CAP_SYS_ADMIN kept) */
    bool applied;   /* already enforced (early) */
    pid_t host_pid; /* the container process in the runtime's pid namespace */
    char *listener_msg;
};

/* Could a process of this container open /proc/<pid>/exe of a non-dumpable runtime process
 * (the container's init before execve, or an exec'ing runtime) and overwrite the runtime's
 * binary (CVE-2019-5736)? Only with CAP_SYS_PTRACE in the initial user namespace: that is,
 * without a user namespace, when the bounding set keeps CAP_SYS_PTRACE (or capabilities are
 * left unchanged for root), or when the pid namespace is shared with other containers. When it
 * is possible, the runtime re-executes itself from an unwritable copy (linux/exe_protect.h). */
bool security_container_can_reach_runtime(const struct hull_config *cfg);

/* Runtime side. `cache_root` is the --root directory (seccomp BPF cache). */
int security_prepare(const struct hull_config *cfg, const struct cap_sets *caps,
                     const char *cache_root, struct security_plan *plan, hull_err **err);
void security_plan_clear(struct security_plan *plan);

/* Container side, see the order above. `state_json` is the container state for the seccomp
 * listener. */
int security_before_mounts(struct security_plan *plan, hull_err **err);
int security_after_mounts(struct security_plan *plan, const char *state_json, hull_err **err);
int security_apply_early(struct security_plan *plan, hull_err **err);
int security_apply_final(struct security_plan *plan, hull_err **err);

#endif
