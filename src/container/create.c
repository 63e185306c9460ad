/* Container creation from an image and complete removal (see create.h). */
#include "container/create.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container/attach.h"
#include "container/bundle.h"
#include "container/event_emit.h"
#include "container/health.h"
#include "container/net_policy.h"
#include "container/network.h"
#include "monitor/health_sched.h"
#include "container/programs.h"
#include "monitor/monitor_io.h"
#include "container/rootfs.h"
#include "container/seccomp_trace.h"
#include "container/user.h"
#include "container/volume.h"
#include "image/image.h"
#include "image/users.h"
#include "image/rootfs.h"
#include "oci/json_read.h"
#include "runtime/lifecycle.h"
#include "util/cleanup.h"
#include "util/time.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/signals.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int usage_error(hull_err **err)
{
    if (err && *err)
        (*err)->exit_code = 125;
    return -1;
}

static json_t *strv_json(char *const *v)
{
    json_t *a = json_array();
    for (; v && *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

/* Set KEY=VALUE in an env array, replacing an earlier KEY. */
static void env_set(json_t *env, const char *kv)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strncmp(s, kv, klen) == 0 && s[klen] == '=') {
            json_array_set_new(env, i, json_string(kv));
            return;
        }
    }
    json_array_append_new(env, json_string(kv));
}

/* -e KEY (no '='): take KEY from hull's own environment, or skip it, as docker does. */
static void env_apply_flag(json_t *env, const char *item)
{
    if (strchr(item, '=')) {
        env_set(env, item);
        return;
    }
    const char *val = getenv(item);
    if (val == NULL)
        return;
    cleanup_free char *kv = NULL;
    if (asprintf(&kv, "%s=%s", item, val) < 0)
        abort();
    env_set(env, kv);
}

static int env_apply_file(json_t *env, const char *path, hull_err **err)
{
    cleanup_free char *text = NULL;
    size_t len;
    if (fs_read_file(path, 4u << 20, &text, &len, err) < 0)
        return hull_error_prefix(err, "--env-file");
    int lineno = 0;
    for (char *line, *save = NULL, *p = text; (line = strtok_r(p, "\n", &save)); p = NULL) {
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '\0' || *line == '#')
            continue;
        if (*line == '=')
            return hull_error(err, 0, "--env-file `%s`: line %d: variable name is empty", path,
                              lineno);
        env_apply_flag(env, line);
    }
    return 0;
}

static int build_env(const struct run_request *req, const image_config *ic, const char *hostname,
                     json_t **out, hull_err **err)
{
    json_t *env = json_array();
    cleanup_free char *host_kv = NULL;
    if (asprintf(&host_kv, "HOSTNAME=%s", hostname) < 0)
        abort();
    env_set(env, host_kv);
    for (char **e = ic->env; e && *e; e++)
        env_set(env, *e);
    bool has_path = false;
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v)
    {
        if (strncmp(json_string_value(v), "PATH=", 5) == 0)
            has_path = true;
    }
    if (!has_path)
        env_set(env, DEFAULT_PATH);
    if (req->tty)
        env_set(env, "TERM=xterm");
    for (char **f = req->env_files; f && *f; f++)
        if (env_apply_file(env, *f, err) < 0) {
            json_decref(env);
            return -1;
        }
    for (char **e = req->env; e && *e; e++) {
        if (**e == '=') {
            json_decref(env);
            return hull_error(err, 0, "-e `%s`: variable name is empty", *e);
        }
        env_apply_flag(env, *e);
    }
    *out = env;
    return 0;
}

/* Entrypoint + Cmd as docker combines them. */
static int build_command(const struct run_request *req, const image_config *ic, json_t **ep_out,
                         json_t **cmd_out, json_t **argv_out, hull_err **err)
{
    json_t *ep;
    if (req->has_entrypoint)
        ep = *req->entrypoint ? json_pack("[s]", req->entrypoint) : json_array();
    else
        ep = strv_json(ic->entrypoint);
    json_t *cmd;
    if (req->cmd && req->cmd[0])
        cmd = strv_json(req->cmd);
    else if (req->has_entrypoint)
        cmd = json_array(); /* a new entrypoint drops the image's Cmd, as in docker */
    else
        cmd = strv_json(ic->cmd);
    json_t *argv = json_array();
    json_array_extend(argv, ep);
    json_array_extend(argv, cmd);
    if (json_array_size(argv) == 0) {
        json_decref(ep);
        json_decref(cmd);
        json_decref(argv);
        return hull_error(err, 0,
                          "no command specified: the image has no Entrypoint or Cmd "
                          "and none was given");
    }
    *ep_out = ep;
    *cmd_out = cmd;
    *argv_out = argv;
    return 0;
}

static bool mount_target_taken(json_t *mounts, const char *target)
{
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *d = json_string_value(json_object_get(m, "Destination"));
        if (d && strcmp(d, target) == 0)
            return true;
    }
    return false;
}

/* Resolve -v/--mount/--tmpfs and the image's Volumes into the record's Mounts; volumes are
 * created here. `made` collects the volumes this call created (removed again on failure). */
static int build_mounts(container_store *cs, const struct run_request *req, const image_config *ic,
                        json_t **out, json_t *made, hull_err **err)
{
    json_t *mounts = json_array();
    for (size_t i = 0; i < req->n_mounts; i++) {
        const struct mount_request *m = &req->mounts[i];
        if (mount_target_taken(mounts, m->target)) {
            json_decref(mounts);
            return hull_error(err, 0, "duplicate mount point `%s`", m->target);
        }
        json_t *e = json_pack("{s:s, s:b}", "Destination", m->target, "RW", !m->readonly);
        if (m->kind == MOUNT_BIND) {
            struct stat st;
            if (stat(m->source, &st) < 0) {
                /* docker -v creates a missing host directory. */
                if (errno != ENOENT || fs_mkdir_p(m->source, 0755, err) < 0) {
                    json_decref(e);
                    json_decref(mounts);
                    if (errno != ENOENT)
                        return hull_error(err, errno, "bind mount source `%s`", m->source);
                    return -1;
                }
            }
            json_object_set_new(e, "Type", json_string("bind"));
            json_object_set_new(e, "Source", json_string(m->source));
        } else if (m->kind == MOUNT_VOLUME) {
            cleanup_free char *name = NULL;
            cleanup_free char *path = NULL;
            bool created = false;
            if (volume_ensure(cs, m->source, m->source == NULL, &name, &path, &created, err) < 0) {
                json_decref(e);
                json_decref(mounts);
                return -1;
            }
            if (created)
                json_array_append_new(made, json_string(name));
            json_object_set_new(e, "Type", json_string("volume"));
            json_object_set_new(e, "Name", json_string(name));
            json_object_set_new(e, "Source", json_string(path));
            json_object_set_new(e, "Anonymous", json_boolean(m->source == NULL));
        } else {
            json_object_set_new(e, "Type", json_string("tmpfs"));
            if (m->tmpfs_options)
                json_object_set_new(e, "Options", json_string(m->tmpfs_options));
        }
        json_array_append_new(mounts, e);
    }
    /* Image VOLUMEs not covered by a user mount become anonymous volumes. */
    for (char **v = ic->volumes; v && *v; v++) {
        if (mount_target_taken(mounts, *v))
            continue;
        cleanup_free char *name = NULL;
        cleanup_free char *path = NULL;
        bool created = false;
        if (volume_ensure(cs, NULL, true, &name, &path, &created, err) < 0) {
            json_decref(mounts);
            return -1;
        }
        json_array_append_new(made, json_string(name));
        json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "Type", "volume",
                                                "Name", name, "Source", path, "Destination", *v,
                                                "RW", 1, "Anonymous", 1));
    }
    *out = mounts;
    return 0;
}

/* /etc/hostname; hosts and resolv.conf come from container_network_write_etc right after,
 * written once (they were written here and again there). */
static int write_hostname(int dirfd, const char *hostname, hull_err **err)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s\n", hostname);
    return container_write_new_file(dirfd, "hostname", buf, (size_t)n, 0644, err);
}

/* The image's Healthcheck with the --health-* flags over it (docker's merge, health.h). */
static int build_healthcheck(const struct run_request *req, const image_config *ic, json_t **out,
                             hull_err **err)
{
    const image_healthcheck *ih = ic->healthcheck;
    struct health_config image = {0}, flags = {0};
    if (ih)
        image = (struct health_config){(const char *const *)ih->test,
                                       ih->interval,
                                       ih->timeout,
                                       ih->start_period,
                                       ih->start_interval,
                                       ih->retries};
    const char *shell[] = {"CMD-SHELL", req->health_cmd, NULL};
    bool have_flags = req->health_cmd || req->health_interval || req->health_timeout ||
                      req->health_start_period || req->health_start_interval || req->health_retries;
    if (have_flags)
        flags = (struct health_config){
            req->health_cmd ? shell : NULL, req->health_interval,       req->health_timeout,
            req->health_start_period,       req->health_start_interval, req->health_retries};
    if (health_config_merge(ih ? &image : NULL, have_flags ? &flags : NULL, req->no_healthcheck,
                            out, err) < 0)
        return -1;
    const char *kind = json_string_value(json_array_get(json_object_get(*out, "Test"), 0));
    if (kind && strcmp(kind, "NONE") != 0 && !health_config_active(*out))
        hull_warn("the image's Healthcheck (%s) is not one hull runs (CMD or CMD-SHELL): ignored",
                  kind);
    else if (health_config_active(*out) && strcmp(req->runtime, "vm") == 0)
        hull_warn("--runtime vm: the image's Healthcheck is not run (no exec into a VM yet)");
    return 0;
}

/* DIR/health-schedule: what the monitor needs to time the probes (it reads no JSON). */
static int write_health_schedule(container_record *r, hull_err **err)
{
    if (r->healthcheck == NULL)
        return 0;
    struct health_timing t;
    health_timing_from_json(r->healthcheck, &t);
    if (health_schedule_write(r->dirfd, t.interval, t.start_period, t.start_interval) < 0)
        return hull_error(err, errno, "write `%s`", HEALTH_SCHEDULE_NAME);
    return 0;
}

/* --sysctl and --ulimit as docker's HostConfig.Sysctls ({K: V}) and HostConfig.Ulimits
 * ([{Name, Soft, Hard}]); bundle.c turns them into linux.sysctl and process.rlimits. */
static int build_limits(const struct run_request *req, json_t **sysctls, json_t **ulimits,
                        hull_err **err)
{
    *sysctls = json_object();
    *ulimits = json_array();
    for (char **s = req->sysctls; s && *s; s++) {
        if (parse_sysctl_flag(*s, err) < 0)
            return hull_error_prefix(err, "--sysctl");
        const char *eq = strchr(*s, '=');
        cleanup_free char *key = strndup(*s, (size_t)(eq - *s));
        json_object_set_new(*sysctls, key, json_string(eq + 1));
    }
    for (char **u = req->ulimits; u && *u; u++) {
        const char *rlimit;
        unsigned long long soft, hard;
        if (parse_ulimit_flag(*u, &rlimit, &soft, &hard, err) < 0)
            return hull_error_prefix(err, "--ulimit");
        cleanup_free char *name = strndup(*u, (size_t)(strchr(*u, '=') - *u));
        /* a later --ulimit of the same name wins, as docker */
        size_t i;
        json_t *e;
        json_array_foreach(*ulimits, i, e)
        {
            if (strcmp(json_string_value(json_object_get(e, "Name")), name) == 0) {
                json_array_remove(*ulimits, i);
                break;
            }
        }
        json_array_append_new(*ulimits, json_pack("{s:s, s:I, s:I}", "Name", name, "Soft",
                                                  (json_int_t)soft, "Hard", (json_int_t)hard));
    }
    return 0;
}

static json_t *labels_json(char *const *image_labels, char *const *labels)
{
    json_t *o = json_object();
    char *const *lists[2] = {image_labels, labels};
    for (int l = 0; l < 2; l++)
        for (char *const *p = lists[l]; p && *p; p++) {
            const char *eq = strchr(*p, '=');
            cleanup_free char *k = eq ? strndup(*p, (size_t)(eq - *p)) : strdup(*p);
            json_object_set_new(o, k, json_string(eq ? eq + 1 : ""));
        }
    return o;
}

static json_t *user_json(const struct user_ids *u)
{
    json_t *extra = json_array();
    for (size_t i = 0; i < u->n_additional; i++)
        json_array_append_new(extra, json_integer(u->additional[i]));
    return json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)u->uid, "gid", (json_int_t)u->gid,
                     "additionalGids", extra);
}

static json_t *build_record(const struct run_request *req, const image_info *img, const char *id,
                            const char *name, const char *hostname, const char *dir, json_t *ep,
                            json_t *cmd, json_t *argv, json_t *env, json_t *mounts,
                            const struct user_ids *user, const char *stop_signal,
                            json_t *healthcheck)
{
    char now[40];
    time_rfc3339_now(now, true);
    const image_config *ic = img->config;
    const char *workdir = req->workdir                            ? req->workdir
                          : (ic->working_dir && *ic->working_dir) ? ic->working_dir
                                                                  : "/";
    const char *user_spec = req->user ? req->user : (ic->user ? ic->user : "");
    long stop_timeout = req->stop_timeout >= 0 ? req->stop_timeout : 10;

    json_t *config = json_pack(
        "{s:s, s:s, s:O, s:O, s:O, s:s, s:o, s:s, s:I, s:b, s:b, s:b, s:s}", "Hostname", hostname,
        "User", user_spec, "Env", env, "Cmd", cmd, "Entrypoint", ep, "WorkingDir", workdir,
        "Labels", labels_json(ic->labels, req->labels), "StopSignal", stop_signal, "StopTimeout",
        (json_int_t)stop_timeout, "Tty", req->tty, "OpenStdin", req->interactive, "AttachStdin",
        req->interactive && !req->detach, "Image", req->image);
    if (healthcheck)
        json_object_set(config, "Healthcheck", healthcheck);
    char max_size[32], max_file[16];
    snprintf(max_size, sizeof max_size, "%lld", req->log_max_size);
    snprintf(max_file, sizeof max_file, "%d", req->log_max_files);
    json_t *security = json_array();
    if (!req->no_new_privileges)
        json_array_append_new(security, json_string("no-new-privileges=false"));
    if (req->seccomp)
        json_array_append_new(security, json_pack("s+", "seccomp=", req->seccomp));
    if (req->landlock)
        json_array_append_new(security, json_pack("s+", "landlock=", req->landlock));
    if (req->seccomp_trace)
        json_array_append_new(security,
                              json_pack("s+", CONTAINER_SECCOMP_TRACE_OPT, req->seccomp_trace));
    json_t *devices = json_array();
    for (size_t k = 0; k < req->n_devices; k++)
        json_array_append_new(devices,
                              json_pack("{s:s, s:s, s:s}", "PathOnHost", req->devices[k].host,
                                        "PathInContainer", req->devices[k].container,
                                        "CgroupPermissions", req->devices[k].perms));
    json_t *binds = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *type = json_string_value(json_object_get(m, "Type"));
        if (strcmp(type, "tmpfs") == 0)
            continue;
        const char *src =
            json_string_value(json_object_get(m, strcmp(type, "volume") == 0 ? "Name" : "Source"));
        json_array_append_new(
            binds, json_pack("s+++", src, ":", json_string_value(json_object_get(m, "Destination")),
                             json_is_true(json_object_get(m, "RW")) ? ":rw" : ":ro"));
    }
    json_t *host = json_pack(
        "{s:b, s:{s:s, s:I}, s:b, s:o, s:o, s:o, s:b, s:s, s:b, s:s, s:{s:s, s:{s:s, s:s, s:I, "
        "s:I}}, s:I, s:I, s:I, s:o}",
        "AutoRemove", req->remove, "RestartPolicy", "Name", req->restart, "MaximumRetryCount",
        (json_int_t)req->max_retries, "ReadonlyRootfs", req->read_only, "CapAdd",
        strv_json(req->cap_add), "CapDrop", strv_json(req->cap_drop), "SecurityOpt", security,
        "NoNewPrivileges", req->no_new_privileges, "NetworkMode", req->network, "Init", req->init,
        "Runtime", req->runtime, "LogConfig", "Type", "json-file", "Config", "max-size", max_size,
        "max-file", max_file, "max-size-bytes", (json_int_t)req->log_max_size, "max-file-count",
        (json_int_t)req->log_max_files, "Memory", (json_int_t)req->memory, "NanoCpus",
        (json_int_t)(req->cpus_milli * 1000000), "PidsLimit", (json_int_t)req->pids_limit, "Binds",
        binds);
    json_object_set_new(host, "Devices", devices);
    json_object_set_new(host, "Privileged", json_boolean(req->privileged));

    json_t *args = json_deep_copy(argv);
    json_t *path = json_incref(json_array_get(args, 0));
    json_array_remove(args, 0);
    json_t *layers = strv_json(img->layer_dirs);
    cleanup_free char *log_path = NULL;
    if (asprintf(&log_path, "%s/%s", dir, MONITOR_LOG_NAME) < 0)
        abort();
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s}",
                  "Id", id, "Name", name, "Created", now, "Path", path, "Args", args, "Image",
                  img->id, "ImageName", req->image, "ImageDigest", img->manifest_digest, "Config",
                  config, "HostConfig", host, "Mounts", mounts, "ResolvedUser", user_json(user),
                  "LogPath", log_path, "Driver", "overlay", "Platform", "linux");
    json_object_set_new(rec, "LayerDirs", layers);
    return rec;
}

struct create_undo {
    container_store *cs;
    image_store *is;
    const char *id;
    char *name;
    bool dir_made;
    bool user_added;
    const char *image_digest;
    json_t *volumes_made;
};

static void undo_create(struct create_undo *u)
{
    /* The name first and the directory last: killed half-way, what is left is a dead
     * container that `hull rm` and `hull system prune` find, never a name that points nowhere. */
    if (u->name)
        container_name_release(u->cs, u->name, u->id);
    if (u->user_added)
        image_store_remove_user(u->is, u->image_digest, u->id, &(hull_err *){NULL});
    size_t i;
    json_t *v;
    json_array_foreach(u->volumes_made, i, v)
    {
        cleanup_err hull_err *e = NULL;
        volume_remove(u->cs, json_string_value(v), true, &e);
    }
    if (u->dir_made) {
        cleanup_err hull_err *e = NULL;
        fs_remove_tree_at(u->cs->dirfd, u->id, &e);
    }
}

int container_create_from_image(container_store *cs, image_store *is, const struct run_request *req,
                                container_record **out, hull_err **err)
{
    return container_create_from_image_info(cs, is, NULL, req, out, err);
}

int container_create_from_image_info(container_store *cs, image_store *is, image_info *given,
                                     const struct run_request *req, container_record **out,
                                     hull_err **err)
{
    cleanup_image_info image_info *looked_up = NULL;
    if (given == NULL && image_lookup(is, req->image, &looked_up, err) < 0)
        return usage_error(err);
    image_info *img = given ? given : looked_up;
    const image_config *ic = img->config;

    char id[CONTAINER_ID_LEN + 1];
    container_new_id(id);
    char short_id[CONTAINER_SHORT_LEN + 1];
    memcpy(short_id, id, CONTAINER_SHORT_LEN);
    short_id[CONTAINER_SHORT_LEN] = '\0';
    const char *hostname = req->hostname ? req->hostname : short_id;

    const char *stop_signal = req->stop_signal                        ? req->stop_signal
                              : (ic->stop_signal && *ic->stop_signal) ? ic->stop_signal
                                                                      : "SIGTERM";
    int signo;
    if (signal_parse(stop_signal, &signo, err) < 0)
        return hull_error_prefix(err, "--stop-signal"), usage_error(err);
    if (req->workdir && req->workdir[0] != '/')
        return hull_error(err, 0, "-w `%s`: the working directory must be absolute", req->workdir),
               usage_error(err);

    cleanup_json json_t *ep = NULL, *cmd = NULL, *argv = NULL, *env = NULL, *healthcheck = NULL;
    if (build_command(req, ic, &ep, &cmd, &argv, err) < 0 ||
        build_env(req, ic, hostname, &env, err) < 0 ||
        build_healthcheck(req, ic, &healthcheck, err) < 0)
        return usage_error(err);
    struct user_ids user = {0};
    if (user_resolve(img->layer_dirs, img->n_layers, req->user ? req->user : ic->user, &user, err) <
        0)
        return usage_error(err);
    {
        /* Validate capabilities now: a typo is a usage error at create, not a failed start. */
        json_t *add = strv_json(req->cap_add), *drop = strv_json(req->cap_drop), *caps = NULL;
        int rc = container_capabilities(add, drop, &caps, err);
        json_decref(add);
        json_decref(drop);
        json_decref(caps);
        if (rc < 0) {
            user_ids_clear(&user);
            return usage_error(err);
        }
    }

    cleanup_json json_t *sysctls = NULL, *ulimits = NULL;
    if (build_limits(req, &sysctls, &ulimits, err) < 0) {
        user_ids_clear(&user);
        return usage_error(err);
    }

    struct create_undo undo = {.cs = cs, .is = is, .id = id, .image_digest = img->manifest_digest};
    undo.volumes_made = json_array();
    int rc = -1;
    json_t *rec = NULL;
    container_record *r = NULL;
    cleanup_close int dirfd = -1, lock = -1;
    do {
        /* The directory first, locked until the record is complete: from here on, every
         * interruption leaves something `hull ps -a` lists and `hull rm` removes (its name is
         * found by the names/ link to the id, its image use by the id under users/: no record
         * of the intent is written). */
        fs_spread_subdirs(cs->dirfd);
        if (mkdirat(cs->dirfd, id, 0700) < 0) {
            hull_error(err, errno, "create container directory");
            break;
        }
        undo.dir_made = true;
        dirfd = openat(cs->dirfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
            hull_error(err, errno, "open container directory");
            break;
        }
        if ((lock = container_lock_dirfd(dirfd, id, err)) < 0)
            break;
        if (container_name_reserve(cs, req->name, id, &undo.name, err) < 0)
            break;
        if (image_store_add_user(is, img->manifest_digest, id, err) < 0)
            break;
        undo.user_added = true;
        json_t *mounts = NULL;
        if (build_mounts(cs, req, ic, &mounts, undo.volumes_made, err) < 0) {
            usage_error(err);
            break;
        }
        cleanup_free char *dir = NULL;
        if (asprintf(&dir, "%s/%s", cs->dir, id) < 0)
            abort();
        rec = build_record(req, img, id, undo.name, hostname, dir, ep, cmd, argv, env, mounts,
                           &user, stop_signal, healthcheck);
        json_object_set(json_object_get(rec, "HostConfig"), "Sysctls", sysctls);
        json_object_set(json_object_get(rec, "HostConfig"), "Ulimits", ulimits);
        if (container_network_record(cs, req, ic, rec, err) < 0 ||
            container_net_policy_record(req, rec, err) < 0) {
            usage_error(err);
            break;
        }
        r = calloc(1, sizeof *r);
        r->id = strdup(id);
        r->dir = steal_pointer(&dir);
        if (asprintf(&r->bundle, "%s/bundle", r->dir) < 0)
            abort();
        r->doc = rec;
        rec = NULL;
        r->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        if (r->dirfd < 0) {
            hull_error(err, errno, "open container directory");
            break;
        }
        if (container_record_index(r, err) < 0)
            break;
        if (write_hostname(r->dirfd, hostname, err) < 0 ||
            container_network_write_etc(cs, r, NULL, err) < 0 || write_health_schedule(r, err) < 0)
            break;
        cleanup_free char *init = NULL;
        if (req->init && (init = container_helper_path("hull-init", err)) == NULL)
            break;
        cleanup_json json_t *spec = NULL;
        if (container_bundle_config(r->doc, r->dir, init, &spec, err) < 0) {
            usage_error(err);
            break;
        }
        if (mkdirat(r->dirfd, "bundle", 0700) < 0 || mkdirat(r->dirfd, "bundle/rootfs", 0755) < 0) {
            hull_error(err, errno, "create bundle directory");
            break;
        }
        cleanup_close int bfd = openat(r->dirfd, "bundle", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (bfd < 0 || container_write_bundle_config(r, bfd, spec, true, err) < 0) {
            if (bfd < 0)
                hull_error(err, errno, "open bundle directory");
            break;
        }
        /* The record last: a container exists (for ps, start, rm) once it is complete. */
        if (container_record_save(r, err) < 0)
            break;
        container_event(cs, r, "create", NULL, NULL);
        rc = 0;
    } while (0);
    user_ids_clear(&user);
    json_decref(rec);
    if (rc < 0) {
        container_record_free(r);
        undo_create(&undo);
        free(undo.name);
        json_decref(undo.volumes_made);
        return -1;
    }
    free(undo.name);
    json_decref(undo.volumes_made);
    *out = r;
    return 0;
}

static void remove_anonymous_volumes(container_store *cs, json_t *doc)
{
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(doc, "Mounts"), i, m)
    {
        if (!json_is_true(json_object_get(m, "Anonymous")))
            continue;
        const char *name = json_string_value(json_object_get(m, "Name"));
        cleanup_err hull_err *e = NULL;
        if (name && volume_remove(cs, name, true, &e) < 0)
            hull_warn_err("remove anonymous volume", e);
    }
}

int container_remove_all(container_store *cs, image_store *is, container_record *r,
                         bool remove_volumes, hull_err **err)
{
    if (container_teardown_run(cs, r, err) < 0)
        return -1;
    if (container_rootfs_unmount(r, true, err) < 0)
        return -1;
    attach_remove(cs, r); /* a killed monitor's, in the run directory */
    if (is && *r->image_digest) {
        cleanup_err hull_err *e = NULL;
        if (image_store_remove_user(is, r->image_digest, r->id, &e) < 0)
            hull_warn_err("release image", e);
    } else if (is && r->dead) {
        cleanup_err hull_err *e = NULL;
        if (image_store_remove_user_any(is, r->id, &e) < 0)
            hull_warn_err("release image", e);
    }
    if (remove_volumes)
        remove_anonymous_volumes(cs, r->doc);
    container_name_release(cs, r->name, r->id);
    if (r->dead)
        container_names_release_id(cs, r->id);
    /* A concurrent `rm` that found the monitor still finishing writes the stop marker without
     * the lock (container_stop: the monitor's clean-up takes it), maybe after this walk read
     * the directory: then it is emptied again. */
    for (int tries = 1; fs_remove_tree_at(cs->dirfd, r->id, err) < 0; tries++) {
        if ((*err)->errnum != ENOTEMPTY || tries == 10)
            return hull_error_prefix(err, "remove container %.12s", r->id);
        hull_err_freep(err);
    }
    container_event(cs, r, "destroy", NULL, NULL);
    return 0;
}
