/* The rootless namespaces of an unprivileged user's hull (see rootless.h). */
#include "linux/rootless.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "linux/userns.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

bool rootless_in_userns(void)
{
    /* The initial user namespace maps everything: "0 0 4294967295" (no stdio: this runs in
     * the container process too, where every heap page touched is a copy-on-write fault). */
    char buf[128];
    int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (len <= 0)
        return true;
    buf[len] = '\0';
    unsigned long v[3];
    char *p = buf;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        v[i] = strtoul(p, &end, 10);
        if (end == p || errno != 0)
            return true;
        p = end;
    }
    return !(v[0] == 0 && v[1] == 0 && v[2] == 4294967295UL);
}

/* The first range of /etc/subuid or /etc/subgid for `name` or `id`. */
static bool subid_range(const char *file, const char *name, unsigned long id, unsigned long *start,
                        unsigned long *count)
{
    cleanup_file FILE *f = fopen(file, "re");
    if (f == NULL)
        return false;
    char line[512];
    char idstr[32];
    snprintf(idstr, sizeof idstr, "%lu", id);
    while (fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':');
        if (c1 == NULL)
            continue;
        *c1 = '\0';
        if (strcmp(line, idstr) != 0 && (name == NULL || strcmp(line, name) != 0))
            continue;
        char *end;
        unsigned long s = strtoul(c1 + 1, &end, 10);
        if (*end != ':')
            continue;
        unsigned long n = strtoul(end + 1, &end, 10);
        if (n == 0)
            continue;
        *start = s;
        *count = n;
        return true;
    }
    return false;
}

/* The login name of uid from /etc/passwd (read directly: getpwuid would need NSS modules
 * in the statically linked programs that link this file). */
static const char *user_name(uid_t uid, char *buf, size_t size)
{
    cleanup_file FILE *f = fopen("/etc/passwd", "re");
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL || strtoul(c2 + 1, NULL, 10) != uid || c2[1] == ':')
            continue;
        size_t len = (size_t)(c1 - line);
        if (len >= size)
            return NULL;
        memcpy(buf, line, len);
        buf[len] = '\0';
        return buf;
    }
    return NULL;
}

/* The single-id fallback (no subordinate ids): the user is root, nothing else is mapped. */
static int write_self_maps(pid_t pid, hull_err **err)
{
    char path[64], line[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
    snprintf(line, sizeof line, "0 %u 1\n", (unsigned)getuid());
    if (fs_write_string(path, line, err) < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
    if (fs_write_string(path, "deny", err) < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
    snprintf(line, sizeof line, "0 %u 1\n", (unsigned)getgid());
    return fs_write_string(path, line, err);
}

static int write_maps(pid_t pid, hull_err **err)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    char name_buf[256];
    const char *name = user_name(uid, name_buf, sizeof name_buf);
    unsigned long us, uc, gs, gc;
    bool have_u = subid_range("/etc/subuid", name, uid, &us, &uc);
    bool have_g = subid_range("/etc/subgid", name, uid, &gs, &gc);
    if (!have_u || !have_g) {
        hull_warn("rootless: no subordinate %s for %s in %s: only your own id is mapped (uid 0 in "
                  "containers); images with files of other owners cannot be unpacked "
                  "(docs/rootless.md)",
                  have_u ? "gids" : "uids", name ? name : "this user",
                  have_u ? "/etc/subgid" : "/etc/subuid");
        return write_self_maps(pid, err);
    }
    /* The user is root inside; its subordinate range is 1 and up. */
    struct hull_id_mapping um[2] = {{0, uid, 1}, {1, (uint32_t)us, (uint32_t)uc}};
    struct hull_id_mapping gm[2] = {{0, gid, 1}, {1, (uint32_t)gs, (uint32_t)gc}};
    if (userns_run_map_helper("/usr/bin/newuidmap", "rootless", pid, um, 2, err) < 0 ||
        userns_run_map_helper("/usr/bin/newgidmap", "rootless", pid, gm, 2, err) < 0)
        return -1;
    return 0;
}

/* The pause process: holds the namespaces, does nothing else. Never returns. */
static void pause_process(int report, int go)
{
    int rc = 0;
    setsid();
    prctl(PR_SET_NAME, "hull-pause", 0, 0, 0);
    pid_t me = getpid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        me = -errno;
    if (write(report, &me, sizeof me) != (ssize_t)sizeof me || me < 0)
        _exit(1);
    char c = 0;
    if (read(go, &c, 1) != 1 || c != 1)
        _exit(1);
    if (write(report, &rc, sizeof rc) != (ssize_t)sizeof rc)
        _exit(1);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    syscall(SYS_close_range, 3U, ~0U, 0U);
    if (chdir("/") < 0)
        _exit(1);
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    for (;;)
        pause();
}

/* Start the pause process; its pid into *out. */
static int make_pause(pid_t *out, hull_err **err)
{
    int report[2], go[2];
    if (pipe2(report, O_CLOEXEC) < 0)
        return hull_error(err, errno, "pipe");
    if (pipe2(go, O_CLOEXEC) < 0) {
        close(report[0]);
        close(report[1]);
        return hull_error(err, errno, "pipe");
    }
    pid_t mid = fork();
    if (mid < 0) {
        close(report[0]);
        close(report[1]);
        close(go[0]);
        close(go[1]);
        return hull_error(err, errno, "fork");
    }
    if (mid == 0) {
        /* Double fork: the pause process is nobody's child but init's. */
        close(report[0]);
        close(go[1]);
        pid_t g = fork();
        if (g == 0)
            pause_process(report[1], go[0]);
        _exit(g < 0 ? 1 : 0);
    }
    close(report[1]);
    close(go[0]);
    cleanup_close int rfd = report[0];
    cleanup_close int gfd = go[1];
    int status;
    while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
        ;
    pid_t pid = 0;
    if (read(rfd, &pid, sizeof pid) != (ssize_t)sizeof pid)
        return hull_error(err, EIO, "rootless: the pause process did not start");
    if (pid < 0)
        return hull_error(err, -pid, "rootless: create a user namespace");
    if (write_maps(pid, err) < 0) {
        kill(pid, SIGKILL);
        return -1;
    }
    char one = 1;
    int rc = -1;
    if (write(gfd, &one, 1) != 1 || read(rfd, &rc, sizeof rc) != (ssize_t)sizeof rc || rc != 0) {
        kill(pid, SIGKILL);
        return hull_error(err, EIO, "rootless: the pause process failed");
    }
    *out = pid;
    return 0;
}

static pid_t recorded_pause(int dirfd)
{
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file_at(dirfd, "pause.pid", 64, &text, &len, &e) < 0)
        return 0;
    long pid = 0;
    unsigned long long start = 0;
    if (sscanf(text, "%ld %llu", &pid, &start) != 2 || pid <= 0)
        return 0;
    if (proc_start_time((pid_t)pid) != start)
        return 0;
    return (pid_t)pid;
}

int rootless_join(const char *run_dir, hull_err **err)
{
    if (fs_mkdir_p(run_dir, 0700, err) < 0)
        return hull_error_prefix(err, "rootless: run directory");
    cleanup_close int dirfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return hull_error(err, errno, "rootless: open `%s`", run_dir);
    cleanup_close int lockfd =
        openat(dirfd, "pause.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0)
        return hull_error(err, errno, "rootless: lock `%s/pause.lock`", run_dir);
    pid_t pid = recorded_pause(dirfd);
    if (pid == 0) {
        if (make_pause(&pid, err) < 0)
            return -1;
        char line[64];
        snprintf(line, sizeof line, "%d %llu\n", (int)pid, proc_start_time(pid));
        if (fs_write_file_atomic_at(dirfd, "pause.pid", line, strlen(line), 0600, err) < 0) {
            kill(pid, SIGKILL);
            return hull_error_prefix(err, "rootless");
        }
        hull_debug("rootless: pause process %d holds the namespaces", (int)pid);
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    cleanup_close int userfd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)pid);
    cleanup_close int mntfd = open(path, O_RDONLY | O_CLOEXEC);
    if (userfd < 0 || mntfd < 0)
        return hull_error(err, errno, "rootless: open the namespaces of the pause process %d",
                          (int)pid);
    cleanup_free char *cwd = getcwd(NULL, 0);
    if (setns(userfd, CLONE_NEWUSER) < 0)
        return hull_error(err, errno, "rootless: join the user namespace");
    if (setns(mntfd, CLONE_NEWNS) < 0)
        return hull_error(err, errno, "rootless: join the mount namespace");
    /* setns(CLONE_NEWNS) moved us to the namespace's root: back to where we were. */
    if (cwd && chdir(cwd) < 0 && chdir("/") < 0)
        return hull_error(err, errno, "rootless: chdir");
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return hull_error(err, errno, "rootless: become root in the user namespace");
    /* No supplementary groups of the host's (unmapped ones would show as nogroup); refused,
     * and not needed, when the single-id fallback denied setgroups. */
    if (setgroups(0, NULL) < 0 && errno != EPERM)
        return hull_error(err, errno, "rootless: setgroups");
    return 0;
}
