/* The cgroup counters of a sandbox result (docs/sandbox.md, "Result"): CPU usage (cpuacct, else
 * cgroup2's cpu.stat), peak memory (memory.max_usage_in_bytes or memory.peak) and the OOM-kill
 * count. The files are opened once and read with pread: an exec reads them before and after its
 * command, a run once after its program. */
#ifndef HULL_SANDBOX_COUNTERS_H
#define HULL_SANDBOX_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

struct sandbox_counters {
    int cpu_fd;    /* -1 when there is none */
    bool cpu_usec; /* cgroup2's cpu.stat (usage_usec) rather than cpuacct.usage (ns) */
    int peak_fd;
    int oom_fd; /* memory.events or memory.oom_control */
};

struct sandbox_counts {
    uint64_t cpu_ns;
    uint64_t peak_bytes;
    uint64_t oom_kills;
};

/* Open the counters of the sandbox `id` (its runtime state under `runtime_root` names its
 * cgroups). -1 when it has no state or no cgroups: it is not running (or never ran). */
int sandbox_counters_open(const char *runtime_root, const char *id, struct sandbox_counters *c);
/* The current values; a counter that cannot be read is 0. */
void sandbox_counters_read(const struct sandbox_counters *c, struct sandbox_counts *out);
void sandbox_counters_close(struct sandbox_counters *c);
#define cleanup_sandbox_counters __attribute__((cleanup(sandbox_counters_close)))

#endif
