/* Container directories, ids, unique names and records (see store.h for the layout). */
#include "container/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container/health.h"
#include "image/store.h"
#include "linux/cgroup/cgroup.h"
#include "linux/rootless.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/tmpfs_dir.h"
#include "util/signals.h"
#include "util/time.h"

/* Whether directory `path` holds nothing but dot entries (the runtime's .seccomp-cache). */
static bool only_dot_entries(const char *path)
{
    cleanup_dir DIR *d = opendir(path);
    if (d == NULL)
        return false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            return false;
    return true;
}

/* The runtime's state of this data root's containers (store.h): RUN_DIR/<dev>-<ino> of the data
 * root on a tmpfs, or DATA_ROOT/runtime while that holds states of an older hull, or where the
 * run directory cannot be used. NULL only when out of memory. */
static char *runtime_root_choose(const char *data_root, bool *in_data_root, int *hold)
{
    char *legacy = NULL, *root = NULL;
    *in_data_root = true;
    if (asprintf(&legacy, "%s/runtime", data_root) < 0)
        return NULL;
    /* Gone (the usual case: one failing rmdir), empty, or only caches: the run directory. Any
     * state in it: containers an older hull started, whose processes may still run; it stays
     * until they are removed. */
    if (rmdir(legacy) < 0 && errno != ENOENT) {
        cleanup_err hull_err *e = NULL;
        if ((errno != ENOTEMPTY && errno != EEXIST) || !only_dot_entries(legacy) ||
            fs_remove_tree(legacy, &e) < 0)
            return legacy;
    }
    struct stat st;
    if (stat(data_root, &st) < 0)
        return legacy; /* the caller's mkdir reports it */
    cleanup_free char *user_base = NULL;
    const char *base = CONTAINER_RUN_DIR;
    if (rootless_in_userns()) {
        /* Rootless: the user's run directory ($XDG_RUNTIME_DIR, a tmpfs of the user's, as
         * podman's --runroot), else the data root. */
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        if (xdg == NULL || *xdg != '/' || asprintf(&user_base, "%s/hull/containers", xdg) < 0)
            return legacy;
        cleanup_err hull_err *e = NULL;
        if (fs_mkdir_p(user_base, 0700, &e) < 0)
            return legacy;
        base = user_base;
    } else {
        cleanup_err hull_err *e = NULL;
        if (tmpfs_dir_ready(CONTAINER_RUN_DIR, CONTAINER_RUN_DIR_TMPFS, hold, &e) < 0) {
            hull_debug("runtime state: %s; kept in the data root", e->msg);
            return legacy;
        }
    }
    if (asprintf(&root, "%s/%llx-%llx", base, (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino) < 0) {
        free(legacy);
        return NULL;
    }
    if (mkdir(root, 0700) < 0 && errno != EEXIST) {
        hull_debug("runtime state: make `%s`: %s; kept in the data root", root, strerror(errno));
        free(root);
        return legacy;
    }
    free(legacy);
    *in_data_root = false;
    return root;
}

int container_store_open(const char *data_root, container_store **out, hull_err **err)
{
    if (data_root == NULL)
        data_root = image_store_default_root();
    container_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return hull_error(err, ENOMEM, "open container store");
    s->dirfd = s->names_fd = s->run_dir_hold = -1;
    s->data_root = strdup(data_root);
    if (asprintf(&s->dir, "%s/containers", data_root) < 0 ||
        asprintf(&s->volumes_dir, "%s/volumes", data_root) < 0)
        abort();
    cleanup_free char *names = NULL;
    if (asprintf(&names, "%s/names", data_root) < 0)
        abort();
    /* mkdir -p walks every component: only on first use (it shows in `hull run`'s time). */
    const char *dirs[] = {s->dir, names, s->volumes_dir};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (access(dirs[i], F_OK) == 0)
            continue;
        if (fs_mkdir_p(dirs[i], 0700, err) < 0) {
            container_store_close(s);
            return hull_error_prefix(err, "open container store `%s`", data_root);
        }
    }
    bool in_data_root = false;
    s->runtime_root = runtime_root_choose(data_root, &in_data_root, &s->run_dir_hold);
    if (s->runtime_root == NULL) {
        container_store_close(s);
        return hull_error(err, ENOMEM, "open container store `%s`", data_root);
    }
    if (in_data_root && access(s->runtime_root, F_OK) < 0 &&
        fs_mkdir_p(s->runtime_root, 0700, err) < 0) {
        container_store_close(s);
        return hull_error_prefix(err, "open container store `%s`", data_root);
    }
    s->runtime.root = s->runtime_root;
    s->runtime_root_in_data_root = in_data_root;
    if (!in_data_root && asprintf(&s->attach_dir, "%s/.attach", s->runtime_root) < 0)
        abort();
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    s->names_fd = open(names, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0 || s->names_fd < 0) {
        int e = errno;
        container_store_close(s);
        return hull_error(err, e, "open container store `%s`", data_root);
    }
    *out = s;
    return 0;
}

void container_store_close(container_store *s)
{
    if (s == NULL)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
    if (s->names_fd >= 0)
        close(s->names_fd);
    if (s->run_dir_hold >= 0)
        close(s->run_dir_hold);
    if (s->cgroup_host) {
        cgroup_host_clear(s->cgroup_host);
        free(s->cgroup_host);
    }
    free(s->data_root);
    free(s->dir);
    free(s->runtime_root);
    free(s->attach_dir);
    free(s->volumes_dir);
    free(s);
}

void container_store_closep(container_store **s)
{
    container_store_close(*s);
}

void container_new_id(char out[CONTAINER_ID_LEN + 1])
{
    unsigned char raw[CONTAINER_ID_LEN / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno != EINTR)
            abort(); /* getrandom cannot fail on Linux >= 3.17 with a valid buffer */
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static bool is_hex_id(const char *s)
{
    if (strlen(s) != CONTAINER_ID_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

int container_name_validate(const char *name, hull_err **err)
{
    size_t len = strlen(name);
    bool ok = len >= 2 && len <= 128;
    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        ok = alnum || (i > 0 && (c == '_' || c == '.' || c == '-'));
    }
    if (!ok) {
        hull_error(err, 0,
                   "invalid container name `%s`: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, "
                   "2 to 128 characters",
                   name);
        (*err)->exit_code = 125;
        return -1;
    }
    return 0;
}

static const char *const adjectives[] = {
    "brave", "calm",   "clever", "eager",  "fancy", "gentle", "happy", "jolly",
    "keen",  "lucid",  "merry",  "nimble", "proud", "quick",  "quiet", "rapid",
    "sharp", "silent", "smart",  "steady", "swift", "tidy",   "vivid", "witty",
};
static const char *const nouns[] = {
    "badger", "beaver", "condor", "dolphin", "falcon", "gecko",  "heron",  "ibis",
    "jaguar", "koala",  "lemur",  "lynx",    "marten", "newt",   "otter",  "panda",
    "puffin", "quokka", "raven",  "salmon",  "tapir",  "turtle", "walrus", "wombat",
};
#define N_ADJ  (sizeof adjectives / sizeof adjectives[0])
#define N_NOUN (sizeof nouns / sizeof nouns[0])

static int reserve_one(container_store *s, const char *name, const char *id)
{
    if (symlinkat(id, s->names_fd, name) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    /* A name whose container directory is gone (left by an older hull killed mid-create or
     * mid-rm) is free: drop it and take it. */
    char other[CONTAINER_ID_LEN + 2];
    ssize_t n = readlinkat(s->names_fd, name, other, sizeof other - 1);
    struct stat st;
    if (n != CONTAINER_ID_LEN) {
        errno = EEXIST;
        return -1;
    }
    other[n] = '\0';
    if (fstatat(s->dirfd, other, &st, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT) {
        errno = EEXIST;
        return -1;
    }
    container_name_release(s, name, other);
    return symlinkat(id, s->names_fd, name);
}

int container_name_reserve(container_store *s, const char *name, const char *id, char **out,
                           hull_err **err)
{
    if (name != NULL) {
        if (container_name_validate(name, err) < 0)
            return -1;
        if (reserve_one(s, name, id) < 0) {
            int e = errno;
            if (e == EEXIST) {
                char other[CONTAINER_ID_LEN + 1] = "";
                ssize_t n = readlinkat(s->names_fd, name, other, sizeof other - 1);
                if (n > 0)
                    other[n < CONTAINER_SHORT_LEN ? n : CONTAINER_SHORT_LEN] = '\0';
                hull_error(err, 0,
                           "the container name `%s` is already in use by container %s: remove "
                           "or rename that container first",
                           name, other);
                (*err)->exit_code = 125;
                return -1;
            }
            return hull_error(err, e, "reserve container name `%s`", name);
        }
        *out = strdup(name);
        return 0;
    }
    unsigned char r[4];
    for (int attempt = 0; attempt < 64; attempt++) {
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            memset(r, attempt, sizeof r);
        char buf[96];
        if (attempt < 16)
            snprintf(buf, sizeof buf, "%s_%s", adjectives[r[0] % N_ADJ], nouns[r[1] % N_NOUN]);
        else
            snprintf(buf, sizeof buf, "%s_%s%u", adjectives[r[0] % N_ADJ], nouns[r[1] % N_NOUN],
                     (unsigned)(r[2] << 8 | r[3]));
        if (reserve_one(s, buf, id) == 0) {
            *out = strdup(buf);
            return 0;
        }
        if (errno != EEXIST)
            return hull_error(err, errno, "reserve a container name");
    }
    return hull_error(err, 0, "no free container name found");
}

void container_name_release(container_store *s, const char *name, const char *id)
{
    if (name == NULL)
        return;
    char target[CONTAINER_ID_LEN + 2];
    ssize_t n = readlinkat(s->names_fd, name, target, sizeof target - 1);
    if (n < 0)
        return;
    target[n] = '\0';
    if (strcmp(target, id) == 0)
        unlinkat(s->names_fd, name, 0);
}

void container_names_release_id(container_store *s, const char *id)
{
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->names_fd, &d, NULL) < 0)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        container_name_release(s, de->d_name, id);
    }
}

/* The name that points at `id`, or "" (a dead container whose intent record is missing). */
static char *name_of_id(container_store *s, const char *id)
{
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->names_fd, &d, NULL) < 0)
        return strdup("");
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char target[CONTAINER_ID_LEN + 2];
        ssize_t n = readlinkat(s->names_fd, de->d_name, target, sizeof target - 1);
        if (n == CONTAINER_ID_LEN && memcmp(target, id, CONTAINER_ID_LEN) == 0)
            return strdup(de->d_name);
    }
    return strdup("");
}

static int no_such(const char *ref, hull_err **err)
{
    hull_error(err, 0, "no such container: %s", ref);
    (*err)->errnum = ENOENT;
    return -1;
}

int container_resolve(container_store *s, const char *ref, char **id, hull_err **err)
{
    if (*ref == '\0' || strchr(ref, '/') || strcmp(ref, ".") == 0 || strcmp(ref, "..") == 0)
        return no_such(ref, err);
    struct stat st;
    if (is_hex_id(ref) && fstatat(s->dirfd, ref, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        *id = strdup(ref);
        return 0;
    }
    char target[CONTAINER_ID_LEN + 2];
    ssize_t n = readlinkat(s->names_fd, ref, target, sizeof target - 1);
    if (n > 0) {
        target[n] = '\0';
        if (is_hex_id(target) && fstatat(s->dirfd, target, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            *id = strdup(target);
            return 0;
        }
    }
    /* An id prefix: must be unambiguous. */
    size_t len = strlen(ref);
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->dirfd, &d, err) < 0)
        return hull_error_prefix(err, "list containers");
    cleanup_free char *found = NULL;
    int matches = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_hex_id(de->d_name) || strncmp(de->d_name, ref, len) != 0)
            continue;
        matches++;
        free(found);
        found = strdup(de->d_name);
    }
    if (matches == 0)
        return no_such(ref, err);
    if (matches > 1)
        return hull_error(err, 0, "container reference `%s` is ambiguous: %d containers match", ref,
                          matches);
    *id = steal_pointer(&found);
    return 0;
}

int container_list_ids(container_store *s, char ***ids, hull_err **err)
{
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(s->dirfd, &d, err) < 0)
        return hull_error_prefix(err, "list containers");
    size_t n = 0, cap = 16;
    char **v = calloc(cap, sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d)) != NULL) {
        if (!is_hex_id(de->d_name))
            continue;
        if (n + 1 >= cap) {
            cap *= 2;
            char **nv = realloc(v, cap * sizeof *v);
            if (nv == NULL) {
                hull_strvfree(v);
                v = NULL;
                break;
            }
            v = nv;
        }
        v[n++] = strdup(de->d_name);
        v[n] = NULL;
    }
    if (v == NULL)
        return hull_error(err, ENOMEM, "list containers");
    *ids = v;
    return 0;
}

void container_record_free(container_record *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->name);
    free(r->dir);
    free(r->bundle);
    if (r->dirfd >= 0)
        close(r->dirfd);
    json_decref(r->doc);
    json_decref(r->bundle_config);
    free(r->bundle_config_text);
    free(r);
}

void container_record_freep(container_record **r)
{
    container_record_free(*r);
}

static const char *str_at(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v ? v : "";
}

int container_record_index(container_record *r, hull_err **err)
{
    json_t *doc = r->doc;
    json_t *cfg = json_object_get(doc, "Config");
    json_t *host = json_object_get(doc, "HostConfig");
    if (!json_is_object(cfg) || !json_is_object(host))
        return hull_error(err, 0, "container %s: %s: Config or HostConfig missing", r->id,
                          CONTAINER_RECORD);
    free(r->name);
    r->name = strdup(str_at(doc, "Name"));
    r->image_digest = str_at(doc, "ImageDigest");
    r->auto_remove = json_is_true(json_object_get(host, "AutoRemove"));
    r->interactive = json_is_true(json_object_get(cfg, "OpenStdin"));
    r->tty = json_is_true(json_object_get(cfg, "Tty"));
    json_t *rp = json_object_get(host, "RestartPolicy");
    r->restart_policy = str_at(rp, "Name");
    if (*r->restart_policy == '\0')
        r->restart_policy = "no";
    r->max_retries = (long)json_integer_value(json_object_get(rp, "MaximumRetryCount"));
    r->stop_signal = SIGTERM;
    const char *sig = str_at(cfg, "StopSignal");
    if (*sig) {
        cleanup_err hull_err *e = NULL;
        if (signal_parse(sig, &r->stop_signal, &e) < 0)
            r->stop_signal = SIGTERM;
    }
    json_t *t = json_object_get(cfg, "StopTimeout");
    r->stop_timeout = json_is_integer(t) ? (long)json_integer_value(t) : 10;
    json_t *log = json_object_get(json_object_get(host, "LogConfig"), "Config");
    r->log_max_size = (long long)json_integer_value(json_object_get(log, "max-size-bytes"));
    r->log_max_files = (int)json_integer_value(json_object_get(log, "max-file-count"));
    if (r->log_max_files < 1)
        r->log_max_files = 1;
    /* Probes run through exec, which a microVM's guest does not offer (docs/vm.md). */
    json_t *hc = json_object_get(cfg, "Healthcheck");
    bool vm = strcmp(str_at(host, "Runtime"), "vm") == 0;
    r->healthcheck = health_config_active(hc) && !vm ? hc : NULL;
    return 0;
}

static container_record *record_new(container_store *s, const char *id)
{
    container_record *r = calloc(1, sizeof *r);
    if (r == NULL)
        abort();
    r->dirfd = -1;
    r->id = strdup(id);
    if (asprintf(&r->dir, "%s/%s", s->dir, id) < 0 || asprintf(&r->bundle, "%s/bundle", r->dir) < 0)
        abort();
    return r;
}

/* A directory without container.json: an interrupted create. Its name is the names/ link to
 * the id; creating.json says more where an older hull wrote one (Image, ImageDigest). */
static void dead_record(container_store *s, container_record *r)
{
    json_t *intent = NULL;
    cleanup_err hull_err *torn = NULL;
    if (container_read_json(r->dirfd, CONTAINER_INTENT, &intent, &torn) < 0)
        intent = NULL; /* torn by a kill: as good as absent */
    if (intent == NULL)
        intent = json_object();
    const char *name = str_at(intent, "Name");
    cleanup_free char *scanned = *name ? NULL : name_of_id(s, r->id);
    if (scanned)
        json_object_set_new(intent, "Name", json_string(scanned));
    if (!json_is_string(json_object_get(intent, "Created"))) {
        struct stat st;
        char when[TIME_RFC3339_MAX] = "0001-01-01T00:00:00Z";
        if (fstat(r->dirfd, &st) == 0)
            time_rfc3339(when, &(struct timespec){.tv_sec = st.st_mtim.tv_sec}, false);
        json_object_set_new(intent, "Created", json_string(when));
    }
    json_object_set_new(intent, "Id", json_string(r->id));
    json_object_set_new(intent, "Config", json_object());
    json_object_set_new(intent, "HostConfig", json_object());
    r->doc = intent;
    r->dead = true;
}

int container_record_load(container_store *s, const char *id, container_record **out,
                          hull_err **err)
{
    container_record *r = record_new(s, id);
    r->dirfd = openat(s->dirfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r->dirfd < 0) {
        int e = errno;
        container_record_free(r);
        if (e == ENOENT)
            return no_such(id, err);
        return hull_error(err, e, "open container %s", id);
    }
    json_t *doc = NULL;
    if (container_read_json(r->dirfd, CONTAINER_RECORD, &doc, err) < 0) {
        container_record_free(r);
        return -1;
    }
    if (doc)
        r->doc = doc;
    else
        dead_record(s, r);
    if (container_record_index(r, err) < 0) {
        container_record_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

int container_record_find(container_store *s, const char *ref, container_record **out,
                          hull_err **err)
{
    cleanup_free char *id = NULL;
    if (container_resolve(s, ref, &id, err) < 0)
        return -1;
    if (container_record_load(s, id, out, err) == 0)
        return 0;
    /* Removed between the two steps (a concurrent rm): named as the caller named it. */
    if ((*err)->errnum == ENOENT && strcmp(ref, id) != 0) {
        hull_err_freep(err);
        return no_such(ref, err);
    }
    return -1;
}

int container_record_save(container_record *r, hull_err **err)
{
    return container_write_json(r->dirfd, CONTAINER_RECORD, r->doc, err);
}

int container_lock_dirfd(int dirfd, const char *what, hull_err **err)
{
    /* The directory itself, through a file description of our own: no lock file, so nothing
     * is ever created in a directory that a concurrent rm is emptying. */
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "lock container %s", what);
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return hull_error(err, e, "lock container %s", what);
        }
    }
    return fd;
}

int container_lock(const container_record *r, hull_err **err)
{
    int fd = container_lock_dirfd(r->dirfd, r->id, err);
    if (fd < 0)
        return -1;
    /* Removed (or removed and re-created) while we waited: it is gone. */
    struct stat ours, now;
    if (fstat(fd, &ours) < 0 || stat(r->dir, &now) < 0 || ours.st_ino != now.st_ino ||
        ours.st_dev != now.st_dev) {
        close(fd);
        return no_such(r->name && *r->name ? r->name : r->id, err);
    }
    return fd;
}

bool container_lock_busy(const container_record *r)
{
    cleanup_close int fd = openat(r->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}

int container_write_file(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                         hull_err **err)
{
    char tmp[NAME_MAX + 1];
    snprintf(tmp, sizeof tmp, ".%s.%d.tmp", name, (int)getpid());
    cleanup_close int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return hull_error(err, errno, "write `%s`", name);
    if (fs_write_all(fd, data, len) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return hull_error(err, e, "write `%s`", name);
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        int e = errno;
        unlinkat(dirfd, tmp, 0);
        return hull_error(err, e, "write `%s`", name);
    }
    return 0;
}

int container_write_new_file(int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                             hull_err **err)
{
    cleanup_close int fd =
        openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0 || fs_write_all(fd, data, len) < 0)
        return hull_error(err, errno, "write `%s`", name);
    return 0;
}

int container_write_json(int dirfd, const char *name, json_t *doc, hull_err **err)
{
    cleanup_free char *text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL)
        return hull_error(err, ENOMEM, "encode `%s`", name);
    return container_write_file(dirfd, name, text, strlen(text), 0600, err);
}

int container_write_bundle_config(container_record *r, int bfd, json_t *spec, bool fresh,
                                  hull_err **err)
{
    json_decref(r->bundle_config);
    free(r->bundle_config_text);
    r->bundle_config = NULL;
    r->bundle_config_text = NULL;
    char *text = json_dumps(spec, JSON_COMPACT);
    if (text == NULL)
        return hull_error(err, ENOMEM, "encode `config.json`");
    size_t len = strlen(text);
    if ((fresh ? container_write_new_file(bfd, "config.json", text, len, 0600, err)
               : container_write_file(bfd, "config.json", text, len, 0600, err)) < 0) {
        free(text);
        return -1;
    }
    r->bundle_config = json_incref(spec);
    r->bundle_config_text = text;
    return 0;
}

int container_read_json(int dirfd, const char *name, json_t **out, hull_err **err)
{
    *out = NULL;
    cleanup_free char *text = NULL;
    size_t len = 0;
    cleanup_err hull_err *read_err = NULL;
    if (fs_read_file_at(dirfd, name, 16u << 20, &text, &len, &read_err) < 0) {
        if (read_err->errnum == ENOENT)
            return 0;
        if (err) {
            *err = steal_pointer(&read_err);
        }
        return -1;
    }
    json_error_t je;
    *out = json_loadb(text, len, 0, &je);
    if (*out == NULL)
        return hull_error(err, 0, "%s: line %d: %s", name, je.line, je.text);
    return 0;
}
