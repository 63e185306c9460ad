/* Encoding and decoding of the guest launch description (see guest_config.h). */
#include "vm/guest_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buffer {
    char *data;
    size_t len, cap;
};

static int buffer_put(struct buffer *b, char tag, const char *value)
{
    size_t n = strlen(value);
    if (b->len + n + 2 > VM_GUEST_CONFIG_MAX_SIZE)
        return -E2BIG;
    if (b->len + n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 2)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    b->data[b->len++] = tag;
    memcpy(b->data + b->len, value, n + 1);
    b->len += n + 1;
    return 0;
}

static int buffer_put_all(struct buffer *b, char tag, char *const *values)
{
    for (size_t i = 0; values != NULL && values[i] != NULL; i++) {
        int r = buffer_put(b, tag, values[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

int vm_guest_config_encode(const struct vm_guest_config *cfg, char **out, size_t *out_len)
{
    if (cfg->argv == NULL || cfg->argv[0] == NULL || cfg->argv[0][0] == '\0')
        return -EINVAL;
    for (size_t i = 0; cfg->hosts != NULL && cfg->hosts[i] != NULL; i++)
        if (strchr(cfg->hosts[i], '\n') != NULL)
            return -EINVAL;
    for (size_t i = 0; cfg->env != NULL && cfg->env[i] != NULL; i++)
        if (strchr(cfg->env[i], '=') == NULL || cfg->env[i][0] == '=')
            return -EINVAL;
    struct buffer b = {0};
    int r = buffer_put_all(&b, VM_GUEST_TAG_ARG, cfg->argv);
    if (r == 0)
        r = buffer_put_all(&b, VM_GUEST_TAG_ENV, cfg->env);
    if (r == 0)
        r = buffer_put_all(&b, VM_GUEST_TAG_HOSTS, cfg->hosts);
    if (r == 0 && cfg->cwd != NULL)
        r = buffer_put(&b, VM_GUEST_TAG_CWD, cfg->cwd);
    if (r == 0 && cfg->hostname != NULL)
        r = buffer_put(&b, VM_GUEST_TAG_HOSTNAME, cfg->hostname);
    if (r == 0 && cfg->workspace != NULL)
        r = buffer_put(&b, VM_GUEST_TAG_WORKSPACE, cfg->workspace);
    if (r == 0 && cfg->net_user)
        r = buffer_put(&b, VM_GUEST_TAG_NET, "user");
    if (r == 0 && (cfg->uid != 0 || cfg->gid != 0)) {
        char ids[32];
        snprintf(ids, sizeof(ids), "%u %u", cfg->uid, cfg->gid);
        r = buffer_put(&b, VM_GUEST_TAG_USER, ids);
    }
    if (r < 0) {
        free(b.data);
        return r;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}

static int strv_push(char ***v, size_t *n, char *s)
{
    char **nv = realloc(*v, (*n + 2) * sizeof(char *));
    if (nv == NULL)
        return -ENOMEM;
    nv[(*n)++] = s;
    nv[*n] = NULL;
    *v = nv;
    return 0;
}

static int ensure_strv(char ***v)
{
    if (*v == NULL)
        *v = calloc(1, sizeof(char *));
    return *v == NULL ? -ENOMEM : 0;
}

static int parse_ids(const char *s, unsigned *uid, unsigned *gid)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -EINVAL;
    unsigned long u = strtoul(s, &end, 10);
    if (*end != ' ' || end[1] < '0' || end[1] > '9')
        return -EINVAL;
    unsigned long g = strtoul(end + 1, &end, 10);
    if (*end != '\0' || u > 0xfffffffeUL || g > 0xfffffffeUL)
        return -EINVAL;
    *uid = (unsigned)u;
    *gid = (unsigned)g;
    return 0;
}

static int decode_records(char *buf, size_t len, struct vm_guest_config *cfg)
{
    size_t nargs = 0, nenv = 0, nhosts = 0;
    size_t pos = 0;
    while (pos < len) {
        char tag = buf[pos++];
        char *value = buf + pos;
        char *end = memchr(value, '\0', len - pos);
        if (end == NULL)
            return -EINVAL;
        pos = (size_t)(end - buf) + 1;
        int r = 0;
        switch (tag) {
        case VM_GUEST_TAG_ARG:
            r = strv_push(&cfg->argv, &nargs, value);
            break;
        case VM_GUEST_TAG_ENV:
            r = strv_push(&cfg->env, &nenv, value);
            break;
        case VM_GUEST_TAG_HOSTS:
            r = strv_push(&cfg->hosts, &nhosts, value);
            break;
        case VM_GUEST_TAG_CWD:
            cfg->cwd = value;
            break;
        case VM_GUEST_TAG_WORKSPACE:
            if (value[0] != '/')
                return -EINVAL;
            cfg->workspace = value;
            break;
        case VM_GUEST_TAG_HOSTNAME:
            cfg->hostname = value;
            break;
        case VM_GUEST_TAG_USER:
            r = parse_ids(value, &cfg->uid, &cfg->gid);
            break;
        case VM_GUEST_TAG_NET:
            if (strcmp(value, "user") != 0)
                return -EINVAL;
            cfg->net_user = true;
            break;
        default:
            return -EINVAL;
        }
        if (r < 0)
            return r;
    }
    if (nargs == 0)
        return -EINVAL;
    return 0;
}

int vm_guest_config_decode(char *buf, size_t len, struct vm_guest_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    int r = decode_records(buf, len, cfg);
    if (r == 0)
        r = ensure_strv(&cfg->env);
    if (r == 0)
        r = ensure_strv(&cfg->hosts);
    if (r < 0) {
        vm_guest_config_free(cfg);
        return r;
    }
    if (cfg->cwd == NULL)
        cfg->cwd = "/";
    return 0;
}

void vm_guest_config_free(struct vm_guest_config *cfg)
{
    free(cfg->argv);
    free(cfg->env);
    free(cfg->hosts);
    memset(cfg, 0, sizeof(*cfg));
}
