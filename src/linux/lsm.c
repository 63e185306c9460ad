/* AppArmor / SELinux exec labels and SELinux mount contexts. */
#include "linux/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#ifndef SELINUX_MAGIC
#define SELINUX_MAGIC 0xf97cff8c
#endif

bool lsm_apparmor_enabled(void)
{
    char buf[4] = "";
    int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return n > 0 && buf[0] == 'Y';
}

bool lsm_selinux_enabled(void)
{
    struct statfs sf;
    return statfs("/sys/fs/selinux", &sf) == 0 && (unsigned long)sf.f_type == SELINUX_MAGIC;
}

int lsm_prepare(const struct hull_process *p, struct lsm_plan *plan, hull_err **err)
{
    *plan = (struct lsm_plan){.attr_fd = -1};
    if (p->apparmor_profile && *p->apparmor_profile) {
        if (!lsm_apparmor_enabled())
            return hull_error(err, ENOTSUP,
                              "config.json: process.apparmorProfile: `%s` is set but AppArmor is "
                              "not enabled on this host",
                              p->apparmor_profile);
        plan->apparmor_profile = p->apparmor_profile;
    }
    if (p->selinux_label && *p->selinux_label) {
        if (!lsm_selinux_enabled())
            return hull_error(err, ENOTSUP,
                              "config.json: process.selinuxLabel: `%s` is set but SELinux is "
                              "disabled or not supported on this host",
                              p->selinux_label);
        plan->selinux_label = p->selinux_label;
    }
    if (plan->apparmor_profile && plan->selinux_label)
        return hull_error(err, EINVAL,
                          "config.json: process.apparmorProfile and process.selinuxLabel are both "
                          "set, but only one of the two LSMs is active");
    return 0;
}

int lsm_open_exec_attr(struct lsm_plan *plan, hull_err **err)
{
    if (plan->apparmor_profile == NULL && plan->selinux_label == NULL)
        return 0;
    /* AppArmor has its own directory since Linux 5.1; the shared file is the fallback. */
    const char *paths[] = {plan->apparmor_profile ? "/proc/thread-self/attr/apparmor/exec" : NULL,
                           "/proc/thread-self/attr/exec"};
    for (size_t i = 0; i < 2; i++) {
        if (paths[i] == NULL)
            continue;
        int fd = open(paths[i], O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            if (errno == ENOENT && i == 0)
                continue;
            return hull_error(err, errno, "open `%s`", paths[i]);
        }
        struct statfs sf;
        if (fstatfs(fd, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC) {
            close(fd);
            return hull_error(err, EPERM, "`%s` is not on procfs; refusing to set a label there",
                              paths[i]);
        }
        plan->attr_fd = fd;
        return 0;
    }
    return hull_error(err, ENOENT, "no LSM exec attribute in /proc");
}

int lsm_set_exec_label(struct lsm_plan *plan, hull_err **err)
{
    if (plan->attr_fd < 0)
        return 0;
    char buf[4200];
    int n;
    if (plan->apparmor_profile)
        n = snprintf(buf, sizeof buf, "exec %s", plan->apparmor_profile);
    else
        n = snprintf(buf, sizeof buf, "%s", plan->selinux_label);
    if (n < 0 || (size_t)n >= sizeof buf)
        return hull_error(err, ENAMETOOLONG, "LSM label");
    if (fs_write_all(plan->attr_fd, buf, (size_t)n) < 0)
        return hull_error(err, errno, "%s: apply `%s`",
                          plan->apparmor_profile ? "process.apparmorProfile"
                                                 : "process.selinuxLabel",
                          plan->apparmor_profile ? plan->apparmor_profile : plan->selinux_label);
    close(plan->attr_fd);
    plan->attr_fd = -1;
    return 0;
}

void lsm_plan_clear(struct lsm_plan *plan)
{
    if (plan->attr_fd >= 0)
        close(plan->attr_fd);
    plan->attr_fd = -1;
}

char *lsm_mount_data(const char *type, const char *data, const char *mount_label)
{
    if (mount_label == NULL || *mount_label == '\0' || type == NULL)
        return NULL;
    /* These take their context from the kernel, not from a mount option. */
    static const char *const unlabeled[] = {"proc", "sysfs", "cgroup", "cgroup2", "bind", NULL};
    for (const char *const *u = unlabeled; *u; u++)
        if (strcmp(type, *u) == 0)
            return NULL;
    if (!lsm_selinux_enabled())
        return NULL; /* as runc: a mount label is ignored without SELinux */
    char *out = NULL;
    if (asprintf(&out, "%s%scontext=\"%s\"", data && *data ? data : "", data && *data ? "," : "",
                 mount_label) < 0)
        return NULL;
    return out;
}
