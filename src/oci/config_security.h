/* The parsed security sections of config.json: linux.seccomp and the Landlock policy of the
 * `run.hull.landlock` annotation. Plain C, no libseccomp or kernel types: the Linux layer
 * (linux/seccomp.c, linux/landlock.c) translates them. */
#ifndef HULL_OCI_CONFIG_SECURITY_H
#define HULL_OCI_CONFIG_SECURITY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* runtime-spec seccomp actions (SCMP_ACT_*). KILL is KILL_THREAD, as in libseccomp. */
enum hull_seccomp_action {
    HULL_SCMP_KILL_THREAD = 1,
    HULL_SCMP_KILL_PROCESS,
    HULL_SCMP_TRAP,
    HULL_SCMP_ERRNO,
    HULL_SCMP_TRACE,
    HULL_SCMP_ALLOW,
    HULL_SCMP_LOG,
    HULL_SCMP_NOTIFY,
};

/* runtime-spec argument operators; the values are libseccomp's enum scmp_compare. */
enum hull_seccomp_op {
    HULL_SCMP_CMP_NE = 1,
    HULL_SCMP_CMP_LT = 2,
    HULL_SCMP_CMP_LE = 3,
    HULL_SCMP_CMP_EQ = 4,
    HULL_SCMP_CMP_GE = 5,
    HULL_SCMP_CMP_GT = 6,
    HULL_SCMP_CMP_MASKED_EQ = 7,
};

/* linux.seccomp.flags */
enum hull_seccomp_flag {
    HULL_SECCOMP_FLAG_TSYNC = 1u << 0,
    HULL_SECCOMP_FLAG_LOG = 1u << 1,
    HULL_SECCOMP_FLAG_SPEC_ALLOW = 1u << 2,
    HULL_SECCOMP_FLAG_WAIT_KILLABLE_RECV = 1u << 3,
};

struct hull_seccomp_arg {
    uint32_t index;
    uint64_t value, value_two;
    enum hull_seccomp_op op;
};

struct hull_seccomp_rule {
    char **names; /* NULL-terminated */
    enum hull_seccomp_action action;
    bool has_errno_ret;
    uint32_t errno_ret;
    struct hull_seccomp_arg *args;
    size_t n_args;
};

struct hull_seccomp {
    enum hull_seccomp_action default_action;
    bool has_default_errno_ret;
    uint32_t default_errno_ret;
    char **archs;   /* runtime-spec names ("SCMP_ARCH_X86_64"), NULL-terminated, may be NULL */
    unsigned flags; /* enum hull_seccomp_flag */
    char *listener_path;
    char *listener_metadata;
    struct hull_seccomp_rule *rules;
    size_t n_rules;
    bool uses_notify;
    /* Canonical text of linux.seccomp (sorted keys): the key of the compiled-filter cache. */
    char *canonical;
};

/* Landlock access words of the annotation, independent of the kernel's bit numbers. */
enum hull_landlock_access {
    HULL_LL_READ = 1u << 0,
    HULL_LL_WRITE = 1u << 1,
    HULL_LL_EXECUTE = 1u << 2,
    HULL_LL_MAKE = 1u << 3,
    HULL_LL_REMOVE = 1u << 4,
    HULL_LL_TRUNCATE = 1u << 5,
    HULL_LL_IOCTL_DEV = 1u << 6,
    HULL_LL_REFER = 1u << 7,
    HULL_LL_BIND_TCP = 1u << 8,
    HULL_LL_CONNECT_TCP = 1u << 9,
};
#define HULL_LL_NET_ACCESS (HULL_LL_BIND_TCP | HULL_LL_CONNECT_TCP)

enum hull_landlock_scope {
    HULL_LL_SCOPE_ABSTRACT_UNIX_SOCKET = 1u << 0,
    HULL_LL_SCOPE_SIGNAL = 1u << 1,
};

struct hull_landlock_rule {
    char *path;      /* filesystem rule, or NULL for a network rule */
    uint16_t *ports; /* network rule: the TCP ports */
    size_t n_ports;
    unsigned access; /* enum hull_landlock_access */
};

struct hull_landlock_policy {
    int min_abi; /* 0: best effort on any kernel, even one without Landlock */
    struct hull_landlock_rule *rules;
    size_t n_rules;
    unsigned scoped; /* enum hull_landlock_scope */
};

#define HULL_LANDLOCK_ANNOTATION "run.hull.landlock"

struct json_ctx;
/* Parse a Landlock policy document; `path` names it in messages. */
int landlock_policy_parse(const struct json_ctx *c, json_t *doc, const char *path,
                          struct hull_landlock_policy **out, hull_err **err);
void landlock_policy_free(struct hull_landlock_policy *p);
void seccomp_config_free(struct hull_seccomp *s);

/* NULL-terminated runtime-spec names, for `features`. */
extern const char *const hull_seccomp_action_names[];
extern const char *const hull_seccomp_operator_names[];
extern const char *const hull_seccomp_flag_names[];
extern const char *const hull_seccomp_arch_names[];

/* Access words and scope words, for help texts and docs. */
const char *landlock_access_word(unsigned bit);

#endif
