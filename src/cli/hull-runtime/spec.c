/* hull-runtime spec: write a default config.json. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "oci/json_read.h"
#include "oci/spec_default.h"
#include "util/fs.h"

enum { S_BUNDLE = 1, S_ROOTLESS, S_LANDLOCK };
static const struct option_spec spec_options[] = {{"bundle", 'b', true, S_BUNDLE},
                                                  {"rootless", 0, false, S_ROOTLESS},
                                                  {"landlock-default", 0, false, S_LANDLOCK},
                                                  {NULL, 0, false, 0}};

int cmd_spec(struct cli_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, spec_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    const char *bundle = ".";
    struct spec_options so = {.uid = geteuid(), .gid = getegid()};
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_fail("spec", err);
        if (id == S_BUNDLE)
            bundle = arg;
        else if (id == S_ROOTLESS && options_bool("rootless", arg, &so.rootless, &err) < 0) {
            return cli_fail(err);
        } else if (id == S_LANDLOCK &&
                   options_bool("landlock-default", arg, &so.landlock_default, &err) < 0) {
            return cli_fail(err);
        }
    }
    int extra = p.n_positionals;
    if (extra)
        return cli_usage_error("spec", "takes no arguments");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", bundle);
    if (access(path, F_OK) == 0) {
        hull_error(&err, 0, "%s exists; remove it first", path);
        return cli_fail(err);
    }
    cleanup_json json_t *doc = spec_default(&so);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    size_t len = strlen(text);
    text[len] = '\n';
    int r = fs_write_file_atomic(path, text, len + 1, 0644, &err);
    free(text);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_spec = {
    "spec",
    cmd_spec,
    "write a default config.json",
    "Usage: hull-runtime spec [--bundle DIR] [--rootless] [--landlock-default]\n"
    "\n"
    "Write a hardened default config.json into the bundle directory (default: .): rootfs at\n"
    "./rootfs mounted read-only, new pid, network, ipc, uts, mount and cgroup namespaces,\n"
    "the capabilities runc grants (AUDIT_WRITE, KILL, NET_BIND_SERVICE) with an empty\n"
    "inheritable set, no_new_privs, RLIMIT_NOFILE 1024, masked and read-only /proc paths, and\n"
    "a seccomp allowlist in the spirit of Docker's default profile (everything else fails\n"
    "with EPERM; no mount, unshare, setns, keyctl, ptrace, bpf, io_uring ...).\n"
    "\n"
    "Options:\n"
    "  -b, --bundle DIR   where to write config.json (refuses to overwrite one)\n"
    "  --rootless         a config an unprivileged user can run: a user namespace mapping the\n"
    "                     caller's uid and gid to root, the host network, /sys bound read-only\n"
    "  --landlock-default also confine the container with hull's default Landlock policy\n"
    "                     (annotation run.hull.landlock): /bin /sbin /usr /lib* /opt read and\n"
    "                     execute; /etc and /sys read; /proc read and write; /dev read, write\n"
    "                     and device ioctls; /tmp /var/tmp /run /dev/shm writable; nothing else.\n"
    "                     Add rules for your volumes (see docs/security.md).\n",
};
