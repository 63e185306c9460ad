/* Pushing an image to a registry (distribution API v2): every blob the manifest names (config,
 * then layers) is checked with HEAD, mounted from another repository of the same registry that
 * the image is also named in when the registry allows it, or uploaded (one PUT, or PATCH
 * chunks then a closing PUT), and the manifest is put last, byte for byte as stored, so its
 * digest is the one the store knows. */
#include "image/push.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/image.h"
#include "image/registry.h"
#include "util/cleanup.h"

struct pusher {
    image_store *s;
    image_source *src;
    const char *repo;  /* path in the registry */
    char **mount_from; /* other repositories of the same registry that name the image */
    const struct image_push_options *opts;
};

/* `location` with the query parameter `digest` added. */
static char *with_digest(const char *location, const char *digest)
{
    char *url = NULL;
    if (asprintf(&url, "%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", digest) < 0)
        abort();
    return url;
}

/* Start an upload session, or mount the blob from one of the other repositories: returns 1
 * when mounted, 0 with *location set for an upload. */
static int start_upload(struct pusher *p, const image_descriptor *d, const char *what,
                        char **location, hull_err **err)
{
    for (char **from = p->mount_from; from && *from; from++) {
        cleanup_free char *url = NULL;
        if (asprintf(&url, "/v2/%s/blobs/uploads/?mount=%s&from=%s", p->repo, d->digest, *from) < 0)
            abort();
        struct registry_request req = {.method = "POST", .url = url, .what = what, .body_fd = -1};
        struct registry_reply reply;
        if (registry_send(p->src, &req, &reply, err) < 0)
            return -1;
        if (reply.status == 201) {
            registry_reply_clear(&reply);
            image_progress_emit(p->opts->progress, IMAGE_PROGRESS_MOUNTED, d->digest, 0,
                                (uint64_t)d->size);
            return 1;
        }
        /* 202: the registry started an upload instead (it may not allow mounts) */
        if (reply.location) {
            *location = steal_pointer(&reply.location);
            registry_reply_clear(&reply);
            return 0;
        }
        registry_reply_clear(&reply);
    }
    cleanup_free char *url = NULL;
    if (asprintf(&url, "/v2/%s/blobs/uploads/", p->repo) < 0)
        abort();
    struct registry_request req = {.method = "POST", .url = url, .what = what, .body_fd = -1};
    struct registry_reply reply;
    if (registry_send(p->src, &req, &reply, err) < 0)
        return -1;
    if (reply.location == NULL) {
        registry_reply_clear(&reply);
        return hull_error(err, 0, "registry `%s` started an upload of %s without a Location",
                          registry_source_host(p->src), what);
    }
    *location = steal_pointer(&reply.location);
    registry_reply_clear(&reply);
    return 0;
}

/* PATCH the blob in chunks of opts->chunk_size; *location follows the session. */
static int upload_chunks(struct pusher *p, const image_descriptor *d, int fd, const char *what,
                         char **location, hull_err **err)
{
    for (int64_t off = 0; off < d->size;) {
        int64_t n = d->size - off;
        if (n > p->opts->chunk_size)
            n = p->opts->chunk_size;
        char range[64];
        snprintf(range, sizeof range, "%lld-%lld", (long long)off, (long long)(off + n - 1));
        struct registry_request req = {.method = "PATCH",
                                       .url = *location,
                                       .what = what,
                                       .content_type = "application/octet-stream",
                                       .content_range = range,
                                       .body_fd = fd,
                                       .body_offset = off,
                                       .body_size = n,
                                       .progress = p->opts->progress,
                                       .digest = d->digest,
                                       .progress_base = (uint64_t)off,
                                       .progress_total = (uint64_t)d->size};
        struct registry_reply reply;
        if (registry_send(p->src, &req, &reply, err) < 0)
            return -1;
        if (reply.location) {
            free(*location);
            *location = steal_pointer(&reply.location);
        }
        registry_reply_clear(&reply);
        off += n;
    }
    return 0;
}

static int push_blob(struct pusher *p, const image_descriptor *d, hull_err **err)
{
    cleanup_free char *what = NULL;
    cleanup_free char *head = NULL;
    if (asprintf(&what, "blob %s of %s", d->digest, p->repo) < 0 ||
        asprintf(&head, "/v2/%s/blobs/%s", p->repo, d->digest) < 0)
        abort();
    struct registry_request req = {
        .method = "HEAD", .url = head, .what = what, .body_fd = -1, .missing_ok = 1};
    struct registry_reply reply;
    if (registry_send(p->src, &req, &reply, err) < 0)
        return -1;
    long status = reply.status;
    registry_reply_clear(&reply);
    if (status != 404) {
        image_progress_emit(p->opts->progress, IMAGE_PROGRESS_EXISTS, d->digest, 0,
                            (uint64_t)d->size);
        return 0;
    }
    cleanup_close int fd = store_blob_open(p->s, d->digest, err);
    if (fd < 0)
        return hull_error_prefix(err, "the store has no %s", what);
    struct stat st;
    if (fstat(fd, &st) < 0)
        return hull_error(err, errno, "stat blob %s", d->digest);
    if (st.st_size != d->size)
        return hull_error(err, 0, "blob %s is %lld bytes in the store, the manifest says %lld",
                          d->digest, (long long)st.st_size, (long long)d->size);
    cleanup_free char *location = NULL;
    int mounted = start_upload(p, d, what, &location, err);
    if (mounted != 0)
        return mounted < 0 ? -1 : 0;
    image_progress_emit(p->opts->progress, IMAGE_PROGRESS_START, d->digest, 0, (uint64_t)d->size);
    bool chunked = p->opts->chunk_size > 0 && d->size > p->opts->chunk_size;
    if (chunked && upload_chunks(p, d, fd, what, &location, err) < 0)
        return -1;
    cleanup_free char *put = with_digest(location, d->digest);
    struct registry_request fin = {.method = "PUT",
                                   .url = put,
                                   .what = what,
                                   .content_type = "application/octet-stream",
                                   .body_fd = chunked ? -1 : fd,
                                   .body_size = chunked ? 0 : d->size,
                                   .progress = p->opts->progress,
                                   .digest = d->digest,
                                   .progress_total = (uint64_t)d->size};
    if (registry_send(p->src, &fin, &reply, err) < 0)
        return -1;
    registry_reply_clear(&reply);
    image_progress_emit(p->opts->progress, IMAGE_PROGRESS_DONE, d->digest, (uint64_t)d->size,
                        (uint64_t)d->size);
    return 0;
}

/* The image's other names on the same registry: where its blobs may already be. */
static char **mount_sources(const image_info *img, const image_ref *dest)
{
    size_t n = 0;
    for (char **name = img->names; *name; name++)
        n++;
    char **out = calloc(n + 1, sizeof *out);
    if (out == NULL)
        abort();
    size_t used = 0;
    for (char **name = img->names; *name; name++) {
        cleanup_image_ref image_ref *ref = NULL;
        cleanup_err hull_err *ignored = NULL;
        if (image_ref_parse(*name, &ref, &ignored) < 0 || strcmp(ref->domain, dest->domain) != 0 ||
            strcmp(ref->path, dest->path) == 0)
            continue;
        bool seen = false;
        for (size_t i = 0; i < used; i++)
            seen = seen || strcmp(out[i], ref->path) == 0;
        if (!seen)
            out[used++] = steal_pointer(&ref->path);
    }
    return out;
}

int image_push(image_store *s, const char *name, const struct image_push_options *opts,
               char manifest_digest[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_image_ref image_ref *dest = NULL;
    if (image_ref_parse(name, &dest, err) < 0)
        return -1;
    cleanup_image_info image_info *img = NULL;
    if (image_lookup(s, name, &img, err) < 0)
        return -1;
    cleanup_free char *manifest = NULL;
    size_t len = 0;
    if (store_blob_read(s, img->manifest_digest, &manifest, &len, err) < 0)
        return -1;
    struct registry_options ropts = {.insecure = opts->insecure, .authfile = opts->authfile};
    image_source *src = NULL;
    if (registry_source_new(dest, &ropts, &src, err) < 0)
        return -1;
    struct pusher p = {.s = s,
                       .src = src,
                       .repo = registry_source_repository(src),
                       .mount_from = mount_sources(img, dest),
                       .opts = opts};
    int ret = push_blob(&p, &img->manifest->config, err);
    for (size_t i = 0; ret == 0 && i < img->manifest->n_layers; i++)
        ret = push_blob(&p, &img->manifest->layers[i], err);
    if (ret == 0) {
        cleanup_free char *url = NULL;
        cleanup_free char *what = NULL;
        const char *reference = dest->tag ? dest->tag : img->manifest_digest;
        if (asprintf(&url, "/v2/%s/manifests/%s", p.repo, reference) < 0 ||
            asprintf(&what, "manifest %s", name) < 0)
            abort();
        struct registry_request req = {
            .method = "PUT",
            .url = url,
            .what = what,
            .content_type = img->manifest->media_type ? img->manifest->media_type : MT_OCI_MANIFEST,
            .body = manifest,
            .body_fd = -1,
            .body_size = (int64_t)len};
        struct registry_reply reply;
        ret = registry_send(src, &req, &reply, err);
        if (ret == 0 && reply.digest && strcmp(reply.digest, img->manifest_digest) != 0)
            ret = hull_error(err, 0, "registry `%s` stored the manifest of %s as %s, expected %s",
                             registry_source_host(src), name, reply.digest, img->manifest_digest);
        registry_reply_clear(&reply);
    }
    hull_strvfree(p.mount_from);
    image_source_free(src);
    if (ret < 0)
        return hull_error_prefix(err, "push %s", name);
    snprintf(manifest_digest, DIGEST_STR_LEN, "%s", img->manifest_digest);
    return 0;
}
