/* CVE-2019-5736 defence. The container's first process (and, during `exec`, the joining
 * process) is a clone of hull-runtime until its execve: /proc/<pid>/exe names the runtime's
 * binary, and a container that gets the kernel to open it (`#!/proc/self/exe`, an O_PATH fd
 * kept until the runtime exits) could reopen it for writing and replace the host's runtime.
 *
 * runtime_binary_protect() makes the running binary an object nobody can write: it re-executes
 * the runtime from a detached read-only bind mount of itself (a clone of the mount, private to
 * this process, so writes through /proc/<pid>/exe fail with EROFS), or, where mounts cannot be
 * made (rootless), from a sealed memfd copy. It returns 0 at once when the binary is already
 * protected (which is what the re-executed process sees), and never returns on success
 * otherwise. Call it before anything with side effects: create/run/exec do it first. */
#ifndef HULL_LINUX_EXE_PROTECT_H
#define HULL_LINUX_EXE_PROTECT_H

#include <stdbool.h>

#include "util/error.h"

int runtime_binary_protect(hull_err **err);
/* Is the binary this process runs unwritable (read-only mount or write-sealed memfd)? */
bool runtime_binary_is_protected(void);
/* The path of the program this process runs (malloc'd), also when it was re-executed from a
 * protected copy, whose /proc/self/exe has no path: the original's is kept in $HULL_EXE. */
char *runtime_binary_path(hull_err **err);
/* The directory of that path (where hull's helper programs are installed), malloc'd. */
char *runtime_binary_dir(hull_err **err);

#endif
