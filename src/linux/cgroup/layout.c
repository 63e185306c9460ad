/* Which cgroup hierarchies the host has (v1, hybrid or unified), where the container's
 * directories go in each, and the record of them kept in the state directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "linux/cgroup/internal.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/fs.h"

static const char *const v1_names[CG_COUNT] = {
    "cpu",  "cpuacct", "cpuset",  "memory",   "devices", "freezer", "blkio",
    "pids", "hugetlb", "net_cls", "net_prio", "rdma",    "misc",    "perf_event"};

const char *cgroup_controller_name(enum cgroup_controller c, bool v2)
{
    if (c >= CG_COUNT)
        return "?";
    if (v2 && c == CG_BLKIO)
        return "io";
    return v1_names[c];
}

unsigned cgroup_controller_bit(const char *name)
{
    if (strcmp(name, "io") == 0)
        return CG_BIT(CG_BLKIO);
    for (int c = 0; c < CG_COUNT; c++)
        if (strcmp(name, v1_names[c]) == 0)
            return CG_BIT(c);
    return 0;
}

const char *cgroup_layout_name(enum cgroup_layout l)
{
    switch (l) {
    case CGROUP_LAYOUT_NONE:
        return "none";
    case CGROUP_LAYOUT_LEGACY:
        return "v1";
    case CGROUP_LAYOUT_HYBRID:
        return "hybrid";
    case CGROUP_LAYOUT_UNIFIED:
        return "v2";
    }
    return "?";
}

void cgroup_host_clear(struct cgroup_host *host)
{
    for (size_t i = 0; i < host->n; i++) {
        free(host->h[i].mountpoint);
        free(host->h[i].name);
        free(host->h[i].own);
        free(host->h[i].root);
        free(host->h[i].options);
    }
    free(host->h);
    memset(host, 0, sizeof(*host));
}

static int dup_field(char **dst, const char *src)
{
    if (src == NULL) {
        *dst = NULL;
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

int cgroup_host_copy(struct cgroup_host *dst, const struct cgroup_host *src, hull_err **err)
{
    memset(dst, 0, sizeof(*dst));
    dst->layout = src->layout;
    if (src->n == 0)
        return 0;
    dst->h = calloc(src->n, sizeof(*dst->h));
    if (dst->h == NULL)
        return hull_error(err, ENOMEM, "cgroup hierarchies");
    for (size_t i = 0; i < src->n; i++) {
        const struct cgroup_hierarchy *a = &src->h[i];
        struct cgroup_hierarchy *b = &dst->h[i];
        *b = *a;
        b->mountpoint = b->root = b->options = b->name = b->own = NULL;
        dst->n = i + 1;
        if (dup_field(&b->mountpoint, a->mountpoint) < 0 || dup_field(&b->root, a->root) < 0 ||
            dup_field(&b->options, a->options) < 0 || dup_field(&b->name, a->name) < 0 ||
            dup_field(&b->own, a->own) < 0) {
            cgroup_host_clear(dst);
            return hull_error(err, ENOMEM, "cgroup hierarchies");
        }
    }
    return 0;
}

/* Controllers and name= of a v1 option list ("rw,relatime,cpu,cpuacct") or of a v2
 * cgroup.controllers text ("cpu io memory"). "io" only exists in v2. */
static unsigned parse_controller_list(const char *list, bool v2, char **name)
{
    unsigned mask = 0;
    cleanup_free char *copy = strdup(list);
    if (copy == NULL)
        return 0;
    char *save = NULL;
    for (char *o = strtok_r(copy, ", \n", &save); o; o = strtok_r(NULL, ", \n", &save)) {
        if (strncmp(o, "name=", 5) == 0) {
            if (name) {
                free(*name);
                *name = strdup(o + 5);
            }
            continue;
        }
        if (v2 || strcmp(o, "io") != 0)
            mask |= cgroup_controller_bit(o);
    }
    return mask;
}

/* Whether h is the hierarchy of these controllers and name= (v1), or the cgroup2 one. */
static bool hierarchy_is(const struct cgroup_hierarchy *h, bool v2, unsigned controllers,
                         const char *name)
{
    if (v2 || h->v2)
        return v2 == h->v2;
    return h->controllers == controllers &&
           ((h->name == NULL && name == NULL) || (h->name && name && strcmp(h->name, name) == 0));
}

static int add_hierarchy(struct cgroup_host *host, const char *mountpoint, const char *root,
                         const char *options, bool v2, unsigned controllers, char *name,
                         hull_err **err)
{
    for (size_t i = 0; i < host->n; i++) {
        /* The same hierarchy mounted twice: keep the first. */
        if (hierarchy_is(&host->h[i], v2, controllers, name)) {
            free(name);
            return 0;
        }
    }
    struct cgroup_hierarchy *nh = realloc(host->h, (host->n + 1) * sizeof(*nh));
    if (nh == NULL) {
        free(name);
        return hull_error(err, ENOMEM, "cgroup hierarchies");
    }
    host->h = nh;
    struct cgroup_hierarchy *h = &host->h[host->n++];
    memset(h, 0, sizeof(*h));
    h->mountpoint = strdup(mountpoint);
    h->root = strdup(root);
    h->options = strdup(options);
    h->v2 = v2;
    h->controllers = controllers;
    h->name = name;
    if (h->mountpoint == NULL || h->root == NULL || h->options == NULL)
        return hull_error(err, ENOMEM, "cgroup hierarchies");
    return 0;
}

static int parse_mountinfo(struct cgroup_host *host, const char *mountinfo,
                           const char *unified_controllers, hull_err **err)
{
    cleanup_free char *copy = strdup(mountinfo);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "mountinfo");
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sep = strstr(line, " - ");
        if (sep == NULL)
            continue;
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char fstype[32], source[256], opts[1024], root[PATH_MAX], mnt[PATH_MAX];
        if (sscanf(sep + 3, "%31s %255s %1023s", fstype, source, opts) != 3)
            continue;
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
            continue;
        if (strcmp(fstype, "cgroup2") == 0) {
            unsigned mask =
                unified_controllers ? parse_controller_list(unified_controllers, true, NULL) : 0;
            if (add_hierarchy(host, mnt, root, opts, true, mask, NULL, err) < 0)
                return -1;
        } else if (strcmp(fstype, "cgroup") == 0) {
            char *name = NULL;
            unsigned mask = parse_controller_list(opts, false, &name);
            if (mask == 0 && name == NULL)
                continue;
            if (add_hierarchy(host, mnt, root, opts, false, mask, name, err) < 0)
                return -1;
        }
    }
    return 0;
}

/* "N:ctrl,ctrl:/path" lines: fill each hierarchy's `own`. */
static int parse_proc_cgroup(struct cgroup_host *host, const char *text, hull_err **err)
{
    cleanup_free char *copy = strdup(text);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "/proc/self/cgroup");
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 == NULL)
            continue;
        *c2 = '\0';
        const char *list = c1 + 1;
        const char *path = c2 + 1;
        bool v2 = strncmp(line, "0:", 2) == 0 && *list == '\0';
        cleanup_free char *name = NULL;
        unsigned mask = v2 ? 0 : parse_controller_list(list, false, &name);
        for (size_t i = 0; i < host->n; i++) {
            struct cgroup_hierarchy *h = &host->h[i];
            if (!hierarchy_is(h, v2, mask, name) || h->own)
                continue;
            h->own = strdup(path);
            if (h->own == NULL)
                return hull_error(err, ENOMEM, "/proc/self/cgroup");
        }
    }
    return 0;
}

int cgroup_host_parse(struct cgroup_host *host, const char *mountinfo, const char *proc_cgroup,
                      const char *unified_root_controllers, hull_err **err)
{
    memset(host, 0, sizeof(*host));
    if (parse_mountinfo(host, mountinfo, unified_root_controllers, err) < 0 ||
        parse_proc_cgroup(host, proc_cgroup, err) < 0) {
        cgroup_host_clear(host);
        return -1;
    }
    bool any_v1 = false, any_v2 = false, v2_at_top = false;
    for (size_t i = 0; i < host->n; i++) {
        if (host->h[i].v2) {
            any_v2 = true;
            v2_at_top |= strcmp(host->h[i].mountpoint, "/sys/fs/cgroup") == 0;
        } else {
            any_v1 = true;
        }
    }
    if (v2_at_top && !any_v1)
        host->layout = CGROUP_LAYOUT_UNIFIED;
    else if (any_v1 && any_v2)
        host->layout = CGROUP_LAYOUT_HYBRID;
    else if (any_v1)
        host->layout = CGROUP_LAYOUT_LEGACY;
    else if (any_v2)
        host->layout = CGROUP_LAYOUT_UNIFIED;
    return 0;
}

const struct cgroup_hierarchy *cgroup_host_find(const struct cgroup_host *host,
                                                const char *controllers)
{
    bool v2 = *controllers == '\0';
    cleanup_free char *name = NULL;
    unsigned mask = v2 ? 0 : parse_controller_list(controllers, false, &name);
    for (size_t i = 0; i < host->n; i++)
        if (hierarchy_is(&host->h[i], v2, mask, name))
            return &host->h[i];
    return NULL;
}

int cgroup_host_read_mounts(struct cgroup_host *host, hull_err **err)
{
    cleanup_free char *mountinfo = NULL;
    if (cgroup_mounts_text(NULL, &mountinfo, err) < 0)
        return hull_error_prefix(err, "find the cgroup mounts");
    return cgroup_host_parse(host, mountinfo, "", NULL, err);
}

int cgroup_host_detect(struct cgroup_host *host, hull_err **err)
{
    cleanup_free char *mountinfo = NULL, *self = NULL, *controllers = NULL;
    size_t len;
    if (fs_read_file("/proc/self/cgroup", 0, &self, &len, err) < 0 ||
        cgroup_mounts_text(self, &mountinfo, err) < 0)
        return hull_error_prefix(err, "detect cgroups");
    /* One parse; then the cgroup2 root's controllers, read from the first cgroup2 mount,
     * for every cgroup2 hierarchy (nothing in the parse depends on them). */
    if (cgroup_host_parse(host, mountinfo, self, NULL, err) < 0)
        return -1;
    for (size_t i = 0; i < host->n && controllers == NULL; i++) {
        if (!host->h[i].v2)
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/cgroup.controllers", host->h[i].mountpoint);
        hull_err *e = NULL;
        if (fs_read_file(path, 0, &controllers, &len, &e) < 0)
            hull_err_free(e);
    }
    unsigned v2_mask = parse_controller_list(controllers ? controllers : "", true, NULL);
    for (size_t i = 0; i < host->n; i++)
        if (host->h[i].v2)
            host->h[i].controllers = v2_mask;
    /* Keep only mounts that really are cgroup filesystems right now (statfs magic). */
    size_t kept = 0;
    for (size_t i = 0; i < host->n; i++) {
        struct statfs sf;
        long want = host->h[i].v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
        if (statfs(host->h[i].mountpoint, &sf) == 0 && (long)sf.f_type == want) {
            host->h[kept++] = host->h[i];
        } else {
            free(host->h[i].mountpoint);
            free(host->h[i].name);
            free(host->h[i].own);
            free(host->h[i].root);
            free(host->h[i].options);
        }
    }
    host->n = kept;
    struct statfs top;
    if (statfs("/sys/fs/cgroup", &top) == 0 && (long)top.f_type == CGROUP2_SUPER_MAGIC)
        host->layout = CGROUP_LAYOUT_UNIFIED;
    return 0;
}

void cgroup_set_clear(struct cgroup_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->dirs[i].path);
        if (s->parent_fds)
            hull_closep(&s->parent_fds[i]);
    }
    free(s->parent_fds);
    free(s->dirs);
    free(s->path);
    memset(s, 0, sizeof(*s));
}

static int validate_path(const char *path, hull_err **err)
{
    if (path[0] != '/' && strchr(path, ':') != NULL)
        return hull_error(err, EINVAL,
                          "cgroupsPath `%s` is a systemd slice:prefix:name path; it needs "
                          "--systemd-cgroup",
                          path);
    cleanup_free char *copy = strdup(path);
    if (copy == NULL)
        return hull_error(err, ENOMEM, "cgroupsPath");
    char *save = NULL;
    for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
        if (strcmp(c, "..") == 0 || strcmp(c, ".") == 0)
            return hull_error(err, EINVAL, "cgroupsPath `%s`: `.` and `..` are not allowed", path);
    if (strspn(path, "/") == strlen(path))
        return hull_error(err, EINVAL, "cgroupsPath `%s`: the root cgroup cannot be used", path);
    return 0;
}

/* Append "/component" for each non-empty component of `p` to buf. */
static void append_clean(char *buf, size_t size, const char *p)
{
    while (*p) {
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        size_t n = strcspn(p, "/");
        size_t l = strlen(buf);
        snprintf(buf + l, size - l, "/%.*s", (int)n, p);
        p += n;
    }
}

int cgroup_set_plan(const struct cgroup_host *host, const char *cgroups_path, const char *id,
                    struct cgroup_set *out, hull_err **err)
{
    memset(out, 0, sizeof(*out));
    char def[1100];
    if (cgroups_path == NULL || *cgroups_path == '\0') {
        snprintf(def, sizeof def, "/hull/%s", id);
        cgroups_path = def;
    }
    if (validate_path(cgroups_path, err) < 0)
        return -1;
    out->path = strdup(cgroups_path);
    out->dirs = calloc(host->n ? host->n : 1, sizeof(*out->dirs));
    if (out->path == NULL || out->dirs == NULL)
        return hull_error(err, ENOMEM, "cgroup paths");
    bool relative = cgroups_path[0] != '/';
    for (size_t i = 0; i < host->n; i++) {
        const struct cgroup_hierarchy *h = &host->h[i];
        char buf[8192];
        snprintf(buf, sizeof buf, "%s", h->mountpoint);
        size_t ml = strlen(buf);
        while (ml > 1 && buf[ml - 1] == '/')
            buf[--ml] = '\0';
        if (relative) {
            if (h->own == NULL) {
                cgroup_set_clear(out);
                return hull_error(err, ENOENT,
                                  "relative cgroupsPath `%s`: this process has no cgroup in `%s`",
                                  cgroups_path, h->mountpoint);
            }
            append_clean(buf, sizeof buf, h->own);
        }
        size_t base = strlen(buf);
        append_clean(buf, sizeof buf, cgroups_path);
        struct cgroup_dir *d = &out->dirs[out->n++];
        d->path = strdup(buf);
        d->base_len = base;
        d->v2 = h->v2;
        d->controllers = h->controllers;
        if (d->path == NULL) {
            cgroup_set_clear(out);
            return hull_error(err, ENOMEM, "cgroup paths");
        }
    }
    return 0;
}

const struct cgroup_dir *cgroup_set_dir_for(const struct cgroup_set *s, enum cgroup_controller c)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->dirs[i].controllers & CG_BIT(c))
            return &s->dirs[i];
    return NULL;
}

const struct cgroup_dir *cgroup_set_v2_dir(const struct cgroup_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->dirs[i].v2)
            return &s->dirs[i];
    return NULL;
}

json_t *cgroup_set_to_json(const struct cgroup_set *s)
{
    json_t *o = json_object();
    json_t *dirs = json_array();
    json_object_set_new(o, "path", json_string(s->path));
    json_object_set_new(o, "dirs", dirs);
    for (size_t i = 0; i < s->n; i++) {
        const struct cgroup_dir *d = &s->dirs[i];
        json_t *ctrls = json_array();
        for (int c = 0; c < CG_COUNT; c++)
            if (d->controllers & CG_BIT(c))
                json_array_append_new(ctrls, json_string(cgroup_controller_name(c, d->v2)));
        json_array_append_new(dirs, json_pack("{s:s, s:I, s:b, s:o}", "path", d->path, "base",
                                              (json_int_t)d->base_len, "v2", d->v2, "controllers",
                                              ctrls));
    }
    return o;
}

char *cgroup_set_freezer_line(const struct cgroup_set *s)
{
    /* The directory cgroup_set_is_frozen looks at. */
    const struct cgroup_dir *f = cgroup_set_dir_for(s, CG_FREEZER);
    if (f == NULL || f->v2)
        f = cgroup_set_v2_dir(s);
    char *line = NULL;
    if (asprintf(&line, "%s %s",
                 f == NULL ? "none"
                 : f->v2   ? "v2"
                           : "v1",
                 f == NULL ? "" : f->path) < 0)
        return NULL;
    return line;
}

int cgroup_set_load(int state_dirfd, struct cgroup_set *s, hull_err **err)
{
    memset(s, 0, sizeof(*s));
    cleanup_free char *text = NULL;
    size_t len = 0;
    hull_err *e = NULL;
    if (fs_read_file_at(state_dirfd, "cgroup.json", 1u << 20, &text, &len, &e) < 0) {
        int errnum = e->errnum;
        if (errnum == ENOENT) {
            hull_err_free(e);
            return 0;
        }
        *err = e;
        return -1;
    }
    cleanup_json json_t *o = NULL;
    if (json_load_string_checked(text, len, "cgroup.json", &o, err) < 0)
        return -1;
    if (cgroup_set_from_json(o, s, err) < 0)
        return hull_error_prefix(err, "cgroup.json");
    return 1;
}

int cgroup_set_from_json(json_t *o, struct cgroup_set *s, hull_err **err)
{
    memset(s, 0, sizeof(*s));
    json_t *dirs = json_object_get(o, "dirs");
    const char *path = json_string_value(json_object_get(o, "path"));
    if (!json_is_array(dirs) || path == NULL)
        return hull_error(err, EINVAL, "malformed cgroup set");
    s->path = strdup(path);
    s->dirs = calloc(json_array_size(dirs) + 1, sizeof(*s->dirs));
    if (s->path == NULL || s->dirs == NULL) {
        cgroup_set_clear(s);
        return hull_error(err, ENOMEM, "cgroup set");
    }
    size_t i;
    json_t *d;
    json_array_foreach(dirs, i, d)
    {
        const char *p = json_string_value(json_object_get(d, "path"));
        json_int_t base = json_integer_value(json_object_get(d, "base"));
        if (p == NULL || base <= 0 || (size_t)base > strlen(p)) {
            cgroup_set_clear(s);
            return hull_error(err, EINVAL, "malformed cgroup directory entry");
        }
        struct cgroup_dir *cd = &s->dirs[s->n++];
        cd->path = strdup(p);
        cd->base_len = (size_t)base;
        cd->v2 = json_is_true(json_object_get(d, "v2"));
        size_t k;
        json_t *c;
        json_array_foreach(json_object_get(d, "controllers"), k, c)
        {
            if (json_is_string(c))
                cd->controllers |= cgroup_controller_bit(json_string_value(c));
        }
        if (cd->path == NULL) {
            cgroup_set_clear(s);
            return hull_error(err, ENOMEM, "cgroup set");
        }
    }
    return 0;
}
