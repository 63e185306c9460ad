/* User namespace id maps for root and rootless runtimes. */
#include "linux/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/namespaces.h"
#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

static bool maps_only_self(const struct hull_id_mapping *m, size_t n, unsigned id)
{
    return n == 1 && m[0].size == 1 && m[0].host_id == id;
}

int userns_run_map_helper(const char *helper, const char *field, pid_t pid,
                          const struct hull_id_mapping *m, size_t n, hull_err **err)
{
    size_t argc = 2 + 3 * n + 1;
    cleanup_free char **argv = calloc(argc, sizeof(char *));
    cleanup_free char *numbers = malloc((1 + 3 * n) * 16);
    if (argv == NULL || numbers == NULL)
        return hull_error(err, ENOMEM, "%s", field);
    size_t a = 0;
    char *p = numbers;
    argv[a++] = (char *)helper;
    argv[a++] = p;
    p += snprintf(p, 16, "%d", (int)pid) + 1;
    for (size_t i = 0; i < n; i++) {
        unsigned v[3] = {m[i].container_id, m[i].host_id, m[i].size};
        for (int k = 0; k < 3; k++) {
            argv[a++] = p;
            p += snprintf(p, 16, "%u", v[k]) + 1;
        }
    }
    argv[a] = NULL;
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0)
        return hull_error(err, errno, "%s: pipe", field);
    pid_t child = fork();
    if (child < 0) {
        int e = errno;
        close(errpipe[0]);
        close(errpipe[1]);
        return hull_error(err, e, "%s: fork", field);
    }
    if (child == 0) {
        dup2(errpipe[1], STDERR_FILENO);
        dup2(errpipe[1], STDOUT_FILENO);
        execve(helper, argv, environ);
        dprintf(STDERR_FILENO, "exec %s: %s (install Debian's uidmap package)", helper,
                strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    char msg[512] = "";
    size_t used = 0;
    ssize_t r;
    while (used < sizeof msg - 1 &&
           ((r = read(errpipe[0], msg + used, sizeof msg - 1 - used)) > 0 ||
            (r < 0 && errno == EINTR)))
        if (r > 0)
            used += (size_t)r;
    msg[used] = '\0';
    close(errpipe[0]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    while (used > 0 && (msg[used - 1] == '\n' || msg[used - 1] == ' '))
        msg[--used] = '\0';
    return hull_error(err, EPERM, "%s: %s failed: %s", field, helper, *msg ? msg : "no message");
}

int userns_write_id_maps(const struct hull_config *cfg, pid_t pid, hull_err **err)
{
    if (geteuid() == 0)
        return namespaces_write_id_maps(cfg, pid, err);
    char path[64];
    if (maps_only_self(cfg->uid_mappings, cfg->n_uid_mappings, geteuid())) {
        char line[64];
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        snprintf(line, sizeof line, "%u %u 1\n", cfg->uid_mappings[0].container_id, geteuid());
        if (fs_write_string(path, line, err) < 0)
            return hull_error_prefix(err, "linux.uidMappings");
    } else if (userns_run_map_helper("/usr/bin/newuidmap", "linux.uidMappings", pid,
                                     cfg->uid_mappings, cfg->n_uid_mappings, err) < 0) {
        return -1;
    }
    if (maps_only_self(cfg->gid_mappings, cfg->n_gid_mappings, getegid())) {
        /* An unprivileged gid map needs setgroups denied first (user_namespaces(7)). */
        char line[64];
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        if (fs_write_string(path, "deny", err) < 0)
            return hull_error_prefix(err, "linux.gidMappings");
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        snprintf(line, sizeof line, "%u %u 1\n", cfg->gid_mappings[0].container_id, getegid());
        if (fs_write_string(path, line, err) < 0)
            return hull_error_prefix(err, "linux.gidMappings");
        return 0;
    }
    return userns_run_map_helper("/usr/bin/newgidmap", "linux.gidMappings", pid, cfg->gid_mappings,
                                 cfg->n_gid_mappings, err);
}

bool userns_setgroups_allowed(void)
{
    char buf[16] = "";
    int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return true;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return !(n >= 4 && strncmp(buf, "deny", 4) == 0);
}
