/* Debian base images from mmdebstrap (see bootstrap.h). */
#include "builder/bootstrap.h"

#include <dirent.h>
#include <errno.h>
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

static int run_mmdebstrap(const struct bootstrap_request *req, const char *out_path, hull_err **err)
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
    argv_push(&argv, &n, out_path);
    push_host_sources(&argv, &n, req->suite);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    /* mmdebstrap's output is progress for people: our stderr, never our stdout. */
    posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int r = posix_spawnp(&pid, "mmdebstrap", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    hull_strvfree(argv);
    if (r != 0)
        return hull_error(err, r, "run mmdebstrap (apt-get install mmdebstrap)");
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hull_error(err, 0, "mmdebstrap %s failed (exit status %d)", req->suite,
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
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
    cleanup_free char *out_path = NULL;
    if (asprintf(&out_path, "%s/tmp/%s/rootfs.tar", s->path, tmp) < 0)
        abort();
    int r = run_mmdebstrap(req, out_path, err);
    char layer[DIGEST_STR_LEN];
    int64_t size = 0;
    if (r == 0) {
        struct stat st;
        if (fstatat(tmpfd, "rootfs.tar", &st, 0) < 0)
            r = hull_error(err, errno, "mmdebstrap wrote no `%s`", out_path);
        size = st.st_size;
    }
    if (r == 0)
        r = store_blob_import_file(s, tmpfd, "rootfs.tar", NULL, -1, 1, layer, err);
    if (r == 0)
        r = store_layer_unpack(s, layer, err);
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
