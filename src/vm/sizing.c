/* VM sizing from annotations and linux.resources (see sizing.h). */
#include "vm/sizing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

static int parse_unsigned(const char *s, char **end, unsigned long long *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, end, 10);
    return errno ? -1 : 0;
}

int vm_parse_memory_mib(const char *s, unsigned *mib)
{
    char *end;
    unsigned long long v;
    if (parse_unsigned(s, &end, &v) < 0)
        return -1;
    unsigned long long kib;
    switch (*end) {
    case '\0':
    case 'm':
    case 'M':
        kib = v * 1024ULL;
        break;
    case 'k':
    case 'K':
        kib = v;
        break;
    case 'g':
    case 'G':
        kib = v * 1024ULL * 1024ULL;
        break;
    default:
        return -1;
    }
    if (*end != '\0') {
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
        if (*end != '\0')
            return -1;
    }
    if (v > (1ULL << 40) || kib / 1024ULL + 1 > VM_MAX_MEMORY_MIB)
        return -1;
    *mib = (unsigned)((kib + 1023ULL) / 1024ULL);
    return 0;
}

int vm_cpuset_count(const char *list)
{
    int count = 0;
    const char *p = list;
    if (*p == '\0')
        return -1;
    while (*p) {
        char *end;
        unsigned long long a, b;
        if (parse_unsigned(p, &end, &a) < 0)
            return -1;
        b = a;
        if (*end == '-' && parse_unsigned(end + 1, &end, &b) < 0)
            return -1;
        if (b < a || b - a > 4096 || count > 4096)
            return -1;
        count += (int)(b - a + 1);
        if (*end == ',')
            end++;
        else if (*end != '\0')
            return -1;
        p = end;
    }
    return count;
}

static unsigned clamp(unsigned long long v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : (unsigned)v;
}

static int usage_error(hull_err **err, const char *what, const char *value)
{
    hull_error(err, EINVAL, "annotation %s: invalid value `%s`", what, value);
    (*err)->exit_code = VM_EXIT_USAGE;
    return -1;
}

int vm_size_resolve(const struct vm_size_hints *h, unsigned *cpus, unsigned *memory_mib,
                    hull_err **err)
{
    *cpus = VM_DEFAULT_CPUS;
    *memory_mib = VM_DEFAULT_MEMORY_MIB;
    if (h->annotation_cpus != NULL) {
        char *end;
        unsigned long long v;
        if (parse_unsigned(h->annotation_cpus, &end, &v) < 0 || *end != '\0' || v == 0 ||
            v > VM_MAX_CPUS)
            return usage_error(err, "run.hull.vm.cpus", h->annotation_cpus);
        *cpus = (unsigned)v;
    } else if (h->cpu_quota > 0) {
        unsigned long long period = h->cpu_period ? h->cpu_period : 100000;
        *cpus = clamp(((unsigned long long)h->cpu_quota + period - 1) / period, 1, VM_MAX_CPUS);
    } else if (h->cpuset_cpus != NULL && vm_cpuset_count(h->cpuset_cpus) > 0) {
        *cpus = clamp((unsigned long long)vm_cpuset_count(h->cpuset_cpus), 1, VM_MAX_CPUS);
    }
    if (h->annotation_memory != NULL) {
        unsigned mib;
        if (vm_parse_memory_mib(h->annotation_memory, &mib) < 0 || mib < VM_MIN_MEMORY_MIB)
            return usage_error(err, "run.hull.vm.memory", h->annotation_memory);
        *memory_mib = mib;
    } else if (h->memory_limit > 0) {
        unsigned long long mib = ((unsigned long long)h->memory_limit + (1 << 20) - 1) >> 20;
        *memory_mib = clamp(mib, VM_MIN_MEMORY_MIB, VM_MAX_MEMORY_MIB);
    }
    return 0;
}
