/* The build cache (see cache.h). */
#include "builder/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

int build_cache_open(const char *data_root, build_cache *c, hull_err **err)
{
    cleanup_free char *dir = NULL;
    if (asprintf(&dir, "%s/builder/cache", data_root) < 0)
        abort();
    if (fs_mkdir_p(dir, 0700, err) < 0)
        return -1;
    c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (c->dirfd < 0)
        return hull_error(err, errno, "open `%s`", dir);
    return 0;
}

void build_cache_close(build_cache *c)
{
    if (c->dirfd >= 0)
        close(c->dirfd);
    c->dirfd = -1;
}

void build_cache_key(char out[DIGEST_STR_LEN], const char *parent, ...)
{
    digest_ctx *h = digest_new();
    digest_update(h, parent, strlen(parent) + 1);
    va_list ap;
    va_start(ap, parent);
    for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *))
        digest_update(h, p, strlen(p) + 1);
    va_end(ap);
    digest_final(h, out);
    digest_free(h);
}

int build_cache_get(build_cache *c, image_store *s, const char *key, image_draft *d)
{
    char name[80];
    snprintf(name, sizeof name, "%s.json", digest_hex(key));
    cleanup_free char *text = NULL;
    cleanup_err hull_err *err = NULL;
    if (fs_read_file_at(c->dirfd, name, 16u << 20, &text, NULL, &err) < 0)
        return 0;
    json_auto_t *j = json_loads(text, 0, NULL);
    if (j == NULL || image_draft_from_json(d, j, &err) < 0)
        return 0;
    if (!image_draft_complete(s, d)) {
        image_draft_clear(d);
        unlinkat(c->dirfd, name, 0);
        return 0;
    }
    return 1;
}

int build_cache_put(build_cache *c, const char *key, const image_draft *d, hull_err **err)
{
    char name[80];
    snprintf(name, sizeof name, "%s.json", digest_hex(key));
    json_auto_t *j = image_draft_to_json(d);
    cleanup_free char *text = json_dumps(j, JSON_COMPACT);
    return fs_replace_file_at(c->dirfd, name, text, strlen(text), 0600, err);
}
