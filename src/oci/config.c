/* config.json -> struct hull_config: parsing and validation of the runtime-spec document. */
#include "oci/config.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/config_sched.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
    const char *name;
    int flag;
} namespace_names[] = {
    {"pid", CLONE_NEWPID},       {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},       {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int namespace_type_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(namespace_names) / sizeof(namespace_names[0]); i++)
        if (strcmp(namespace_names[i].name, name) == 0)
            return namespace_names[i].flag;
    return 0;
}

const char *namespace_type_name(int type)
{
    for (size_t i = 0; i < sizeof(namespace_names) / sizeof(namespace_names[0]); i++)
        if (namespace_names[i].flag == type)
            return namespace_names[i].name;
    return "unknown";
}

bool config_has_namespace(const struct hull_config *cfg, int type)
{
    return config_find_namespace(cfg, type) != NULL;
}

const struct hull_namespace *config_find_namespace(const struct hull_config *cfg, int type)
{
    for (size_t i = 0; i < cfg->n_namespaces; i++)
        if (cfg->namespaces[i].type == type)
            return &cfg->namespaces[i];
    return NULL;
}

/* ---- mount options ---------------------------------------------------------------------- */

struct mount_option {
    const char *name;
    bool clear;
    unsigned long flag;
};

static const struct mount_option mount_flag_options[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"noiversion", true, MS_I_VERSION},
    {"nolazytime", true, MS_LAZYTIME},
    {"nomand", true, MS_MANDLOCK},
    {"norelatime", true, MS_RELATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"nosuid", false, MS_NOSUID},
    {"rbind", false, MS_BIND | MS_REC},
    {"relatime", false, MS_RELATIME},
    {"remount", false, MS_REMOUNT},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"silent", false, MS_SILENT},
    {"strictatime", false, MS_STRICTATIME},
    {"suid", true, MS_NOSUID},
    {"sync", false, MS_SYNCHRONOUS},
    {"nosymfollow", false, 256 /* MS_NOSYMFOLLOW */},
    {"symfollow", true, 256},
};

static const struct {
    const char *name;
    unsigned long flags;
} propagation_options[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Recursive mount attributes (mount_setattr with AT_RECURSIVE), as runc accepts them. */
#define ATTR_RDONLY      0x00000001ULL
#define ATTR_NOSUID      0x00000002ULL
#define ATTR_NODEV       0x00000004ULL
#define ATTR_NOEXEC      0x00000008ULL
#define ATTR_RELATIME    0x00000000ULL
#define ATTR_NOATIME     0x00000010ULL
#define ATTR_STRICTATIME 0x00000020ULL
#define ATTR_ATIME_MASK  0x00000070ULL
#define ATTR_NODIRATIME  0x00000080ULL
#define ATTR_NOSYMFOLLOW 0x00200000ULL

static const struct {
    const char *name;
    bool clear;
    uint64_t attr;
} recursive_options[] = {
    {"rro", false, ATTR_RDONLY},
    {"rrw", true, ATTR_RDONLY},
    {"rnosuid", false, ATTR_NOSUID},
    {"rsuid", true, ATTR_NOSUID},
    {"rnodev", false, ATTR_NODEV},
    {"rdev", true, ATTR_NODEV},
    {"rnoexec", false, ATTR_NOEXEC},
    {"rexec", true, ATTR_NOEXEC},
    {"rnodiratime", false, ATTR_NODIRATIME},
    {"rdiratime", true, ATTR_NODIRATIME},
    {"rnoatime", false, ATTR_NOATIME},
    {"rstrictatime", false, ATTR_STRICTATIME},
    {"rrelatime", false, ATTR_RELATIME},
    {"rnosymfollow", false, ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, ATTR_NOSYMFOLLOW},
};

static int append_data(char **data, const char *opt)
{
    size_t old = *data ? strlen(*data) : 0;
    char *n = realloc(*data, old + strlen(opt) + 2);
    if (n == NULL)
        return -1;
    if (old)
        n[old++] = ',';
    strcpy(n + old, opt);
    *data = n;
    return 0;
}

int config_parse_mount_options(struct hull_mount *m, const char *path, const char *file,
                               hull_err **err)
{
    m->flags = 0;
    m->propagation = 0;
    m->attr_set = m->attr_clr = 0;
    free(m->data);
    m->data = NULL;
    m->bind = m->recursive_bind = false;
    if (m->type && (strcmp(m->type, "bind") == 0 || strcmp(m->type, "rbind") == 0)) {
        m->bind = true;
        m->recursive_bind = strcmp(m->type, "rbind") == 0;
    }
    for (char **o = m->options; o && *o; o++) {
        const char *opt = *o;
        bool matched = false;
        for (size_t i = 0; i < sizeof(mount_flag_options) / sizeof(mount_flag_options[0]); i++) {
            if (strcmp(opt, mount_flag_options[i].name) != 0)
                continue;
            matched = true;
            unsigned long f = mount_flag_options[i].flag;
            if (f & MS_BIND) {
                m->bind = true;
                if (f & MS_REC)
                    m->recursive_bind = true;
            } else if (mount_flag_options[i].clear) {
                m->flags &= ~f;
            } else {
                m->flags |= f;
            }
        }
        for (size_t i = 0;
             !matched && i < sizeof(propagation_options) / sizeof(propagation_options[0]); i++) {
            if (strcmp(opt, propagation_options[i].name) == 0) {
                matched = true;
                m->propagation = propagation_options[i].flags;
            }
        }
        for (size_t i = 0; !matched && i < sizeof(recursive_options) / sizeof(recursive_options[0]);
             i++) {
            if (strcmp(opt, recursive_options[i].name) != 0)
                continue;
            matched = true;
            uint64_t a = recursive_options[i].attr;
            if (strcmp(opt, "rnoatime") == 0 || strcmp(opt, "rstrictatime") == 0 ||
                strcmp(opt, "rrelatime") == 0) {
                m->attr_clr |= ATTR_ATIME_MASK;
                m->attr_set = (m->attr_set & ~ATTR_ATIME_MASK) | a;
            } else if (recursive_options[i].clear) {
                m->attr_clr |= a;
                m->attr_set &= ~a;
            } else {
                m->attr_set |= a;
                m->attr_clr &= ~a;
            }
        }
        if (matched)
            continue;
        if (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0) {
            hull_error(err, 0, "%s: %s.options: \"%s\" (id-mapped mounts) is not supported yet",
                       file, path, opt);
            (*err)->errnum = ENOTSUP;
            return -1;
        }
        if (strcmp(opt, "tmpcopyup") == 0)
            continue; /* runc extension: accepted, copy-up is not needed for an empty tmpfs */
        if (*opt == '\0')
            continue;
        if (append_data(&m->data, opt) < 0)
            return hull_error(err, ENOMEM, "%s", file);
    }
    if (m->bind && m->type && strcmp(m->type, "none") != 0 && strcmp(m->type, "bind") != 0 &&
        strcmp(m->type, "rbind") != 0 && *m->type != '\0') {
        /* runc accepts e.g. type "tmpfs" with "bind" and binds; keep that. */
    }
    return 0;
}

/* ---- sections ---------------------------------------------------------------------------- */

static int parse_root(const struct json_ctx *c, json_t *root, const char *bundle,
                      enum config_load_flags flags, struct hull_config *cfg, hull_err **err)
{
    json_t *r;
    if (json_read_object(c, root, "root", "", &r, err) < 0)
        return -1;
    if (r == NULL)
        return json_field_error(c, err, "root", "missing (the container needs a root filesystem)");
    cleanup_free char *path = NULL;
    if (json_read_string(c, r, "path", "root", &path, err) < 0 ||
        json_read_bool(c, r, "readonly", "root", &cfg->root_readonly, err) < 0)
        return -1;
    if (path == NULL || *path == '\0')
        return json_field_error(c, err, "root.path", "missing");
    if (path[0] == '/')
        cfg->root_path = strdup(path);
    else if (asprintf(&cfg->root_path, "%s/%s", bundle, path) < 0)
        cfg->root_path = NULL;
    if (cfg->root_path == NULL)
        return hull_error(err, ENOMEM, "root.path");
    if (flags & CONFIG_LOAD_FOR_TEARDOWN)
        return 0;
    struct stat st;
    if (stat(cfg->root_path, &st) < 0)
        return json_field_error(c, err, "root.path", "`%s`: %s", cfg->root_path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return json_field_error(c, err, "root.path", "`%s` is not a directory", cfg->root_path);
    /* A rootfs that is the host's own root: pivot_root and every mount would act on the host
     * (runc refuses it too). */
    struct stat host_root;
    if (stat("/", &host_root) == 0 && st.st_dev == host_root.st_dev &&
        st.st_ino == host_root.st_ino)
        return json_field_error(c, err, "root.path",
                                "`%s` is the host's root directory `/`; a container needs its "
                                "own root filesystem",
                                cfg->root_path);
    return 0;
}

static int parse_mounts(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                        hull_err **err)
{
    json_t *arr;
    if (json_read_array(c, root, "mounts", "", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    cfg->n_mounts = json_array_size(arr);
    cfg->mounts = calloc(cfg->n_mounts ? cfg->n_mounts : 1, sizeof(*cfg->mounts));
    if (cfg->mounts == NULL)
        return hull_error(err, ENOMEM, "mounts");
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        char p[64];
        json_path_index(p, sizeof p, "mounts", i);
        json_t *o = json_array_get(arr, i);
        struct hull_mount *m = &cfg->mounts[i];
        if (!json_is_object(o))
            return json_field_error(c, err, p, "expected object");
        if (json_read_string(c, o, "destination", p, &m->destination, err) < 0 ||
            json_read_string(c, o, "type", p, &m->type, err) < 0 ||
            json_read_string(c, o, "source", p, &m->source, err) < 0 ||
            json_read_strv(c, o, "options", p, &m->options, NULL, err) < 0)
            return -1;
        char q[96];
        if (m->destination == NULL || *m->destination == '\0')
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "destination"),
                                    "missing");
        if (m->destination[0] != '/')
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "destination"),
                                    "`%s` is not an absolute path", m->destination);
        if (strlen(m->destination) >= PATH_MAX)
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "destination"),
                                    "path too long");
        if (json_object_get(o, "uidMappings") || json_object_get(o, "gidMappings")) {
            hull_error(err, 0, "%s: %s.uidMappings: id-mapped mounts are not supported yet",
                       c->file, p);
            (*err)->errnum = ENOTSUP;
            return -1;
        }
        if (config_parse_mount_options(m, p, c->file, err) < 0)
            return -1;
        if (!m->bind && (m->type == NULL || *m->type == '\0'))
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "type"),
                                    "missing (and options have no bind)");
        if (m->bind && (m->source == NULL || *m->source == '\0'))
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "source"),
                                    "missing for a bind mount");
        if (m->bind && m->source[0] != '/') {
            char *abs = NULL;
            if (asprintf(&abs, "%s/%s", cfg->bundle, m->source) < 0)
                return hull_error(err, ENOMEM, "%s", p);
            free(m->source);
            m->source = abs;
        }
    }
    return 0;
}

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

const char *rlimit_name(int resource)
{
    for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
        if (rlimit_names[i].resource == resource)
            return rlimit_names[i].name;
    return "RLIMIT_?";
}

static int parse_rlimits(const struct json_ctx *c, json_t *proc, const char *path,
                         struct hull_process *p, hull_err **err)
{
    json_t *arr;
    char base[256];
    json_path_join(base, sizeof base, path, "rlimits");
    if (json_read_array(c, proc, "rlimits", path, &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    p->n_rlimits = json_array_size(arr);
    p->rlimits = calloc(p->n_rlimits ? p->n_rlimits : 1, sizeof(*p->rlimits));
    if (p->rlimits == NULL)
        return hull_error(err, ENOMEM, "rlimits");
    for (size_t i = 0; i < p->n_rlimits; i++) {
        char q[300];
        json_path_index(q, sizeof q, base, i);
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o))
            return json_field_error(c, err, q, "expected object");
        cleanup_free char *type = NULL;
        bool has_soft = false, has_hard = false;
        if (json_read_string(c, o, "type", q, &type, err) < 0 ||
            json_read_uint64(c, o, "soft", q, &p->rlimits[i].soft, &has_soft, err) < 0 ||
            json_read_uint64(c, o, "hard", q, &p->rlimits[i].hard, &has_hard, err) < 0)
            return -1;
        char r[340];
        if (type == NULL)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "type"), "missing");
        int res = -1;
        for (size_t k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
            if (strcmp(rlimit_names[k].name, type) == 0)
                res = rlimit_names[k].resource;
        if (res < 0)
            return json_field_error(c, err, json_path_join(r, sizeof r, q, "type"),
                                    "unknown rlimit `%s`", type);
        if (!has_soft || !has_hard)
            return json_field_error(c, err, q, "both soft and hard are required");
        if (p->rlimits[i].soft > p->rlimits[i].hard)
            return json_field_error(c, err, q, "soft limit %llu is above hard limit %llu",
                                    (unsigned long long)p->rlimits[i].soft,
                                    (unsigned long long)p->rlimits[i].hard);
        for (size_t k = 0; k < i; k++)
            if (p->rlimits[k].resource == res)
                return json_field_error(c, err, q, "duplicate rlimit `%s`", type);
        p->rlimits[i].resource = res;
    }
    return 0;
}

static int parse_capabilities(const struct json_ctx *c, json_t *proc, const char *path,
                              struct hull_process *p, hull_err **err)
{
    json_t *caps;
    char base[256];
    json_path_join(base, sizeof base, path, "capabilities");
    if (json_read_object(c, proc, "capabilities", path, &caps, err) < 0)
        return -1;
    if (caps == NULL)
        return 0;
    p->has_capabilities = true;
    struct {
        const char *key;
        char ***dst;
    } sets[] = {
        {"bounding", &p->caps.bounding},   {"effective", &p->caps.effective},
        {"permitted", &p->caps.permitted}, {"inheritable", &p->caps.inheritable},
        {"ambient", &p->caps.ambient},
    };
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
        if (json_read_strv(c, caps, sets[i].key, base, sets[i].dst, NULL, err) < 0)
            return -1;
    return 0;
}

int config_parse_process(const struct json_ctx *c, json_t *obj, const char *path,
                         struct hull_process *p, hull_err **err)
{
    char q[256];
    if (json_read_bool(c, obj, "terminal", path, &p->terminal, err) < 0)
        return -1;
    json_t *cs;
    if (json_read_object(c, obj, "consoleSize", path, &cs, err) < 0)
        return -1;
    if (cs) {
        json_path_join(q, sizeof q, path, "consoleSize");
        if (json_read_uint32(c, cs, "height", q, &p->console_height, NULL, err) < 0 ||
            json_read_uint32(c, cs, "width", q, &p->console_width, NULL, err) < 0)
            return -1;
        p->has_console_size = true;
    }
    json_t *user;
    if (json_read_object(c, obj, "user", path, &user, err) < 0)
        return -1;
    if (user) {
        json_path_join(q, sizeof q, path, "user");
        if (json_read_uint32(c, user, "uid", q, &p->uid, NULL, err) < 0 ||
            json_read_uint32(c, user, "gid", q, &p->gid, NULL, err) < 0 ||
            json_read_uint32(c, user, "umask", q, &p->umask, &p->has_umask, err) < 0)
            return -1;
        json_t *gids;
        if (json_read_array(c, user, "additionalGids", q, &gids, err) < 0)
            return -1;
        if (gids) {
            char r[300];
            json_path_join(r, sizeof r, q, "additionalGids");
            p->n_additional_gids = json_array_size(gids);
            p->additional_gids = calloc(p->n_additional_gids + 1, sizeof(uint32_t));
            if (p->additional_gids == NULL)
                return hull_error(err, ENOMEM, "%s", r);
            for (size_t i = 0; i < p->n_additional_gids; i++) {
                json_t *g = json_array_get(gids, i);
                if (!json_is_integer(g) || json_integer_value(g) < 0 ||
                    json_integer_value(g) > UINT32_MAX)
                    return json_field_error(c, err, r, "expected array of group ids");
                p->additional_gids[i] = (uint32_t)json_integer_value(g);
            }
        }
        if (json_is_set(user, "username"))
            return json_field_error(c, err, json_path_join(q, sizeof q, q, "username"),
                                    "only meaningful on Windows");
    }
    size_t nargs = 0;
    if (json_read_strv(c, obj, "args", path, &p->args, &nargs, err) < 0 ||
        json_read_strv(c, obj, "env", path, &p->env, NULL, err) < 0 ||
        json_read_string(c, obj, "cwd", path, &p->cwd, err) < 0)
        return -1;
    if (json_is_set(obj, "commandLine"))
        return json_field_error(c, err, json_path_join(q, sizeof q, path, "commandLine"),
                                "only meaningful on Windows");
    if (p->args == NULL || nargs == 0)
        return json_field_error(c, err, json_path_join(q, sizeof q, path, "args"),
                                "must contain at least one element");
    if (p->cwd == NULL || *p->cwd == '\0')
        return json_field_error(c, err, json_path_join(q, sizeof q, path, "cwd"), "missing");
    if (p->cwd[0] != '/')
        return json_field_error(c, err, json_path_join(q, sizeof q, path, "cwd"),
                                "`%s` is not an absolute path", p->cwd);
    for (char **e = p->env; e && *e; e++)
        if (strchr(*e, '=') == NULL || **e == '=')
            return json_field_error(c, err, json_path_join(q, sizeof q, path, "env"),
                                    "`%s` is not of the form KEY=VALUE", *e);
    if (parse_rlimits(c, obj, path, p, err) < 0)
        return -1;
    int64_t oom = 0;
    if (json_read_int64(c, obj, "oomScoreAdj", path, &oom, &p->has_oom_score_adj, err) < 0)
        return -1;
    if (p->has_oom_score_adj && (oom < -1000 || oom > 1000))
        return json_field_error(c, err, json_path_join(q, sizeof q, path, "oomScoreAdj"),
                                "%lld is outside -1000..1000", (long long)oom);
    p->oom_score_adj = (int)oom;
    if (json_read_bool(c, obj, "noNewPrivileges", path, &p->no_new_privileges, err) < 0 ||
        json_read_string(c, obj, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
        json_read_string(c, obj, "selinuxLabel", path, &p->selinux_label, err) < 0)
        return -1;
    if (parse_capabilities(c, obj, path, p, err) < 0)
        return -1;
    if (config_parse_scheduler(c, obj, path, p, err) < 0 ||
        config_parse_io_priority(c, obj, path, p, err) < 0)
        return -1;
    if (json_is_set(obj, "execCPUAffinity")) {
        hull_error(err, 0, "%s: %s: not supported yet", c->file,
                   json_path_join(q, sizeof q, path, "execCPUAffinity"));
        (*err)->errnum = ENOTSUP;
        return -1;
    }
    return 0;
}

void config_process_clear(struct hull_process *p)
{
    free(p->additional_gids);
    hull_strvfree(p->args);
    hull_strvfree(p->env);
    free(p->cwd);
    free(p->rlimits);
    hull_strvfree(p->caps.bounding);
    hull_strvfree(p->caps.effective);
    hull_strvfree(p->caps.permitted);
    hull_strvfree(p->caps.inheritable);
    hull_strvfree(p->caps.ambient);
    free(p->apparmor_profile);
    free(p->selinux_label);
    memset(p, 0, sizeof(*p));
}

static int parse_namespaces(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                            hull_err **err)
{
    json_t *arr;
    if (json_read_array(c, linux_obj, "namespaces", "linux", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    cfg->n_namespaces = json_array_size(arr);
    cfg->namespaces = calloc(cfg->n_namespaces + 1, sizeof(*cfg->namespaces));
    if (cfg->namespaces == NULL)
        return hull_error(err, ENOMEM, "linux.namespaces");
    for (size_t i = 0; i < cfg->n_namespaces; i++) {
        char p[64], q[96];
        json_path_index(p, sizeof p, "linux.namespaces", i);
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o))
            return json_field_error(c, err, p, "expected object");
        cleanup_free char *type = NULL;
        if (json_read_string(c, o, "type", p, &type, err) < 0 ||
            json_read_string(c, o, "path", p, &cfg->namespaces[i].path, err) < 0)
            return -1;
        if (type == NULL)
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "type"), "missing");
        int t = namespace_type_from_name(type);
        if (t == 0)
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "type"),
                                    "unknown namespace type `%s`", type);
        for (size_t k = 0; k < i; k++)
            if (cfg->namespaces[k].type == t)
                return json_field_error(c, err, p, "duplicate namespace `%s`", type);
        cfg->namespaces[i].type = t;
        char *path = cfg->namespaces[i].path;
        if (path != NULL && *path == '\0') {
            free(path);
            cfg->namespaces[i].path = NULL;
        }
        if (cfg->namespaces[i].path) {
            if (cfg->namespaces[i].path[0] != '/')
                return json_field_error(c, err, json_path_join(q, sizeof q, p, "path"),
                                        "`%s` is not an absolute path", cfg->namespaces[i].path);
            if (access(cfg->namespaces[i].path, F_OK) < 0)
                return json_field_error(c, err, json_path_join(q, sizeof q, p, "path"), "`%s`: %s",
                                        cfg->namespaces[i].path, strerror(errno));
        } else {
            cfg->clone_flags |= t;
        }
    }
    return 0;
}

static int parse_id_mappings(const struct json_ctx *c, json_t *linux_obj, const char *key,
                             struct hull_id_mapping **out, size_t *n, hull_err **err)
{
    json_t *arr;
    if (json_read_array(c, linux_obj, key, "linux", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    *n = json_array_size(arr);
    *out = calloc(*n + 1, sizeof(**out));
    if (*out == NULL)
        return hull_error(err, ENOMEM, "linux.%s", key);
    for (size_t i = 0; i < *n; i++) {
        char base[64], p[80];
        snprintf(base, sizeof base, "linux.%s", key);
        json_path_index(p, sizeof p, base, i);
        json_t *o = json_array_get(arr, i);
        if (!json_is_object(o))
            return json_field_error(c, err, p, "expected object");
        bool a = false, b = false, s = false;
        if (json_read_uint32(c, o, "containerID", p, &(*out)[i].container_id, &a, err) < 0 ||
            json_read_uint32(c, o, "hostID", p, &(*out)[i].host_id, &b, err) < 0 ||
            json_read_uint32(c, o, "size", p, &(*out)[i].size, &s, err) < 0)
            return -1;
        if (!a || !b || !s)
            return json_field_error(c, err, p, "containerID, hostID and size are required");
        if ((*out)[i].size == 0)
            return json_field_error(c, err, p, "size must be positive");
    }
    return 0;
}

static int parse_devices(const struct json_ctx *c, json_t *linux_obj, struct hull_config *cfg,
                         hull_err **err)
{
    json_t *arr;
    if (json_read_array(c, linux_obj, "devices", "linux", &arr, err) < 0)
        return -1;
    if (arr == NULL)
        return 0;
    cfg->n_devices = json_array_size(arr);
    cfg->devices = calloc(cfg->n_devices + 1, sizeof(*cfg->devices));
    if (cfg->devices == NULL)
        return hull_error(err, ENOMEM, "linux.devices");
    for (size_t i = 0; i < cfg->n_devices; i++) {
        char p[64], q[96];
        json_path_index(p, sizeof p, "linux.devices", i);
        json_t *o = json_array_get(arr, i);
        struct hull_device *d = &cfg->devices[i];
        if (!json_is_object(o))
            return json_field_error(c, err, p, "expected object");
        cleanup_free char *type = NULL;
        bool has_major = false, has_minor = false;
        if (json_read_string(c, o, "path", p, &d->path, err) < 0 ||
            json_read_string(c, o, "type", p, &type, err) < 0 ||
            json_read_int64(c, o, "major", p, &d->major, &has_major, err) < 0 ||
            json_read_int64(c, o, "minor", p, &d->minor, &has_minor, err) < 0 ||
            json_read_uint32(c, o, "fileMode", p, &d->file_mode, &d->has_file_mode, err) < 0 ||
            json_read_uint32(c, o, "uid", p, &d->uid, &d->has_uid, err) < 0 ||
            json_read_uint32(c, o, "gid", p, &d->gid, &d->has_gid, err) < 0)
            return -1;
        if (d->path == NULL || d->path[0] != '/')
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "path"),
                                    "must be an absolute path");
        /* Anywhere in the rootfs, as runc: resolved inside it when created. */
        size_t len = strlen(d->path);
        if (strcmp(d->path, "/") == 0 || strstr(d->path, "/../") != NULL ||
            (len >= 3 && strcmp(d->path + len - 3, "/..") == 0))
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "path"),
                                    "`%s`: not a file path (`/` or `..`)", d->path);
        if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
            return json_field_error(c, err, json_path_join(q, sizeof q, p, "type"),
                                    "expected one of c, b, u, p");
        d->type = type[0];
        if (d->type != 'p' && (!has_major || !has_minor))
            return json_field_error(c, err, p, "major and minor are required for type %c", d->type);
        if (d->major < 0 || d->minor < 0)
            return json_field_error(c, err, p, "major and minor must not be negative");
    }
    return 0;
}

static const struct {
    const char *name;
    unsigned long flags;
} rootfs_propagations[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

/* Sysctls that a container may set, and the namespace that makes them its own (as runc). */
static int validate_sysctl(const struct json_ctx *c, const struct hull_config *cfg, const char *key,
                           hull_err **err)
{
    char p[300];
    snprintf(p, sizeof p, "linux.sysctl.%s", key);
    if (strstr(key, "..") != NULL || strchr(key, '/') != NULL)
        return json_field_error(c, err, p, "invalid key");
    static const char *ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                     "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                     "kernel.shmmni", "kernel.shm_rmid_forced"};
    for (size_t i = 0; i < sizeof(ipc_keys) / sizeof(ipc_keys[0]); i++)
        if (strcmp(key, ipc_keys[i]) == 0) {
            if (!config_has_namespace(cfg, CLONE_NEWIPC))
                return json_field_error(c, err, p, "needs an ipc namespace");
            return 0;
        }
    if (strncmp(key, "fs.mqueue.", 10) == 0) {
        if (!config_has_namespace(cfg, CLONE_NEWIPC))
            return json_field_error(c, err, p, "needs an ipc namespace");
        return 0;
    }
    if (strncmp(key, "net.", 4) == 0) {
        if (!config_has_namespace(cfg, CLONE_NEWNET))
            return json_field_error(c, err, p, "needs a network namespace");
        return 0;
    }
    /* runc and crun refuse them: they would fight with `hostname`/`domainname`. */
    if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
        return json_field_error(c, err, p, "not allowed: it conflicts with the `%s` field",
                                key + strlen("kernel."));
    return json_field_error(c, err, p, "not a namespaced sysctl: it would change the host");
}

static int parse_linux(const struct json_ctx *c, json_t *root, struct hull_config *cfg,
                       hull_err **err)
{
    json_t *l;
    if (json_read_object(c, root, "linux", "", &l, err) < 0)
        return -1;
    if (l == NULL)
        return 0;
    if (parse_namespaces(c, l, cfg, err) < 0 ||
        parse_id_mappings(c, l, "uidMappings", &cfg->uid_mappings, &cfg->n_uid_mappings, err) < 0 ||
        parse_id_mappings(c, l, "gidMappings", &cfg->gid_mappings, &cfg->n_gid_mappings, err) < 0 ||
        parse_devices(c, l, cfg, err) < 0)
        return -1;
    if (json_read_object(c, l, "sysctl", "linux", &cfg->sysctl, err) < 0)
        return -1;
    if (cfg->sysctl) {
        const char *key;
        json_t *v;
        json_object_foreach(cfg->sysctl, key, v)
        {
            if (!json_is_string(v)) {
                char p[300];
                snprintf(p, sizeof p, "linux.sysctl.%s", key);
                return json_field_error(c, err, p, "expected string");
            }
            if (validate_sysctl(c, cfg, key, err) < 0)
                return -1;
        }
    }
    cleanup_free char *prop = NULL;
    if (json_read_string(c, l, "rootfsPropagation", "linux", &prop, err) < 0)
        return -1;
    if (prop && *prop) {
        for (size_t i = 0; i < sizeof(rootfs_propagations) / sizeof(rootfs_propagations[0]); i++)
            if (strcmp(prop, rootfs_propagations[i].name) == 0)
                cfg->rootfs_propagation = rootfs_propagations[i].flags;
        if (cfg->rootfs_propagation == 0)
            return json_field_error(c, err, "linux.rootfsPropagation", "unknown value `%s`", prop);
    }
    json_t *to;
    if (json_read_object(c, l, "timeOffsets", "linux", &to, err) < 0)
        return -1;
    if (to) {
        const char *key;
        json_t *v;
        json_object_foreach(to, key, v)
        {
            char p[128];
            snprintf(p, sizeof p, "linux.timeOffsets.%s", key);
            int64_t *secs;
            uint32_t *nsecs;
            if (strcmp(key, "boottime") == 0) {
                secs = &cfg->boottime_secs;
                nsecs = &cfg->boottime_nsecs;
            } else if (strcmp(key, "monotonic") == 0) {
                secs = &cfg->monotonic_secs;
                nsecs = &cfg->monotonic_nsecs;
            } else {
                return json_field_error(c, err, p, "unknown clock (boottime or monotonic)");
            }
            if (!json_is_object(v))
                return json_field_error(c, err, p, "expected object");
            if (json_read_int64(c, v, "secs", p, secs, NULL, err) < 0 ||
                json_read_uint32(c, v, "nanosecs", p, nsecs, NULL, err) < 0)
                return -1;
            if (*nsecs >= 1000000000u)
                return json_field_error(c, err, p, "nanosecs must be below 1000000000");
        }
        cfg->has_time_offsets = json_object_size(to) > 0;
        if (cfg->has_time_offsets && !(cfg->clone_flags & CLONE_NEWTIME))
            return json_field_error(c, err, "linux.timeOffsets",
                                    "needs a new time namespace in linux.namespaces");
    }
    json_t *pers;
    if (json_read_object(c, l, "personality", "linux", &pers, err) < 0)
        return -1;
    if (pers) {
        cleanup_free char *domain = NULL;
        if (json_read_string(c, pers, "domain", "linux.personality", &domain, err) < 0)
            return -1;
        if (domain == NULL)
            return json_field_error(c, err, "linux.personality.domain", "missing");
        if (strcmp(domain, "LINUX") == 0)
            cfg->personality = PER_LINUX;
        else if (strcmp(domain, "LINUX32") == 0)
            cfg->personality = PER_LINUX32;
        else
            return json_field_error(c, err, "linux.personality.domain",
                                    "unknown domain `%s` (LINUX or LINUX32)", domain);
        if (json_is_set(pers, "flags"))
            return json_field_error(c, err, "linux.personality.flags",
                                    "no personality flags are supported");
        cfg->has_personality = true;
    }
    if (json_read_string(c, l, "cgroupsPath", "linux", &cfg->cgroups_path, err) < 0 ||
        json_read_string(c, l, "mountLabel", "linux", &cfg->mount_label, err) < 0 ||
        json_read_strv(c, l, "maskedPaths", "linux", &cfg->masked_paths, NULL, err) < 0 ||
        json_read_strv(c, l, "readonlyPaths", "linux", &cfg->readonly_paths, NULL, err) < 0)
        return -1;
    for (char **m = cfg->masked_paths; m && *m; m++)
        if ((*m)[0] != '/')
            return json_field_error(c, err, "linux.maskedPaths", "`%s` is not an absolute path",
                                    *m);
    for (char **m = cfg->readonly_paths; m && *m; m++)
        if ((*m)[0] != '/')
            return json_field_error(c, err, "linux.readonlyPaths", "`%s` is not an absolute path",
                                    *m);
    if (config_parse_resources(c, l, cfg, err) < 0)
        return -1;
    if (config_parse_memory_policy(c, l, cfg, err) < 0)
        return -1;
    static const char *unsupported[] = {"intelRdt", "netDevices"};
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
        if (json_is_set(l, unsupported[i])) {
            hull_error(err, 0, "%s: linux.%s: not supported yet", c->file, unsupported[i]);
            (*err)->errnum = ENOTSUP;
            return -1;
        }
    return 0;
}

static int validate(const struct json_ctx *c, struct hull_config *cfg, hull_err **err)
{
    /* Without a mount namespace the process shares the runtime's filesystem, as with runc:
     * nothing of the root, mounts, devices or masked paths is set up (lifecycle.c warns). */
    if (cfg->hostname && *cfg->hostname && !config_has_namespace(cfg, CLONE_NEWUTS))
        return json_field_error(c, err, "hostname", "needs a uts namespace");
    if (cfg->domainname && *cfg->domainname && !config_has_namespace(cfg, CLONE_NEWUTS))
        return json_field_error(c, err, "domainname", "needs a uts namespace");
    bool userns = config_has_namespace(cfg, CLONE_NEWUSER);
    if ((cfg->n_uid_mappings || cfg->n_gid_mappings) && !userns)
        return json_field_error(c, err, "linux.uidMappings", "needs a user namespace");
    if ((cfg->clone_flags & CLONE_NEWUSER) && (!cfg->n_uid_mappings || !cfg->n_gid_mappings))
        return json_field_error(c, err, "linux.uidMappings",
                                "a new user namespace needs uidMappings and gidMappings");
    return 0;
}

/* The rest of config_parse once the document is cfg->raw. */
static int parse_document(struct hull_config *cfg_in, const char *display, const char *bundle,
                          enum config_load_flags flags, struct hull_config **out, hull_err **err);

int config_parse(const char *text, size_t len, const char *display, const char *bundle,
                 enum config_load_flags flags, struct hull_config **out, hull_err **err)
{
    struct hull_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return hull_error(err, ENOMEM, "%s", display);
    if (json_load_string_checked(text, len, display, &cfg->raw, err) < 0) {
        config_free(cfg);
        return -1;
    }
    return parse_document(cfg, display, bundle, flags, out, err);
}

int config_parse_json(json_t *doc, const char *display, const char *bundle,
                      enum config_load_flags flags, struct hull_config **out, hull_err **err)
{
    struct hull_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL)
        return hull_error(err, ENOMEM, "%s", display);
    cfg->raw = json_incref(doc);
    return parse_document(cfg, display, bundle, flags, out, err);
}

static int parse_document(struct hull_config *cfg_in, const char *display, const char *bundle,
                          enum config_load_flags flags, struct hull_config **out, hull_err **err)
{
    struct json_ctx ctx = {.file = display};
    const struct json_ctx *c = &ctx;
    cleanup_config struct hull_config *cfg = cfg_in;
    json_t *root = cfg->raw;
    if (!json_is_object(root))
        return json_field_error(c, err, "(document)", "expected a JSON object");
    cfg->bundle = strdup(bundle);
    if (cfg->bundle == NULL)
        return hull_error(err, ENOMEM, "%s", display);
    if (flags & CONFIG_LOAD_HOOKS_ONLY) {
        if (config_parse_hooks(c, root, cfg, err) < 0)
            return -1;
        *out = steal_pointer(&cfg);
        return 0;
    }
    if (json_read_string(c, root, "ociVersion", "", &cfg->oci_version, err) < 0)
        return -1;
    if (cfg->oci_version == NULL)
        return json_field_error(c, err, "ociVersion", "missing");
    if (strncmp(cfg->oci_version, "1.", 2) != 0 && strcmp(cfg->oci_version, "1") != 0)
        return json_field_error(c, err, "ociVersion",
                                "unsupported version `%s` (this runtime reads 1.x)",
                                cfg->oci_version);
    if (parse_root(c, root, bundle, flags, cfg, err) < 0)
        return -1;
    if (json_read_string(c, root, "hostname", "", &cfg->hostname, err) < 0 ||
        json_read_string(c, root, "domainname", "", &cfg->domainname, err) < 0)
        return -1;
    if (parse_mounts(c, root, cfg, err) < 0)
        return -1;
    json_t *proc;
    if (json_read_object(c, root, "process", "", &proc, err) < 0)
        return -1;
    if (proc) {
        if (config_parse_process(c, proc, "process", &cfg->process, err) < 0)
            return -1;
        cfg->has_process = true;
    } else if (!(flags & CONFIG_LOAD_FOR_TEARDOWN)) {
        return json_field_error(c, err, "process", "missing (create needs a process to run)");
    }
    if (json_read_object(c, root, "annotations", "", &cfg->annotations, err) < 0)
        return -1;
    if (cfg->annotations) {
        const char *k;
        json_t *v;
        json_object_foreach(cfg->annotations, k, v)
        {
            if (!json_is_string(v)) {
                char p[300];
                snprintf(p, sizeof p, "annotations.%s", k);
                return json_field_error(c, err, p, "expected string");
            }
        }
    }
    if (parse_linux(c, root, cfg, err) < 0)
        return -1;
    if (config_parse_hooks(c, root, cfg, err) < 0)
        return -1;
    if (config_parse_security(c, root, cfg, err) < 0)
        return -1;
    if (json_is_set(root, "solaris") || json_is_set(root, "windows") || json_is_set(root, "vm") ||
        json_is_set(root, "zos"))
        return json_field_error(c, err, json_is_set(root, "windows") ? "windows" : "solaris",
                                "not a Linux configuration");
    if (validate(c, cfg, err) < 0)
        return -1;
    *out = steal_pointer(&cfg);
    return 0;
}

int config_load_bundle(const char *bundle, const char *file, enum config_load_flags flags,
                       struct hull_config **out, hull_err **err)
{
    cleanup_free char *text = NULL;
    return config_load_bundle_text(bundle, file, flags, out, &text, err);
}

int config_load_bundle_text(const char *bundle, const char *file, enum config_load_flags flags,
                            struct hull_config **out, char **text_out, hull_err **err)
{
    char abs[PATH_MAX];
    if (realpath(bundle, abs) == NULL)
        return hull_error(err, errno, "bundle `%s`", bundle);
    if (file == NULL || *file == '\0')
        file = "config.json";
    cleanup_free char *path = NULL;
    if (file[0] == '/' ? (path = strdup(file)) == NULL : asprintf(&path, "%s/%s", abs, file) < 0)
        return hull_error(err, ENOMEM, "config file");
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (fs_read_file(path, 16u << 20, &text, &len, err) < 0)
        return -1;
    const char *display = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    if (config_parse(text, len, display, abs, flags, out, err) < 0)
        return -1;
    *text_out = steal_pointer(&text);
    return 0;
}

int config_load_given(const char *bundle, json_t *doc, enum config_load_flags flags,
                      struct hull_config **out, hull_err **err)
{
    char abs[PATH_MAX];
    if (realpath(bundle, abs) == NULL)
        return hull_error(err, errno, "bundle `%s`", bundle);
    return config_parse_json(doc, "config.json", abs, flags, out, err);
}

void config_free(struct hull_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        free(cfg->mounts[i].destination);
        free(cfg->mounts[i].type);
        free(cfg->mounts[i].source);
        free(cfg->mounts[i].data);
        hull_strvfree(cfg->mounts[i].options);
    }
    free(cfg->mounts);
    for (size_t i = 0; i < cfg->n_namespaces; i++)
        free(cfg->namespaces[i].path);
    free(cfg->namespaces);
    for (size_t i = 0; i < cfg->n_devices; i++)
        free(cfg->devices[i].path);
    free(cfg->devices);
    free(cfg->uid_mappings);
    free(cfg->gid_mappings);
    config_process_clear(&cfg->process);
    config_hooks_clear(&cfg->hooks);
    config_resources_clear(&cfg->res);
    hull_strvfree(cfg->masked_paths);
    hull_strvfree(cfg->readonly_paths);
    free(cfg->bundle);
    free(cfg->oci_version);
    free(cfg->root_path);
    free(cfg->hostname);
    free(cfg->domainname);
    free(cfg->cgroups_path);
    free(cfg->mount_label);
    seccomp_config_free(cfg->seccomp_profile);
    landlock_policy_free(cfg->landlock);
    if (cfg->raw)
        json_decref(cfg->raw);
    free(cfg);
}
