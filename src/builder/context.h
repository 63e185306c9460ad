/* Where COPY and ADD read from, and how they write: the build context directory (read in place,
 * filtered by the ignore file, nothing outside it reachable: `..` and symlinks leading out are
 * refused) or another stage's root filesystem (`--from`, symlinks resolved inside it); and the
 * copy into a step's root filesystem with docker's destination rules, owners and modes. */
#ifndef HULL_BUILDER_CONTEXT_H
#define HULL_BUILDER_CONTEXT_H

#include <stdbool.h>
#include <sys/types.h>

#include "builder/ignore.h"
#include "util/digest.h"
#include "util/error.h"

struct copy_source_root {
    int fd;                            /* directory the source paths are relative to */
    const struct ignore_rules *ignore; /* NULL for a stage's root */
    bool is_context;                   /* refuse escapes (else resolve inside the root) */
};

/* The sources named by COPY/ADD arguments (globs expanded, sorted): paths relative to the root,
 * "." for the root itself. Errors name the argument. */
int copy_sources_resolve(const struct copy_source_root *root, char *const *args, char ***out,
                         hull_err **err);

/* Digest of the sources' names, types, modes, link targets and contents (the cache key). */
int copy_sources_digest(const struct copy_source_root *root, char *const *sources,
                        char digest[DIGEST_STR_LEN], hull_err **err);

struct copy_options {
    bool chown; /* else files belong to 0:0 */
    uid_t uid;
    gid_t gid;
    bool chmod;
    mode_t mode;  /* --chmod */
    bool extract; /* ADD: a local tar archive is unpacked */
};

/* Copy `sources` to `dest` (absolute, in the container's view) under rootfs_fd. */
int copy_sources_to(const struct copy_source_root *root, char *const *sources, int rootfs_fd,
                    const char *dest, const struct copy_options *opts, hull_err **err);

#endif
