/* The cgroup counters of a sandbox result (counters.h). */
#include "sandbox/counters.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/cgroup/cgroup.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"

static int open_in(const struct cgroup_dir *d, const char *file)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", d->path, file);
    return open(path, O_RDONLY | O_CLOEXEC);
}

int sandbox_counters_open(const char *runtime_root, const char *id, struct sandbox_counters *c)
{
    *c = (struct sandbox_counters){.cpu_fd = -1, .peak_fd = -1, .oom_fd = -1};
    char state[4200];
    snprintf(state, sizeof state, "%s/%s", runtime_root, id);
    cleanup_close int fd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_cgroup_set struct cgroup_set set = {0};
    cleanup_err hull_err *e = NULL;
    if (fd < 0 || runtime_cgroup_load(fd, NULL, &set, &e) <= 0)
        return -1;
    const struct cgroup_dir *acct = cgroup_set_dir_for(&set, CG_CPUACCT);
    const struct cgroup_dir *v2 = cgroup_set_v2_dir(&set);
    const struct cgroup_dir *mem = cgroup_set_dir_for(&set, CG_MEMORY);
    if (acct && !acct->v2)
        c->cpu_fd = open_in(acct, "cpuacct.usage");
    if (c->cpu_fd < 0 && v2) {
        c->cpu_fd = open_in(v2, "cpu.stat");
        c->cpu_usec = true;
    }
    if (mem) {
        c->peak_fd = open_in(mem, mem->v2 ? "memory.peak" : "memory.max_usage_in_bytes");
        c->oom_fd = open_in(mem, mem->v2 ? "memory.events" : "memory.oom_control");
    }
    return 0;
}

/* The number after `key` at the start of a line, or the file's first number when key is NULL. */
static uint64_t value(int fd, const char *key)
{
    char buf[1024];
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    uint64_t v = 0;
    if (key == NULL)
        v = strtoull(buf, NULL, 10);
    else if (cgroup_keyed_value(buf, key, &v) < 0)
        v = 0;
    return v;
}

void sandbox_counters_read(const struct sandbox_counters *c, struct sandbox_counts *out)
{
    out->cpu_ns = c->cpu_usec ? value(c->cpu_fd, "usage_usec") * 1000 : value(c->cpu_fd, NULL);
    out->peak_bytes = value(c->peak_fd, NULL);
    out->oom_kills = value(c->oom_fd, "oom_kill");
}

void sandbox_counters_close(struct sandbox_counters *c)
{
    int *fds[] = {&c->cpu_fd, &c->peak_fd, &c->oom_fd};
    for (size_t i = 0; i < 3; i++)
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
}
