/* Directories inside a container's (or an image build's) root filesystem, for the copies that
 * write into one: `hull cp`, the builder's COPY/ADD, volume seeding. Every lookup stays inside
 * the root (linux/resolve.h: openat2 RESOLVE_IN_ROOT), whatever symlinks the root holds. */
#ifndef HULL_CONTAINER_ROOT_PATH_H
#define HULL_CONTAINER_ROOT_PATH_H

#include "util/error.h"

/* Open the existing directory `path` (container view) inside `rootfd`: an
 * O_RDONLY|O_DIRECTORY|O_CLOEXEC fd, or -1 with err set (not found, not a directory). */
int container_root_open_dir(int rootfd, const char *path, hull_err **err);

/* The same, creating the missing directories of `path` (0755), the last one too. */
int container_root_make_dir(int rootfd, const char *path, hull_err **err);

#endif
