/* The import pipeline shared by every transport. */
#include "image/import.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define DEFAULT_JOBS 4

void image_source_free(image_source *src)
{
    if (src == NULL)
        return;
    src->ops->destroy(src);
}

void image_progress_emit(const struct image_progress *p, enum image_progress_event ev,
                         const char *digest, uint64_t done, uint64_t total)
{
    if (p != NULL && p->event != NULL)
        p->event(p->opaque, ev, digest, done, total);
}

struct layer_job {
    image_store *store;
    image_source *src;
    const image_manifest *manifest;
    const struct image_progress *progress;
    pthread_mutex_t mutex;
    size_t next;
    hull_err *first_err;
};

/* Blob and unpacked layer for one layer descriptor, under that layer's lock: a second process
 * pulling the same layer waits here and then finds it done. */
static int ensure_layer(struct layer_job *job, const image_descriptor *d, hull_err **err)
{
    image_store *s = job->store;
    if (store_blob_exists(s, d->digest) && store_layer_exists(s, d->digest)) {
        image_progress_emit(job->progress, IMAGE_PROGRESS_EXISTS, d->digest, 0, (uint64_t)d->size);
        return 0;
    }
    cleanup_close int lock = -1;
    if (image_store_lock(s, digest_hex(d->digest), &lock, err) < 0)
        return -1;
    int fetched = 0;
    if (!store_blob_exists(s, d->digest)) {
        image_progress_emit(job->progress, IMAGE_PROGRESS_START, d->digest, 0, (uint64_t)d->size);
        if (job->src->ops->fetch_blob(job->src, s, d, err) < 0)
            return hull_error_prefix(err, "layer %s", d->digest);
        fetched = 1;
    }
    if (store_layer_unpack(s, d->digest, err) < 0)
        return -1;
    image_progress_emit(job->progress, fetched ? IMAGE_PROGRESS_DONE : IMAGE_PROGRESS_EXISTS,
                        d->digest, (uint64_t)d->size, (uint64_t)d->size);
    return 0;
}

static void *layer_worker(void *arg)
{
    struct layer_job *job = arg;
    for (;;) {
        pthread_mutex_lock(&job->mutex);
        int stop = job->first_err != NULL || job->next >= job->manifest->n_layers;
        size_t i = job->next++;
        pthread_mutex_unlock(&job->mutex);
        if (stop)
            return NULL;
        hull_err *err = NULL;
        if (ensure_layer(job, &job->manifest->layers[i], &err) < 0) {
            pthread_mutex_lock(&job->mutex);
            if (job->first_err == NULL)
                job->first_err = steal_pointer(&err);
            pthread_mutex_unlock(&job->mutex);
            hull_err_free(err);
        }
    }
}

static int fetch_layers(image_store *s, image_source *src, const image_manifest *m,
                        const struct image_import_options *opts, hull_err **err)
{
    struct layer_job job = {.store = s, .src = src, .manifest = m, .progress = opts->progress};
    pthread_mutex_init(&job.mutex, NULL);
    size_t jobs = opts->jobs > 0 ? (size_t)opts->jobs : DEFAULT_JOBS;
    /* Threads only for the layers there is work for: a re-pull with every layer present starts
     * none (thread start and exit are dear on a paravirtualised host). */
    size_t missing = 0;
    for (size_t i = 0; i < m->n_layers; i++)
        if (!store_blob_exists(s, m->layers[i].digest) ||
            !store_layer_exists(s, m->layers[i].digest))
            missing++;
    if (jobs > missing)
        jobs = missing;
    pthread_t threads[16];
    if (jobs > 16)
        jobs = 16;
    size_t started = 0;
    /* The calling thread works too; extra threads only when there is more than one layer. */
    for (size_t i = 1; i < jobs; i++) {
        if (pthread_create(&threads[started], NULL, layer_worker, &job) != 0)
            break;
        started++;
    }
    layer_worker(&job);
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&job.mutex);
    if (job.first_err != NULL) {
        if (err != NULL) {
            hull_err_free(*err);
            *err = job.first_err;
        } else {
            hull_err_free(job.first_err);
        }
        return -1;
    }
    return 0;
}

/* A manifest named by digest: from the store when a pull already put it there (blobs are
 * verified on the way in), else from the source. */
static int get_manifest(image_store *s, image_source *src, const char *digest, char **data,
                        size_t *len, char **media_type, hull_err **err)
{
    if (digest != NULL && digest_is_valid(digest) && store_blob_exists(s, digest)) {
        cleanup_err hull_err *local_err = NULL;
        if (store_blob_read(s, digest, data, len, &local_err) == 0) {
            *media_type = NULL;
            return 0;
        }
    }
    return src->ops->get_manifest(src, digest, data, len, media_type, err);
}

/* The image manifest for the platform: follows one level of index. Asks the source once for
 * what its reference names (nothing at all when that is a digest the store has), and a
 * platform's manifest only when the store lacks it. */
static int resolve_manifest(image_store *s, image_source *src,
                            const struct image_import_options *opts, char **data, size_t *len,
                            char **media_type, hull_err **err)
{
    int got = src->digest != NULL ? get_manifest(s, src, src->digest, data, len, media_type, err)
                                  : src->ops->get_manifest(src, NULL, data, len, media_type, err);
    if (got < 0)
        return -1;
    enum manifest_kind kind;
    if (manifest_kind(*data, *len, *media_type, &kind, err) < 0)
        return -1;
    if (kind == MANIFEST_KIND_IMAGE)
        return 0;
    image_descriptor d = {0};
    int r = manifest_index_select(*data, *len, opts->platform, &d, err);
    free(*data);
    free(*media_type);
    *data = NULL;
    *media_type = NULL;
    if (r == 0)
        r = get_manifest(s, src, d.digest, data, len, media_type, err);
    if (r == 0 && *media_type == NULL && d.media_type && *d.media_type)
        *media_type = strdup(d.media_type);
    if (r == 0) {
        char actual[DIGEST_STR_LEN];
        digest_of_buffer(*data, *len, actual);
        if (strcmp(actual, d.digest) != 0)
            r = hull_error(err, 0, "manifest digest mismatch: expected %s, got %s", d.digest,
                           actual);
    }
    image_descriptor_clear(&d);
    return r;
}

int image_import(image_store *s, image_source *src, const struct image_import_options *opts,
                 char manifest_digest[DIGEST_STR_LEN], char config_digest[DIGEST_STR_LEN],
                 hull_err **err)
{
    static const struct image_import_options defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    src->progress = opts->progress;
    cleanup_free char *data = NULL;
    cleanup_free char *media_type = NULL;
    size_t len = 0;
    if (resolve_manifest(s, src, opts, &data, &len, &media_type, err) < 0)
        return -1;
    image_manifest *m = NULL;
    if (manifest_parse(data, len, media_type, &m, err) < 0)
        return -1;
    int r = 0;
    if (!store_blob_exists(s, m->config.digest))
        r = src->ops->fetch_blob(src, s, &m->config, err);
    if (r < 0)
        hull_error_prefix(err, "config %s", m->config.digest);
    if (r == 0) {
        /* Parse now: an unusable config fails the import before any layer is fetched. */
        cleanup_free char *cfg = NULL;
        size_t cfg_len = 0;
        image_config *c = NULL;
        r = store_blob_read(s, m->config.digest, &cfg, &cfg_len, err);
        if (r == 0)
            r = image_config_parse(cfg, cfg_len, &c, err);
        image_config_free(c);
    }
    if (r == 0)
        r = fetch_layers(s, src, m, opts, err);
    if (r == 0)
        r = store_blob_put(s, data, len, NULL, manifest_digest, err);
    if (r == 0)
        memcpy(config_digest, m->config.digest, DIGEST_STR_LEN);
    image_manifest_free(m);
    return r;
}
