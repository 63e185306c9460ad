/* The CNI result cache (see cni_cache.h). */
#include "net/cni_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"

static char *entry_name(const char *network, const char *container_id, const char *ifname)
{
    char *n;
    if (asprintf(&n, "%s-%s-%s", network, container_id, ifname) < 0)
        abort();
    return n;
}

int net_cni_cache_write(int dirfd, const char *network, const char *container_id,
                        const char *ifname, json_t *entry, hull_err **err)
{
    cleanup_free char *name = entry_name(network, container_id, ifname);
    cleanup_free char *text = json_dumps(entry, JSON_INDENT(2));
    if (text == NULL)
        return hull_error(err, 0, "encode the CNI cache entry `%s`", name);
    if (fs_write_file_atomic_at(dirfd, name, text, strlen(text), 0600, err) < 0)
        return hull_error_prefix(err, "CNI cache");
    return 0;
}

static int read_entry(int dirfd, const char *name, json_t **entry, hull_err **err)
{
    *entry = NULL;
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file_at(dirfd, name, 1u << 20, &text, &len, &e) < 0) {
        if (e->errnum == ENOENT)
            return 0;
        *err = steal_pointer(&e);
        return -1;
    }
    json_error_t je;
    *entry = json_loadb(text, len, 0, &je);
    if (*entry == NULL)
        return hull_error(err, 0, "CNI cache entry `%s`: %s", name, je.text);
    return 0;
}

int net_cni_cache_read(int dirfd, const char *network, const char *container_id, const char *ifname,
                       json_t **entry, hull_err **err)
{
    cleanup_free char *name = entry_name(network, container_id, ifname);
    return read_entry(dirfd, name, entry, err);
}

int net_cni_cache_remove(int dirfd, const char *network, const char *container_id,
                         const char *ifname, hull_err **err)
{
    cleanup_free char *name = entry_name(network, container_id, ifname);
    if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
        return hull_error(err, errno, "remove the CNI cache entry `%s`", name);
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    json_t *ea = *(json_t *const *)a, *eb = *(json_t *const *)b;
    json_int_t sa = json_integer_value(json_object_get(json_object_get(ea, "hull"), "seq"));
    json_int_t sb = json_integer_value(json_object_get(json_object_get(eb, "hull"), "seq"));
    return sa < sb ? -1 : sa > sb;
}

int net_cni_cache_list(int dirfd, const char *container_id, json_t **entries, hull_err **err)
{
    *entries = NULL;
    cleanup_dir DIR *d = NULL;
    if (fs_opendir_at(dirfd, &d, err) < 0)
        return -1;
    cleanup_free char *needle = NULL;
    if (container_id && asprintf(&needle, "-%s-", container_id) < 0)
        abort();
    size_t n = 0, cap = 0;
    json_t **v = NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || (needle && strstr(de->d_name, needle) == NULL))
            continue;
        json_t *e = NULL;
        cleanup_err hull_err *re = NULL;
        if (read_entry(dirfd, de->d_name, &e, &re) < 0 || e == NULL ||
            !json_is_string(json_object_get(e, "networkName")))
            continue; /* a torn or foreign file: not ours to act on */
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            v = realloc(v, cap * sizeof *v);
            if (v == NULL)
                abort();
        }
        v[n++] = e;
    }
    if (n)
        qsort(v, n, sizeof *v, by_seq);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
    *entries = arr;
    return 0;
}
