/* Landlock: the unprivileged filesystem and network sandbox no other OCI runtime applies. The
 * policy comes from the `run.hull.landlock` annotation (oci/config_security.h); the ABI is
 * probed at run time and rights newer than the kernel are dropped (best effort) unless the
 * policy's min_abi demands them. */
#ifndef HULL_LINUX_LANDLOCK_H
#define HULL_LINUX_LANDLOCK_H

#include <stdint.h>

#include "oci/config_security.h"
#include "util/error.h"

struct landlock_prepared {
    int abi;
    uint64_t handled_fs, handled_net, scoped;
    const struct hull_landlock_policy *policy; /* borrowed */
    int ruleset_fd;                            /* container side, -1 until built */
};

/* The kernel's Landlock ABI version, or -1 (with errno) when Landlock is unavailable. */
int landlock_abi_version(void);

/* Runtime side, before clone(): check min_abi against the kernel and work out the handled
 * rights. *out stays NULL when there is nothing to apply (no Landlock, min_abi 0). */
int landlock_prepare(const struct hull_landlock_policy *policy, struct landlock_prepared **out,
                     hull_err **err);
void landlock_prepared_free(struct landlock_prepared *p);

/* Container side, once the final mount tree is in place: build the ruleset from the paths as
 * the container sees them. */
int landlock_build_ruleset(struct landlock_prepared *p, hull_err **err);
/* Container side: enforce it (needs no_new_privs or CAP_SYS_ADMIN). */
int landlock_restrict(struct landlock_prepared *p, hull_err **err);

#endif
