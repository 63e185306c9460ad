/* Kernel state of the container process that is not mounts, namespaces or security. */
#include "linux/process_setup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/cleanup.h"
#include "util/fs.h"

const char *rlimit_name(int resource);

int process_set_hostname(const struct hull_config *cfg, hull_err **err)
{
    if (cfg->hostname && *cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
        return hull_error(err, errno, "hostname: set `%s`", cfg->hostname);
    if (cfg->domainname && *cfg->domainname &&
        setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
        return hull_error(err, errno, "domainname: set `%s`", cfg->domainname);
    return 0;
}

int process_apply_sysctl(const struct hull_config *cfg, hull_err **err)
{
    if (cfg->sysctl == NULL)
        return 0;
    const char *key;
    json_t *v;
    json_object_foreach(cfg->sysctl, key, v)
    {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof path, "/proc/sys/%s", key);
        if (n < 0 || (size_t)n >= sizeof path)
            return hull_error(err, ENAMETOOLONG, "linux.sysctl.%s", key);
        for (char *p = path + 10; *p; p++)
            if (*p == '.')
                *p = '/';
        /* Through a verified procfs lookup: no mount or link in the container redirects it. */
        if (procfs_write(path + 6, json_string_value(v), err) < 0)
            return hull_error_prefix(err, "linux.sysctl.%s", key);
    }
    return 0;
}

int process_apply_rlimits(const struct hull_process *p, hull_err **err)
{
    for (size_t i = 0; i < p->n_rlimits; i++) {
        const struct hull_rlimit *r = &p->rlimits[i];
        struct rlimit lim = {.rlim_cur = r->soft, .rlim_max = r->hard};
        if (setrlimit(r->resource, &lim) == 0)
            continue;
        int e = errno;
        struct rlimit cur;
        if (e == EPERM && getrlimit(r->resource, &cur) == 0 && r->hard > cur.rlim_max)
            return hull_error(err, e,
                              "process.rlimits: %s: cannot raise the hard limit to %llu above the "
                              "runtime's %llu (raising needs CAP_SYS_RESOURCE)",
                              rlimit_name(r->resource), (unsigned long long)r->hard,
                              (unsigned long long)cur.rlim_max);
        return hull_error(err, e, "process.rlimits: set %s to %llu:%llu", rlimit_name(r->resource),
                          (unsigned long long)r->soft, (unsigned long long)r->hard);
    }
    return 0;
}

int process_apply_oom_score(const struct hull_process *p, pid_t pid, hull_err **err)
{
    if (!p->has_oom_score_adj)
        return 0;
    char path[64], value[16];
    snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    snprintf(value, sizeof value, "%d", p->oom_score_adj);
    if (fs_write_string(path, value, err) < 0)
        return hull_error_prefix(err, "process.oomScoreAdj");
    return 0;
}

int process_apply_personality(const struct hull_config *cfg, hull_err **err)
{
    if (cfg->has_personality && personality(cfg->personality) < 0)
        return hull_error(err, errno, "linux.personality");
    return 0;
}

int process_set_identity(const struct hull_process *p, bool setgroups_allowed, hull_err **err)
{
    if (setgroups_allowed) {
        gid_t groups[p->n_additional_gids + 1];
        for (size_t i = 0; i < p->n_additional_gids; i++)
            groups[i] = p->additional_gids[i];
        if (setgroups(p->n_additional_gids, groups) < 0)
            return hull_error(err, errno, "process.user.additionalGids: setgroups");
    } else if (p->n_additional_gids) {
        return hull_error(
            err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return hull_error(err, errno, "process.user.gid: setgid %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return hull_error(err, errno, "process.user.uid: setuid %u", p->uid);
    if (p->has_umask)
        umask(p->umask & 0777);
    else
        umask(0022);
    return 0;
}

int process_enter_cwd(const struct hull_process *p, hull_err **err)
{
    if (chdir(p->cwd) < 0)
        return hull_error(err, errno, "process.cwd: chdir to `%s`", p->cwd);
    return 0;
}

int process_check_cwd(const struct hull_process *p, hull_err **err)
{
    if (chdir(p->cwd) < 0)
        return hull_error(err, errno, "process.cwd: chdir to `%s`", p->cwd);
    /* A cwd that is not reachable from the container's root (a leaked host directory fd, the
     * CVE-2024-21626 class) shows as "(unreachable)/..." or fails: refuse it. */
    char buf[PATH_MAX];
    if (getcwd(buf, sizeof buf) == NULL)
        return hull_error(err, errno, "process.cwd: `%s` is outside the container", p->cwd);
    if (buf[0] != '/')
        return hull_error(err, EPERM, "process.cwd: `%s` is outside the container", p->cwd);
    return 0;
}

static const char *env_lookup(char **env, const char *key)
{
    size_t n = strlen(key);
    for (char **e = env; e && *e; e++)
        if (strncmp(*e, key, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER1); glibc before 2.41 has none. */
struct hull_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};

int process_apply_scheduler(const struct hull_process *p, hull_err **err)
{
    if (!p->has_scheduler)
        return 0;
    const struct hull_scheduler *s = &p->scheduler;
    struct hull_sched_attr attr = {
        .size = sizeof attr,
        .sched_policy = (uint32_t)s->policy,
        .sched_flags = s->flags,
        .sched_nice = s->nice,
        .sched_priority = (uint32_t)s->priority,
        .sched_runtime = s->runtime,
        .sched_deadline = s->deadline,
        .sched_period = s->period,
        .sched_util_max = 1024, /* SCHED_CAPACITY_SCALE: no clamp unless asked */
    };
    if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
        return hull_error(err, errno, "process.scheduler: sched_setattr");
    return 0;
}

int process_apply_io_priority(const struct hull_process *p, hull_err **err)
{
    if (!p->has_io_priority)
        return 0;
    if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, p->io_priority) < 0)
        return hull_error(err, errno, "process.ioPriority: ioprio_set");
    return 0;
}

int process_apply_memory_policy(const struct hull_config *cfg, hull_err **err)
{
    if (!cfg->has_memory_policy)
        return 0;
    const struct hull_memory_policy *m = &cfg->memory_policy;
    if (syscall(SYS_set_mempolicy, m->mode | (int)m->flags, m->maxnode ? m->nodes : NULL,
                m->maxnode) < 0)
        return hull_error(err, errno, "linux.memoryPolicy: set_mempolicy");
    return 0;
}

void process_chown_stdio_pipes(const struct hull_process *p)
{
    if (p->uid == 0)
        return;
    for (int fd = 0; fd <= 2; fd++) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_uid != p->uid)
            (void)!fchown(fd, p->uid, (gid_t)-1);
    }
}

/* The home directory of `uid` in one /etc/passwd line (NUL-terminated, no newline), malloc'd;
 * NULL when the line is not that user's (or has no home). */
static char *passwd_line_home(char *line, uid_t uid, bool *found)
{
    /* name:password:uid:gid:gecos:home:shell */
    char *field[7] = {NULL};
    char *p = line;
    size_t n = 0;
    for (; n < 7 && p; n++) {
        field[n] = p;
        p = strchr(p, ':');
        if (p)
            *p++ = '\0';
    }
    if (n < 6)
        return NULL;
    char *end;
    unsigned long id = strtoul(field[2], &end, 10);
    if (*field[2] == '\0' || *end != '\0' || id != uid)
        return NULL;
    *found = true;
    return *field[5] ? strdup(field[5]) : NULL;
}

/* The home directory of `uid` in /etc/passwd (the current root), malloc'd, or NULL. The file is
 * the image's: a FIFO or a huge file must not hang or exhaust the runtime. Read through a
 * buffer on the stack, not stdio: this runs in the container process, where a heap buffer
 * means copy-on-write faults; a line longer than the buffer is no entry. */
static char *passwd_home(uid_t uid)
{
    cleanup_close int fd = open("/etc/passwd", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (16 << 20))
        return NULL;
    char buf[8192];
    size_t used = 0;
    bool skipping = false; /* inside an over-long line */
    for (;;) {
        ssize_t got = read(fd, buf + used, sizeof buf - 1 - used);
        if (got < 0 && errno == EINTR)
            continue;
        bool eof = got <= 0;
        used += eof ? 0 : (size_t)got;
        buf[used] = '\0';
        char *line = buf;
        for (;;) {
            char *nl = memchr(line, '\n', used - (size_t)(line - buf));
            if (nl == NULL && !(eof && *line))
                break;
            if (nl)
                *nl = '\0';
            bool found = false;
            char *home = skipping ? NULL : passwd_line_home(line, uid, &found);
            skipping = false;
            if (found)
                return home;
            if (nl == NULL)
                break;
            line = nl + 1;
        }
        if (eof)
            return NULL;
        size_t rest = used - (size_t)(line - buf);
        if (rest == sizeof buf - 1) { /* no newline in a full buffer: drop this line */
            skipping = true;
            rest = 0;
        }
        memmove(buf, line, rest);
        used = rest;
    }
}

char **process_env_with_home(const struct hull_process *p)
{
    static char *empty[] = {NULL};
    char **env = p->env ? p->env : empty;
    size_t n = 0;
    for (; env[n]; n++)
        if (strncmp(env[n], "HOME=", 5) == 0)
            return env;
    cleanup_free char *home = passwd_home(p->uid);
    char **out = calloc(n + 2, sizeof *out);
    if (out == NULL)
        return env;
    memcpy(out, env, n * sizeof *out);
    if (asprintf(&out[n], "HOME=%s", home ? home : "/") < 0) {
        free(out);
        return env;
    }
    return out;
}

int process_find_executable(const struct hull_process *p, char **out, hull_err **err)
{
    const char *name = p->args[0];
    if (strchr(name, '/') != NULL) {
        struct stat st;
        if (stat(name, &st) < 0)
            return hull_error(err, errno, "exec: `%s`", name);
        if (!S_ISREG(st.st_mode))
            return hull_error(err, EACCES, "exec: `%s` is not a regular file", name);
        *out = strdup(name);
        return *out ? 0 : hull_error(err, ENOMEM, "exec");
    }
    const char *path = env_lookup(p->env, "PATH");
    if (path == NULL)
        path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    int last_err = ENOENT;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        char candidate[PATH_MAX];
        int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, len ? path : ".", name);
        if (n > 0 && (size_t)n < sizeof candidate) {
            struct stat st;
            if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode)) {
                if (access(candidate, X_OK) == 0) {
                    *out = strdup(candidate);
                    return *out ? 0 : hull_error(err, ENOMEM, "exec");
                }
                last_err = EACCES;
            }
        }
        if (colon == NULL)
            break;
        path = colon + 1;
    }
    if (last_err == EACCES)
        return hull_error(err, EACCES, "exec: `%s`: permission denied", name);
    hull_error(err, 0, "exec: `%s`: executable file not found in $PATH", name);
    (*err)->errnum = ENOENT;
    return -1;
}

int process_close_fds_from(int first, bool cloexec_only, hull_err **err)
{
    unsigned flags = cloexec_only ? CLOSE_RANGE_CLOEXEC : 0;
    if (syscall(SYS_close_range, (unsigned)first, ~0U, flags) == 0)
        return 0;
    int saved = errno;
    cleanup_dir DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return hull_error(err, saved, "close inherited file descriptors");
    int self = dirfd(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(de->d_name, &end, 10);
        if (*end != '\0' || end == de->d_name || fd < first || fd == self)
            continue;
        if (cloexec_only ? fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 : close((int)fd) < 0)
            return hull_error(err, errno, "close inherited file descriptor %ld", fd);
    }
    return 0;
}
