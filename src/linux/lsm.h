/* AppArmor and SELinux: the exec-time label of the container process and the SELinux context
 * of the container's own mounts. When the LSM is not enabled on the host hull does what runc
 * does: an AppArmor profile or SELinux process label is an error (the container would run
 * unconfined otherwise), a mount label is ignored. See docs/security.md. */
#ifndef HULL_LINUX_LSM_H
#define HULL_LINUX_LSM_H

#include <stdbool.h>

#include "oci/config.h"
#include "util/error.h"

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);

struct lsm_plan {
    const char *apparmor_profile; /* borrowed; NULL: none */
    const char *selinux_label;    /* borrowed; NULL: none */
    int attr_fd;                  /* container side: /proc/thread-self/attr/.../exec, -1 */
};

/* Runtime side: decide what applies, refusing labels for an LSM that is not enabled. */
int lsm_prepare(const struct hull_process *p, struct lsm_plan *plan, hull_err **err);
/* Container side, while the runtime's /proc is still visible (before pivot_root): open the
 * exec attribute of this thread on a verified procfs, so that no mount in the container can
 * redirect the write (CVE-2019-16884 class). */
int lsm_open_exec_attr(struct lsm_plan *plan, hull_err **err);
/* Container side, right before seccomp and execve: set the label the next execve takes. */
int lsm_set_exec_label(struct lsm_plan *plan, hull_err **err);
void lsm_plan_clear(struct lsm_plan *plan);

/* Mount data with the SELinux context option added (malloc'd), or NULL when no label applies
 * (SELinux disabled, no label, or a filesystem that takes none). */
char *lsm_mount_data(const char *type, const char *data, const char *mount_label);

#endif
