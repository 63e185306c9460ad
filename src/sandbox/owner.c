/* Sandbox bundle owners and the repair of stale bundles (owner.h). */
#include "sandbox/owner.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/attach.h"
#include "net/network.h"
#include "runtime/lifecycle.h"
#include "runtime/state.h"
#include "sandbox/sandbox.h"
#include "sandbox/workspace.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/tmpfs_dir.h"

int sandbox_run_dir_ready(int *hold, hull_err **err)
{
    return tmpfs_dir_ready(SANDBOX_RUN_DIR, "mode=0711,size=64m,nr_inodes=65536", hold, err);
}

static int write_doc(int fd, json_t *doc, const char *path, hull_err **err)
{
    cleanup_free char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    size_t len = strlen(text);
    if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len)
        return hull_error(err, errno, "write `%s`", path);
    return 0;
}

/* An unnamed file (O_TMPFILE) in SANDBOX_RUN_DIR, or a named `tmp` where the file system has
 * none; *named tells which. */
static int open_unlinked(const char *tmp, bool *named)
{
    *named = false;
    int fd = open(SANDBOX_RUN_DIR, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
    *named = true;
    return open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
}

int sandbox_owner_lock(const char *id, const char *data_root, const char *runtime_root,
                       const char *network, hull_err **err)
{
    cleanup_free char *tmp = NULL, *path = NULL;
    if (asprintf(&tmp, "%s/%s.lock.tmp", SANDBOX_RUN_DIR, id) < 0 ||
        asprintf(&path, "%s/%s.lock", SANDBOX_RUN_DIR, id) < 0)
        abort();
    /* Locked and filled before it has its name: a repair never sees it unlocked or empty. */
    bool named;
    int fd = open_unlinked(tmp, &named);
    if (fd < 0)
        return hull_error(err, errno, "create `%s`", path);
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:n, s:s?, s:i, s:I}", "id", id, "data_root", data_root,
                  "runtime_root", runtime_root, "session", "network", network, "pid", (int)getpid(),
                  "start_time", (json_int_t)proc_start_time(getpid()));
    int rc = flock(fd, LOCK_EX) < 0 ? hull_error(err, errno, "lock `%s`", path)
                                    : write_doc(fd, doc, path, err);
    json_decref(doc);
    if (rc == 0) {
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        if (named ? rename(tmp, path) < 0
                  : linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0)
            rc = hull_error(err, errno, "create `%s`", path);
    }
    if (rc < 0) {
        if (named)
            unlink(tmp);
        close(fd);
        return -1;
    }
    return fd;
}

/* One read (json_loadfd reads a byte per syscall: this is on every command's path). */
static json_t *read_doc(int fd)
{
    char buf[8192];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    if (n <= 0)
        return NULL;
    json_error_t je;
    return json_loadb(buf, (size_t)n, 0, &je);
}

int sandbox_owner_set_session(int fd, const char *name, hull_err **err)
{
    json_t *doc = read_doc(fd);
    if (doc == NULL)
        return hull_error(err, 0, "sandbox owner lock: unreadable");
    json_object_set_new(doc, "session", json_string(name));
    int rc = write_doc(fd, doc, "sandbox owner lock", err);
    json_decref(doc);
    return rc;
}

int sandbox_owner_take(const char *id)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s.lock", SANDBOX_RUN_DIR, id) < 0)
        abort();
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
        ;
    return fd;
}

void sandbox_owner_release(const char *id, int fd)
{
    if (fd < 0)
        return;
    char path[512];
    snprintf(path, sizeof path, "%s/%s.lock", SANDBOX_RUN_DIR, id);
    unlink(path);
    close(fd);
}

/* The lock is held, but the hull that made it is gone (pid and start time): not a session's
 * (whose creator exits by design; its record decides). */
static bool owner_gone(int fd)
{
    json_t *doc = read_doc(fd);
    json_t *pid = json_object_get(doc, "pid");
    json_t *start = json_object_get(doc, "start_time");
    bool gone = false;
    if (json_is_integer(pid) && json_is_integer(start) &&
        json_is_null(json_object_get(doc, "session"))) {
        unsigned long long now = proc_start_time((pid_t)json_integer_value(pid));
        gone = now == 0 || now != (unsigned long long)json_integer_value(start);
    }
    json_decref(doc);
    return gone;
}

/* A session still claims the bundle: its record names the same id. */
static bool session_claims(json_t *doc)
{
    const char *session = json_string_value(json_object_get(doc, "session"));
    const char *root = json_string_value(json_object_get(doc, "data_root"));
    const char *id = json_string_value(json_object_get(doc, "id"));
    if (session == NULL || root == NULL || id == NULL)
        return false;
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/sandbox/sessions/%s.json", root, session) < 0)
        abort();
    json_error_t je;
    json_t *rec = json_load_file(path, 0, &je);
    bool same = rec && strcmp(json_string_value(json_object_get(rec, "id")) ?: "", id) == 0;
    json_decref(rec);
    /* Unreadable (being replaced, a full disk): keep rather than destroy a live session. */
    return same || (rec == NULL && access(path, F_OK) == 0);
}

/* Kill, delete, detach, unmount and remove the bundle of the stale sandbox `id`. */
static void reap_one(const char *id, json_t *doc)
{
    const char *runtime_root = json_string_value(json_object_get(doc, "runtime_root"));
    const char *data_root = json_string_value(json_object_get(doc, "data_root"));
    cleanup_err hull_err *e = NULL;
    if (runtime_root) {
        struct runtime_opts ro = {.root = runtime_root};
        runtime_delete(&ro, id, true, &e);
    }
    if (data_root && json_is_string(json_object_get(doc, "network"))) {
        cleanup_net_store net_store *ns = NULL;
        cleanup_err hull_err *ne = NULL;
        if (net_store_open(data_root, &ns, &ne) == 0)
            net_detach(ns, id, NULL, &ne);
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", SANDBOX_RUN_DIR, id);
    sandbox_scratch_unmount(dir);
    cleanup_err hull_err *re = NULL;
    fs_remove_tree(dir, &re);
}

int sandbox_reap_stale(void)
{
    cleanup_dir DIR *d = opendir(SANDBOX_RUN_DIR);
    if (d == NULL)
        return 0;
    int reaped = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        bool tmp = n > 9 && strcmp(de->d_name + n - 9, ".lock.tmp") == 0;
        if (strncmp(de->d_name, "sbx-", 4) != 0 ||
            (!tmp && (n < 6 || strcmp(de->d_name + n - 5, ".lock") != 0)))
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", SANDBOX_RUN_DIR, de->d_name);
        cleanup_close int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue; /* gone meanwhile */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
            /* Held: by its owner, or by a copy a process inherited from a dead owner (a
             * container process the owner created but never started, which has not exec'd and
             * waits for `start` forever). */
            if (tmp || !owner_gone(fd))
                continue;
        }
        if (tmp) {
            /* Only where O_TMPFILE is missing: a creator between open and flock holds no
             * lock yet, so only an old one is known dead (before its bundle was made). */
            struct stat tst;
            if (fstat(fd, &tst) == 0 && time(NULL) - tst.st_mtime > 60)
                unlink(path);
            continue;
        }
        json_t *doc = read_doc(fd);
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(n - 5), de->d_name);
        struct stat st;
        if (fstat(fd, &st) < 0 || st.st_nlink == 0 || session_claims(doc)) {
            json_decref(doc); /* removed meanwhile, or a live session's */
            continue;
        }
        reap_one(id, doc);
        json_decref(doc);
        unlink(path);
        reaped++;
    }
    return reaped;
}
