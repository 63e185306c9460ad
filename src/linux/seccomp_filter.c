/* seccomp: libseccomp compiles the runtime-spec profile to classic BPF in the runtime, before
 * clone(); the BPF is cached under <root>/.seccomp-cache/<sha256>.bpf so that starting the same
 * profile again skips libseccomp entirely; the container process installs it with seccomp(2)
 * right before execve. */
#include "linux/seccomp_filter.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/digest.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

#define CACHE_DIR     ".seccomp-cache"
#define BPF_MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel's limit per filter */

static void seccomp_ctx_releasep(scmp_filter_ctx *ctx)
{
    if (*ctx)
        seccomp_release(*ctx);
}

static uint32_t to_scmp_action(enum hull_seccomp_action a, bool has_ret, uint32_t ret)
{
    switch (a) {
    case HULL_SCMP_KILL_THREAD:
        return SCMP_ACT_KILL_THREAD;
    case HULL_SCMP_KILL_PROCESS:
        return SCMP_ACT_KILL_PROCESS;
    case HULL_SCMP_TRAP:
        return SCMP_ACT_TRAP;
    case HULL_SCMP_ERRNO:
        return SCMP_ACT_ERRNO(has_ret ? ret : EPERM);
    case HULL_SCMP_TRACE:
        return SCMP_ACT_TRACE(has_ret ? ret : EPERM);
    case HULL_SCMP_ALLOW:
        return SCMP_ACT_ALLOW;
    case HULL_SCMP_LOG:
        return SCMP_ACT_LOG;
    case HULL_SCMP_NOTIFY:
        return SCMP_ACT_NOTIFY;
    }
    return SCMP_ACT_KILL_PROCESS;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's token for "x86_64"; 0 when this libseccomp lacks it. */
static uint32_t arch_token(const char *oci_name)
{
    char lower[32];
    const char *n = oci_name + strlen("SCMP_ARCH_");
    size_t i = 0;
    for (; n[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)tolower((unsigned char)n[i]);
    lower[i] = '\0';
    return seccomp_arch_resolve_name(lower);
}

static int add_rule(scmp_filter_ctx ctx, const struct hull_seccomp_rule *r, uint32_t action, int nr,
                    const char *path, const char *name, hull_err **err)
{
    struct scmp_arg_cmp cmps[6];
    bool same_index = false;
    for (size_t i = 0; i < r->n_args && i < 6; i++) {
        cmps[i] = (struct scmp_arg_cmp){.arg = r->args[i].index,
                                        .op = (enum scmp_compare)r->args[i].op,
                                        .datum_a = r->args[i].value,
                                        .datum_b = r->args[i].value_two};
        for (size_t j = 0; j < i; j++)
            if (r->args[j].index == r->args[i].index)
                same_index = true;
    }
    if (r->n_args > 6)
        return hull_error(err, EINVAL, "%s.args: more than 6 conditions", path);
    int rc;
    if (same_index) {
        /* libseccomp allows one comparison per argument in a rule: several on the same
         * argument become alternatives (one rule each), as runc does. */
        for (size_t i = 0; i < r->n_args; i++) {
            rc = seccomp_rule_add_array(ctx, action, nr, 1, &cmps[i]);
            if (rc < 0)
                return hull_error(err, -rc, "%s: add rule for `%s`", path, name);
        }
        return 0;
    }
    rc = seccomp_rule_add_array(ctx, action, nr, (unsigned)r->n_args, cmps);
    if (rc < 0)
        return hull_error(err, -rc, "%s: add rule for `%s`", path, name);
    return 0;
}

static int compile(const struct hull_seccomp *s, struct seccomp_prepared *p, hull_err **err)
{
    uint32_t def =
        to_scmp_action(s->default_action, s->has_default_errno_ret, s->default_errno_ret);
    __attribute__((cleanup(seccomp_ctx_releasep))) scmp_filter_ctx ctx = seccomp_init(def);
    if (ctx == NULL)
        return hull_error(err, EINVAL, "linux.seccomp.defaultAction: not supported by libseccomp");
    /* We load the BPF ourselves; these only shape the generated program. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (char **a = s->archs; a && *a; a++) {
        uint32_t tok = arch_token(*a);
        if (tok == 0) {
            hull_warn("linux.seccomp.architectures: `%s` is unknown to libseccomp %s; ignored", *a,
                      "here");
            continue;
        }
        int rc = seccomp_arch_add(ctx, tok);
        if (rc < 0 && rc != -EEXIST)
            return hull_error(err, -rc, "linux.seccomp.architectures: add `%s`", *a);
    }
    for (size_t i = 0; i < s->n_rules; i++) {
        const struct hull_seccomp_rule *r = &s->rules[i];
        uint32_t action = to_scmp_action(r->action, r->has_errno_ret, r->errno_ret);
        if (action == def)
            continue; /* redundant with the default: libseccomp refuses it */
        char path[64];
        snprintf(path, sizeof path, "linux.seccomp.syscalls[%zu]", i);
        for (char **n = r->names; *n; n++) {
            int nr = seccomp_syscall_resolve_name(*n);
            if (nr == __NR_SCMP_ERROR) {
                /* Profiles list syscalls of every architecture and kernel: skip, as runc. */
                hull_debug("%s: syscall `%s` is unknown here; skipped", path, *n);
                continue;
            }
            if (add_rule(ctx, r, action, nr, path, *n, err) < 0)
                return -1;
        }
    }
    cleanup_close int mfd = memfd_create("hull-seccomp-bpf", MFD_CLOEXEC);
    if (mfd < 0)
        return hull_error(err, errno, "linux.seccomp: memfd_create");
    int rc = seccomp_export_bpf(ctx, mfd);
    if (rc < 0)
        return hull_error(err, -rc, "linux.seccomp: export the compiled filter");
    off_t size = lseek(mfd, 0, SEEK_END);
    if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0)
        return hull_error(err, EINVAL, "linux.seccomp: compiled filter has an odd size");
    p->n_insns = (size_t)size / sizeof(struct sock_filter);
    if (p->n_insns > BPF_MAX_INSNS)
        return hull_error(err, E2BIG,
                          "linux.seccomp: the compiled filter has %zu instructions, more than the "
                          "kernel's %d",
                          p->n_insns, BPF_MAX_INSNS);
    p->insns = malloc((size_t)size);
    if (p->insns == NULL)
        return hull_error(err, ENOMEM, "linux.seccomp");
    if (pread(mfd, p->insns, (size_t)size, 0) != size)
        return hull_error(err, errno ? errno : EIO, "linux.seccomp: read the compiled filter");
    return 0;
}

/* The cache key: everything the generated program depends on. */
static void cache_key(const struct hull_seccomp *s, char out[65])
{
    const struct scmp_version *v = seccomp_version();
    char head[128];
    int n = snprintf(head, sizeof head, "hull-seccomp-bpf 1\nlibseccomp %u.%u.%u\narch %u\n",
                     v->major, v->minor, v->micro, seccomp_arch_native());
    digest_ctx *h = digest_new();
    digest_update(h, head, (size_t)n);
    digest_update(h, s->canonical, strlen(s->canonical));
    char d[DIGEST_STR_LEN];
    digest_final(h, d);
    digest_free(h);
    memcpy(out, digest_hex(d), 65);
}

/* A directory or file of the cache is trusted only if we own it and nobody else can write it:
 * the BPF read back is loaded into containers. */
static bool trusted(const struct stat *st)
{
    return st->st_uid == geteuid() && (st->st_mode & 022) == 0;
}

static int open_cache_dir(const char *root, bool create)
{
    cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -1;
    if (create)
        mkdirat(rootfd, CACHE_DIR, 0700);
    int fd = openat(rootfd, CACHE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) < 0 || !trusted(&st))) {
        hull_warn("seccomp cache `%s/%s` is not private to this user; not used", root, CACHE_DIR);
        close(fd);
        return -1;
    }
    return fd;
}

static bool cache_read(const char *root, struct seccomp_prepared *p)
{
    cleanup_close int dir = open_cache_dir(root, false);
    if (dir < 0)
        return false;
    char name[80];
    snprintf(name, sizeof name, "%s.bpf", p->digest);
    cleanup_close int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !trusted(&st))
        return false;
    if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
        st.st_size > (off_t)(BPF_MAX_INSNS * sizeof(struct sock_filter)))
        return false;
    struct sock_filter *insns = malloc((size_t)st.st_size);
    if (insns == NULL)
        return false;
    if (pread(fd, insns, (size_t)st.st_size, 0) != st.st_size) {
        free(insns);
        return false;
    }
    p->insns = insns;
    p->n_insns = (size_t)st.st_size / sizeof(struct sock_filter);
    p->from_cache = true;
    return true;
}

static void cache_write(const char *root, const struct seccomp_prepared *p)
{
    cleanup_close int dir = open_cache_dir(root, true);
    if (dir < 0)
        return;
    char name[80];
    snprintf(name, sizeof name, "%s.bpf", p->digest);
    hull_err *e = NULL;
    if (fs_write_file_atomic_at(dir, name, p->insns, p->n_insns * sizeof(struct sock_filter), 0600,
                                &e) < 0) {
        /* A cache that cannot be written only costs the next start a compilation. */
        hull_debug("seccomp cache: %s", e->msg);
        hull_err_free(e);
    }
}

/* seccomp(2) validates flags before the program: a NULL program gives EFAULT for a flag it
 * knows and EINVAL for one it does not. */
static bool kernel_accepts_flags(unsigned long flags)
{
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL);
    return r < 0 && errno == EFAULT;
}

static unsigned long kernel_flag(unsigned hull_flag)
{
    switch (hull_flag) {
    case HULL_SECCOMP_FLAG_TSYNC:
        return SECCOMP_FILTER_FLAG_TSYNC;
    case HULL_SECCOMP_FLAG_LOG:
        return SECCOMP_FILTER_FLAG_LOG;
    case HULL_SECCOMP_FLAG_SPEC_ALLOW:
        return SECCOMP_FILTER_FLAG_SPEC_ALLOW;
    case HULL_SECCOMP_FLAG_WAIT_KILLABLE_RECV:
        /* Only meaningful (and only accepted) together with a listener. */
        return SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | SECCOMP_FILTER_FLAG_NEW_LISTENER;
    }
    return 0;
}

bool seccomp_flag_supported(unsigned hull_flag)
{
    unsigned long f = kernel_flag(hull_flag);
    return f != 0 && kernel_accepts_flags(f);
}

static int resolve_flags(const struct hull_seccomp *s, struct seccomp_prepared *p, hull_err **err)
{
    p->kernel_flags = 0;
    for (unsigned bit = 1; bit <= HULL_SECCOMP_FLAG_WAIT_KILLABLE_RECV; bit <<= 1) {
        if (!(s->flags & bit))
            continue;
        if (bit == HULL_SECCOMP_FLAG_WAIT_KILLABLE_RECV && !s->uses_notify)
            continue;
        if (!seccomp_flag_supported(bit)) {
            hull_warn("linux.seccomp.flags: this kernel does not support flag %#x; ignored", bit);
            continue;
        }
        p->kernel_flags |= kernel_flag(bit);
    }
    if (s->uses_notify) {
        p->kernel_flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        /* TSYNC and a listener both want the return value: the kernel needs TSYNC_ESRCH. */
        if (p->kernel_flags & SECCOMP_FILTER_FLAG_TSYNC)
            p->kernel_flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        if (!kernel_accepts_flags(p->kernel_flags))
            return hull_error(err, ENOTSUP,
                              "linux.seccomp: SCMP_ACT_NOTIFY needs a kernel with seccomp user "
                              "notification (Linux 5.0)");
    }
    return 0;
}

static int connect_listener(const struct hull_seccomp *s, struct seccomp_prepared *p,
                            hull_err **err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(s->listener_path) >= sizeof addr.sun_path)
        return hull_error(err, ENAMETOOLONG, "linux.seccomp.listenerPath: `%s`", s->listener_path);
    memcpy(addr.sun_path, s->listener_path, strlen(s->listener_path) + 1);
    p->listener_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (p->listener_fd < 0)
        return hull_error(err, errno, "linux.seccomp.listenerPath: socket");
    if (connect(p->listener_fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        return hull_error(err, errno, "linux.seccomp.listenerPath: connect to `%s`",
                          s->listener_path);
    return 0;
}

int seccomp_prepare(const struct hull_seccomp *profile, const char *cache_root,
                    struct seccomp_prepared **out, hull_err **err)
{
    struct seccomp_prepared *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return hull_error(err, ENOMEM, "linux.seccomp");
    p->listener_fd = -1;
    p->profile = profile;
    *out = p;
    if (resolve_flags(profile, p, err) < 0)
        return -1;
    cache_key(profile, p->digest);
    if (cache_root == NULL || !cache_read(cache_root, p)) {
        if (compile(profile, p, err) < 0)
            return -1;
        if (cache_root)
            cache_write(cache_root, p);
    }
    hull_debug("seccomp: %zu BPF instructions (%s)", p->n_insns,
               p->from_cache ? "cached" : "compiled");
    /* With a listener and no SCMP_ACT_NOTIFY rule the agent still learns of the container
     * (the state without an fd), as crun does: some agents watch every container. */
    if (profile->listener_path && *profile->listener_path && connect_listener(profile, p, err) < 0)
        return -1;
    return 0;
}

void seccomp_prepared_free(struct seccomp_prepared *p)
{
    if (p == NULL)
        return;
    if (p->listener_fd >= 0)
        close(p->listener_fd);
    free(p->insns);
    free(p);
}

int seccomp_prepare_listener_message(struct seccomp_prepared *p, const char *state_json,
                                     pid_t host_pid, char **msg, hull_err **err)
{
    *msg = NULL;
    if (p->listener_fd < 0)
        return 0;
    json_error_t jerr;
    cleanup_json json_t *state = state_json ? json_loads(state_json, 0, &jerr) : json_object();
    if (state == NULL)
        return hull_error(err, EINVAL, "seccomp listener: container state: %s", jerr.text);
    json_object_set_new(state, "pid", json_integer(host_pid));
    json_object_set_new(state, "status", json_string("running"));
    const char *version = json_string_value(json_object_get(state, "ociVersion"));
    json_t *fds = p->profile->uses_notify ? json_pack("[s]", "seccompFd") : json_array();
    cleanup_json json_t *doc = json_pack(
        "{s:s, s:o, s:I, s:s, s:O}", "ociVersion", version ? version : "1.2.0", "fds", fds, "pid",
        (json_int_t)host_pid, "metadata",
        p->profile->listener_metadata ? p->profile->listener_metadata : "", "state", state);
    if (doc == NULL || (*msg = json_dumps(doc, JSON_COMPACT)) == NULL)
        return hull_error(err, ENOMEM, "seccomp listener message");
    return 0;
}

static int send_listener(int sock, int notify_fd, const char *msg, hull_err **err)
{
    char control[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = strlen(msg)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (notify_fd >= 0) {
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &notify_fd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return hull_error(err, errno, "linux.seccomp.listenerPath: send the %s",
                          notify_fd >= 0 ? "notify fd" : "container state");
    if ((size_t)n != iov.iov_len)
        return hull_error(err, EIO, "linux.seccomp.listenerPath: short send");
    return 0;
}

int seccomp_install(struct seccomp_prepared *p, const char *msg, hull_err **err)
{
    struct sock_fprog prog = {.len = (unsigned short)p->n_insns, .filter = p->insns};
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, p->kernel_flags, &prog);
    if (r < 0)
        return hull_error(err, errno, "linux.seccomp: load the filter");
    if (p->listener_fd < 0)
        return 0;
    int notify_fd = (p->kernel_flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? (int)r : -1;
    int rc = send_listener(p->listener_fd, notify_fd, msg ? msg : "{}", err);
    if (notify_fd >= 0)
        close(notify_fd);
    close(p->listener_fd);
    p->listener_fd = -1;
    return rc;
}
