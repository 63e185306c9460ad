/* Reading and writing cgroup knobs relative to a directory fd, and the writers v1 and v2 share. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fs.h"

int cg_write(int dirfd, const char *file, const char *value, hull_err **err)
{
    /* O_TRUNC is a no-op on cgroupfs and keeps unit tests on plain files honest. */
    cleanup_close int fd = openat(dirfd, file, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", file);
    size_t len = strlen(value);
    ssize_t n;
    do
        n = write(fd, value, len);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return hull_error(err, errno, "write `%s` to `%s`", value, file);
    if ((size_t)n != len)
        return hull_error(err, EIO, "short write of `%s` to `%s`", value, file);
    return 0;
}

int cg_writef(int dirfd, const char *file, hull_err **err, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cg_write(dirfd, file, buf, err);
}

int cg_read(int dirfd, const char *file, char **out, hull_err **err)
{
    /* Most knobs are a line: read onto the stack and copy what is there. A 4 KiB heap buffer
     * per read would make malloc consolidate its fastbins (a walk of the heap: copy-on-write
     * faults while the container process shares it). */
    char small[512];
    size_t len = 0;
    char *text = NULL;
    cleanup_close int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open `%s`", file);
    for (;;) {
        ssize_t n = read(fd, small + len, sizeof small - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return hull_error(err, errno, "read `%s`", file);
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == sizeof small - 1)
            break;
    }
    if (len < sizeof small - 1) {
        text = strndup(small, len);
        if (text == NULL)
            return hull_error(err, ENOMEM, "read `%s`", file);
    } else if (fs_read_file_at(dirfd, file, 1u << 20, &text, &len, err) < 0) {
        return -1; /* a long one (a list): read again, whole */
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
        text[--len] = '\0';
    *out = text;
    return 0;
}

int cg_read_u64(int dirfd, const char *file, uint64_t *out, hull_err **err)
{
    cleanup_free char *text = NULL;
    if (cg_read(dirfd, file, &text, err) < 0)
        return -1;
    if (strcmp(text, "max") == 0) {
        *out = UINT64_MAX;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || (*end != '\0' && *end != '\n'))
        return hull_error(err, EINVAL, "`%s`: unexpected content `%s`", file, text);
    *out = v;
    return 0;
}

int cg_read_keyed(int dirfd, const char *file, const char *key, uint64_t *out)
{
    cleanup_free char *text = NULL;
    hull_err *e = NULL;
    if (cg_read(dirfd, file, &text, &e) < 0) {
        hull_err_free(e);
        return -1;
    }
    return cgroup_keyed_value(text, key, out);
}

int cgroup_keyed_value(const char *text, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
            *out = strtoull(line + klen + 1, NULL, 10);
            return 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

bool cg_exists(int dirfd, const char *file)
{
    return faccessat(dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int cg_open_dir(const char *path, hull_err **err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return hull_error(err, errno, "open cgroup `%s`", path);
    return fd;
}

const char *cg_limit_str(char *buf, size_t size, int64_t v)
{
    if (v < 0)
        snprintf(buf, size, "max");
    else
        snprintf(buf, size, "%" PRId64, v);
    return buf;
}

int cgroup_apply_hugetlb(int fd, const struct hull_resources *r, const char *suffix, hull_err **err)
{
    for (size_t i = 0; i < r->n_hugepage_limits; i++) {
        const struct hull_hugepage_limit *l = &r->hugepage_limits[i];
        char file[96];
        snprintf(file, sizeof file, "hugetlb.%s.%s", l->page_size, suffix);
        if (!cg_exists(fd, file))
            return hull_error(err, ENOTSUP, "hugepageLimits[%zu]: no %s pages on this host", i,
                              l->page_size);
        if (cg_writef(fd, file, err, "%" PRIu64, l->limit) < 0)
            return hull_error_prefix(err, "hugepageLimits[%zu]", i);
    }
    return 0;
}

int cgroup_apply_rdma(int fd, const struct hull_resources *r, hull_err **err)
{
    for (size_t i = 0; i < r->n_rdma; i++) {
        const struct hull_rdma_limit *l = &r->rdma[i];
        char h[32] = "max", o[32] = "max";
        if (l->hca_handles.set)
            snprintf(h, sizeof h, "%" PRId64, l->hca_handles.v);
        if (l->hca_objects.set)
            snprintf(o, sizeof o, "%" PRId64, l->hca_objects.v);
        if (cg_writef(fd, "rdma.max", err, "%s hca_handle=%s hca_object=%s", l->device, h, o) < 0)
            return hull_error_prefix(err, "rdma.%s", l->device);
    }
    return 0;
}

int cgroup_apply_cpuset(int fd, const struct hull_resources *r, hull_err **err)
{
    if (r->cpu.cpus && *r->cpu.cpus && cg_write(fd, "cpuset.cpus", r->cpu.cpus, err) < 0)
        return hull_error_prefix(err, "cpu.cpus");
    if (r->cpu.mems && *r->cpu.mems && cg_write(fd, "cpuset.mems", r->cpu.mems, err) < 0)
        return hull_error_prefix(err, "cpu.mems");
    return 0;
}

int cgroup_apply_pids(int fd, const struct hull_resources *r, hull_err **err)
{
    if (!r->pids_limit.set)
        return 0;
    /* runtime-spec: 0 and negative mean unlimited. */
    char buf[32];
    if (cg_write(fd, "pids.max",
                 cg_limit_str(buf, sizeof buf, r->pids_limit.v > 0 ? r->pids_limit.v : -1),
                 err) < 0)
        return hull_error_prefix(err, "pids.limit");
    return 0;
}
