/* The build executor (see build.h). */
#include "builder/build.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/cache.h"
#include "builder/containerfile.h"
#include "builder/context.h"
#include "builder/expand.h"
#include "builder/ignore.h"
#include "builder/instructions.h"
#include "builder/step_rootfs.h"
#include "container/create.h"
#include "container/launch.h"
#include "container/rootfs.h"
#include "container/user.h"
#include "image/draft.h"
#include "image/image.h"
#include "image/index.h"
#include "image/layer_create.h"
#include "image/reference.h"
#include "image/transport.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* What a RUN step may do beyond the hardened default: docker's default set, which package
 * installs need (maintainer scripts chown, setuid to _apt, mknod, setcap...). */
static const char *const run_capabilities[] = {
    "CAP_CHOWN",      "CAP_DAC_OVERRIDE", "CAP_FOWNER",      "CAP_FSETID",           "CAP_KILL",
    "CAP_SETGID",     "CAP_SETUID",       "CAP_SETPCAP",     "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
    "CAP_SYS_CHROOT", "CAP_MKNOD",        "CAP_AUDIT_WRITE", "CAP_SETFCAP",          NULL,
};

/* Mount points the runtime creates in a RUN container; not part of its layer when empty. */
static const char *const run_mount_points[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf",
                                               NULL};

struct stage {
    char *name; /* AS name, lower case, or NULL */
    struct build_state st;
};

struct builder {
    image_store *is;
    container_store *cs;
    build_cache cache;
    const struct build_request *req;
    struct containerfile *cf;
    int ctx_fd;
    struct ignore_rules *ignore;
    struct stage *stages;
    size_t n_stages;
    char **meta_args; /* ARGs before the first FROM, K=V */
    size_t step, total;
    struct timespec t0;
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct builder *b, const char *fmt, ...)
{
    if (b->req->quiet || b->req->progress == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(b->req->progress, fmt, ap);
    va_end(ap);
    fflush(b->req->progress);
}

static void step_begin(struct builder *b, const struct cf_instruction *in)
{
    b->step++;
    if (b->req->terminal)
        progress(b, "[%zu/%zu] %.100s ", b->step, b->total, in->original);
    else
        progress(b, "STEP %zu/%zu: %s\n", b->step, b->total, in->original);
}

static void step_end(struct builder *b, bool cached, double started)
{
    if (b->req->terminal)
        progress(b, "%s %.2fs\n", cached ? "CACHED" : "DONE", now_seconds() - started);
    else if (cached)
        progress(b, "--> Using cache\n");
    else
        progress(b, "--> Done in %.2fs\n", now_seconds() - started);
}

static int at_line(struct builder *b, const struct cf_instruction *in, hull_err **err)
{
    return hull_error_prefix(err, "%s:%d: %s", b->cf->path, in->line, in->keyword);
}

/* ---- base images ---- */

static int pull_image(struct builder *b, const char *ref, hull_err **err)
{
    progress(b, "Pulling %s\n", ref);
    cleanup_free char *name = NULL;
    char manifest[DIGEST_STR_LEN];
    struct image_pull_options po = {0};
    return image_pull(b->is, ref, &po, &name, manifest, err);
}

static int base_image(struct builder *b, const char *ref, image_info **out, hull_err **err)
{
    const char *pull = b->req->pull ? b->req->pull : "missing";
    if (strcmp(pull, "always") == 0 && pull_image(b, ref, err) < 0)
        return -1;
    if (image_lookup(b->is, ref, out, err) == 0)
        return 0;
    if ((*err)->errnum != ENOENT || strcmp(pull, "missing") != 0)
        return -1;
    hull_err_freep(err);
    if (pull_image(b, ref, err) < 0)
        return -1;
    return image_lookup(b->is, ref, out, err);
}

static struct stage *find_stage(struct builder *b, const char *name)
{
    char *end = NULL;
    long idx = strtol(name, &end, 10);
    if (*name && *end == '\0' && idx >= 0 && (size_t)idx < b->n_stages)
        return &b->stages[idx];
    for (size_t i = 0; i < b->n_stages; i++)
        if (b->stages[i].name && strcasecmp(b->stages[i].name, name) == 0)
            return &b->stages[i];
    return NULL;
}

static int do_from(struct builder *b, const struct cf_instruction *in, struct stage *s,
                   hull_err **err)
{
    if (cf_flag(in, "platform"))
        return hull_error(err, 0,
                          "--platform is not supported: hull builds for this machine (%s) only",
                          image_host_platform());
    if (in->flags && in->flags[0])
        return hull_error(err, 0, "unknown flag `%s`", in->flags[0]);
    cleanup_strv char **words = NULL;
    if (expand_words(in->args, b->cf->escape, b->meta_args, &words, err) < 0)
        return -1;
    size_t n = 0;
    while (words[n])
        n++;
    if (!(n == 1 || (n == 3 && strcasecmp(words[1], "AS") == 0)))
        return hull_error(err, 0, "expected `FROM IMAGE [AS NAME]`, got `%s`", in->args);
    if (n == 3) {
        for (char *c = words[2]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (find_stage(b, words[2]) != NULL)
            return hull_error(err, 0, "duplicate stage name `%s`", words[2]);
        s->name = strdup(words[2]);
    }
    const char *ref = words[0];
    struct stage *prev = find_stage(b, ref);
    if (prev != NULL && prev != s && !isdigit((unsigned char)ref[0])) {
        if (build_state_copy(&s->st, &prev->st) < 0)
            return hull_error(err, 0, "stage `%s`", ref);
        return 0;
    }
    if (strcasecmp(ref, "scratch") == 0) {
        build_state_init_scratch(&s->st);
        return 0;
    }
    cleanup_image_info image_info *img = NULL;
    if (base_image(b, ref, &img, err) < 0)
        return -1;
    if (build_state_init_image(&s->st, img, err) < 0)
        return -1;
    /* Base image triggers would run here in docker; hull does not run ONBUILD. */
    return 0;
}

/* ---- layer steps ---- */

/* Keep the layer made from `upper` (a directory under parent_fd) in the draft. */
static int add_layer_from(struct builder *b, struct build_state *st, int parent_fd,
                          const char *upper, const char *created_by, hull_err **err)
{
    cleanup_close int fd =
        openat(parent_fd, upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open the step's upper directory");
    char digest[DIGEST_STR_LEN];
    int64_t size = 0;
    struct layer_create_options lo = {.skip_empty = run_mount_points};
    layer_remove_empty(fd, run_mount_points);
    if (layer_create_from_dir(b->is, fd, &lo, digest, &size, err) < 0)
        return -1;
    if (layer_adopt_dir(b->is, parent_fd, upper, digest, err) < 0)
        return -1;
    image_draft_add_layer(&st->d, digest, size, created_by, NULL);
    return 0;
}

static int parse_chown(struct builder *b, struct build_state *st, const char *spec,
                       struct copy_options *o, hull_err **err)
{
    cleanup_free char *x = NULL;
    if (expand_word(spec, b->cf->escape, st->vars, &x, err) < 0)
        return -1;
    cleanup_strv char **dirs = image_draft_layer_dirs(b->is, &st->d);
    size_t n = 0;
    while (dirs[n])
        n++;
    struct user_ids ids = {0};
    if (user_resolve(dirs, n, x, &ids, err) < 0)
        return hull_error_prefix(err, "--chown=%s", x);
    o->chown = true;
    o->uid = ids.uid;
    o->gid = ids.gid;
    user_ids_clear(&ids);
    return 0;
}

static int do_copy(struct builder *b, const struct cf_instruction *in, struct build_state *st,
                   bool add, bool *cached, hull_err **err)
{
    struct copy_options o = {.extract = add};
    const char *from = cf_flag(in, "from");
    const char *chown = cf_flag(in, "chown");
    const char *chmod = cf_flag(in, "chmod");
    for (char **f = in->flags; f && *f; f++)
        if (strncmp(*f, "--from=", 7) != 0 && strncmp(*f, "--chown=", 8) != 0 &&
            strncmp(*f, "--chmod=", 8) != 0 && strcmp(*f, "--link") != 0)
            return hull_error(err, 0, "unknown flag `%s`", *f);
    if (add && from)
        return hull_error(err, 0, "ADD has no --from (use COPY)");
    if (chmod) {
        char *end = NULL;
        unsigned long m = strtoul(chmod, &end, 8);
        if (*chmod == '\0' || *end != '\0' || m > 07777)
            return hull_error(err, 0, "--chmod=%s: expected an octal mode", chmod);
        o.chmod = true;
        o.mode = (mode_t)m;
    }
    if (chown && parse_chown(b, st, chown, &o, err) < 0)
        return -1;
    cleanup_strv char **words = NULL;
    if (in->json) {
        words = calloc(1, sizeof *words);
        size_t n = 0;
        for (char **a = in->argv; *a; a++) {
            char *x = NULL;
            if (expand_word(*a, b->cf->escape, st->vars, &x, err) < 0)
                return -1;
            words = realloc(words, (n + 2) * sizeof *words);
            words[n++] = x;
            words[n] = NULL;
        }
    } else if (expand_words(in->args, b->cf->escape, st->vars, &words, err) < 0) {
        return -1;
    }
    size_t n = 0;
    while (words[n])
        n++;
    if (n < 2)
        return hull_error(err, 0, "requires at least two arguments: SOURCE... DEST");
    cleanup_free char *dest = build_state_path(st, words[n - 1]);
    const char *raw = words[n - 1];
    size_t rl = strlen(raw);
    bool dir_dest = rl > 0 && (raw[rl - 1] == '/' || strcmp(raw, ".") == 0 ||
                               (rl >= 2 && strcmp(raw + rl - 2, "/.") == 0));
    if (dir_dest && strcmp(dest, "/") != 0) {
        char *d2 = NULL;
        if (asprintf(&d2, "%s/", dest) < 0)
            abort();
        free(dest);
        dest = d2;
    }
    free(words[n - 1]);
    words[n - 1] = NULL;

    /* Sources: the context, or another stage's (or image's) root filesystem. */
    struct step_rootfs src_fs = STEP_ROOTFS_INIT;
    struct copy_source_root root = {.fd = b->ctx_fd, .ignore = b->ignore, .is_context = true};
    const char *src_key = NULL;
    cleanup_image_info image_info *src_img = NULL;
    image_draft src_draft = {0};
    int r = 0;
    if (from) {
        struct stage *s = find_stage(b, from);
        if (s != NULL && &s->st == st)
            return hull_error(err, 0, "--from=%s: a stage cannot copy from itself", from);
        if (s != NULL && s->st.d.config == NULL)
            return hull_error(err, 0, "--from=%s: that stage comes later", from);
        if (s != NULL) {
            src_key = s->st.key;
            r = step_rootfs_mount(b->is, &s->st.d, &src_fs, err);
        } else {
            if (base_image(b, from, &src_img, err) < 0)
                return hull_error_prefix(err, "--from=%s", from);
            src_key = src_img->id;
            if (image_draft_from_image(&src_draft, src_img, err) < 0)
                return -1;
            r = step_rootfs_mount(b->is, &src_draft, &src_fs, err);
        }
        if (r < 0) {
            step_rootfs_release(&src_fs);
            image_draft_clear(&src_draft);
            return -1;
        }
        root = (struct copy_source_root){.fd = src_fs.root_fd, .ignore = NULL, .is_context = false};
    }
    cleanup_strv char **sources = NULL;
    char content[DIGEST_STR_LEN] = "";
    r = copy_sources_resolve(&root, words, &sources, err);
    if (r == 0 && !from)
        r = copy_sources_digest(&root, sources, content, err);
    char modes[64];
    snprintf(modes, sizeof modes, "%d:%u:%u:%d:%o", o.chown, (unsigned)o.uid, (unsigned)o.gid,
             o.chmod, (unsigned)o.mode);
    char key[DIGEST_STR_LEN];
    if (r == 0) {
        build_cache_key(key, st->key, add ? "ADD" : "COPY", dest, modes, src_key ? src_key : "",
                        content, NULL);
        for (char **s = sources; *s; s++)
            build_cache_key(key, key, *s, NULL);
    }
    if (r == 0 && !b->req->no_cache) {
        image_draft hit;
        if (build_cache_get(&b->cache, b->is, key, &hit)) {
            image_draft_clear(&st->d);
            st->d = hit;
            memcpy(st->key, key, DIGEST_STR_LEN);
            *cached = true;
            step_rootfs_release(&src_fs);
            image_draft_clear(&src_draft);
            return 0;
        }
    }
    struct step_rootfs dst_fs = STEP_ROOTFS_INIT;
    if (r == 0)
        r = step_rootfs_mount(b->is, &st->d, &dst_fs, err);
    if (r == 0)
        r = copy_sources_to(&root, sources, dst_fs.root_fd, dest, &o, err);
    step_rootfs_release(&src_fs);
    image_draft_clear(&src_draft);
    if (r == 0)
        r = step_rootfs_unmount(&dst_fs, err);
    if (r == 0) {
        cleanup_free char *by = NULL;
        if (asprintf(&by, "%s %s%s%s", add ? "ADD" : "COPY", from ? "--from=" : "",
                     from ? from : "", in->args) < 0)
            abort();
        r = add_layer_from(b, st, dst_fs.dir_fd, "upper", by, err);
    }
    step_rootfs_release(&dst_fs);
    if (r < 0)
        return -1;
    memcpy(st->key, key, DIGEST_STR_LEN);
    if (build_cache_put(&b->cache, key, &st->d, err) < 0)
        return -1;
    return 0;
}

/* The RUN container's output: straight to the progress stream, or kept for a failure. */
struct output_capture {
    int saved_out, saved_err, memfd;
};

static void capture_begin(struct builder *b, struct output_capture *c)
{
    fflush(stdout);
    fflush(stderr);
    c->saved_out = dup(STDOUT_FILENO);
    c->saved_err = dup(STDERR_FILENO);
    c->memfd = -1;
    int target = STDERR_FILENO;
    if (b->req->terminal || b->req->quiet) {
        c->memfd = memfd_create("hull-build-run", MFD_CLOEXEC);
        target = c->memfd >= 0 ? c->memfd : target;
    }
    dup2(target, STDOUT_FILENO);
    dup2(target, STDERR_FILENO);
}

static void capture_end(struct output_capture *c, bool show)
{
    dup2(c->saved_out, STDOUT_FILENO);
    dup2(c->saved_err, STDERR_FILENO);
    close(c->saved_out);
    close(c->saved_err);
    if (c->memfd >= 0) {
        if (show) {
            char buf[1 << 16];
            ssize_t n;
            lseek(c->memfd, 0, SEEK_SET);
            fputc('\n', stderr);
            fflush(stderr);
            while ((n = read(c->memfd, buf, sizeof buf)) > 0)
                fs_write_all(STDERR_FILENO, buf, (size_t)n);
        }
        close(c->memfd);
    }
}

static int run_container(struct builder *b, struct build_state *st, char **argv, char **env,
                         const char *manifest, const char *created_by, hull_err **err)
{
    struct run_request rq;
    run_request_init(&rq);
    rq.image = manifest;
    rq.cmd = argv;
    rq.has_entrypoint = true;
    rq.entrypoint = "";
    rq.env = env;
    rq.workdir = st->workdir;
    rq.user = st->user;
    rq.network = b->req->network ? b->req->network : "none";
    rq.cap_add = (char **)run_capabilities;
    rq.no_healthcheck = true;
    container_record *r = NULL;
    if (container_create_from_image(b->cs, b->is, &rq, &r, err) < 0)
        return -1;
    int exit_code = 0;
    struct output_capture cap;
    capture_begin(b, &cap);
    int rc = container_run_attached(b->cs, r, &exit_code, err);
    capture_end(&cap, rc < 0 || exit_code != 0);
    if (rc == 0 && exit_code != 0)
        rc = hull_error(err, 0, "`%s` returned a non-zero code: %d", created_by, exit_code);
    cleanup_err hull_err *cleanup_err_ = NULL;
    if (rc == 0)
        rc = container_rootfs_unmount(r, false, err);
    if (rc == 0) {
        cleanup_close int storage = openat(r->dirfd, "storage", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (storage < 0)
            rc = hull_error(err, errno, "open the RUN container's storage");
        else
            rc = add_layer_from(b, st, storage, "upper", created_by, err);
    }
    int lock = container_lock(r, &cleanup_err_);
    container_remove_all(b->cs, b->is, r, true, &cleanup_err_);
    if (lock >= 0)
        close(lock);
    container_record_free(r);
    return rc;
}

static int do_run(struct builder *b, const struct cf_instruction *in, struct build_state *st,
                  bool *cached, hull_err **err)
{
    for (char **f = in->flags; f && *f; f++)
        return hull_error(err, 0, "`%s` is not supported by hull build", *f);
    cleanup_strv char **argv = build_state_command(st, in);
    /* The environment: ENV, and the build args (which ENV overrides). */
    cleanup_strv char **env = NULL;
    for (char **a = st->args; a && *a; a++) {
        char *eq = strchr(*a, '=');
        cleanup_free char *k = strndup(*a, (size_t)(eq - *a));
        vars_set(&env, k, eq + 1);
    }
    for (char **e = st->env; e && *e; e++) {
        char *eq = strchr(*e, '=');
        cleanup_free char *k = strndup(*e, eq ? (size_t)(eq - *e) : strlen(*e));
        vars_set(&env, k, eq ? eq + 1 : "");
    }
    cleanup_free char *created_by = NULL;
    cleanup_free char *joined = NULL;
    size_t len = 0;
    for (char **a = argv; *a; a++)
        len += strlen(*a) + 1;
    joined = calloc(1, len + 1);
    for (char **a = argv; *a; a++) {
        strcat(joined, *a);
        if (a[1])
            strcat(joined, " ");
    }
    if (asprintf(&created_by, "RUN %s", joined) < 0)
        abort();
    char key[DIGEST_STR_LEN];
    build_cache_key(key, st->key, "RUN", b->req->network ? b->req->network : "none", NULL);
    for (char **a = argv; *a; a++)
        build_cache_key(key, key, *a, NULL);
    for (char **a = st->args; a && *a; a++)
        build_cache_key(key, key, *a, NULL);
    if (!b->req->no_cache) {
        image_draft hit;
        if (build_cache_get(&b->cache, b->is, key, &hit)) {
            image_draft_clear(&st->d);
            st->d = hit;
            memcpy(st->key, key, DIGEST_STR_LEN);
            *cached = true;
            return 0;
        }
    }
    /* The container needs an image: the draft so far, unnamed, forgotten afterwards. */
    char manifest[DIGEST_STR_LEN], config[DIGEST_STR_LEN];
    if (image_draft_write(b->is, &st->d, NULL, manifest, config, err) < 0)
        return -1;
    int rc = run_container(b, st, argv, env, manifest, created_by, err);
    image_draft_forget(b->is, manifest);
    if (rc < 0)
        return -1;
    memcpy(st->key, key, DIGEST_STR_LEN);
    return build_cache_put(&b->cache, key, &st->d, err);
}

/* ---- the loop ---- */

static int do_instruction(struct builder *b, const struct cf_instruction *in, struct stage *s,
                          bool *cached, hull_err **err)
{
    const char *k = in->keyword;
    if (strcmp(k, "FROM") == 0)
        return do_from(b, in, s, err);
    if (strcmp(k, "RUN") == 0)
        return do_run(b, in, &s->st, cached, err);
    if (strcmp(k, "COPY") == 0 || strcmp(k, "ADD") == 0)
        return do_copy(b, in, &s->st, strcmp(k, "ADD") == 0, cached, err);
    if (strcmp(k, "ONBUILD") == 0)
        return hull_error(err, 0, "ONBUILD is not supported by hull build");
    if (strcmp(k, "ARG") == 0)
        return build_state_arg(&s->st, in, b->cf->escape, b->req->build_args, b->meta_args, err);
    /* A config-only step: the key follows the instruction as written (expansion depends only
     * on earlier steps, which the key already covers). */
    if (build_state_apply(&s->st, in, b->cf->escape, err) < 0)
        return -1;
    build_cache_key(s->st.key, s->st.key, in->original, NULL);
    return 0;
}

static int meta_arg(struct builder *b, const struct cf_instruction *in, hull_err **err)
{
    struct build_state tmp;
    build_state_init_scratch(&tmp);
    int r = build_state_arg(&tmp, in, b->cf->escape, b->req->build_args, NULL, err);
    for (char **a = tmp.args; r == 0 && a && *a; a++) {
        char *eq = strchr(*a, '=');
        cleanup_free char *key = strndup(*a, (size_t)(eq - *a));
        vars_set(&b->meta_args, key, eq + 1);
    }
    build_state_clear(&tmp);
    return r;
}

static int read_containerfile(struct builder *b, hull_err **err)
{
    const char *file = b->req->file;
    cleanup_free char *text = NULL;
    cleanup_free char *shown = NULL;
    if (file == NULL) {
        cleanup_err hull_err *e = NULL;
        if (fs_read_file_at(b->ctx_fd, "Containerfile", 4u << 20, &text, NULL, &e) == 0)
            shown = strdup("Containerfile");
        else if (fs_read_file_at(b->ctx_fd, "Dockerfile", 4u << 20, &text, NULL, err) == 0)
            shown = strdup("Dockerfile");
        else
            return hull_error(err, 0, "no Containerfile or Dockerfile in `%s` (use -f FILE)",
                              b->req->context);
    } else {
        if (fs_read_file(file, 4u << 20, &text, NULL, err) < 0)
            return -1;
        shown = strdup(file);
    }
    return containerfile_parse(shown, text, &b->cf, err);
}

static void builder_clear(struct builder *b)
{
    for (size_t i = 0; i < b->n_stages; i++) {
        free(b->stages[i].name);
        build_state_clear(&b->stages[i].st);
    }
    free(b->stages);
    hull_strvfree(b->meta_args);
    containerfile_free(b->cf);
    ignore_free(b->ignore);
    if (b->ctx_fd >= 0)
        close(b->ctx_fd);
    build_cache_close(&b->cache);
    container_store_close(b->cs);
}

static int build_stages(struct builder *b, size_t *final_out, hull_err **err)
{
    /* Count the steps to run: everything up to the end of the target stage. */
    size_t last = b->cf->n;
    if (b->req->target) {
        bool found = false;
        for (size_t i = 0; i < b->cf->n; i++) {
            const struct cf_instruction *in = &b->cf->ins[i];
            if (strcmp(in->keyword, "FROM") != 0)
                continue;
            if (found) {
                last = i;
                break;
            }
            cleanup_strv char **w = split_words(in->args, b->cf->escape);
            if (w[0] && w[1] && w[2] && strcasecmp(w[1], "AS") == 0 &&
                strcasecmp(w[2], b->req->target) == 0)
                found = true;
        }
        if (!found)
            return hull_error(err, 0, "--target %s: no stage of that name in %s", b->req->target,
                              b->cf->path);
    }
    b->total = last;
    struct stage *cur = NULL;
    for (size_t i = 0; i < last; i++) {
        const struct cf_instruction *in = &b->cf->ins[i];
        double started = now_seconds();
        step_begin(b, in);
        bool cached = false;
        int r;
        if (strcmp(in->keyword, "FROM") == 0) {
            b->stages = realloc(b->stages, (b->n_stages + 1) * sizeof *b->stages);
            cur = &b->stages[b->n_stages++];
            memset(cur, 0, sizeof *cur);
            r = do_instruction(b, in, cur, &cached, err);
        } else if (cur == NULL) {
            r = strcmp(in->keyword, "ARG") == 0
                    ? meta_arg(b, in, err)
                    : hull_error(err, 0, "no build stage in current context");
        } else {
            r = do_instruction(b, in, cur, &cached, err);
        }
        if (r < 0) {
            if (b->req->terminal)
                progress(b, "ERROR\n");
            return at_line(b, in, err);
        }
        step_end(b, cached, started);
    }
    if (cur == NULL)
        return hull_error(err, 0, "%s: no FROM", b->cf->path);
    *final_out = b->n_stages - 1;
    return 0;
}

int builder_build(image_store *is, const struct build_request *req, char id_out[DIGEST_STR_LEN],
                  hull_err **err)
{
    struct builder b = {.is = is, .req = req, .ctx_fd = -1, .cache = {.dirfd = -1}};
    int r = 0;
    b.ctx_fd = open(req->context, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (b.ctx_fd < 0)
        r = hull_error(err, errno, "build context `%s`", req->context);
    if (r == 0)
        r = read_containerfile(&b, err);
    if (r == 0)
        r = ignore_load(b.ctx_fd, &b.ignore, err);
    if (r == 0)
        r = container_store_open(is->data_root, &b.cs, err);
    if (r == 0)
        r = build_cache_open(is->data_root, &b.cache, err);
    size_t final = 0;
    if (r == 0)
        r = build_stages(&b, &final, err);
    if (r == 0) {
        struct build_state *st = &b.stages[final].st;
        if (req->labels && *req->labels)
            build_state_add_labels(st, req->labels);
        /* The image's time is its last layer's, so an unchanged rebuild gives the same ID. */
        image_draft_settle_created(&st->d);
        char manifest[DIGEST_STR_LEN], config[DIGEST_STR_LEN];
        r = image_draft_write(is, &st->d, req->tags && req->tags[0] ? req->tags[0] : NULL, manifest,
                              config, err);
        for (size_t i = 1; r == 0 && req->tags && req->tags[i]; i++)
            r = index_add_image(is, manifest, config, req->tags[i], err);
        if (r == 0) {
            memcpy(id_out, config, DIGEST_STR_LEN);
            for (size_t i = 0; req->tags && req->tags[i]; i++)
                progress(&b, "Successfully tagged %s\n", req->tags[i]);
        }
    }
    builder_clear(&b);
    return r;
}
