/* Progress display for pulls and pushes; callbacks arrive from several download threads. */
#include "cli/hull/progress.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BLOBS 128

struct cli_progress {
    struct image_progress sink;
    pthread_mutex_t mutex;
    int tty, quiet;
    size_t n;
    struct {
        char digest[80];
        uint64_t done, total;
        int finished;
    } blobs[MAX_BLOBS];
};

static size_t slot(struct cli_progress *p, const char *digest)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->blobs[i].digest, digest) == 0)
            return i;
    if (p->n == MAX_BLOBS)
        return MAX_BLOBS - 1;
    snprintf(p->blobs[p->n].digest, sizeof(p->blobs[0].digest), "%s", digest);
    return p->n++;
}

static void redraw(struct cli_progress *p)
{
    uint64_t done = 0, total = 0;
    size_t finished = 0;
    for (size_t i = 0; i < p->n; i++) {
        done += p->blobs[i].done;
        total += p->blobs[i].total;
        finished += (size_t)p->blobs[i].finished;
    }
    int width = 30;
    int fill = total ? (int)((double)done / (double)total * width) : 0;
    if (fill > width)
        fill = width;
    char bar[64];
    memset(bar, '=', (size_t)fill);
    memset(bar + fill, ' ', (size_t)(width - fill));
    bar[width] = '\0';
    fprintf(stderr, "\r\033[KCopying blobs %zu/%zu [%s] %.1f/%.1f MB", finished, p->n, bar,
            (double)done / 1e6, (double)total / 1e6);
    fflush(stderr);
}

static void on_event(void *opaque, enum image_progress_event ev, const char *digest, uint64_t done,
                     uint64_t total)
{
    struct cli_progress *p = opaque;
    if (p->quiet)
        return;
    pthread_mutex_lock(&p->mutex);
    size_t i = slot(p, digest);
    if (total)
        p->blobs[i].total = total;
    p->blobs[i].done = done;
    if (ev == IMAGE_PROGRESS_DONE || ev == IMAGE_PROGRESS_EXISTS || ev == IMAGE_PROGRESS_MOUNTED) {
        p->blobs[i].finished = 1;
        p->blobs[i].done = p->blobs[i].total;
    }
    if (p->tty) {
        redraw(p);
    } else if (ev == IMAGE_PROGRESS_START) {
        fprintf(stderr, "Copying blob %s\n", digest);
    } else if (ev == IMAGE_PROGRESS_DONE) {
        fprintf(stderr, "Copied blob %s (%llu bytes)\n", digest, (unsigned long long)total);
    } else if (ev == IMAGE_PROGRESS_EXISTS) {
        fprintf(stderr, "Blob %s already present\n", digest);
    } else if (ev == IMAGE_PROGRESS_MOUNTED) {
        fprintf(stderr, "Mounted blob %s\n", digest);
    }
    pthread_mutex_unlock(&p->mutex);
}

struct cli_progress *cli_progress_new(int quiet)
{
    struct cli_progress *p = calloc(1, sizeof(*p));
    if (p == NULL)
        abort();
    pthread_mutex_init(&p->mutex, NULL);
    p->tty = isatty(STDERR_FILENO);
    p->quiet = quiet;
    p->sink.event = on_event;
    p->sink.opaque = p;
    return p;
}

const struct image_progress *cli_progress_sink(struct cli_progress *p)
{
    return &p->sink;
}

void cli_progress_free(struct cli_progress *p)
{
    if (p == NULL)
        return;
    if (p->tty && p->n > 0 && !p->quiet)
        fputc('\n', stderr);
    pthread_mutex_destroy(&p->mutex);
    free(p);
}
