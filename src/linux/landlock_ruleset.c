/* Landlock rulesets. Debian 12's <linux/landlock.h> describes ABI 1-3 only, so the structures
 * and rights are defined here, and newer rights are used only when the probed ABI has them. */
#include "linux/landlock_ruleset.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule       445
#define SYS_landlock_restrict_self  446
#endif

/* The kernel ABI (include/uapi/linux/landlock.h), under our own names so that a newer system
 * header never clashes. */
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH      1
#define LL_RULE_NET_PORT          2 /* ABI 4 */

#define LL_FS_EXECUTE     (1ULL << 0)
#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_READ_FILE   (1ULL << 2)
#define LL_FS_READ_DIR    (1ULL << 3)
#define LL_FS_REMOVE_DIR  (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR   (1ULL << 6)
#define LL_FS_MAKE_DIR    (1ULL << 7)
#define LL_FS_MAKE_REG    (1ULL << 8)
#define LL_FS_MAKE_SOCK   (1ULL << 9)
#define LL_FS_MAKE_FIFO   (1ULL << 10)
#define LL_FS_MAKE_BLOCK  (1ULL << 11)
#define LL_FS_MAKE_SYM    (1ULL << 12)
#define LL_FS_REFER       (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE    (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV   (1ULL << 15) /* ABI 5 */

#define LL_NET_BIND_TCP    (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ULL << 1) /* ABI 6 */

#define LL_FS_ABI1 ((1ULL << 13) - 1)
#define LL_FS_MAKE                                                                                 \
    (LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO |       \
     LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM)
/* Rights that make sense on a file (not a directory) rule. */
#define LL_FS_FILE_RIGHTS                                                                          \
    (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net; /* ABI 4 */
    uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

struct ll_net_port_attr {
    uint64_t allowed_access;
    uint64_t port;
};

int landlock_abi_version(void)
{
    long r = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    return r < 0 ? -1 : (int)r;
}

static uint64_t fs_rights_for_abi(int abi)
{
    uint64_t r = LL_FS_ABI1;
    if (abi >= 2)
        r |= LL_FS_REFER;
    if (abi >= 3)
        r |= LL_FS_TRUNCATE;
    if (abi >= 5)
        r |= LL_FS_IOCTL_DEV;
    return r;
}

static uint64_t fs_bits(unsigned access)
{
    uint64_t r = 0;
    if (access & HULL_LL_READ)
        r |= LL_FS_READ_FILE | LL_FS_READ_DIR;
    if (access & HULL_LL_WRITE)
        r |= LL_FS_WRITE_FILE;
    if (access & HULL_LL_EXECUTE)
        r |= LL_FS_EXECUTE;
    if (access & HULL_LL_MAKE)
        r |= LL_FS_MAKE;
    if (access & HULL_LL_REMOVE)
        r |= LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE;
    if (access & HULL_LL_TRUNCATE)
        r |= LL_FS_TRUNCATE;
    if (access & HULL_LL_IOCTL_DEV)
        r |= LL_FS_IOCTL_DEV;
    if (access & HULL_LL_REFER)
        r |= LL_FS_REFER;
    return r;
}

static uint64_t net_bits(unsigned access)
{
    return ((access & HULL_LL_BIND_TCP) ? LL_NET_BIND_TCP : 0) |
           ((access & HULL_LL_CONNECT_TCP) ? LL_NET_CONNECT_TCP : 0);
}

int landlock_prepare(const struct hull_landlock_policy *policy, struct landlock_prepared **out,
                     hull_err **err)
{
    const char *field = "annotations." HULL_LANDLOCK_ANNOTATION;
    *out = NULL;
    if (policy == NULL)
        return 0;
    int abi = landlock_abi_version();
    if (abi < 0) {
        int e = errno;
        if (policy->min_abi > 0)
            return hull_error(err, e, "%s: min_abi is %d but Landlock is not available", field,
                              policy->min_abi);
        hull_warn("%s: Landlock is not available on this kernel; the policy is not applied", field);
        return 0;
    }
    if (policy->min_abi > abi)
        return hull_error(err, ENOTSUP,
                          "%s: min_abi %d is higher than this kernel's Landlock ABI %d", field,
                          policy->min_abi, abi);
    struct landlock_prepared *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return hull_error(err, ENOMEM, "%s", field);
    p->abi = abi;
    p->policy = policy;
    p->ruleset_fd = -1;
    p->handled_fs = fs_rights_for_abi(abi);
    bool dropped = false;
    for (size_t i = 0; i < policy->n_rules; i++) {
        const struct hull_landlock_rule *r = &policy->rules[i];
        if (r->path)
            dropped |= (fs_bits(r->access) & ~p->handled_fs) != 0;
        else if (abi >= 4)
            p->handled_net |= net_bits(r->access);
        else
            dropped = true;
    }
    if (abi >= 6) {
        p->scoped =
            ((policy->scoped & HULL_LL_SCOPE_ABSTRACT_UNIX_SOCKET) ? LL_SCOPE_ABSTRACT_UNIX_SOCKET
                                                                   : 0) |
            ((policy->scoped & HULL_LL_SCOPE_SIGNAL) ? LL_SCOPE_SIGNAL : 0);
    }
    if (dropped || (policy->scoped && abi < 6))
        hull_debug("%s: Landlock ABI %d lacks some requested rights; applying the rest", field,
                   abi);
    *out = p;
    return 0;
}

void landlock_prepared_free(struct landlock_prepared *p)
{
    if (p == NULL)
        return;
    if (p->ruleset_fd >= 0)
        close(p->ruleset_fd);
    free(p);
}

static int add_path_rule(struct landlock_prepared *p, const struct hull_landlock_rule *r,
                         size_t index, hull_err **err)
{
    cleanup_close int fd = open(r->path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            /* A missing path only means fewer rights. */
            hull_debug("Landlock rule %zu: `%s` does not exist; skipped", index, r->path);
            return 0;
        }
        return hull_error(err, errno,
                          "annotations." HULL_LANDLOCK_ANNOTATION ".rules[%zu]: open `%s`", index,
                          r->path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hull_error(err, errno, "Landlock rule %zu: stat `%s`", index, r->path);
    uint64_t access = fs_bits(r->access) & p->handled_fs;
    if (!S_ISDIR(st.st_mode))
        access &= LL_FS_FILE_RIGHTS;
    if (access == 0)
        return 0;
    struct ll_path_beneath_attr attr = {.allowed_access = access, .parent_fd = fd};
    if (syscall(SYS_landlock_add_rule, p->ruleset_fd, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
        return hull_error(err, errno,
                          "annotations." HULL_LANDLOCK_ANNOTATION ".rules[%zu]: add rule for `%s`",
                          index, r->path);
    return 0;
}

static int add_port_rules(struct landlock_prepared *p, const struct hull_landlock_rule *r,
                          size_t index, hull_err **err)
{
    uint64_t access = net_bits(r->access) & p->handled_net;
    if (access == 0)
        return 0;
    for (size_t i = 0; i < r->n_ports; i++) {
        struct ll_net_port_attr attr = {.allowed_access = access, .port = r->ports[i]};
        if (syscall(SYS_landlock_add_rule, p->ruleset_fd, LL_RULE_NET_PORT, &attr, 0) < 0)
            return hull_error(err, errno,
                              "annotations." HULL_LANDLOCK_ANNOTATION
                              ".rules[%zu]: add rule for port %u",
                              index, (unsigned)r->ports[i]);
    }
    return 0;
}

int landlock_build_ruleset(struct landlock_prepared *p, hull_err **err)
{
    struct ll_ruleset_attr attr = {.handled_access_fs = p->handled_fs,
                                   .handled_access_net = p->handled_net,
                                   .scoped = p->scoped};
    size_t size = p->abi >= 6 ? sizeof attr : p->abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
    long fd = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (fd < 0)
        return hull_error(err, errno, "Landlock: create the ruleset (ABI %d)", p->abi);
    p->ruleset_fd = (int)fd;
    for (size_t i = 0; i < p->policy->n_rules; i++) {
        const struct hull_landlock_rule *r = &p->policy->rules[i];
        int rc = r->path ? add_path_rule(p, r, i, err) : add_port_rules(p, r, i, err);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int landlock_restrict(struct landlock_prepared *p, hull_err **err)
{
    if (syscall(SYS_landlock_restrict_self, p->ruleset_fd, 0) < 0)
        return hull_error(err, errno, "Landlock: enforce the ruleset");
    close(p->ruleset_fd);
    p->ruleset_fd = -1;
    return 0;
}
