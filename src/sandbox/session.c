/* Sandbox sessions (session.h). */
#include "sandbox/session.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "linux/resolve.h"
#include "runtime/cgroup.h"
#include "runtime/exec.h"
#include "runtime/lifecycle.h"
#include "sandbox/attest.h"
#include "sandbox/capture.h"
#include "sandbox/counters.h"
#include "sandbox/exec_client.h"
#include "sandbox/exec_proto.h"
#include "sandbox/net.h"
#include "sandbox/owner.h"
#include "sandbox/result.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/fs_copy.h"
#include "util/time.h"

static int check_name(const char *name, hull_err **err)
{
    size_t n = strlen(name);
    bool ok = n > 0 && n <= 64 && name[0] != '.' && name[0] != '-';
    for (size_t i = 0; ok && i < n; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
             (name[i] >= '0' && name[i] <= '9') || strchr("_.-", name[i]);
    if (!ok)
        return hull_error(err, 0,
                          "invalid session name `%s`: 1-64 of [a-zA-Z0-9_.-], not starting "
                          "with . or -",
                          name);
    return 0;
}

static char *sessions_dir(const char *data_root, hull_err **err)
{
    cleanup_free char *root = sandbox_root(data_root, err);
    if (root == NULL)
        return NULL;
    char *dir = NULL;
    if (asprintf(&dir, "%s/sessions", root) < 0)
        abort();
    if (fs_mkdir_p(dir, 0700, err) < 0) {
        free(dir);
        return NULL;
    }
    return dir;
}

/* Lock NAME.lock; returns the fd. */
static int session_lock(const char *dir, const char *name, hull_err **err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s.lock", dir, name) < 0)
        abort();
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", path);
    if (flock(fd, LOCK_EX) < 0) {
        close(fd);
        return hull_error(err, errno, "lock `%s`", path);
    }
    return fd;
}

static int session_load(const char *dir, const char *name, json_t **out, hull_err **err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s.json", dir, name) < 0)
        abort();
    json_error_t je;
    *out = json_load_file(path, 0, &je);
    if (*out == NULL) {
        if (access(path, F_OK) < 0)
            return hull_error(err, ENOENT, "no such sandbox session: %s", name);
        return hull_error(err, 0, "session record `%s`: %s", path, je.text);
    }
    return 0;
}

static int session_save(const char *dir, const char *name, json_t *rec, hull_err **err)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s.json", dir, name) < 0)
        abort();
    cleanup_free char *text = json_dumps(rec, JSON_COMPACT);
    return fs_write_file_atomic(path, text, strlen(text), 0600, err);
}

static int save_files(const char *path, json_t *files, hull_err **err)
{
    cleanup_free char *tmp = NULL;
    if (asprintf(&tmp, "%s.tmp", path) < 0)
        abort();
    if (json_dump_file(files, tmp, JSON_COMPACT) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return hull_error(err, errno, "write `%s`", path);
    }
    return 0;
}

/* The session's exec socket: bound in the bundle (root's, outside the sandbox's mount
 * namespace), listening, close-on-exec. */
static int exec_listener(const char *path, hull_err **err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path)
        return hull_error(err, ENAMETOOLONG, "exec socket `%s`", path);
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return hull_error(err, errno, "exec socket");
    mode_t old = umask(0077);
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc < 0 || listen(fd, 16) < 0) {
        hull_error(err, errno, "exec socket `%s`", path);
        close(fd);
        return -1;
    }
    return fd;
}

static const char *str(json_t *rec, const char *key)
{
    return json_string_value(json_object_get(rec, key)) ?: "";
}

int sandbox_session_create(const char *data_root, image_store *is, const struct sandbox_opts *o,
                           const char *name, json_t **info, hull_err **err)
{
    if (check_name(name, err) < 0)
        return -1;
    if (sandbox_is_vm(o))
        return hull_error(err, 0, "--isolation vm: sessions run as containers only");
    if (o->health_tcp || o->notify || o->watchdog_ns)
        return hull_error(err, 0,
                          "--health-tcp, --notify and --watchdog apply to `hull sandbox "
                          "run` (a session's first process is its exec server)");
    cleanup_free char *dir = sessions_dir(data_root, err);
    if (dir == NULL)
        return -1;
    cleanup_close int lock = session_lock(dir, name, err);
    if (lock < 0)
        return -1;
    json_t *old = NULL;
    cleanup_err hull_err *le = NULL;
    if (session_load(dir, name, &old, &le) == 0) {
        json_decref(old);
        return hull_error(err, EEXIST, "sandbox session `%s` already exists", name);
    }
    /* The first process is the exec server (exec_client.h); without its binary, a sleep that
     * only keeps the namespaces alive (each exec then joins them through the runtime). */
    cleanup_free char *init = sandbox_init_path();
    char *server[] = {HSX_DIR_IN_SANDBOX "/" HSX_INIT_NAME, NULL};
    char *keep[] = {"sleep", "2147483647", NULL};
    struct sandbox_prep p;
    if (sandbox_prepare(data_root, is, o, init ? server : keep, init, true, &p, err) < 0) {
        sandbox_prep_clear(&p);
        return -1;
    }
    cleanup_free char *sock_path = NULL;
    cleanup_close int sock = -1;
    if (init) {
        if (asprintf(&sock_path, "%s/exec.sock", p.dir) < 0)
            abort();
        sock = exec_listener(sock_path, err);
        if (sock < 0) {
            sandbox_prep_teardown(&p);
            sandbox_prep_clear(&p);
            return -1;
        }
    }
    cleanup_free char *egress_log = NULL;
    if (asprintf(&egress_log, "%s/egress.log", p.dir) < 0)
        abort();
    /* A session's prep has no cache root (its runtime state is in the data root) and no
     * handlers apply (sessions are containers only). */
    struct sandbox_launch l = sandbox_launch_of(&p, data_root, o, egress_log);
    l.preserve_fds = sock >= 0 ? 1 : 0;
    pid_t pid;
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int saved[4];
    for (int fd = 0; fd < 3; fd++) {
        saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 4);
        dup2(null, fd);
    }
    /* The listening socket is the server's fd 3 (HSX_LISTEN_FD). */
    saved[3] = -1;
    if (sock >= 0) {
        if (sock != HSX_LISTEN_FD) {
            saved[3] = fcntl(HSX_LISTEN_FD, F_DUPFD_CLOEXEC, 4);
            dup2(sock, HSX_LISTEN_FD);
        }
        fcntl(HSX_LISTEN_FD, F_SETFD, 0);
    }
    int rc = sandbox_create_and_start(&l, &pid, err);
    for (int fd = 0; fd < 3; fd++) {
        dup2(saved[fd], fd);
        close(saved[fd]);
    }
    if (sock >= 0 && sock != HSX_LISTEN_FD) {
        if (saved[3] >= 0) {
            dup2(saved[3], HSX_LISTEN_FD);
            close(saved[3]);
        } else {
            close(HSX_LISTEN_FD);
        }
    }
    close(null);
    if (rc < 0) {
        sandbox_prep_teardown(&p);
        sandbox_prep_clear(&p);
        return -1;
    }
    char when[TIME_RFC3339_MAX];
    time_rfc3339_now(when, false);
    json_t *rec =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:O, s:O}", "name", name, "id", p.id,
                  "created", when, "bundle", p.dir, "workspace", p.workspace, "workdir", o->workdir,
                  "timeout_ns", (json_int_t)o->timeout_ns, "output_cap", (json_int_t)o->output_cap,
                  "attestation", p.attestation, "files", p.before);
    if (sandbox_egress_network(o))
        json_object_set_new(rec, "network", json_string(sandbox_egress_network(o)));
    if (sock_path)
        json_object_set_new(rec, "exec_socket", json_string(sock_path));
    if (session_save(dir, name, rec, err) < 0) {
        json_decref(rec);
        cleanup_err hull_err *de = NULL;
        runtime_delete(&l.ro, p.id, true, &de);
        if (sandbox_egress_network(o))
            sandbox_net_teardown(data_root, p.id, -1);
        sandbox_prep_teardown(&p);
        sandbox_prep_clear(&p);
        return -1;
    }
    json_object_del(rec, "files");
    /* From now on the record keeps the bundle alive (owner.h); a failure here leaves it to
     * be reaped as stale by the next command, so remove the session now. */
    if (sandbox_owner_set_session(p.owner_fd, name, err) < 0) {
        json_decref(rec);
        cleanup_err hull_err *de = NULL;
        runtime_delete(&l.ro, p.id, true, &de);
        if (sandbox_egress_network(o))
            sandbox_net_teardown(data_root, p.id, -1);
        sandbox_prep_teardown(&p);
        sandbox_prep_clear(&p);
        cleanup_free char *path = NULL;
        if (asprintf(&path, "%s/%s.json", dir, name) < 0)
            abort();
        unlink(path);
        return -1;
    }
    *info = rec;
    sandbox_prep_clear(&p);
    return 0;
}

struct exec_launch {
    struct runtime_opts ro;
    struct exec_opts eo;
    pid_t pid;
};

static int start_exec(void *data, const int fds[3], pid_t *pid, hull_err **err)
{
    struct exec_launch *l = data;
    (void)fds; /* the joined process inherits them as the caller's 0-2 (capture.h) */
    l->eo.pid_out = &l->pid;
    int code;
    if (runtime_exec(&l->ro, &l->eo, &code, err) < 0)
        return -1;
    *pid = l->pid;
    return 0;
}

static void kill_exec(void *data)
{
    struct exec_launch *l = data;
    if (l->pid > 0)
        kill(l->pid, SIGKILL);
}

int sandbox_session_exec(const char *data_root, const char *name, const struct sandbox_opts *o,
                         json_t **result, hull_err **err)
{
    *result = NULL;
    if (check_name(name, err) < 0)
        return -1;
    if (o->cmd == NULL || o->cmd[0] == NULL)
        return hull_error(err, 0, "no command given (hull sandbox exec NAME -- CMD...)");
    /* Paths only: a session's directories exist (no mkdir on the exec path). */
    cleanup_free char *root = sandbox_root_path(data_root);
    cleanup_free char *dir = NULL, *runtime_root = NULL;
    if (asprintf(&dir, "%s/sessions", root) < 0 || asprintf(&runtime_root, "%s/runtime", root) < 0)
        abort();
    cleanup_close int lock = session_lock(dir, name, err);
    if (lock < 0 && (*err)->errnum == ENOENT) {
        hull_err_free(*err);
        *err = NULL;
        return hull_error(err, ENOENT, "no such sandbox session: %s", name);
    }
    if (lock < 0)
        return -1;
    json_t *rec = NULL;
    if (session_load(dir, name, &rec, err) < 0)
        return -1;
    struct exec_launch l = {
        .ro = {.root = runtime_root},
        .eo = {.id = str(rec, "id"),
               .args = o->cmd,
               .detach = true,
               .cwd = str(rec, "workdir"),
               .env = o->env,
               .no_new_privs = true},
    };
    long long timeout = o->timeout_ns > 0
                            ? o->timeout_ns
                            : (long long)json_integer_value(json_object_get(rec, "timeout_ns"));
    struct sandbox_capture cap = {.cap = o->output_cap, .timeout_ns = timeout};
    json_t *after = json_object();
    cleanup_sandbox_counters struct sandbox_counters counters = {-1, false, -1, -1};
    struct sandbox_counts before = {0}, now = {0};
    int rc = -1;
    /* Declared before the first `goto out`: the cleanup of a variable whose declaration a jump
     * skipped would free stack garbage (-Wjump-misses-init now refuses that). */
    cleanup_free char *files_path = NULL;
    json_t *files = NULL;
    bool unchanged = false;
    const char *sock = json_string_value(json_object_get(rec, "exec_socket"));
    struct sandbox_xclient x = {
        .socket = sock, .argv = o->cmd, .env = o->env, .fd = -1, .pidfd = -1};
    /* Only the few counters the result needs, opened once and read before and after: the
     * cgroup stays, the session lives. */
    if (sandbox_counters_open(runtime_root, l.eo.id, &counters) < 0) {
        hull_error(err, 0, "sandbox session `%s` is not running", name);
        goto out;
    }
    sandbox_counters_read(&counters, &before);
    if (sock) {
        /* Fast path: the session's first process forks the command (exec_client.h). */
        cap.wait_fd = sandbox_xclient_wait_fd;
        cap.reap = sandbox_xclient_reap;
        cap.start_takes_fds = true;
        rc = sandbox_capture_run(&cap, sandbox_xclient_start, sandbox_xclient_kill, &x, err);
        sandbox_xclient_close(&x);
        /* the server gone before the connection (refused, no socket) or while it was being
         * answered (its end closed: reset, EOF) */
        if (rc < 0 && *err &&
            ((*err)->errnum == ECONNREFUSED || (*err)->errnum == ENOENT ||
             (*err)->errnum == ECONNRESET || (*err)->errnum == EPIPE)) {
            hull_err_free(*err);
            *err = NULL;
            hull_error(err, 0,
                       "sandbox session `%s` is not running (its first process is gone; "
                       "`hull sandbox rm %s` removes it)",
                       name, name);
        }
        if (rc < 0)
            goto out;
        rc = -1;
    } else if (sandbox_capture_run(&cap, start_exec, kill_exec, &l, err) < 0) {
        goto out;
    }
    /* CPU and OOM kills during the exec; the peak is the session's (docs/sandbox.md). */
    sandbox_counters_read(&counters, &now);
    now.cpu_ns -= before.cpu_ns;
    now.oom_kills -= before.oom_kills;
    *result = sandbox_result_new(&cap, &now);
    if (asprintf(&files_path, "%s/files.json", str(rec, "bundle")) < 0)
        abort();
    json_error_t je;
    files = json_load_file(files_path, 0, &je);
    if (files == NULL)
        files = json_incref(json_object_get(rec, "files"));
    rc = sandbox_finish_changes(str(rec, "workspace"), files, after, o->output, *result, err);
    /* Nothing changed: the map on disk is already this one (no rewrite, which on a /run that is
     * no tmpfs costs a file system's replace-by-rename flush). */
    unchanged = files && json_equal(files, after);
    json_decref(files);
    if (rc < 0)
        goto out;
    rc = -1;
    json_object_set_new(*result, "attestation", json_incref(json_object_get(rec, "attestation")));
    json_object_set_new(*result, "id", json_string(l.eo.id));
    json_object_set_new(*result, "session", json_string(name));
    /* The files map of this exec, for the next one's changes: in the bundle (volatile state
     * that lives as long as the session), replaced atomically; no fsync on the exec path. */
    if (!unchanged && save_files(files_path, after, err) < 0)
        goto out;
    if (o->output && sandbox_result_write(o->output, *result, err) < 0)
        goto out;
    if (sandbox_audit_append(root, l.eo.id, name, o->cmd, *result, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0 && *result) {
        json_decref(*result);
        *result = NULL;
    }
    sandbox_capture_clear(&cap);
    json_decref(after);
    json_decref(rec);
    return rc;
}

int sandbox_session_rm(const char *data_root, const char *name, hull_err **err)
{
    if (check_name(name, err) < 0)
        return -1;
    cleanup_free char *dir = sessions_dir(data_root, err);
    if (dir == NULL)
        return -1;
    cleanup_close int lock = session_lock(dir, name, err);
    if (lock < 0)
        return -1;
    json_t *rec = NULL;
    if (session_load(dir, name, &rec, err) < 0)
        return -1;
    cleanup_free char *root = sandbox_root(data_root, err);
    cleanup_free char *runtime_root = NULL;
    if (asprintf(&runtime_root, "%s/runtime", root) < 0)
        abort();
    struct runtime_opts ro = {.root = runtime_root};
    cleanup_err hull_err *de = NULL;
    /* Holding its owner lock keeps a concurrent reaper off the bundle. */
    int owner = sandbox_owner_take(str(rec, "id"));
    runtime_delete(&ro, str(rec, "id"), true, &de);
    if (json_is_string(json_object_get(rec, "network")))
        sandbox_net_teardown(data_root, str(rec, "id"), -1);
    struct sandbox_prep p = {.dir = strdup(str(rec, "bundle")), .owner_fd = owner};
    snprintf(p.id, sizeof p.id, "%s", str(rec, "id"));
    sandbox_prep_teardown(&p);
    sandbox_prep_clear(&p);
    json_decref(rec);
    cleanup_free char *path = NULL, *lockp = NULL;
    if (asprintf(&path, "%s/%s.json", dir, name) < 0 ||
        asprintf(&lockp, "%s/%s.lock", dir, name) < 0)
        abort();
    if (unlink(path) < 0)
        return hull_error(err, errno, "remove `%s`", path);
    unlink(lockp);
    return 0;
}

int sandbox_session_list(const char *data_root, json_t **out, hull_err **err)
{
    cleanup_free char *dir = sessions_dir(data_root, err);
    if (dir == NULL)
        return -1;
    cleanup_dir DIR *d = opendir(dir);
    if (d == NULL)
        return hull_error(err, errno, "open `%s`", dir);
    *out = json_array();
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        cleanup_free char *name = strndup(de->d_name, n - 5);
        json_t *rec = NULL;
        cleanup_err hull_err *e = NULL;
        if (session_load(dir, name, &rec, &e) < 0)
            continue;
        json_object_del(rec, "files");
        json_array_append_new(*out, rec);
    }
    return 0;
}

/* The workspace-relative form of `path` (absolute under workdir, or relative). */
static int ws_rel(const char *workdir, const char *path, char **out, hull_err **err)
{
    size_t wl = strlen(workdir);
    if (path[0] == '/') {
        if (strncmp(path, workdir, wl) != 0 || (path[wl] != '/' && path[wl] != '\0'))
            return hull_error(err, 0, "`%s`: only paths under %s can be copied", path, workdir);
        path += wl;
    }
    while (*path == '/')
        path++;
    *out = strdup(*path ? path : ".");
    return 0;
}

/* Split "a/b/c" into a directory fd and the last name; the workspace side is resolved in its
 * root (the sandbox's symlinks never lead out), the host side as given. */
static int open_parent(int wfd, const char *path, bool in_ws, char **base, hull_err **err)
{
    cleanup_free char *copy = strdup(path);
    char *slash = strrchr(copy, '/');
    const char *parent = ".";
    if (slash) {
        *slash = '\0';
        parent = *copy ? copy : "/";
        *base = strdup(slash + 1);
    } else {
        *base = strdup(copy);
    }
    if (**base == '\0' || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
        return hull_error(err, 0, "`%s`: name a file or directory", path);
    if (in_ws)
        return resolve_open_in_root(wfd, parent, O_RDONLY | O_DIRECTORY, false, err);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", parent);
    return fd;
}

int sandbox_session_cp(const char *data_root, const char *name, const char *src, const char *dst,
                       bool to_sandbox, hull_err **err)
{
    if (check_name(name, err) < 0)
        return -1;
    cleanup_free char *dir = sessions_dir(data_root, err);
    if (dir == NULL)
        return -1;
    cleanup_close int lock = session_lock(dir, name, err);
    if (lock < 0)
        return -1;
    json_t *rec = NULL;
    if (session_load(dir, name, &rec, err) < 0)
        return -1;
    int rc = -1;
    cleanup_free char *rel = NULL, *sbase = NULL, *dbase = NULL;
    cleanup_close int wfd = open(str(rec, "workspace"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    cleanup_close int sdir = -1, ddir = -1;
    if (wfd < 0) {
        hull_error(err, errno, "open the workspace of `%s`", name);
        goto out;
    }
    if (ws_rel(str(rec, "workdir"), to_sandbox ? dst : src, &rel, err) < 0)
        goto out;
    sdir = open_parent(wfd, to_sandbox ? src : rel, !to_sandbox, &sbase, err);
    if (sdir < 0)
        goto out;
    ddir = open_parent(wfd, to_sandbox ? rel : dst, to_sandbox, &dbase, err);
    if (ddir < 0)
        goto out;
    if (fs_copy_tree_at(sdir, sbase, ddir, dbase, 0, err) < 0)
        goto out;
    if (to_sandbox) {
        char tree[DIGEST_STR_LEN];
        if (sandbox_tree_hash(wfd, NULL, SANDBOX_HOST_UID, tree, err) < 0)
            goto out;
    }
    rc = 0;
out:
    json_decref(rec);
    return rc;
}
