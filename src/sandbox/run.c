/* One sandbox run from start to result (sandbox.h). */
#include "sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "linux/cgroup/cgroup.h"
#include "runtime/lifecycle.h"
#include "sandbox/attest.h"
#include "sandbox/capture.h"
#include "sandbox/exec_proto.h"
#include "sandbox/net.h"
#include "sandbox/owner.h"
#include "sandbox/ready.h"
#include "sandbox/result.h"
#include "sandbox/spec.h"
#include "sandbox/workspace.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/fs_copy.h"

void sandbox_opts_defaults(struct sandbox_opts *o)
{
    memset(o, 0, sizeof *o);
    o->workdir = "/workspace";
    o->timeout_ns = 60LL * 1000000000LL;
    o->memory = 512LL << 20;
    o->cpus_milli = 1000;
    o->pids = 256;
    o->disk = 256LL << 20;
    o->output_cap = 1 << 20;
    o->network = "none";
    o->isolation = "container";
}

bool sandbox_is_vm(const struct sandbox_opts *o)
{
    return strcmp(o->isolation, "vm") == 0;
}

const char *sandbox_egress_network(const struct sandbox_opts *o)
{
    if (strcmp(o->network, "egress") != 0)
        return NULL;
    return o->egress_network ? o->egress_network : "bridge";
}

char *sandbox_root_path(const char *data_root)
{
    char *path = NULL;
    if (asprintf(&path, "%s/sandbox", data_root) < 0)
        abort();
    return path;
}

char *sandbox_root(const char *data_root, hull_err **err)
{
    char *path = sandbox_root_path(data_root);
    if (fs_mkdir_p(path, 0711, err) < 0 || chmod(path, 0711) < 0) {
        free(path);
        return NULL;
    }
    return path;
}

/* The hierarchies a sandbox's cgroups are made in: those of the controllers it limits or reads
 * (cpu, cpuacct, memory, pids), devices (the device allow-list, enforced by the v1 controller)
 * and freezer (a kill of the whole set stops it first); on a pure cgroup2 host its one
 * hierarchy. Not cpuset, blkio, hugetlb, net_cls, perf_event, name=systemd, nor the hybrid
 * host's cgroup2 tree (it has no controllers; its device program would repeat the v1 rules):
 * no directory to make and remove there per run. */
static int sandbox_cgroup_host(struct cgroup_host *host, hull_err **err)
{
    /* The mounts alone tell a v1 hierarchy's controllers, and the sandbox's cgroup path is
     * absolute (no need of this process's own cgroups); a pure cgroup2 host needs the full
     * detection (the controllers its root offers). */
    if (cgroup_host_read_mounts(host, err) < 0)
        return -1;
    if (host->layout == CGROUP_LAYOUT_UNIFIED || host->layout == CGROUP_LAYOUT_NONE) {
        cgroup_host_clear(host);
        if (cgroup_host_detect(host, err) < 0)
            return -1;
        return 0;
    }
    const unsigned want = CG_BIT(CG_CPU) | CG_BIT(CG_CPUACCT) | CG_BIT(CG_MEMORY) |
                          CG_BIT(CG_PIDS) | CG_BIT(CG_DEVICES) | CG_BIT(CG_FREEZER);
    size_t kept = 0;
    for (size_t i = 0; i < host->n; i++) {
        struct cgroup_hierarchy *h = &host->h[i];
        if (!h->v2 && (h->controllers & want)) {
            host->h[kept++] = *h;
            continue;
        }
        free(h->mountpoint);
        free(h->name);
        free(h->own);
        free(h->root);
        free(h->options);
    }
    host->n = kept; /* none at all (an odd host): the runtime detects them all itself */
    return 0;
}

struct sandbox_launch sandbox_launch_of(const struct sandbox_prep *p, const char *data_root,
                                        const struct sandbox_opts *o, const char *egress_log)
{
    return (struct sandbox_launch){
        .ro = {.root = p->runtime_root, .handlers = o->handlers, .cache_root = p->cache_root},
        .config = p->spec,
        .config_text = p->spec_text,
        .id = p->id,
        .bundle = p->dir,
        .data_root = data_root,
        .o = o,
        .egress_log = egress_log};
}

int sandbox_create_and_start(struct sandbox_launch *l, pid_t *pid, hull_err **err)
{
    cleanup_cgroup_host struct cgroup_host host = {0};
    if (sandbox_cgroup_host(&host, err) < 0)
        return -1;
    struct create_opts co = {.id = l->id,
                             .bundle = l->bundle,
                             .config = l->config,
                             .config_text = l->config_text,
                             .preserve_fds = l->preserve_fds,
                             .cgroup_host = &host};
    /* Without a network to attach between create and start, the container is released at the
     * end of create (create_opts.started): no `start` that loads the state and the config
     * again. */
    bool started = false;
    if (sandbox_egress_network(l->o) == NULL)
        co.started = &started;
    l->logger = -1;
    if (runtime_create(&l->ro, &co, pid, false, err) < 0)
        return -1;
    if (started)
        return 0;
    /* The namespace exists, the program has not started: attach and lock it down now. */
    if (sandbox_net_setup(l->data_root, l->id, l->o, *pid, l->egress_log, &l->logger, err) < 0) {
        cleanup_err hull_err *e2 = NULL;
        runtime_delete(&l->ro, l->id, true, &e2);
        return -1;
    }
    if (runtime_start(&l->ro, l->id, err) < 0) {
        cleanup_err hull_err *e2 = NULL;
        runtime_delete(&l->ro, l->id, true, &e2);
        if (sandbox_egress_network(l->o))
            sandbox_net_teardown(l->data_root, l->id, l->logger);
        return -1;
    }
    return 0;
}

/* A run's launch: what start_container also prepares for the result. */
struct run_launch {
    struct sandbox_launch l; /* first: kill_container takes the same pointer */
    struct sandbox_prep *p;
    struct sandbox_counters counters; /* cpu_fd -1 until opened */
    bool have_counters;
};

static json_t *attestation(const struct sandbox_opts *o, const struct sandbox_prep *p);

static int start_container(void *data, const int fds[3], pid_t *pid, hull_err **err)
{
    (void)fds; /* the container inherits them as the caller's 0-2 (capture.h) */
    struct run_launch *r = data;
    if (sandbox_create_and_start(&r->l, pid, err) < 0)
        return -1;
    /* While the container process sets itself up and runs (on another CPU where there is
     * one): what the result needs that the run cannot change. */
    r->p->attestation = attestation(r->l.o, r->p);
    r->have_counters = sandbox_counters_open(r->p->runtime_root, r->p->id, &r->counters) == 0;
    return 0;
}

static void kill_container(void *data)
{
    struct sandbox_launch *l = data;
    cleanup_err hull_err *e = NULL;
    runtime_kill(&l->ro, l->id, SIGKILL, true, &e);
}

/* The root: layers of the image or --rootfs, and what the attestation says about it. */
static int resolve_root(image_store *is, const struct sandbox_opts *o, char ***lower, size_t *n,
                        char **digest, hull_err **err)
{
    if (o->rootfs) {
        char *real = realpath(o->rootfs, NULL);
        struct stat st;
        if (real == NULL || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
            free(real);
            return hull_error(err, errno ? errno : ENOTDIR, "--rootfs `%s`", o->rootfs);
        }
        *lower = calloc(2, sizeof **lower);
        (*lower)[0] = real;
        *n = 1;
        *digest = NULL;
        return 0;
    }
    cleanup_image_info image_info *img = NULL;
    if (image_lookup(is, o->image ? o->image : "localhost/busybox:latest", &img, err) < 0)
        return -1;
    *lower = calloc(img->n_layers + 1, sizeof **lower);
    for (size_t i = 0; i < img->n_layers; i++)
        (*lower)[i] = strdup(img->layer_dirs[i]);
    *n = img->n_layers;
    *digest = strdup(img->manifest_digest);
    return 0;
}

static void make_id(char out[24])
{
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != sizeof b)
        memset(b, 0x5a, sizeof b);
    snprintf(out, 24, "sbx-%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
             b[6], b[7]);
}

int sandbox_check_opts(const struct sandbox_opts *o, hull_err **err)
{
    if (o->workdir[0] != '/' || strstr(o->workdir, "..") || strcmp(o->workdir, "/") == 0)
        return hull_error(err, 0, "--workdir `%s`: must be an absolute path below /", o->workdir);
    if (strcmp(o->isolation, "container") != 0 && strcmp(o->isolation, "vm") != 0)
        return hull_error(err, 0, "--isolation `%s`: container or vm", o->isolation);
    if (sandbox_is_vm(o)) {
        bool have = false;
        for (const struct runtime_handler *const *h = o->handlers; h && *h; h++)
            have |= strcmp((*h)->name, SANDBOX_VM_HANDLER) == 0;
        if (!have)
            return hull_error(err, 0, "--isolation vm: this front end has no VM backend");
        if (strcmp(o->network, "none") != 0 || o->seccomp_trace || o->health_tcp || o->notify)
            return hull_error(err, 0,
                              "--isolation vm: --network egress, --seccomp-trace, --health-tcp "
                              "and --notify work with --isolation container only");
    }
    if (o->watchdog_ns && !o->notify)
        return hull_error(err, 0, "--watchdog needs --notify");
    if (strcmp(o->network, "none") != 0 && strcmp(o->network, "egress") != 0)
        return hull_error(err, 0, "--network `%s`: none or egress", o->network);
    json_t *allow = NULL, *ports = NULL;
    if (sandbox_net_check(o, &allow, &ports, err) < 0)
        return -1;
    json_decref(allow);
    json_decref(ports);
    return 0;
}

void sandbox_prep_clear(struct sandbox_prep *p)
{
    free(p->root);
    free(p->dir);
    free(p->runtime_root);
    free(p->cache_root);
    free(p->workspace);
    free(p->image_digest);
    free(p->rootfs);
    free(p->spec_text);
    json_decref(p->before);
    json_decref(p->spec);
    json_decref(p->attestation);
    if (p->trace) {
        seccomp_trace_clear(p->trace);
        free(p->trace);
    }
    if (p->owner_fd >= 0)
        close(p->owner_fd);
    memset(p, 0, sizeof *p);
    p->owner_fd = -1;
}

void sandbox_prep_teardown(struct sandbox_prep *p)
{
    if (p->dir == NULL)
        return;
    sandbox_scratch_unmount(p->dir);
    cleanup_err hull_err *re = NULL;
    fs_remove_tree(p->dir, &re);
    if (p->owner_fd >= 0) {
        sandbox_owner_release(p->id, p->owner_fd);
        p->owner_fd = -1;
    }
}

static json_t *attestation(const struct sandbox_opts *o, const struct sandbox_prep *p)
{
    char seccomp_hash[DIGEST_STR_LEN], config_hash[DIGEST_STR_LEN];
    json_t *sc = json_object_get(json_object_get(p->spec, "linux"), "seccomp");
    sandbox_json_hash(sc ? sc : json_null(), seccomp_hash);
    /* The per-run host paths differ between runs: hash the config without them (in copies of
     * the mounts and annotations: p->spec is what the runtime gets). */
    json_t *oci = json_copy(p->spec);
    json_object_set_new(oci, "mounts", json_deep_copy(json_object_get(p->spec, "mounts")));
    json_object_set_new(oci, "annotations", json_copy(json_object_get(p->spec, "annotations")));
    json_t *eff =
        json_pack("{s:o, s:{s:s, s:I, s:I, s:s, s:s*, s:s*, s:s*}}", "oci", oci, "sandbox",
                  "isolation", o->isolation, "timeout_ns", (json_int_t)o->timeout_ns, "disk",
                  (json_int_t)o->disk, "network", o->network, "image_digest", p->image_digest,
                  "context_tree", o->context ? p->tree : NULL, "rootfs", p->rootfs);
    if (sandbox_egress_network(o)) {
        /* The allow-list as enforced (normalized), and the network it leaves through. */
        json_t *allow = NULL, *ports = NULL;
        cleanup_err hull_err *e = NULL;
        sandbox_net_check(o, &allow, &ports, &e);
        json_t *sb = json_object_get(eff, "sandbox");
        json_object_set_new(sb, "egress_network", json_string(sandbox_egress_network(o)));
        json_object_set_new(sb, "egress_allow", allow ? allow : json_array());
        json_object_set_new(sb, "egress_tcp_ports", ports ? ports : json_array());
    }
    json_t *m;
    size_t i;
    json_array_foreach(json_object_get(oci, "mounts"), i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "type")) ?: "", "bind") == 0)
            json_object_set_new(
                m, "source",
                json_string(strcmp(json_string_value(json_object_get(m, "destination")) ?: "",
                                   o->workdir) == 0
                                ? "(workspace)"
                                : "(bundle)"));
    }
    json_t *an = json_object_get(oci, "annotations");
    if (json_object_get(an, "run.hull.vm.workspace"))
        json_object_set_new(an, "run.hull.vm.workspace", json_string("(workspace)"));
    sandbox_json_hash(eff, config_hash);
    json_decref(eff);
    return json_pack("{s:s, s:s?, s:s?, s:s, s:s}", "context_tree_sha256", p->tree, "image_digest",
                     p->image_digest, "rootfs", p->rootfs, "seccomp_profile_sha256",
                     sc ? seccomp_hash : "unconfined", "config_sha256", config_hash);
}

/* The session's init, copied into DIR/hull (root's, read-only in the sandbox). */
static int install_init(const char *dir, const char *binary, hull_err **err)
{
    cleanup_free char *hdir = NULL, *dst = NULL;
    if (asprintf(&hdir, "%s/hull", dir) < 0 || asprintf(&dst, "%s/" HSX_INIT_NAME, hdir) < 0)
        abort();
    if (mkdir(hdir, 0755) < 0)
        return hull_error(err, errno, "mkdir `%s`", hdir);
    cleanup_close int in = open(binary, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return hull_error(err, errno, "open `%s`", binary);
    cleanup_close int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
    if (out < 0)
        return hull_error(err, errno, "create `%s`", dst);
    return fs_copy_data(in, out, dst, err);
}

int sandbox_prepare(const char *data_root, image_store *is, const struct sandbox_opts *o,
                    char **args, const char *init_binary, bool session, struct sandbox_prep *p,
                    hull_err **err)
{
    memset(p, 0, sizeof *p);
    p->owner_fd = -1;
    if (sandbox_check_opts(o, err) < 0)
        return -1;
    p->root = sandbox_root(data_root, err);
    if (p->root == NULL)
        return -1;
    cleanup_strv char **lower = NULL;
    size_t n_lower = 0;
    if (resolve_root(is, o, &lower, &n_lower, &p->image_digest, err) < 0)
        return -1;
    if (o->rootfs)
        p->rootfs = strdup(lower[0]);
    make_id(p->id);
    /* The bundle lives outside the data root: root in the sandbox is an unprivileged host uid
     * and must be able to reach the root filesystem and the workspace (a 0700 data root would
     * stop it). */
    cleanup_close int run_dir_hold = -1; /* until the owner lock is made in it */
    if (sandbox_run_dir_ready(&run_dir_hold, err) < 0)
        return -1;
    /* A run's runtime state lives in its bundle's tmpfs (and goes with it); a session's in the
     * data root, where `exec` and `rm` find it. */
    if (asprintf(&p->dir, "%s/%s", SANDBOX_RUN_DIR, p->id) < 0 ||
        asprintf(&p->runtime_root, "%s/runtime", session ? p->root : p->dir) < 0 ||
        asprintf(&p->workspace, "%s/scratch/workspace", p->dir) < 0)
        abort();
    /* The compiled seccomp filters outlive a run's runtime state: they stay in the data root. */
    if (!session) {
        if (asprintf(&p->cache_root, "%s/runtime", p->root) < 0)
            abort();
        if (mkdir(p->cache_root, 0700) < 0 && errno != EEXIST)
            return hull_error(err, errno, "mkdir `%s`", p->cache_root);
    }
    /* The owner lock comes first: a bundle is never seen without one (owner.h). */
    p->owner_fd =
        sandbox_owner_lock(p->id, data_root, p->runtime_root, sandbox_egress_network(o), err);
    if (p->owner_fd < 0)
        return -1;
    if (mkdir(p->dir, 0711) < 0) {
        hull_error(err, errno, "mkdir `%s`", p->dir);
        free(p->dir);
        p->dir = NULL;
        sandbox_owner_release(p->id, p->owner_fd);
        p->owner_fd = -1;
        return -1;
    }
    p->before = json_object();
    if (sandbox_bundle_mount(p->dir, err) < 0 ||
        sandbox_scratch_mount(p->dir, o->disk, SANDBOX_HOST_UID, err) < 0 ||
        sandbox_rootfs_mount(
            p->dir, lower, n_lower,
            (const char *const[]){"/proc", "/dev", "/tmp", o->workdir,
                                  init_binary || o->notify ? HSX_DIR_IN_SANDBOX : NULL, NULL},
            err) < 0)
        goto fail;
    if (init_binary && install_init(p->dir, init_binary, err) < 0)
        goto fail;
    if (!init_binary && o->notify) {
        cleanup_free char *hdir = NULL;
        if (asprintf(&hdir, "%s/hull", p->dir) < 0)
            abort();
        if (mkdir(hdir, 0755) < 0) {
            hull_error(err, errno, "mkdir `%s`", hdir);
            goto fail;
        }
    }
    if (o->context && sandbox_copy_context(o->context, p->dir, err) < 0)
        goto fail;
    {
        cleanup_close int wfd = open(p->workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (wfd < 0) {
            hull_error(err, errno, "open `%s`", p->workspace);
            goto fail;
        }
        if (sandbox_tree_hash(wfd, p->before, SANDBOX_HOST_UID, p->tree, err) < 0)
            goto fail;
    }
    if (sandbox_spec(o, "rootfs", p->workspace, args, &p->spec, err) < 0)
        goto fail;
    if (sandbox_is_vm(o)) {
        /* The VM applies no mounts: its root is shared read-only with the guest and the
         * workspace read-write, mounted at the workdir by the guest's init (docs/vm.md). */
        json_t *an = json_object_get(p->spec, "annotations");
        json_object_set_new(an, RUNTIME_HANDLER_ANNOTATION, json_string(SANDBOX_VM_HANDLER));
        json_object_set_new(an, "run.hull.vm.workspace", json_string(p->workspace));
        json_object_set_new(an, "run.hull.vm.workspace-path", json_string(o->workdir));
    }
    if (o->notify) {
        json_t *env = json_object_get(json_object_get(p->spec, "process"), "env");
        json_array_append_new(
            env, json_string("NOTIFY_SOCKET=" SANDBOX_NOTIFY_DIR "/" SANDBOX_NOTIFY_NAME));
        if (o->watchdog_ns > 0)
            json_array_append_new(env, json_sprintf("WATCHDOG_USEC=%lld", o->watchdog_ns / 1000));
    }
    if (init_binary || o->notify) {
        cleanup_free char *hdir = NULL;
        if (asprintf(&hdir, "%s/hull", p->dir) < 0)
            abort();
        json_array_append_new(json_object_get(p->spec, "mounts"),
                              json_pack("{s:s, s:s, s:s, s:[s,s,s,s]}", "destination",
                                        HSX_DIR_IN_SANDBOX, "type", "bind", "source", hdir,
                                        "options", "rbind", "ro", "nosuid", "nodev"));
    }
    if (o->seccomp_trace) {
        json_t *profile = NULL;
        cleanup_free char *sock = NULL;
        if (asprintf(&sock, "%s/seccomp.sock", p->dir) < 0)
            abort();
        p->trace = calloc(1, sizeof *p->trace);
        if (seccomp_trace_begin(p->trace, sock, &profile, err) < 0)
            goto fail;
        json_object_set_new(json_object_get(p->spec, "linux"), "seccomp", profile);
    }
    {
        /* Encoded once: the bundle's config.json, and the runtime's copy (create_opts). */
        cleanup_free char *cfg = NULL;
        if (asprintf(&cfg, "%s/config.json", p->dir) < 0)
            abort();
        p->spec_text = json_dumps(p->spec, JSON_COMPACT);
        if (p->spec_text == NULL) {
            hull_error(err, ENOMEM, "encode `%s`", cfg);
            goto fail;
        }
        cleanup_close int fd = open(cfg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || fs_write_all(fd, p->spec_text, strlen(p->spec_text)) < 0) {
            hull_error(err, errno, "write `%s`", cfg);
            goto fail;
        }
    }
    /* A run hashes it while its program starts (start_container). */
    if (session)
        p->attestation = attestation(o, p);
    return 0;
fail:
    sandbox_prep_teardown(p);
    return -1;
}

int sandbox_finish_changes(const char *workspace, json_t *before, json_t *after, const char *output,
                           json_t *result, hull_err **err)
{
    cleanup_close int wfd = open(workspace, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (wfd < 0)
        return hull_error(err, errno, "open `%s`", workspace);
    char after_tree[DIGEST_STR_LEN];
    json_t *changes = NULL;
    if (sandbox_tree_hash(wfd, after, -1, after_tree, err) < 0 ||
        sandbox_changes(before, after, wfd, output, &changes, err) < 0) {
        json_decref(changes);
        return -1;
    }
    json_object_set_new(result, "changes", changes);
    return 0;
}

int sandbox_run(const char *data_root, image_store *is, const struct sandbox_opts *o,
                json_t **result, hull_err **err)
{
    *result = NULL;
    if (o->cmd == NULL || o->cmd[0] == NULL)
        return hull_error(err, 0, "no command given (hull sandbox run [OPTIONS] -- CMD...)");
    struct sandbox_prep p;
    if (sandbox_prepare(data_root, is, o, o->cmd, NULL, false, &p, err) < 0) {
        sandbox_prep_clear(&p);
        return -1;
    }
    int rc = -1;
    json_t *after = json_object();
    struct sandbox_capture cap = {.cap = o->output_cap, .timeout_ns = o->timeout_ns};
    struct sandbox_ready ready = {.health_tcp = (int)o->health_tcp,
                                  .notify = o->notify,
                                  .watchdog_usec = o->watchdog_ns / 1000,
                                  .notify_fd = -1,
                                  .netns_fd = -1,
                                  .probe_fd = -1};
    bool readiness = o->health_tcp > 0 || o->notify;
    cleanup_free char *egress_log = NULL;
    if (asprintf(&egress_log, "%s/egress.log", p.dir) < 0)
        abort();
    struct run_launch r = {.l = sandbox_launch_of(&p, data_root, o, egress_log),
                           .p = &p,
                           .counters = {.cpu_fd = -1, .peak_fd = -1, .oom_fd = -1}};
    if (readiness) {
        cleanup_free char *hdir = NULL;
        if (asprintf(&hdir, "%s/hull", p.dir) < 0)
            abort();
        cap.ready = &ready;
        if (sandbox_ready_prepare(&ready, hdir, SANDBOX_HOST_UID, err) < 0)
            goto out;
    }
    if (p.trace && seccomp_trace_start(p.trace, err) < 0)
        goto out;
    if (sandbox_capture_run(&cap, start_container, kill_container, &r, err) < 0)
        goto out;
    {
        struct sandbox_counts counts = {0};
        if (r.have_counters)
            sandbox_counters_read(&r.counters, &counts);
        *result = sandbox_result_new(&cap, &counts);
    }
    if (readiness)
        json_object_set_new(*result, "readiness", sandbox_ready_json(&ready));
    {
        cleanup_err hull_err *de = NULL;
        runtime_delete_known(&r.l.ro, p.id, true, false, &de); /* its config has no hooks */
    }
    if (sandbox_egress_network(o)) {
        sandbox_net_teardown(data_root, p.id, r.l.logger);
        r.l.logger = -2; /* done */
        json_object_set_new(*result, "egress_denied", sandbox_net_denied(egress_log, 100));
    }
    if (sandbox_finish_changes(p.workspace, p.before, after, o->output, *result, err) < 0)
        goto out;
    if (p.trace && (seccomp_trace_stop(p.trace, err) < 0 ||
                    seccomp_trace_write(p.trace, o->seccomp_trace, err) < 0))
        goto out;
    json_object_set_new(*result, "attestation", json_incref(p.attestation));
    json_object_set_new(*result, "id", json_string(p.id));
    if (o->output && sandbox_result_write(o->output, *result, err) < 0)
        goto out;
    if (sandbox_audit_append(p.root, p.id, NULL, o->cmd, *result, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0 && *result) {
        json_decref(*result);
        *result = NULL;
    }
    if (sandbox_egress_network(o) && r.l.logger != -2)
        sandbox_net_teardown(data_root, p.id, r.l.logger);
    sandbox_ready_clear(&ready);
    sandbox_capture_clear(&cap);
    sandbox_counters_close(&r.counters);
    json_decref(after);
    sandbox_prep_teardown(&p);
    sandbox_prep_clear(&p);
    return rc;
}
