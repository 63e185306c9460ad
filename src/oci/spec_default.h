/* The default config.json written by `hull-runtime spec`: hardened like runc's (few
 * capabilities, empty inheritable set, no_new_privs, masked and read-only /proc paths). */
#ifndef HULL_OCI_SPEC_DEFAULT_H
#define HULL_OCI_SPEC_DEFAULT_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct spec_options {
    bool rootless; /* user namespace mapping the caller's uid/gid to root */
    uid_t uid;
    gid_t gid;
    char **args;           /* NULL: ["sh"] */
    bool landlock_default; /* add the default Landlock policy annotation */
};

json_t *spec_default(const struct spec_options *o);

/* The lists shared with the `hull` CLI's hardened defaults. */
extern const char *const spec_default_capabilities[];
extern const char *const spec_default_masked_paths[];
extern const char *const spec_default_readonly_paths[];

#endif
