/* State directories, state.json, and live status. */
#include "runtime/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/json_read.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"

const char *runtime_status_name(enum runtime_status s)
{
    switch (s) {
    case RUNTIME_CREATING:
        return "creating";
    case RUNTIME_CREATED:
        return "created";
    case RUNTIME_RUNNING:
        return "running";
    case RUNTIME_PAUSED:
        return "paused";
    case RUNTIME_STOPPED:
        return "stopped";
    }
    return "unknown";
}

void runtime_state_clear(struct runtime_state *s)
{
    free(s->id);
    free(s->oci_version);
    free(s->bundle);
    free(s->rootfs);
    free(s->created);
    free(s->cgroup_path);
    free(s->freezer);
    free(s->handler);
    if (s->annotations)
        json_decref(s->annotations);
    if (s->extra)
        json_decref(s->extra);
    if (s->cgroups)
        json_decref(s->cgroups);
    memset(s, 0, sizeof(*s));
}

void state_dir_close(struct state_dir *d)
{
    if (d->dirfd >= 0)
        close(d->dirfd); /* releases the flock */
    d->dirfd = -1;
    free(d->root);
    free(d->id);
    free(d->path);
    d->root = d->id = d->path = NULL;
}

int state_validate_id(const char *id, hull_err **err)
{
    size_t n = strlen(id);
    if (n == 0)
        return hull_error(err, EINVAL, "container id must not be empty");
    if (n > 1024)
        return hull_error(err, EINVAL, "container id is longer than 1024 bytes");
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strchr(id, '/') != NULL)
        return hull_error(err, EINVAL, "invalid container id `%s`", id);
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return hull_error(err, EINVAL, "invalid container id: control characters");
    return 0;
}

const char *state_default_root(void)
{
    if (geteuid() == 0)
        return "/run/hull";
    static char buf[4096];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg) {
        snprintf(buf, sizeof buf, "%s/hull", xdg);
        return buf;
    }
    snprintf(buf, sizeof buf, "/tmp/hull-%u", (unsigned)geteuid());
    return buf;
}

static int fill_dir(const char *root, const char *id, struct state_dir *out, hull_err **err)
{
    out->dirfd = -1;
    out->root = strdup(root);
    out->id = strdup(id);
    if (asprintf(&out->path, "%s/%s", root, id) < 0)
        out->path = NULL;
    if (!out->root || !out->id || !out->path)
        return hull_error(err, ENOMEM, "state directory");
    return 0;
}

static int lock_dir(struct state_dir *d, hull_err **err)
{
    d->dirfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (d->dirfd < 0) {
        if (errno == ENOENT)
            return hull_error(err, 0, "container `%s` does not exist", d->id);
        return hull_error(err, errno, "open state directory `%s`", d->path);
    }
    while (flock(d->dirfd, LOCK_EX) < 0) {
        if (errno != EINTR)
            return hull_error(err, errno, "lock state directory `%s`", d->path);
    }
    /* A concurrent delete may have removed it while we waited for the lock. */
    struct stat st;
    if (fstat(d->dirfd, &st) < 0 || st.st_nlink == 0)
        return hull_error(err, 0, "container `%s` does not exist", d->id);
    d->dev = st.st_dev;
    d->ino = st.st_ino;
    return 0;
}

int state_dir_create(const char *root, const char *id, struct state_dir *out, hull_err **err)
{
    if (state_validate_id(id, err) < 0)
        return -1;
    if (fill_dir(root, id, out, err) < 0)
        return -1;
    if (fs_mkdir_p(root, 0700, err) < 0)
        return hull_error_prefix(err, "state root");
    if (mkdir(out->path, 0700) < 0) {
        if (errno == EEXIST)
            return hull_error(err, 0, "container `%s` already exists", id);
        return hull_error(err, errno, "create state directory `%s`", out->path);
    }
    return lock_dir(out, err);
}

int state_dir_open(const char *root, const char *id, struct state_dir *out, hull_err **err)
{
    if (state_validate_id(id, err) < 0)
        return -1;
    if (fill_dir(root, id, out, err) < 0)
        return -1;
    return lock_dir(out, err);
}

int state_dir_remove(struct state_dir *d, hull_err **err)
{
    /* What a state directory holds once its container is gone: no listing (an opendir buffer,
     * getdents) unless something else is left. */
    if (unlinkat(d->dirfd, "state.json", 0) < 0 && errno != ENOENT)
        return hull_error(err, errno, "remove the state of `%s`", d->id);
    if (rmdir(d->path) == 0 || errno == ENOENT)
        return 0;
    if (errno != ENOTEMPTY && errno != EEXIST)
        return hull_error(err, errno, "remove state directory `%s`", d->path);
    cleanup_free char *parent_path = strdup(d->root);
    if (parent_path == NULL)
        return hull_error(err, ENOMEM, "remove state");
    cleanup_close int parent = open(parent_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
        return hull_error(err, errno, "open state root `%s`", parent_path);
    return fs_remove_tree_at(parent, d->id, err);
}

static int set_str(json_t *o, const char *k, const char *v)
{
    return v ? json_object_set_new(o, k, json_string(v)) : 0;
}

/* `{"pid":` then the pid and `,"startTime":` and the start time, each left-aligned in a field
 * of fixed width: what state_write_pid rewrites in place. */
#define PID_OFFSET     7
#define PID_FIELDS_LEN (10 + 13 + 20)

static int format_pid_fields(char *buf, size_t size, const struct runtime_state *s)
{
    return snprintf(buf, size, "%-10d,\"startTime\":%-20llu", (int)s->pid, s->start_time);
}

int state_write(struct state_dir *d, const struct runtime_state *s, hull_err **err)
{
    cleanup_json json_t *o = json_object();
    set_str(o, "id", s->id);
    set_str(o, "ociVersion", s->oci_version);
    set_str(o, "bundle", s->bundle);
    set_str(o, "rootfs", s->rootfs);
    set_str(o, "created", s->created);
    json_object_set_new(o, "owner", json_integer(s->owner));
    if (s->annotations)
        json_object_set(o, "annotations", s->annotations);
    set_str(o, "cgroupPath", s->cgroup_path);
    json_object_set(o, "cgroups", s->cgroups ? s->cgroups : json_null());
    set_str(o, "freezer", s->freezer);
    if (s->hooks >= 0)
        json_object_set_new(o, "hooks", json_integer(s->hooks));
    if (s->systemd_cgroup)
        json_object_set_new(o, "systemdCgroup", json_true());
    set_str(o, "handler", s->handler);
    if (s->extra)
        json_object_set(o, "extra", s->extra);
    cleanup_free char *rest = json_dumps(o, JSON_COMPACT); /* {"id":...}: never empty */
    if (rest == NULL || rest[0] != '{' || rest[1] == '}')
        return hull_error(err, ENOMEM, "encode state");
    size_t rest_len = strlen(rest + 1);
    size_t clen = s->config_text ? strlen(s->config_text) : 0;
    size_t len = PID_OFFSET + PID_FIELDS_LEN + 1 + rest_len;
    cleanup_free char *text = malloc(len + 1 + clen + 1);
    if (text == NULL)
        return hull_error(err, ENOMEM, "encode state");
    memcpy(text, "{\"pid\":", PID_OFFSET);
    if (format_pid_fields(text + PID_OFFSET, PID_FIELDS_LEN + 1, s) != PID_FIELDS_LEN)
        return hull_error(err, EINVAL, "state: pid %d out of range", (int)s->pid);
    text[PID_OFFSET + PID_FIELDS_LEN] = ',';
    memcpy(text + PID_OFFSET + PID_FIELDS_LEN + 1, rest + 1, rest_len);
    if (s->config_text) {
        /* Compact JSON has no raw newline: the first one ends the state. */
        text[len] = '\n';
        memcpy(text + len + 1, s->config_text, clen);
        len += 1 + clen;
    }
    return fs_replace_file_at(d->dirfd, "state.json", text, len, 0600, err);
}

int state_write_pid(struct state_dir *d, const struct runtime_state *s, hull_err **err)
{
    char fields[PID_FIELDS_LEN + 1];
    if (format_pid_fields(fields, sizeof fields, s) != PID_FIELDS_LEN)
        return hull_error(err, EINVAL, "state: pid %d out of range", (int)s->pid);
    cleanup_close int fd = openat(d->dirfd, "state.json", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "record the pid in the state of `%s`", d->id);
    ssize_t n = pwrite(fd, fields, PID_FIELDS_LEN, PID_OFFSET);
    if (n != PID_FIELDS_LEN)
        return hull_error(err, n < 0 ? errno : EIO, "record the pid in the state of `%s`", d->id);
    return 0;
}

int state_read_config(struct state_dir *d, char **out, size_t *out_len, hull_err **err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    hull_err *read_err = NULL;
    if (fs_read_file_at(d->dirfd, "state.json", 16u << 20, &text, &len, &read_err) < 0) {
        if (read_err->errnum != ENOENT) {
            *err = read_err;
            return -1;
        }
        hull_err_free(read_err);
    } else {
        char *nl = memchr(text, '\n', len);
        if (nl != NULL && nl + 1 < text + len) {
            size_t n = (size_t)(text + len - (nl + 1));
            memmove(text, nl + 1, n);
            text[n] = '\0';
            *out_len = n;
            *out = steal_pointer(&text);
            return 0;
        }
    }
    return fs_read_file_at(d->dirfd, "config.json", 16u << 20, out, out_len, err);
}

static char *dup_member(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

int state_read(struct state_dir *d, struct runtime_state *s, hull_err **err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    hull_err *read_err = NULL;
    if (fs_read_file_at(d->dirfd, "state.json", 16u << 20, &text, &len, &read_err) < 0) {
        int e = read_err->errnum;
        hull_err_free(read_err);
        if (e == ENOENT) {
            memset(s, 0, sizeof(*s));
            s->id = strdup(d->id);
            s->hooks = -1;
            s->cgroups_in_old_file = true; /* an older runtime records them first */
            return 0;
        }
        return hull_error(err, e, "read state of `%s`", d->id);
    }
    /* The state is the first line; the config's copy may follow (state_write). */
    const char *nl = memchr(text, '\n', len);
    if (nl != NULL)
        len = (size_t)(nl - text);
    cleanup_json json_t *o = NULL;
    if (json_load_string_checked(text, len, "state.json", &o, err) < 0)
        return -1;
    memset(s, 0, sizeof(*s));
    s->id = dup_member(o, "id");
    s->oci_version = dup_member(o, "ociVersion");
    s->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    s->start_time = (unsigned long long)json_integer_value(json_object_get(o, "startTime"));
    s->bundle = dup_member(o, "bundle");
    s->rootfs = dup_member(o, "rootfs");
    s->created = dup_member(o, "created");
    s->owner = (uid_t)json_integer_value(json_object_get(o, "owner"));
    json_t *a = json_object_get(o, "annotations");
    s->annotations = json_is_object(a) ? json_incref(a) : NULL;
    s->cgroup_path = dup_member(o, "cgroupPath");
    json_t *cg = json_object_get(o, "cgroups");
    s->cgroups = json_is_object(cg) ? json_incref(cg) : NULL;
    s->cgroups_in_old_file = cg == NULL;
    s->freezer = dup_member(o, "freezer");
    json_t *hooks = json_object_get(o, "hooks");
    s->hooks = json_is_integer(hooks) ? (int)json_integer_value(hooks) : -1;
    s->systemd_cgroup = json_is_true(json_object_get(o, "systemdCgroup"));
    s->handler = dup_member(o, "handler");
    json_t *x = json_object_get(o, "extra");
    s->extra = x ? json_incref(x) : NULL;
    if (s->id == NULL)
        s->id = strdup(d->id);
    return 1;
}

enum runtime_status state_status(struct state_dir *d, const struct runtime_state *s)
{
    if (s->pid <= 0)
        return RUNTIME_CREATING;
    unsigned long long st = proc_start_time(s->pid);
    if (st == 0 || st != s->start_time)
        return RUNTIME_STOPPED;
    if (faccessat(d->dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return RUNTIME_CREATED;
    if (faccessat(d->dirfd, "paused", F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
        runtime_cgroup_is_paused(d->dirfd, s))
        return RUNTIME_PAUSED;
    return RUNTIME_RUNNING;
}

int state_load(const char *root, const char *id, struct state_dir *dir, struct runtime_state *s,
               enum runtime_status *status, hull_err **err)
{
    memset(s, 0, sizeof(*s));
    if (state_dir_open(root, id, dir, err) < 0)
        return -1;
    int present = state_read(dir, s, err);
    if (present < 0)
        return -1;
    *status = present ? state_status(dir, s) : RUNTIME_CREATING;
    return present;
}

json_t *state_to_json(const struct runtime_state *s, enum runtime_status status)
{
    json_t *o = json_object();
    json_object_set_new(o, "ociVersion", json_string(s->oci_version ? s->oci_version : "1.2.0"));
    json_object_set_new(o, "id", json_string(s->id ? s->id : ""));
    json_object_set_new(o, "pid", json_integer(status == RUNTIME_STOPPED ? 0 : s->pid));
    json_object_set_new(o, "status", json_string(runtime_status_name(status)));
    json_object_set_new(o, "bundle", json_string(s->bundle ? s->bundle : ""));
    json_object_set_new(o, "rootfs", json_string(s->rootfs ? s->rootfs : ""));
    json_object_set_new(o, "created", json_string(s->created ? s->created : ""));
    json_object_set_new(o, "owner", json_string(""));
    if (s->annotations && json_object_size(s->annotations) > 0)
        json_object_set(o, "annotations", s->annotations);
    return o;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list_ids(const char *root, char ***out, hull_err **err)
{
    size_t n = 0, cap = 16;
    cleanup_strv char **ids = calloc(cap, sizeof(char *));
    if (ids == NULL)
        return hull_error(err, ENOMEM, "list");
    cleanup_dir DIR *d = opendir(root);
    if (d == NULL) {
        if (errno != ENOENT)
            return hull_error(err, errno, "open state root `%s`", root);
    } else {
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.' || de->d_type != DT_DIR)
                continue;
            if (n + 2 > cap) {
                cap *= 2;
                char **nv = realloc(ids, cap * sizeof(char *));
                if (nv == NULL)
                    return hull_error(err, ENOMEM, "list");
                ids = nv;
            }
            ids[n++] = strdup(de->d_name);
            ids[n] = NULL;
        }
    }
    qsort(ids, n, sizeof(char *), compare_strings);
    *out = steal_pointer(&ids);
    return 0;
}

int state_write_pid_file(const char *path, pid_t pid, hull_err **err)
{
    if (path == NULL || *path == '\0')
        return 0;
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    char abs[PATH_MAX];
    if (path[0] != '/') {
        if (getcwd(abs, sizeof abs) == NULL)
            return hull_error(err, errno, "pid file");
        size_t l = strlen(abs);
        snprintf(abs + l, sizeof abs - l, "/%s", path);
        path = abs;
    }
    if (fs_replace_file_at(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
        return hull_error_prefix(err, "write pid file");
    return 0;
}
