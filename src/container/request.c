/* Parsers for the flag mini-languages of `hull run` and the request model's memory. */
#include "container/request.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"

void run_request_init(struct run_request *r)
{
    memset(r, 0, sizeof *r);
    r->no_new_privileges = true;
    r->stop_timeout = -1;
    r->restart = "no";
    r->network = "bridge";
    r->runtime = "native";
    r->pull = "missing";
    r->log_max_size = 10ll << 20; /* docker's max-size 10m, max-file 3 */
    r->log_max_files = 3;
}

void mount_request_clear(struct mount_request *m)
{
    free(m->source);
    free(m->target);
    free(m->tmpfs_options);
    memset(m, 0, sizeof *m);
}

void device_request_clear(struct device_request *d)
{
    free(d->host);
    free(d->container);
    memset(d, 0, sizeof *d);
}

void run_request_clear(struct run_request *r)
{
    for (size_t i = 0; i < r->n_devices; i++)
        device_request_clear(&r->devices[i]);
    free(r->devices);
    hull_strvfree(r->env);
    hull_strvfree(r->env_files);
    hull_strvfree(r->labels);
    hull_strvfree(r->cap_add);
    hull_strvfree(r->cap_drop);
    hull_strvfree(r->network_aliases);
    hull_strvfree(r->publish);
    hull_strvfree(r->expose);
    hull_strvfree(r->dns);
    hull_strvfree(r->dns_search);
    hull_strvfree(r->egress_allow);
    hull_strvfree(r->egress_tcp_ports);
    hull_strvfree(r->dns_options);
    hull_strvfree(r->add_hosts);
    hull_strvfree(r->sysctls);
    hull_strvfree(r->ulimits);
    for (size_t i = 0; i < r->n_mounts; i++)
        mount_request_clear(&r->mounts[i]);
    free(r->mounts);
    free(r->seccomp_trace);
    run_request_init(r);
}

void strv_append(char ***v, const char *s)
{
    size_t n = 0;
    while (*v && (*v)[n])
        n++;
    char **nv = realloc(*v, (n + 2) * sizeof *nv);
    if (nv == NULL)
        abort();
    nv[n] = strdup(s);
    nv[n + 1] = NULL;
    *v = nv;
}

int parse_size(const char *text, long long *out, hull_err **err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    long long mult = 1;
    if (errno == 0 && end != text && v >= 0) {
        switch (tolower((unsigned char)*end)) {
        case 'k':
            mult = 1ll << 10, end++;
            break;
        case 'm':
            mult = 1ll << 20, end++;
            break;
        case 'g':
            mult = 1ll << 30, end++;
            break;
        case 't':
            mult = 1ll << 40, end++;
            break;
        default:
            break;
        }
        if (tolower((unsigned char)*end) == 'b')
            end++;
        if (*end == '\0' && v * (double)mult < 9e18) {
            *out = (long long)(v * (double)mult);
            return 0;
        }
    }
    return hull_error(err, 0,
                      "invalid size `%s` (expected a number with an optional "
                      "b, k, m or g suffix)",
                      text);
}

int parse_restart_policy(const char *text, const char **name, long *max_retries, hull_err **err)
{
    *max_retries = 0;
    static const char *const names[] = {"no", "always", "unless-stopped"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(text, names[i]) == 0) {
            *name = names[i];
            return 0;
        }
    if (strncmp(text, "on-failure", 10) == 0 && (text[10] == '\0' || text[10] == ':')) {
        *name = "on-failure";
        if (text[10] == ':') {
            char *end;
            errno = 0;
            long n = strtol(text + 11, &end, 10);
            if (errno || end == text + 11 || *end || n < 0 || n > 1000000)
                return hull_error(err, 0,
                                  "invalid restart policy `%s`: the retry count "
                                  "must be a non-negative number",
                                  text);
            *max_retries = n;
        }
        return 0;
    }
    return hull_error(err, 0,
                      "invalid restart policy `%s` (expected no, on-failure[:N], always or "
                      "unless-stopped)",
                      text);
}

static bool valid_volume_name(const char *s)
{
    size_t len = strlen(s);
    if (len < 2 || len > 128 || !isalnum((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

static int check_target(const char *flag, const char *target, hull_err **err)
{
    if (target == NULL || target[0] != '/')
        return hull_error(err, 0, "%s: the container path `%s` must be absolute", flag,
                          target ? target : "");
    if (strcmp(target, "/") == 0)
        return hull_error(err, 0, "%s: cannot mount over the container's root `/`", flag);
    for (const char *p = target; (p = strstr(p, "..")) != NULL; p += 2)
        if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
            return hull_error(err, 0, "%s: `..` is not allowed in `%s`", flag, target);
    return 0;
}

/* A bind source: absolute, or relative to the current directory when it starts with `.`. */
static int set_bind_source(const char *flag, const char *src, struct mount_request *m,
                           hull_err **err)
{
    if (src[0] == '/') {
        m->source = strdup(src);
        return 0;
    }
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL)
        return hull_error(err, errno, "%s: resolve `%s`", flag, src);
    if (asprintf(&m->source, "%s/%s", cwd, src) < 0)
        abort();
    return 0;
}

int parse_volume_flag(const char *text, struct mount_request *out, hull_err **err)
{
    memset(out, 0, sizeof *out);
    cleanup_free char *copy = strdup(text);
    char *parts[4] = {NULL};
    int n = 0;
    for (char *p = copy, *save = NULL; n < 4 && (p = strtok_r(n ? NULL : p, ":", &save));)
        parts[n++] = p;
    if (n == 0 || n > 3 || strstr(text, "::") || text[strlen(text) - 1] == ':')
        return hull_error(err, 0, "-v `%s`: expected SRC:DST[:OPTIONS] or DST", text);
    const char *src = n >= 2 ? parts[0] : NULL;
    const char *dst = n >= 2 ? parts[1] : parts[0];
    const char *opts = n == 3 ? parts[2] : NULL;
    if (check_target("-v", dst, err) < 0)
        return -1;
    if (opts) {
        cleanup_free char *o = strdup(opts);
        for (char *tok, *save = NULL, *p = o; (tok = strtok_r(p, ",", &save)); p = NULL) {
            if (strcmp(tok, "ro") == 0)
                out->readonly = true;
            else if (strcmp(tok, "rw") == 0)
                out->readonly = false;
            else
                return hull_error(err, 0, "-v `%s`: unknown option `%s` (ro or rw)", text, tok);
        }
    }
    out->target = strdup(dst);
    if (src == NULL) {
        out->kind = MOUNT_VOLUME; /* anonymous */
    } else if (src[0] == '/' || src[0] == '.') {
        out->kind = MOUNT_BIND;
        if (set_bind_source("-v", src, out, err) < 0) {
            mount_request_clear(out);
            return -1;
        }
    } else if (valid_volume_name(src)) {
        out->kind = MOUNT_VOLUME;
        out->source = strdup(src);
    } else {
        mount_request_clear(out);
        return hull_error(err, 0,
                          "-v `%s`: `%s` is neither an absolute path nor a valid volume name "
                          "([a-zA-Z0-9][a-zA-Z0-9_.-]+)",
                          text, src);
    }
    return 0;
}

static void append_tmpfs_option(char **opts, const char *prefix, const char *value)
{
    char *next;
    if (asprintf(&next, "%s%s%s%s", *opts ? *opts : "", *opts ? "," : "", prefix, value) < 0)
        abort();
    free(*opts);
    *opts = next;
}

int parse_mount_flag(const char *text, struct mount_request *out, hull_err **err)
{
    memset(out, 0, sizeof *out);
    cleanup_free char *copy = strdup(text);
    const char *type = NULL, *src = NULL, *dst = NULL;
    for (char *tok, *save = NULL, *p = copy; (tok = strtok_r(p, ",", &save)); p = NULL) {
        char *eq = strchr(tok, '=');
        char *val = eq ? eq + 1 : NULL;
        if (eq)
            *eq = '\0';
        if (strcmp(tok, "type") == 0 && val) {
            type = val;
        } else if ((strcmp(tok, "source") == 0 || strcmp(tok, "src") == 0) && val) {
            src = val;
        } else if ((strcmp(tok, "target") == 0 || strcmp(tok, "destination") == 0 ||
                    strcmp(tok, "dst") == 0) &&
                   val) {
            dst = val;
        } else if (strcmp(tok, "readonly") == 0 || strcmp(tok, "ro") == 0) {
            out->readonly = val == NULL || strcmp(val, "true") == 0 || strcmp(val, "1") == 0;
        } else if (strcmp(tok, "tmpfs-size") == 0 && val) {
            long long sz;
            if (parse_size(val, &sz, err) < 0) {
                mount_request_clear(out);
                return hull_error_prefix(err, "--mount `%s`", text);
            }
            char num[32];
            snprintf(num, sizeof num, "%lld", sz);
            append_tmpfs_option(&out->tmpfs_options, "size=", num);
        } else if (strcmp(tok, "tmpfs-mode") == 0 && val) {
            char *end;
            long mode = strtol(val, &end, 8);
            if (*val == '\0' || *end || mode < 0 || mode > 07777) {
                mount_request_clear(out);
                return hull_error(err, 0, "--mount `%s`: invalid tmpfs-mode `%s`", text, val);
            }
            append_tmpfs_option(&out->tmpfs_options, "mode=", val);
        } else {
            mount_request_clear(out);
            return hull_error(err, 0, "--mount `%s`: unknown or incomplete field `%s`", text, tok);
        }
    }
    if (type == NULL) {
        mount_request_clear(out);
        return hull_error(err, 0, "--mount `%s`: type= is required (bind, volume, tmpfs)", text);
    }
    if (check_target("--mount", dst, err) < 0) {
        mount_request_clear(out);
        return -1;
    }
    out->target = strdup(dst);
    if (strcmp(type, "bind") == 0) {
        out->kind = MOUNT_BIND;
        if (src == NULL) {
            mount_request_clear(out);
            return hull_error(err, 0, "--mount `%s`: a bind mount needs source=", text);
        }
        if (set_bind_source("--mount", src, out, err) < 0) {
            mount_request_clear(out);
            return -1;
        }
    } else if (strcmp(type, "volume") == 0) {
        out->kind = MOUNT_VOLUME;
        if (src && !valid_volume_name(src)) {
            mount_request_clear(out);
            return hull_error(err, 0, "--mount `%s`: invalid volume name `%s`", text, src);
        }
        out->source = src ? strdup(src) : NULL;
    } else if (strcmp(type, "tmpfs") == 0) {
        out->kind = MOUNT_TMPFS;
        if (src) {
            mount_request_clear(out);
            return hull_error(err, 0, "--mount `%s`: tmpfs takes no source", text);
        }
    } else {
        mount_request_clear(out);
        return hull_error(
            err, 0, "--mount `%s`: unknown type `%s` (expected bind, volume or tmpfs)", text, type);
    }
    if (out->kind != MOUNT_TMPFS && out->tmpfs_options) {
        mount_request_clear(out);
        return hull_error(err, 0, "--mount `%s`: tmpfs-* options need type=tmpfs", text);
    }
    return 0;
}

int parse_tmpfs_flag(const char *text, struct mount_request *out, hull_err **err)
{
    memset(out, 0, sizeof *out);
    const char *colon = strchr(text, ':');
    cleanup_free char *dst = colon ? strndup(text, (size_t)(colon - text)) : strdup(text);
    if (check_target("--tmpfs", dst, err) < 0)
        return -1;
    out->kind = MOUNT_TMPFS;
    out->target = steal_pointer(&dst);
    if (colon && colon[1]) {
        /* Only the options a tmpfs understands, so nothing sneaks in as a mount flag. */
        cleanup_free char *o = strdup(colon + 1);
        for (char *tok, *save = NULL, *p = o; (tok = strtok_r(p, ",", &save)); p = NULL) {
            if (strcmp(tok, "ro") == 0) {
                out->readonly = true;
                continue;
            }
            if (strcmp(tok, "rw") == 0 || strcmp(tok, "exec") == 0 || strcmp(tok, "noexec") == 0 ||
                strcmp(tok, "nosuid") == 0 || strcmp(tok, "nodev") == 0 ||
                strncmp(tok, "size=", 5) == 0 || strncmp(tok, "mode=", 5) == 0 ||
                strncmp(tok, "uid=", 4) == 0 || strncmp(tok, "gid=", 4) == 0 ||
                strncmp(tok, "nr_inodes=", 10) == 0) {
                append_tmpfs_option(&out->tmpfs_options, "", tok);
                continue;
            }
            mount_request_clear(out);
            return hull_error(err, 0, "--tmpfs `%s`: unsupported option `%s`", text, tok);
        }
    }
    return 0;
}

/* "r", "rw", "mrw"...: each of r, w, m at most once, at least one. */
static bool valid_device_perms(const char *p)
{
    if (*p == '\0' || strlen(p) > 3)
        return false;
    for (const char *c = p; *c; c++)
        if ((*c != 'r' && *c != 'w' && *c != 'm') || strchr(c + 1, *c))
            return false;
    return true;
}

int parse_device_flag(const char *text, struct device_request *out, hull_err **err)
{
    memset(out, 0, sizeof *out);
    cleanup_free char *copy = strdup(text);
    char *parts[4] = {NULL};
    size_t n = 0;
    for (char *p = copy, *colon; n < 4; p = colon + 1) {
        parts[n++] = p;
        if ((colon = strchr(p, ':')) == NULL)
            break;
        *colon = '\0';
    }
    if (n == 4 || parts[0][0] == '\0')
        return hull_error(err, 0, "--device `%s`: expected HOST[:CONTAINER][:PERMISSIONS]", text);
    const char *host = parts[0], *container = host, *perms = "rwm";
    if (n == 2 && valid_device_perms(parts[1]))
        perms = parts[1];
    else if (n >= 2)
        container = parts[1];
    if (n == 3)
        perms = parts[2];
    if (host[0] != '/')
        return hull_error(err, 0, "--device `%s`: the host path `%s` must be absolute", text, host);
    if (container[0] != '/' || strcmp(container, "/") == 0)
        return hull_error(err, 0, "--device `%s`: the container path `%s` must be absolute", text,
                          container);
    for (const char *p = container; (p = strstr(p, "..")) != NULL; p += 2)
        if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0'))
            return hull_error(err, 0, "--device `%s`: `..` is not allowed in `%s`", text,
                              container);
    if (!valid_device_perms(perms))
        return hull_error(err, 0,
                          "--device `%s`: invalid permissions `%s` (a combination of r, w "
                          "and m)",
                          text, perms);
    out->host = strdup(host);
    out->container = strdup(container);
    snprintf(out->perms, sizeof out->perms, "%s", perms);
    return 0;
}

int parse_sysctl_flag(const char *text, hull_err **err)
{
    static const char *const ipc[] = {"kernel.msgmax", "kernel.msgmnb",         "kernel.msgmni",
                                      "kernel.sem",    "kernel.shmall",         "kernel.shmmax",
                                      "kernel.shmmni", "kernel.shm_rmid_forced"};
    const char *eq = strchr(text, '=');
    if (eq != NULL && eq != text) {
        size_t n = (size_t)(eq - text);
        for (size_t i = 0; i < sizeof ipc / sizeof ipc[0]; i++)
            if (strlen(ipc[i]) == n && strncmp(text, ipc[i], n) == 0)
                return 0;
        if (strncmp(text, "net.", 4) == 0 || strncmp(text, "fs.mqueue.", 10) == 0)
            return 0;
    }
    return hull_error(err, 0, "sysctl '%s' is not allowed", text);
}

int parse_ulimit_flag(const char *text, const char **rlimit, unsigned long long *soft,
                      unsigned long long *hard, hull_err **err)
{
    static const struct {
        const char *name, *rlimit;
    } names[] = {{"core", "RLIMIT_CORE"},         {"cpu", "RLIMIT_CPU"},
                 {"data", "RLIMIT_DATA"},         {"fsize", "RLIMIT_FSIZE"},
                 {"locks", "RLIMIT_LOCKS"},       {"memlock", "RLIMIT_MEMLOCK"},
                 {"msgqueue", "RLIMIT_MSGQUEUE"}, {"nice", "RLIMIT_NICE"},
                 {"nofile", "RLIMIT_NOFILE"},     {"nproc", "RLIMIT_NPROC"},
                 {"rss", "RLIMIT_RSS"},           {"rtprio", "RLIMIT_RTPRIO"},
                 {"rttime", "RLIMIT_RTTIME"},     {"sigpending", "RLIMIT_SIGPENDING"},
                 {"stack", "RLIMIT_STACK"},       {"as", "RLIMIT_AS"}};
    const char *eq = strchr(text, '=');
    if (eq == NULL)
        return hull_error(err, 0, "invalid ulimit argument: %s", text);
    *rlimit = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == (size_t)(eq - text) &&
            strncmp(text, names[i].name, (size_t)(eq - text)) == 0)
            *rlimit = names[i].rlimit;
    if (*rlimit == NULL)
        return hull_error(err, 0, "invalid ulimit type: %.*s", (int)(eq - text), text);
    const char *v = eq + 1;
    const char *colon = strchr(v, ':');
    if (colon && strchr(colon + 1, ':'))
        return hull_error(err, 0,
                          "too many limit value arguments - %s, can only have up to two, "
                          "`soft[:hard]`",
                          v);
    char *end;
    errno = 0;
    *soft = strtoull(v, &end, 10);
    if (end == v || (colon ? end != colon : *end != '\0') || errno || *v == '-')
        return hull_error(err, 0, "invalid ulimit soft value %.*s",
                          (int)(colon ? (size_t)(colon - v) : strlen(v)), v);
    *hard = *soft;
    if (colon) {
        errno = 0;
        *hard = strtoull(colon + 1, &end, 10);
        if (end == colon + 1 || *end != '\0' || errno || colon[1] == '-')
            return hull_error(err, 0, "invalid ulimit hard value %s", colon + 1);
    }
    if (*soft > *hard)
        return hull_error(err, 0,
                          "ulimit soft limit must be less than or equal to hard limit: %llu > %llu",
                          *soft, *hard);
    return 0;
}
