/* The hardened default seccomp profile `hull-runtime spec` writes: an allowlist in the spirit
 * of Docker's default profile for a process without CAP_SYS_ADMIN, CAP_SYS_PTRACE and the
 * other capabilities that gate syscalls, with a few tightenings (docs/security.md). */
#ifndef HULL_OCI_SECCOMP_DEFAULT_H
#define HULL_OCI_SECCOMP_DEFAULT_H

#include <jansson.h>

/* A new runtime-spec linux.seccomp object for the architecture hull was built for. */
json_t *seccomp_default_profile(void);

#endif
