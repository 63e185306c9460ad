/* Namespace creation and joining. */
#include "linux/namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int namespaces_clone_flags(const struct hull_config *cfg)
{
    return cfg->clone_flags & ~(CLONE_NEWTIME | CLONE_NEWCGROUP);
}

int namespaces_unshare_cgroup(const struct hull_config *cfg, hull_err **err)
{
    if ((cfg->clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
        return hull_error(err, errno, "create the cgroup namespace");
    return 0;
}

static int join(const struct hull_namespace *ns, hull_err **err)
{
    cleanup_close int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open %s namespace `%s`", namespace_type_name(ns->type),
                          ns->path);
    if (setns(fd, ns->type) < 0)
        return hull_error(err, errno, "join %s namespace `%s`", namespace_type_name(ns->type),
                          ns->path);
    return 0;
}

int namespaces_prepare_parent(const struct hull_config *cfg, hull_err **err)
{
    const struct hull_namespace *pid = config_find_namespace(cfg, CLONE_NEWPID);
    if (pid && pid->path && join(pid, err) < 0)
        return -1;
    const struct hull_namespace *time = config_find_namespace(cfg, CLONE_NEWTIME);
    if (time && time->path && join(time, err) < 0)
        return -1;
    if (cfg->clone_flags & CLONE_NEWTIME) {
        if (unshare(CLONE_NEWTIME) < 0)
            return hull_error(err, errno, "create a time namespace");
        if (cfg->has_time_offsets) {
            char buf[128];
            snprintf(buf, sizeof buf, "monotonic %lld %u\nboottime %lld %u\n",
                     (long long)cfg->monotonic_secs, cfg->monotonic_nsecs,
                     (long long)cfg->boottime_secs, cfg->boottime_nsecs);
            if (fs_write_string("/proc/self/timens_offsets", buf, err) < 0)
                return hull_error_prefix(err, "linux.timeOffsets");
        }
    }
    return 0;
}

int namespaces_join_paths(const struct hull_config *cfg, hull_err **err)
{
    /* The user namespace first: joining it grants the rights to join the others. */
    const struct hull_namespace *user = config_find_namespace(cfg, CLONE_NEWUSER);
    if (user && user->path && join(user, err) < 0)
        return -1;
    for (size_t i = 0; i < cfg->n_namespaces; i++) {
        const struct hull_namespace *ns = &cfg->namespaces[i];
        if (ns->path == NULL || ns->type == CLONE_NEWUSER || ns->type == CLONE_NEWPID ||
            ns->type == CLONE_NEWTIME)
            continue;
        if (join(ns, err) < 0)
            return -1;
    }
    return 0;
}

static int write_map(pid_t pid, const char *file, const struct hull_id_mapping *maps, size_t n,
                     hull_err **err)
{
    char buf[4096];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + used, sizeof buf - used, "%u %u %u\n", maps[i].container_id,
                         maps[i].host_id, maps[i].size);
        if (w < 0 || (size_t)w >= sizeof buf - used)
            return hull_error(err, E2BIG, "%s: too many mappings", file);
        used += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    return fs_write_string(path, buf, err);
}

int namespaces_write_id_maps(const struct hull_config *cfg, pid_t pid, hull_err **err)
{
    if (write_map(pid, "uid_map", cfg->uid_mappings, cfg->n_uid_mappings, err) < 0)
        return hull_error_prefix(err, "linux.uidMappings");
    if (write_map(pid, "gid_map", cfg->gid_mappings, cfg->n_gid_mappings, err) < 0)
        return hull_error_prefix(err, "linux.gidMappings");
    return 0;
}

int namespaces_loopback_up(const struct hull_config *cfg, hull_err **err)
{
    if (!(cfg->clone_flags & CLONE_NEWNET))
        return 0;
    cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0 && (errno == EAFNOSUPPORT || errno == EPROTONOSUPPORT))
        sock = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return hull_error(err, errno, "bring up the loopback interface: socket");
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return hull_error(err, errno, "bring up the loopback interface: read its flags");
    if (ifr.ifr_flags & IFF_UP)
        return 0;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return hull_error(err, errno, "bring up the loopback interface");
    return 0;
}
