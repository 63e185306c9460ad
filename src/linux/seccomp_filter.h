/* seccomp filters: compiled with libseccomp by the runtime before clone() (or read back from
 * the compiled-filter cache under the --root directory), loaded with seccomp(2) by the
 * container process as the last step before execve, so the runtime's own setup is never
 * filtered. With SCMP_ACT_NOTIFY the listener fd and the container state are sent to
 * linux.seccomp.listenerPath. */
#ifndef HULL_LINUX_SECCOMP_H
#define HULL_LINUX_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/config_security.h"
#include "util/error.h"

struct seccomp_prepared {
    struct sock_filter *insns;
    size_t n_insns;
    unsigned long kernel_flags; /* SECCOMP_FILTER_FLAG_* passed to seccomp(2) */
    bool from_cache;            /* for tests and --debug: the compilation was skipped */
    char digest[65];            /* the cache key */
    /* SCMP_ACT_NOTIFY: a socket connected to listenerPath (by the runtime, before clone). */
    int listener_fd;
    const struct hull_seccomp *profile; /* borrowed from the config */
};

/* Runtime side, before clone(): compile `profile` or load its cached BPF from
 * `cache_root`/.seccomp-cache (NULL: no cache), probe the filter flags this kernel has, and
 * connect to the listener when the profile notifies. */
int seccomp_prepare(const struct hull_seccomp *profile, const char *cache_root,
                    struct seccomp_prepared **out, hull_err **err);
void seccomp_prepared_free(struct seccomp_prepared *p);

/* Container side: build the message for the listener (the container state as the listener
 * sees it, `host_pid` being the process id in the runtime's pid namespace). Done before the
 * filter exists so that it can allocate freely. */
int seccomp_prepare_listener_message(struct seccomp_prepared *p, const char *state_json,
                                     pid_t host_pid, char **msg, hull_err **err);
/* Container side: install the filter; with a listener, send it the notify fd and `msg`. */
int seccomp_install(struct seccomp_prepared *p, const char *msg, hull_err **err);

/* For `features`: does this kernel accept the filter flag hull_seccomp_flag_names[i]? */
bool seccomp_flag_supported(unsigned hull_flag);

#endif
