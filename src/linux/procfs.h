/* Opening files under /proc that the runtime writes to (sysctls) so that nothing mounted or
 * linked inside the container can redirect the write to another file: the lookup stays on the
 * procfs mount (no mount crossings, no symlinks) and both ends are checked to be procfs. */
#ifndef HULL_LINUX_PROCFS_H
#define HULL_LINUX_PROCFS_H

#include <sys/types.h>

#include "util/error.h"

/* Open /proc/<subpath> with `flags`; returns the fd or -1 with *err set. */
int procfs_open(const char *subpath, int flags, hull_err **err);
/* Write `value` to /proc/<subpath> opened as above. */
int procfs_write(const char *subpath, const char *value, hull_err **err);

/* Start time of `pid` from /proc/PID/stat (clock ticks since boot; 0 if gone or a zombie):
 * with the pid, it names one process even after the pid is reused. */
unsigned long long proc_start_time(pid_t pid);

/* SIGTERM to `pid` (which need not be our child), then wait for it to be gone (a pidfd says
 * when): SIGKILL after `grace_ms`, and as long again for that. */
void proc_terminate(pid_t pid, int grace_ms);

#endif
