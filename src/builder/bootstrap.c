/* Debian base images from mmdebstrap (see bootstrap.h). */
#include "builder/bootstrap.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "image/draft.h"
#include "image/layer.h"
#include "image/layer_create.h"
#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

#define DEBIAN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void argv_push(char ***v, size_t *n, const char *s)
{
    *v = realloc(*v, (*n + 2) * sizeof **v);
    if (*v == NULL)
        abort();
    (*v)[(*n)++] = strdup(s);
    (*v)[*n] = NULL;
}

/* The host's apt source files that name `suite` (mmdebstrap takes .list and .sources files as
 * mirrors); none of them: mmdebstrap's default mirror. */
static void push_host_sources(char ***v, size_t *n, const char *suite)
{
    static const char *const dirs[] = {"/etc/apt/sources.list.d", NULL};
    char *files[64];
    size_t nf = 0;
    if (access("/etc/apt/sources.list", R_OK) == 0)
        files[nf++] = strdup("/etc/apt/sources.list");
    for (const char *const *d = dirs; *d; d++) {
        cleanup_dir DIR *dir = opendir(*d);
        struct dirent *de;
        while (dir && (de = readdir(dir)) != NULL && nf < 64) {
            size_t len = strlen(de->d_name);
            if ((len > 5 && strcmp(de->d_name + len - 5, ".list") == 0) ||
                (len > 8 && strcmp(de->d_name + len - 8, ".sources") == 0)) {
                char *p = NULL;
                if (asprintf(&p, "%s/%s", *d, de->d_name) < 0)
                    abort();
                files[nf++] = p;
            }
        }
    }
    for (size_t i = 0; i < nf; i++) {
        cleanup_free char *text = NULL;
        cleanup_err hull_err *ignored = NULL;
        if (fs_read_file(files[i], 1 << 20, &text, NULL, &ignored) == 0 && strstr(text, suite))
            argv_push(v, n, files[i]);
        free(files[i]);
    }
}

/* Start mmdebstrap writing its tarball to *out_fd (a pipe); its progress goes to our stderr. */
static int spawn_mmdebstrap(const struct bootstrap_request *req, pid_t *pid, int *out_fd,
                            hull_err **err)
{
    char **argv = NULL;
    size_t n = 0;
    argv_push(&argv, &n, "mmdebstrap");
    if (req->quiet)
        argv_push(&argv, &n, "--quiet");
    cleanup_free char *include = NULL;
    argv_push(&argv, &n, "--variant=minbase");
    /* slim: minbase without documentation, manual pages and translations, as debian:*-slim */
    if (req->variant && strcmp(req->variant, "slim") == 0) {
        static const char *const excluded[] = {
            "--dpkgopt=path-exclude=/usr/share/doc/*",
            "--dpkgopt=path-include=/usr/share/doc/*/copyright",
            "--dpkgopt=path-exclude=/usr/share/man/*",
            "--dpkgopt=path-exclude=/usr/share/info/*",
            "--dpkgopt=path-exclude=/usr/share/locale/*",
            "--dpkgopt=path-exclude=/usr/share/lintian/*",
            NULL,
        };
        for (const char *const *e = excluded; *e; e++)
            argv_push(&argv, &n, *e);
    }
    argv_push(&argv, &n, "--format=tar");
    if (req->include && *req->include) {
        if (asprintf(&include, "--include=%s", req->include) < 0)
            abort();
        argv_push(&argv, &n, include);
    }
    argv_push(&argv, &n, req->suite);
    argv_push(&argv, &n, "-"); /* the tarball on stdout */
    push_host_sources(&argv, &n, req->suite);
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        hull_strvfree(argv);
        return hull_error(err, errno, "pipe");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    int r = posix_spawnp(pid, "mmdebstrap", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    hull_strvfree(argv);
    close(pipefd[1]);
    if (r != 0) {
        close(pipefd[0]);
        return hull_error(err, r, "run mmdebstrap (apt-get install mmdebstrap)");
    }
    *out_fd = pipefd[0];
    return 0;
}

static int wait_mmdebstrap(const struct bootstrap_request *req, pid_t pid, hull_err **err)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hull_error(err, 0, "mmdebstrap %s failed (exit status %d)", req->suite,
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

/* One pass over the tarball: a thread copies mmdebstrap's output into the blob (hashing it)
 * and into a pipe that the layer unpacker reads, so the layer is stored and unpacked while
 * mmdebstrap writes it. */
struct tee {
    int in, out;
    blob_writer *blob;
    hull_err *err;
    int64_t size;
};

static void *tee_thread(void *arg)
{
    struct tee *t = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(t->in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            hull_error(&t->err, errno, "read mmdebstrap's tarball");
            break;
        }
        if (n == 0)
            break;
        if (blob_writer_write(t->blob, buf, (size_t)n, &t->err) < 0)
            break;
        t->size += n;
        /* The unpacker may stop reading at the end-of-archive blocks: keep the blob going. */
        if (t->out >= 0 && fs_write_all(t->out, buf, (size_t)n) < 0) {
            close(t->out);
            t->out = -1;
        }
    }
    if (t->out >= 0)
        close(t->out);
    t->out = -1;
    return NULL;
}

static long long creation_time(void)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    if (sde && *sde) {
        long long t = strtoll(sde, &end, 10);
        if (*end == '\0' && t >= 0)
            return t;
    }
    return (long long)time(NULL);
}

int builder_bootstrap(image_store *s, const struct bootstrap_request *req, char **id_out,
                      hull_err **err)
{
    const char *variant = req->variant ? req->variant : "minbase";
    if (strcmp(variant, "minbase") != 0 && strcmp(variant, "slim") != 0)
        return hull_error(err, 0, "--variant `%s`: expected minbase or slim", variant);
    for (const char *p = req->suite; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return hull_error(err, 0, "suite `%s`: expected a Debian suite name", req->suite);
    for (const char *p = req->include ? req->include : ""; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("+-.,:", *p)))
            return hull_error(err, 0, "--include `%s`: expected package names", req->include);
    cleanup_free char *tmp = NULL;
    cleanup_close int tmpfd = -1;
    if (image_store_mkdtemp(s, "bootstrap", &tmp, &tmpfd, err) < 0)
        return -1;
    int r = 0;
    cleanup_close int diff = -1;
    if (mkdirat(tmpfd, "diff", 0755) < 0 ||
        (diff = openat(tmpfd, "diff", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        r = hull_error(err, errno, "create layer directory");
    struct tee t = {.in = -1, .out = -1};
    int unpack_pipe[2] = {-1, -1};
    pid_t pid = -1;
    if (r == 0 && pipe2(unpack_pipe, O_CLOEXEC) < 0)
        r = hull_error(err, errno, "pipe");
    if (r == 0)
        r = blob_writer_begin(s, &t.blob, err);
    if (r == 0)
        r = spawn_mmdebstrap(req, &pid, &t.in, err);
    pthread_t thread;
    bool started = false;
    if (r == 0) {
        t.out = unpack_pipe[1];
        unpack_pipe[1] = -1;
        if (pthread_create(&thread, NULL, tee_thread, &t) != 0)
            r = hull_error(err, errno, "start a thread");
        else
            started = true;
    }
    if (r == 0)
        r = layer_unpack_fd(unpack_pipe[0], diff, LAYER_OVERLAY_WHITEOUTS, err);
    /* Drain what the unpacker left (end-of-archive padding), or unblock the thread. */
    if (unpack_pipe[0] >= 0) {
        char buf[1 << 16];
        while (r == 0 && read(unpack_pipe[0], buf, sizeof buf) > 0)
            ;
        close(unpack_pipe[0]);
    }
    if (unpack_pipe[1] >= 0)
        close(unpack_pipe[1]);
    if (started)
        pthread_join(thread, NULL);
    if (t.in >= 0)
        close(t.in);
    if (pid > 0) {
        cleanup_err hull_err *mm_err = NULL;
        /* mmdebstrap's failure explains an empty or cut tarball better than the unpacker. */
        if (wait_mmdebstrap(req, pid, &mm_err) < 0) {
            hull_err_freep(err);
            r = -1, *err = steal_pointer(&mm_err);
        }
    }
    if (r == 0 && t.err != NULL)
        r = -1, *err = steal_pointer(&t.err);
    hull_err_free(t.err);
    char layer[DIGEST_STR_LEN];
    int64_t size = t.size;
    if (t.blob != NULL) {
        if (r == 0)
            r = blob_writer_commit(t.blob, NULL, -1, layer, err);
        else
            blob_writer_abort(t.blob);
    }
    if (r == 0)
        r = layer_adopt_dir(s, tmpfd, "diff", layer, err);
    if (r == 0) {
        image_draft d;
        image_draft_init_scratch(&d);
        json_t *cc = image_draft_container_config(&d);
        json_object_set_new(cc, "Env", json_pack("[s]", "PATH=" DEBIAN_PATH));
        json_object_set_new(cc, "Cmd", json_pack("[s]", "bash"));
        cleanup_free char *by = NULL;
        if (asprintf(&by, "hull image bootstrap --variant %s%s%s %s", variant,
                     req->include ? " --include " : "", req->include ? req->include : "",
                     req->suite) < 0)
            abort();
        image_draft_add_layer(&d, layer, size, by, "debian (mmdebstrap)");
        long long created = creation_time();
        image_draft_set_created(&d, created, NULL);
        /* history[].created must not differ between two bootstraps of the same set */
        json_t *h = json_array_get(json_object_get(d.config, "history"), 0);
        json_object_set(h, "created", json_object_get(d.config, "created"));
        char manifest[DIGEST_STR_LEN], config[DIGEST_STR_LEN];
        r = image_draft_write(s, &d, req->name, manifest, config, err);
        image_draft_clear(&d);
        if (r == 0 && id_out)
            *id_out = strdup(config);
    }
    cleanup_err hull_err *ignored = NULL;
    fs_remove_tree_at(s->tmp_fd, tmp, &ignored);
    return r;
}
