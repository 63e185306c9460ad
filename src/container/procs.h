/* The processes of a running container (everything in its pid namespace) and their resource
 * use from /proc, for `hull top` and `hull stats`, and its cgroup statistics. */
#ifndef HULL_CONTAINER_PROCS_H
#define HULL_CONTAINER_PROCS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "container/store.h"
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

/* The cgroup statistics of a running container (runc's stats data object: memory, blkio, pids,
 * cpu) and its OOM-kill count. */
int container_stats(container_store *cs, container_record *r, json_t **stats, uint64_t *oom_kills,
                    hull_err **err);

/* Bytes received and sent on the container's own network interfaces (every one but lo, from
 * the network namespace of `init`): docker's NET I/O. Zero for a container on the host's network
 * (NetworkMode host, or another container's namespace), as docker reports it. */
int container_net_io(const container_record *r, pid_t init, long long *rx, long long *tx,
                     hull_err **err);

/* Every process sharing the pid namespace of `init` (host pids), init first. */
int container_processes(pid_t init, struct proc_sample **out, size_t *n, hull_err **err);

#endif
