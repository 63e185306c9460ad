/* Pull and load: picking the source for a transport, naming what was imported. */
#include "image/transport.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/image.h"
#include "image/index.h"
#include "image/layer.h"
#include "image/reference.h"
#include "image/registry.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/fs.h"

/* A temporary copy of an archive's files under the store's tmp/, removed on every path. */
struct unpacked_archive {
    image_store *store;
    char *name;
    int fd;
};

static void unpacked_archive_clear(struct unpacked_archive *u)
{
    if (u->fd >= 0)
        close(u->fd);
    if (u->name) {
        cleanup_err hull_err *ignored = NULL;
        fs_remove_tree_at(u->store->tmp_fd, u->name, &ignored);
        free(u->name);
    }
    u->fd = -1;
    u->name = NULL;
}

static int unpack_archive(image_store *s, const char *file, struct unpacked_archive *u,
                          hull_err **err)
{
    u->store = s;
    u->name = NULL;
    u->fd = -1;
    cleanup_close int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", file);
    if (image_store_mkdtemp(s, "archive", &u->name, &u->fd, err) < 0)
        return -1;
    if (layer_unpack_fd(fd, u->fd, LAYER_PLAIN, err) < 0) {
        unpacked_archive_clear(u);
        return hull_error_prefix(err, "read archive `%s`", file);
    }
    return 0;
}

/* `latest` -> localhost/<fallback>:latest; `repo:tag` or `host/repo:tag` -> normalised. */
static char *name_from_ref_name(const char *ref_name, const char *fallback)
{
    cleanup_free char *text = NULL;
    if (ref_name != NULL && (strchr(ref_name, ':') || strchr(ref_name, '/'))) {
        text = strdup(ref_name);
    } else {
        cleanup_free char *repo = strdup(fallback ? fallback : "image");
        for (char *p = repo; *p; p++) {
            *p = (char)tolower((unsigned char)*p);
            if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
                *p = '-';
        }
        if (asprintf(&text, "localhost/%s:%s", repo, ref_name ? ref_name : "latest") < 0)
            abort();
    }
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(text, &ref, NULL) < 0 || ref->tag == NULL)
        return NULL;
    return image_ref_string(ref);
}

/* Split "PATH:SUFFIX" at the last ':' when SUFFIX has no '/'; returns the malloc'd path. */
static char *split_suffix(const char *text, char **suffix)
{
    *suffix = NULL;
    char *path = strdup(text);
    if (path == NULL)
        abort();
    char *colon = strrchr(path, ':');
    if (colon != NULL && colon[1] != '\0' && strchr(colon + 1, '/') == NULL) {
        *colon = '\0';
        *suffix = strdup(colon + 1);
    }
    return path;
}

static char *base_name_without_ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *b = slash && slash[1] ? slash + 1 : path;
    char *r = strdup(b);
    char *dot = strchr(r, '.');
    if (dot != NULL && dot != r)
        *dot = '\0';
    return r;
}

/* Import and then record names; on failure collect whatever the attempt left. */
static int import_and_name(image_store *s, image_source *src, const struct image_pull_options *o,
                           char *const *names, char manifest[DIGEST_STR_LEN], hull_err **err)
{
    struct image_import_options io = {
        .platform = o->platform, .jobs = o->jobs, .progress = o->progress};
    char config[DIGEST_STR_LEN];
    int r = image_import(s, src, &io, manifest, config, err);
    if (r == 0 && (names == NULL || names[0] == NULL))
        r = index_add_image(s, manifest, config, NULL, err);
    for (size_t i = 0; r == 0 && names && names[i]; i++)
        r = index_add_image(s, manifest, config, names[i], err);
    if (r < 0)
        image_store_gc_if_alone(s);
    return r;
}

static char *describe_result(char *const *names, const char *manifest)
{
    if (names && names[0])
        return strdup(names[0]);
    return strdup(manifest);
}

static int pull_oci_layout(image_store *s, const char *arg, int archive,
                           const struct image_pull_options *o, char **name_out,
                           char manifest[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_free char *tag = NULL;
    cleanup_free char *path = split_suffix(arg, &tag);
    struct unpacked_archive ua = {.fd = -1};
    int dirfd;
    if (archive) {
        if (unpack_archive(s, path, &ua, err) < 0)
            return -1;
        dirfd = dup(ua.fd);
    } else {
        dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dirfd < 0) {
        int saved = errno;
        unpacked_archive_clear(&ua);
        return hull_error(err, saved, "open `%s`", path);
    }
    image_source *src = NULL;
    int r = oci_layout_source_new(dirfd, path, tag, archive, &src, err);
    cleanup_free char *base = base_name_without_ext(path);
    char *names[2] = {NULL, NULL};
    if (r == 0) {
        names[0] = o->name ? strdup(o->name) : name_from_ref_name(tag, base);
        r = import_and_name(s, src, o, names, manifest, err);
    }
    if (r == 0)
        *name_out = describe_result(names, manifest);
    free(names[0]);
    image_source_free(src);
    unpacked_archive_clear(&ua);
    return r;
}

static char **normalise_names(char **tags)
{
    size_t n = 0;
    while (tags && tags[n])
        n++;
    char **out = calloc(n + 1, sizeof(char *));
    if (out == NULL)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        cleanup_image_ref image_ref *ref = NULL;
        cleanup_err hull_err *e = NULL;
        if (image_ref_parse(tags[i], &ref, &e) == 0 && ref->tag != NULL)
            out[o++] = image_ref_string(ref);
        else /* the image is still loaded, under its other names or none */
            hull_warn("dropped the archive's RepoTag `%s`: %s", tags[i],
                      e ? e->msg : "a RepoTag needs a tag");
    }
    return out;
}

/* Import image `which` of an unpacked docker archive. */
static int import_docker_entry(image_store *s, int dirfd, size_t which,
                               const struct image_pull_options *o, char ***names_out,
                               char manifest[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_strv char **tags = NULL;
    if (docker_archive_tags(dirfd, which, &tags, err) < 0)
        return -1;
    cleanup_strv char **names = normalise_names(tags);
    if (o->name) {
        hull_strvfree(names);
        names = calloc(2, sizeof(char *));
        names[0] = strdup(o->name);
    }
    image_source *src = NULL;
    if (docker_archive_source_new(dirfd, which, 1, &src, err) < 0)
        return -1;
    int r = import_and_name(s, src, o, names, manifest, err);
    image_source_free(src);
    if (r == 0)
        *names_out = steal_pointer(&names);
    return r;
}

static int pull_docker_archive(image_store *s, const char *arg, const struct image_pull_options *o,
                               char **name_out, char manifest[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_free char *suffix = NULL;
    cleanup_free char *path = split_suffix(arg, &suffix);
    if (access(path, F_OK) < 0 && access(arg, F_OK) == 0) {
        free(path);
        path = strdup(arg);
    }
    struct unpacked_archive ua = {.fd = -1};
    if (unpack_archive(s, path, &ua, err) < 0)
        return -1;
    cleanup_strv char **names = NULL;
    int r = import_docker_entry(s, ua.fd, 0, o, &names, manifest, err);
    if (r == 0)
        *name_out = describe_result(names, manifest);
    unpacked_archive_clear(&ua);
    return r;
}

static int pull_registry(image_store *s, const char *text, const struct image_pull_options *o,
                         char **name_out, char manifest[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(text, &ref, err) < 0)
        return -1;
    struct registry_options ro = {.insecure = o->insecure, .authfile = o->authfile, .store = s};
    image_source *src = NULL;
    if (registry_source_new(ref, &ro, &src, err) < 0)
        return -1;
    char *names[2] = {NULL, NULL};
    if (o->name)
        names[0] = strdup(o->name);
    else if (ref->tag != NULL)
        names[0] = image_ref_string(ref);
    int r = import_and_name(s, src, o, names, manifest, err);
    image_source_free(src);
    if (r == 0 && names[0] == NULL) {
        /* Pulled by digest only: name it repo@digest's repository, like podman does. */
        cleanup_free char *repo = image_ref_repository(ref);
        if (asprintf(name_out, "%s@%s", repo, manifest) < 0)
            abort();
    } else if (r == 0) {
        *name_out = strdup(names[0]);
    }
    free(names[0]);
    return r;
}

int image_pull(image_store *s, const char *source, const struct image_pull_options *opts,
               char **name_out, char manifest_digest[DIGEST_STR_LEN], hull_err **err)
{
    static const struct image_pull_options defaults = {0};
    const struct image_pull_options *o = opts ? opts : &defaults;
    char manifest[DIGEST_STR_LEN];
    cleanup_free char *name = NULL;
    int r;
    if (strncmp(source, "oci:", 4) == 0)
        r = pull_oci_layout(s, source + 4, 0, o, &name, manifest, err);
    else if (strncmp(source, "oci-archive:", 12) == 0)
        r = pull_oci_layout(s, source + 12, 1, o, &name, manifest, err);
    else if (strncmp(source, "docker-archive:", 15) == 0)
        r = pull_docker_archive(s, source + 15, o, &name, manifest, err);
    else if (strncmp(source, "docker://", 9) == 0)
        r = pull_registry(s, source + 9, o, &name, manifest, err);
    else
        r = pull_registry(s, source, o, &name, manifest, err);
    if (r < 0)
        return hull_error_prefix(err, "pull `%s`", source);
    if (name_out)
        *name_out = steal_pointer(&name);
    if (manifest_digest)
        memcpy(manifest_digest, manifest, DIGEST_STR_LEN);
    return 0;
}

static void append_line(char ***lines, size_t *n, char *line)
{
    *lines = realloc(*lines, (*n + 2) * sizeof(char *));
    if (*lines == NULL)
        abort();
    (*lines)[(*n)++] = line;
    (*lines)[*n] = NULL;
}

static int load_oci(image_store *s, int dirfd, const char *file, const struct image_pull_options *o,
                    char ***loaded, size_t *n, hull_err **err)
{
    cleanup_strv char **refs = NULL;
    if (oci_layout_ref_names(dirfd, &refs, err) < 0)
        return -1;
    cleanup_free char *base = base_name_without_ext(file);
    /* An unnamed single image is loaded as is; otherwise one import per ref.name. */
    size_t count = 0;
    while (refs[count])
        count++;
    for (size_t i = 0; i < (count ? count : 1); i++) {
        int fd = dup(dirfd);
        if (fd < 0)
            return hull_error(err, errno, "dup");
        image_source *src = NULL;
        if (oci_layout_source_new(fd, file, count ? refs[i] : NULL, 1, &src, err) < 0)
            return -1;
        char *names[2] = {
            o->name ? strdup(o->name) : (count ? name_from_ref_name(refs[i], base) : NULL), NULL};
        char manifest[DIGEST_STR_LEN];
        int r = import_and_name(s, src, o, names, manifest, err);
        image_source_free(src);
        if (r == 0)
            append_line(loaded, n, describe_result(names, manifest));
        free(names[0]);
        if (r < 0)
            return -1;
    }
    return 0;
}

int image_load(image_store *s, const char *file, const struct image_pull_options *opts,
               char ***loaded, hull_err **err)
{
    static const struct image_pull_options defaults = {0};
    const struct image_pull_options *o = opts ? opts : &defaults;
    struct unpacked_archive ua = {.fd = -1};
    if (unpack_archive(s, file, &ua, err) < 0)
        return hull_error_prefix(err, "load `%s`", file);
    char **lines = NULL;
    size_t n = 0;
    int r = 0;
    if (faccessat(ua.fd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        size_t count = 0;
        r = docker_archive_count(ua.fd, &count, err);
        for (size_t i = 0; r == 0 && i < count; i++) {
            cleanup_strv char **names = NULL;
            char manifest[DIGEST_STR_LEN];
            r = import_docker_entry(s, ua.fd, i, o, &names, manifest, err);
            if (r == 0)
                append_line(&lines, &n, describe_result(names, manifest));
        }
    } else if (faccessat(ua.fd, "oci-layout", F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
        r = load_oci(s, ua.fd, file, o, &lines, &n, err);
    } else {
        r = hull_error(err, 0,
                       "neither a docker-archive (manifest.json) nor an oci-archive "
                       "(oci-layout)");
    }
    unpacked_archive_clear(&ua);
    if (r < 0) {
        hull_strvfree(lines);
        return hull_error_prefix(err, "load `%s`", file);
    }
    *loaded = lines;
    return 0;
}
