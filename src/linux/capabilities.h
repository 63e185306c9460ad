/* Capability sets of the container process: names resolved once (libcap), unknown names warned
 * about and skipped as runc does, everything not listed dropped, the bounding set included. */
#ifndef HULL_LINUX_CAPABILITIES_H
#define HULL_LINUX_CAPABILITIES_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/config.h"
#include "util/error.h"

struct cap_sets {
    bool present; /* process.capabilities given at all */
    uint64_t bounding, effective, permitted, inheritable, ambient;
};

/* Resolve the names in `caps` into bitmasks. `field` prefixes messages ("process.capabilities"). */
int capabilities_resolve(const struct hull_process *p, const char *field, struct cap_sets *out,
                         hull_err **err);
/* Before changing uid: drop from the bounding set and keep permitted caps across setuid. */
int capabilities_prepare_identity_change(const struct cap_sets *s, hull_err **err);
/* After changing uid: set effective/permitted/inheritable, then the ambient set. */
int capabilities_apply(const struct cap_sets *s, hull_err **err);
/* Highest capability number this kernel knows. */
int capabilities_last_cap(void);
/* Is `cap` in the calling process's bounding set (what it can hand to a container)? */
bool capabilities_in_bounding_set(int cap);
/* Name of capability `cap` ("CAP_CHOWN"), static storage. */
const char *capability_name(int cap);

#endif
