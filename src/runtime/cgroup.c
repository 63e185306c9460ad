/* The container's cgroups on the runtime side (see cgroup.h). */
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "linux/rootless.h"
#include "runtime/state.h"
#include "util/cleanup.h"
#include "util/log.h"

int runtime_cgroup_plan(const struct runtime_opts *ro, const struct hull_config *cfg,
                        const char *id, const struct cgroup_host *given, struct cgroup_host *host,
                        struct cgroup_set *out, hull_err **err)
{
    memset(out, 0, sizeof(*out));
    memset(host, 0, sizeof(*host));
    if (ro->cgroup_manager == CGROUP_MANAGER_DISABLED)
        return 0;
    /* Rootless, as runc: without a delegated cgroup an unprivileged runtime runs the container
     * in its own cgroup, which is fine as long as nothing asks for limits. */
    if (geteuid() != 0 && ro->cgroup_manager == CGROUP_MANAGER_CGROUPFS) {
        if (cfg->resources == NULL || json_object_size(cfg->resources) == 0)
            return 0;
    }
    /* Rootless hull (root of a user namespace, linux/rootless.h): the cgroup tree belongs to
     * the host's root and nothing is delegated (hybrid v1 here): no cgroup, device rules
     * unneeded (only the default nodes are bound in), limits refused (docs/rootless.md). */
    if (ro->cgroup_manager == CGROUP_MANAGER_CGROUPFS && rootless_in_userns()) {
        const char *key;
        json_t *v;
        json_object_foreach(cfg->resources, key, v)
        {
            if (strcmp(key, "devices") != 0 && !json_is_null(v) &&
                !(json_is_object(v) && json_object_size(v) == 0))
                return hull_error(err, 0,
                                  "linux.resources.%s: rootless: resource limits need a "
                                  "delegated cgroup, and this host gives unprivileged users none "
                                  "(cgroup v1/hybrid): no limits can be applied "
                                  "(docs/rootless.md)",
                                  key);
        }
        return 0;
    }
    if (ro->cgroup_manager == CGROUP_MANAGER_SYSTEMD) {
        if (access("/run/systemd/system", F_OK) != 0)
            return hull_error(err, ENOTSUP,
                              "--systemd-cgroup: systemd is not running on this host (PID 1 is "
                              "not systemd); use --cgroup-manager cgroupfs");
        return hull_error(err, ENOTSUP,
                          "--systemd-cgroup: the systemd cgroup manager is not supported yet "
                          "(see docs/cgroups.md); use --cgroup-manager cgroupfs");
    }
    if (given != NULL && given->n > 0) {
        if (cgroup_host_copy(host, given, err) < 0)
            return -1;
    } else if (cgroup_host_detect(host, err) < 0) {
        return -1;
    }
    if (host->layout == CGROUP_LAYOUT_NONE) {
        cgroup_host_clear(host);
        return hull_error(err, ENOTSUP,
                          "no cgroup filesystem is mounted (use --cgroup-manager disabled to run "
                          "without cgroups)");
    }
    hull_debug("cgroup layout: %s", cgroup_layout_name(host->layout));
    if (cgroup_set_plan(host, cfg->cgroups_path, id, out, err) < 0) {
        cgroup_host_clear(host);
        return hull_error_prefix(err, "config.json: linux.cgroupsPath");
    }
    if (cgroup_check_resources(out, &cfg->res, "linux.resources", err) < 0) {
        cgroup_set_clear(out);
        cgroup_host_clear(host);
        return hull_error_prefix(err, "config.json");
    }
    return 0;
}

int runtime_cgroup_enter(struct cgroup_set *set, const struct hull_config *cfg, pid_t pid,
                         hull_err **err)
{
    if (set->n == 0)
        return 0;
    if (cgroup_set_create(set, &cfg->res, err) < 0)
        return -1;
    if (cgroup_set_apply(set, &cfg->res, false, err) < 0 || cgroup_set_add_pid(set, pid, err) < 0) {
        if (cfg->resources)
            hull_error_prefix(err, "config.json: linux.resources");
        hull_err *e2 = NULL;
        if (cgroup_set_destroy(set, &e2) < 0) {
            hull_warn("%s", e2->msg);
            hull_err_free(e2);
        }
        return -1;
    }
    return 0;
}

/* On failure of a step after the set was recorded: remove what exists of it. */
static int destroy_after(const struct cgroup_set *set)
{
    hull_err *e2 = NULL;
    if (cgroup_set_destroy(set, &e2) < 0) {
        hull_warn("%s", e2->msg);
        hull_err_free(e2);
    }
    return -1;
}

int runtime_cgroup_prepare(struct cgroup_set *set, const struct hull_config *cfg, bool v2_only,
                           int *fd, hull_err **err)
{
    *fd = -1;
    const struct cgroup_dir *v2 = cgroup_set_v2_dir(set);
    if (set->n == 0)
        return 0;
    if (v2_only) {
        if (v2 && cgroup_set_create_part(set, &cfg->res, true, err) < 0)
            return -1;
    } else {
        if (cgroup_set_create(set, &cfg->res, err) < 0)
            return -1;
        if (cgroup_set_apply(set, &cfg->res, false, err) < 0) {
            if (cfg->resources)
                hull_error_prefix(err, "config.json: linux.resources");
            return destroy_after(set);
        }
    }
    if (v2 && (*fd = cgroup_set_open_dir(set, v2, err)) < 0)
        return destroy_after(set);
    return 0;
}

int runtime_cgroup_finish(struct cgroup_set *set, const struct hull_config *cfg, pid_t v2_pid,
                          hull_err **err)
{
    if (cgroup_set_create_part(set, &cfg->res, false, err) < 0)
        return destroy_after(set);
    if (cgroup_set_apply(set, &cfg->res, false, err) < 0) {
        if (cfg->resources)
            hull_error_prefix(err, "config.json: linux.resources");
        return destroy_after(set);
    }
    if (v2_pid > 0 && runtime_cgroup_add_pid_v2(set, v2_pid, err) < 0)
        return destroy_after(set);
    return 0;
}

int runtime_cgroup_add_pid_v2(const struct cgroup_set *set, pid_t pid, hull_err **err)
{
    const struct cgroup_dir *v2 = cgroup_set_v2_dir(set);
    if (v2 == NULL)
        return 0;
    struct cgroup_set one = {.path = set->path, .dirs = (struct cgroup_dir *)v2, .n = 1};
    return cgroup_set_add_pid(&one, pid, err);
}

int runtime_cgroup_load(int state_dirfd, const struct runtime_state *s, struct cgroup_set *set,
                        hull_err **err)
{
    memset(set, 0, sizeof(*set));
    struct runtime_state read = {0};
    if (s == NULL) {
        /* Without the lock: state.json is replaced whole, and the in-place pid update
         * (state_write_pid) does not touch the set. */
        struct state_dir dir = {.dirfd = state_dirfd, .id = (char *)"container"};
        if (state_read(&dir, &read, err) < 0)
            return -1;
        s = &read;
    }
    int rc = 0;
    if (s->cgroups != NULL)
        rc = cgroup_set_from_json(s->cgroups, set, err) < 0 ? -1 : 1;
    else if (s->cgroups_in_old_file)
        rc = cgroup_set_load(state_dirfd, set, err);
    runtime_state_clear(&read);
    if (rc < 0)
        return hull_error_prefix(err, "the container's cgroups");
    return rc;
}

int runtime_cgroup_remove(int state_dirfd, const struct runtime_state *s, hull_err **err)
{
    cleanup_cgroup_set struct cgroup_set set = {0};
    int present = runtime_cgroup_load(state_dirfd, s, &set, err);
    if (present <= 0)
        return present;
    return runtime_cgroup_remove_set(&set, err);
}

int runtime_cgroup_remove_set(const struct cgroup_set *set, hull_err **err)
{
    if (set->n == 0)
        return 0;
    /* Whatever still runs in there (processes outside the container's pid namespace or of a
     * container without one) dies with the container, as with runc. */
    hull_err *kill_err = NULL;
    if (cgroup_set_signal_all(set, SIGKILL, &kill_err) < 0)
        hull_err_free(kill_err);
    return cgroup_set_destroy(set, err);
}

int runtime_cgroup_signal_all(int state_dirfd, const struct runtime_state *s, int sig,
                              hull_err **err)
{
    cleanup_cgroup_set struct cgroup_set set = {0};
    int present = runtime_cgroup_load(state_dirfd, s, &set, err);
    if (present < 0)
        return -1;
    if (present == 0 || set.n == 0)
        return 1;
    return cgroup_set_signal_all(&set, sig, err);
}

void runtime_cgroup_thaw(int state_dirfd, const struct runtime_state *s)
{
    cleanup_cgroup_set struct cgroup_set set = {0};
    hull_err *e = NULL;
    if (runtime_cgroup_load(state_dirfd, s, &set, &e) > 0)
        cgroup_set_thaw_all(&set);
    hull_err_free(e);
}

int runtime_cgroup_is_paused(int state_dirfd, const struct runtime_state *s)
{
    int frozen = s->freezer ? cgroup_freezer_line_is_frozen(s->freezer)
                            : cgroup_state_is_frozen(state_dirfd);
    if (frozen != -2)
        return frozen == 1;
    cleanup_cgroup_set struct cgroup_set set = {0};
    hull_err *e = NULL;
    int present = runtime_cgroup_load(state_dirfd, s, &set, &e);
    if (present <= 0) {
        hull_err_free(e);
        return 0;
    }
    return cgroup_set_is_frozen(&set) == 1;
}

/* Open a container that must be running (or paused) and load its cgroups. */
static int open_live(const struct runtime_opts *ro, const char *id, struct state_dir *dir,
                     struct cgroup_set *set, enum runtime_status *status, hull_err **err)
{
    struct runtime_state s;
    enum runtime_status st;
    if (state_load(ro->root, id, dir, &s, &st, err) < 0)
        return -1;
    if (st == RUNTIME_STOPPED || st == RUNTIME_CREATING) {
        runtime_state_clear(&s);
        return hull_error(err, 0, "container `%s` is not running", id);
    }
    *status = st;
    int has = runtime_cgroup_load(dir->dirfd, &s, set, err);
    runtime_state_clear(&s);
    if (has < 0)
        return -1;
    if ((has == 0 || set->n == 0) && rootless_in_userns())
        return hull_error(err, 0,
                          "container `%s` has no cgroups: rootless containers get none on "
                          "this host (no delegation), and pausing needs the freezer "
                          "(docs/rootless.md)",
                          id);
    if (has == 0 || set->n == 0)
        return hull_error(err, ENOTSUP,
                          "container `%s` has no cgroups (created with "
                          "--cgroup-manager disabled)",
                          id);
    return 0;
}

int runtime_update(const struct runtime_opts *ro, const char *id, const struct hull_resources *r,
                   hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    cleanup_cgroup_set struct cgroup_set set = {0};
    enum runtime_status st;
    if (open_live(ro, id, &dir, &set, &st, err) < 0)
        return -1;
    if (cgroup_check_resources(&set, r, "", err) < 0 || cgroup_set_apply(&set, r, true, err) < 0)
        return hull_error_prefix(err, "update container `%s`", id);
    return 0;
}

static int set_frozen(const struct runtime_opts *ro, const char *id, bool frozen, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    cleanup_cgroup_set struct cgroup_set set = {0};
    enum runtime_status st;
    if (open_live(ro, id, &dir, &set, &st, err) < 0)
        return -1;
    if (frozen && st == RUNTIME_CREATED)
        return hull_error(err, 0, "cannot pause container `%s`: it is created, not running", id);
    if (!frozen && st != RUNTIME_PAUSED)
        return hull_error(err, 0, "cannot resume container `%s`: it is not paused", id);
    if (cgroup_set_freeze(&set, frozen, err) < 0)
        return hull_error_prefix(err, "%s container `%s`", frozen ? "pause" : "resume", id);
    return 0;
}

int runtime_pause(const struct runtime_opts *ro, const char *id, hull_err **err)
{
    return set_frozen(ro, id, true, err);
}

int runtime_resume(const struct runtime_opts *ro, const char *id, hull_err **err)
{
    return set_frozen(ro, id, false, err);
}

int runtime_pids(const struct runtime_opts *ro, const char *id, pid_t **pids, size_t *n,
                 hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    cleanup_cgroup_set struct cgroup_set set = {0};
    enum runtime_status st;
    if (open_live(ro, id, &dir, &set, &st, err) < 0)
        return -1;
    return cgroup_set_pids(&set, pids, n, err);
}

int runtime_stats(const struct runtime_opts *ro, const char *id, json_t **stats,
                  uint64_t *oom_kills, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    cleanup_cgroup_set struct cgroup_set set = {0};
    enum runtime_status st;
    if (open_live(ro, id, &dir, &set, &st, err) < 0)
        return -1;
    if (oom_kills) {
        hull_err *e = NULL;
        *oom_kills = 0;
        if (cgroup_set_oom_kills(&set, oom_kills, &e) < 0)
            hull_err_free(e);
    }
    return cgroup_set_stats(&set, stats, err);
}

int runtime_oom_notify_fd(const struct runtime_opts *ro, const char *id, hull_err **err)
{
    cleanup_state_dir struct state_dir dir = {.dirfd = -1};
    cleanup_cgroup_set struct cgroup_set set = {0};
    enum runtime_status st;
    if (open_live(ro, id, &dir, &set, &st, err) < 0)
        return -1;
    return cgroup_set_oom_notify_fd(&set, err);
}
