/* Processes of a container from /proc (see procs.h). */
#include "container/procs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "util/cleanup.h"

static int read_small(const char *path, char *buf, size_t size)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

static bool sample(pid_t pid, struct proc_sample *s)
{
    char path[64], buf[2048];
    memset(s, 0, sizeof *s);
    s->pid = pid;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return false;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren)
        return false;
    snprintf(s->comm, sizeof s->comm, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    /* Fields after comm: 3 state, 4 ppid, ... 14 utime, 15 stime, ... 22 starttime, 24 rss. */
    char *p = close_paren + 2;
    unsigned long long f[24] = {0};
    s->state = *p;
    p += 2;
    for (int i = 4; i <= 24 && *p; i++) {
        f[i - 1] = strtoull(p, &p, 10);
        while (*p == ' ')
            p++;
    }
    s->ppid = (pid_t)f[3];
    s->cpu_ticks = f[13] + f[14];
    s->start_ticks = f[21];
    s->rss_bytes = (long long)f[23] * sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (read_small(path, buf, sizeof buf) > 0) {
        char *uid = strstr(buf, "\nUid:");
        if (uid)
            s->uid = (uid_t)strtoul(uid + 5, NULL, 10);
    }
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int n = read_small(path, s->cmdline, sizeof s->cmdline);
    for (int i = 0; i < n - 1; i++)
        if (s->cmdline[i] == '\0')
            s->cmdline[i] = ' ';
    if (n <= 0)
        snprintf(s->cmdline, sizeof s->cmdline, "[%s]", s->comm);
    return true;
}

int container_processes(pid_t init, struct proc_sample **out, size_t *n, hull_err **err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)init);
    struct stat ns;
    if (stat(path, &ns) < 0)
        return hull_error(err, errno, "pid namespace of process %d", (int)init);
    size_t cap = 16, used = 0;
    struct proc_sample *v = calloc(cap, sizeof *v);
    if (v == NULL || !sample(init, &v[used]))
        return free(v), hull_error(err, 0, "process %d is gone", (int)init);
    used++;
    cleanup_dir DIR *d = opendir("/proc");
    if (d == NULL) {
        free(v);
        return hull_error(err, errno, "open /proc");
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == init)
            continue;
        snprintf(path, sizeof path, "/proc/%ld/ns/pid", pid);
        struct stat st;
        if (stat(path, &st) < 0 || st.st_ino != ns.st_ino || st.st_dev != ns.st_dev)
            continue;
        if (used == cap) {
            cap *= 2;
            struct proc_sample *nv = realloc(v, cap * sizeof *v);
            if (nv == NULL) {
                free(v);
                return hull_error(err, ENOMEM, "list processes");
            }
            v = nv;
        }
        if (sample((pid_t)pid, &v[used]))
            used++;
    }
    *out = v;
    *n = used;
    return 0;
}

int container_stats(container_store *cs, container_record *r, json_t **stats, uint64_t *oom_kills,
                    hull_err **err)
{
    return runtime_stats(&cs->runtime, r->id, stats, oom_kills, err);
}

int container_net_io(const container_record *r, pid_t init, long long *rx, long long *tx,
                     hull_err **err)
{
    *rx = *tx = 0;
    const char *mode =
        json_string_value(json_object_get(json_object_get(r->doc, "HostConfig"), "NetworkMode"));
    if (mode && (strcmp(mode, "host") == 0 || strncmp(mode, "container:", 10) == 0))
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/net/dev", (int)init);
    cleanup_file FILE *f = fopen(path, "re");
    if (f == NULL)
        return hull_error(err, errno, "open %s", path);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (colon == NULL)
            continue; /* the two header lines */
        *colon = '\0';
        const char *name = line + strspn(line, " ");
        unsigned long long v[9];
        /* receive: bytes packets errs drop fifo frame compressed multicast; transmit: bytes */
        if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) != 9 ||
            strcmp(name, "lo") == 0)
            continue;
        *rx += (long long)v[0];
        *tx += (long long)v[8];
    }
    return 0;
}
