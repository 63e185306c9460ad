/* Reference parsing after the grammar of github.com/distribution/reference. */
#include "image/reference.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/digest.h"
#include "util/cleanup.h"

static int is_alnum_lower(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component: [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static int valid_component(const char *s, size_t len)
{
    if (len == 0 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (is_alnum_lower(s[i]))
            continue;
        if (s[i] == '.' || s[i] == '_') {
            size_t run = 1;
            while (i + run < len && s[i + run] == s[i])
                run++;
            if (s[i] == '.' ? run > 1 : run > 2)
                return 0;
            i += run - 1;
            continue;
        }
        if (s[i] == '-')
            continue;
        return 0;
    }
    return 1;
}

static int valid_path(const char *path)
{
    const char *p = path;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (!valid_component(p, len))
            return 0;
        if (slash == NULL)
            return 1;
        p = slash + 1;
    }
}

/* host (alnum, '-', '.') or [ipv6], with an optional :port */
static int valid_domain(const char *d)
{
    const char *p = d;
    if (*p == '[') {
        const char *close = strchr(p, ']');
        if (close == NULL)
            return 0;
        for (const char *q = p + 1; q < close; q++)
            if (!isxdigit((unsigned char)*q) && *q != ':')
                return 0;
        p = close + 1;
    } else {
        if (!isalnum((unsigned char)*p))
            return 0;
        while (isalnum((unsigned char)*p) || *p == '-' || *p == '.')
            p++;
    }
    if (*p == ':') {
        p++;
        if (!isdigit((unsigned char)*p))
            return 0;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return *p == '\0';
}

static int valid_tag(const char *t)
{
    size_t len = strlen(t);
    if (len == 0 || len > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return 0;
    return 1;
}

void image_ref_free(image_ref *ref)
{
    if (ref == NULL)
        return;
    free(ref->domain);
    free(ref->path);
    free(ref->tag);
    free(ref->digest);
    free(ref);
}

void image_ref_freep(image_ref **ref)
{
    image_ref_free(*ref);
}

static int bad_ref(const char *text, const char *why, hull_err **err)
{
    return hull_error(err, 0, "invalid image reference `%s`: %s", text, why);
}

int image_ref_parse(const char *text, image_ref **out, hull_err **err)
{
    if (text == NULL || *text == '\0')
        return bad_ref("", "empty", err);
    cleanup_free char *copy = strdup(text);
    if (copy == NULL)
        abort();
    cleanup_image_ref image_ref *ref = calloc(1, sizeof(*ref));
    if (ref == NULL)
        abort();

    char *at = strchr(copy, '@');
    if (at != NULL) {
        *at = '\0';
        if (!digest_is_valid(at + 1))
            return bad_ref(text, "the digest must be sha256: and 64 lowercase hex digits", err);
        ref->digest = strdup(at + 1);
    }
    char *last_slash = strrchr(copy, '/');
    char *colon = strrchr(last_slash ? last_slash : copy, ':');
    if (colon != NULL) {
        *colon = '\0';
        if (!valid_tag(colon + 1))
            return bad_ref(text, "invalid tag", err);
        ref->tag = strdup(colon + 1);
    }
    char *name = copy;
    char *first_slash = strchr(name, '/');
    if (first_slash != NULL) {
        size_t dlen = (size_t)(first_slash - name);
        int is_domain = memchr(name, '.', dlen) || memchr(name, ':', dlen) ||
                        (dlen == 9 && strncmp(name, "localhost", 9) == 0) ||
                        memchr(name, '[', dlen);
        if (is_domain) {
            *first_slash = '\0';
            if (!valid_domain(name))
                return bad_ref(text, "invalid registry host", err);
            ref->domain = strdup(name);
            name = first_slash + 1;
        }
    }
    if (ref->domain == NULL) {
        ref->domain = strdup(IMAGE_REF_DEFAULT_DOMAIN);
        ref->short_name = 1;
    } else if (strcmp(ref->domain, "index.docker.io") == 0) {
        free(ref->domain);
        ref->domain = strdup(IMAGE_REF_DEFAULT_DOMAIN);
    }
    if (!valid_path(name))
        return bad_ref(text, "repository names are lowercase letters, digits and separators", err);
    if (strcmp(ref->domain, IMAGE_REF_DEFAULT_DOMAIN) == 0 && strchr(name, '/') == NULL) {
        if (asprintf(&ref->path, "library/%s", name) < 0)
            abort();
    } else {
        ref->path = strdup(name);
    }
    /* docker's limit is on the normalised name (`busybox` is docker.io/library/busybox): a
     * short name that fits but whose full name does not would be usable by one name only. */
    size_t full = strlen(ref->domain) + 1 + strlen(ref->path);
    if (full > 255) {
        char why[128];
        snprintf(why, sizeof why,
                 "repository name must not be more than 255 characters (`%s/...` is %zu)",
                 ref->domain, full);
        return bad_ref(text, why, err);
    }
    if (ref->tag == NULL && ref->digest == NULL)
        ref->tag = strdup(IMAGE_REF_DEFAULT_TAG);
    if (ref->domain == NULL || ref->path == NULL)
        abort();
    *out = steal_pointer(&ref);
    return 0;
}

char *image_ref_repository(const image_ref *ref)
{
    char *s = NULL;
    if (asprintf(&s, "%s/%s", ref->domain, ref->path) < 0)
        abort();
    return s;
}

char *image_ref_string(const image_ref *ref)
{
    char *s = NULL;
    int r;
    if (ref->tag != NULL)
        r = asprintf(&s, "%s/%s:%s", ref->domain, ref->path, ref->tag);
    else
        r = asprintf(&s, "%s/%s@%s", ref->domain, ref->path, ref->digest);
    if (r < 0)
        abort();
    return s;
}

const char *image_ref_registry_host(const image_ref *ref)
{
    if (strcmp(ref->domain, IMAGE_REF_DEFAULT_DOMAIN) == 0)
        return "registry-1.docker.io";
    return ref->domain;
}
