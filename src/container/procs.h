/* The processes of a running container (everything in its pid namespace) and their resource
 * use from /proc, for `hull top` and `hull stats`. */
#ifndef HULL_CONTAINER_PROCS_H
#define HULL_CONTAINER_PROCS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct proc_sample {
    pid_t pid;
    pid_t ppid;
    uid_t uid;
    char state;
    unsigned long long cpu_ticks; /* utime + stime */
    unsigned long long start_ticks;
    long long rss_bytes;
    char comm[64];
    char cmdline[512];
};

/* Every process sharing the pid namespace of `init` (host pids), init first. */
int container_processes(pid_t init, struct proc_sample **out, size_t *n, hull_err **err);

#endif
