/* How big a VM an OCI bundle gets: the run.hull.vm.cpus / run.hull.vm.memory annotations, else
 * linux.resources (CPU quota/period or cpuset size, memory limit), else 1 vCPU and 512 MiB.
 * Takes plain values so the runtime's config model stays out of src/vm/. */
#ifndef HULL_VM_SIZING_H
#define HULL_VM_SIZING_H

#include <stdint.h>

#include "util/error.h"

#define VM_DEFAULT_CPUS       1
#define VM_DEFAULT_MEMORY_MIB 512
#define VM_MAX_CPUS           64
#define VM_MIN_MEMORY_MIB     64
#define VM_MAX_MEMORY_MIB     (1024u * 1024u)

struct vm_size_hints {
    const char *annotation_cpus;   /* run.hull.vm.cpus, NULL when absent */
    const char *annotation_memory; /* run.hull.vm.memory, NULL when absent */
    int64_t cpu_quota;             /* linux.resources.cpu.quota; <= 0: unset */
    uint64_t cpu_period;           /* linux.resources.cpu.period; 0: 100000 */
    const char *cpuset_cpus;       /* linux.resources.cpu.cpus ("0-3,6"), NULL when absent */
    int64_t memory_limit;          /* linux.resources.memory.limit in bytes; <= 0: unset */
};

/* Invalid annotations are errors (VM_EXIT_USAGE); resources out of range are clamped. */
int vm_size_resolve(const struct vm_size_hints *hints, unsigned *cpus, unsigned *memory_mib,
                    hull_err **err);

/* "512" (MiB), "512M", "512Mi", "2G", "2GiB", "1048576k": MiB, rounded up. -1 when invalid. */
int vm_parse_memory_mib(const char *s, unsigned *mib);

/* Number of CPUs in a cpuset list ("0-3,6" is 5). -1 when invalid. */
int vm_cpuset_count(const char *list);

#endif
