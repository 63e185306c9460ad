/* The launch description a hull microVM's guest init reads from fw_cfg (opt/hull/config).
 *
 * Shared by the host launcher (encode) and the static guest init (decode), so it depends on
 * nothing but libc and reports failures with negative errno values instead of hull_err.
 *
 * Wire format: a sequence of records, each one tag byte followed by a NUL-terminated value.
 * Values may hold any byte but NUL, so arguments and environment entries with spaces, `=`,
 * quotes or newlines travel intact. Unknown tags are rejected (the init and launcher ship
 * together). */
#ifndef HULL_VM_GUEST_CONFIG_H
#define HULL_VM_GUEST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define VM_GUEST_CONFIG_FW_CFG_NAME "opt/hull/config"
#define VM_GUEST_CONFIG_MAX_SIZE    (1u << 20)

/* Tags of the wire format. */
#define VM_GUEST_TAG_ARG       'a' /* one argv entry, in order */
#define VM_GUEST_TAG_ENV       'e' /* one KEY=VALUE environment entry */
#define VM_GUEST_TAG_CWD       'c' /* working directory of the program */
#define VM_GUEST_TAG_HOSTS     'h' /* one /etc/hosts line ("10.0.2.2 internal.example") */
#define VM_GUEST_TAG_HOSTNAME  'u' /* guest hostname */
#define VM_GUEST_TAG_NET       'n' /* "user": configure eth0 for QEMU user networking */
#define VM_GUEST_TAG_USER      'i' /* "UID GID": identity of the program (default 0 0) */
#define VM_GUEST_TAG_WORKSPACE 'w' /* mount the VM_WORKSPACE_TAG share read-write here */

struct vm_guest_config {
    char **argv;  /* NULL-terminated; at least one entry */
    char **env;   /* NULL-terminated */
    char **hosts; /* NULL-terminated */
    const char *cwd;
    const char *hostname;  /* NULL: leave the kernel default */
    const char *workspace; /* guest path of the writable share, NULL: none */
    bool net_user;
    unsigned uid, gid;
};

/* Serialize `cfg` into a malloc'd buffer. Returns 0 or -EINVAL (no argv, a tag value that
 * would not round-trip) / -ENOMEM / -E2BIG. */
int vm_guest_config_encode(const struct vm_guest_config *cfg, char **out, size_t *out_len);

/* Parse `buf` (kept alive by the caller: the result points into it). The arrays in `cfg` are
 * malloc'd; release them with vm_guest_config_free(). Returns 0 or -EINVAL / -ENOMEM. */
int vm_guest_config_decode(char *buf, size_t len, struct vm_guest_config *cfg);
void vm_guest_config_free(struct vm_guest_config *cfg);

#endif
