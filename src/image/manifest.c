/* Manifest, index and config parsing with jansson. */
#include "image/manifest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <jansson.h>

#include "util/digest.h"
#include "util/cleanup.h"

static json_t *parse_json(const char *data, size_t len, const char *what, hull_err **err)
{
    json_error_t jerr;
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (root == NULL) {
        hull_error(err, 0, "invalid %s JSON: %s (line %d)", what, jerr.text, jerr.line);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        hull_error(err, 0, "invalid %s: not a JSON object", what);
        return NULL;
    }
    return root;
}

static const char *kind_of(json_t *root, const char *hint, enum manifest_kind *kind, hull_err **err)
{
    json_t *sv = json_object_get(root, "schemaVersion");
    if (json_integer_value(sv) == 1) {
        hull_error(err, 0, "unsupported manifest schema version 1 (Docker v2 schema 1)");
        return NULL;
    }
    const char *mt = json_string_value(json_object_get(root, "mediaType"));
    if (mt == NULL || *mt == '\0')
        mt = hint;
    if (mt != NULL) {
        /* A content type may carry parameters: "type; charset=utf-8". */
        size_t n = strcspn(mt, "; ");
        if ((n == strlen(MT_OCI_INDEX) && strncmp(mt, MT_OCI_INDEX, n) == 0) ||
            (n == strlen(MT_DOCKER_LIST) && strncmp(mt, MT_DOCKER_LIST, n) == 0)) {
            *kind = MANIFEST_KIND_INDEX;
            return mt;
        }
        if ((n == strlen(MT_OCI_MANIFEST) && strncmp(mt, MT_OCI_MANIFEST, n) == 0) ||
            (n == strlen(MT_DOCKER_MANIFEST) && strncmp(mt, MT_DOCKER_MANIFEST, n) == 0)) {
            *kind = MANIFEST_KIND_IMAGE;
            return mt;
        }
    }
    /* No (useful) media type: OCI allows that; go by shape. */
    if (json_is_array(json_object_get(root, "manifests"))) {
        *kind = MANIFEST_KIND_INDEX;
        return MT_OCI_INDEX;
    }
    if (json_is_object(json_object_get(root, "config")) &&
        json_is_array(json_object_get(root, "layers"))) {
        *kind = MANIFEST_KIND_IMAGE;
        return MT_OCI_MANIFEST;
    }
    hull_error(err, 0, "unsupported manifest media type `%s`", mt ? mt : "(none)");
    return NULL;
}

int manifest_kind(const char *data, size_t len, const char *hint, enum manifest_kind *kind,
                  hull_err **err)
{
    json_auto_t *root = parse_json(data, len, "manifest", err);
    if (root == NULL)
        return -1;
    return kind_of(root, hint, kind, err) ? 0 : -1;
}

void image_descriptor_clear(image_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    d->media_type = d->digest = NULL;
}

static int parse_descriptor(json_t *j, image_descriptor *d, const char *what, hull_err **err)
{
    const char *digest = json_string_value(json_object_get(j, "digest"));
    const char *mt = json_string_value(json_object_get(j, "mediaType"));
    json_t *size = json_object_get(j, "size");
    if (!json_is_object(j) || !digest_is_valid(digest))
        return hull_error(err, 0, "%s descriptor has no valid sha256 digest", what);
    if (!json_is_integer(size) || json_integer_value(size) < 0)
        return hull_error(err, 0, "%s descriptor %s has no valid size", what, digest);
    d->digest = strdup(digest);
    d->media_type = strdup(mt ? mt : "");
    d->size = json_integer_value(size);
    if (d->digest == NULL || d->media_type == NULL)
        abort();
    return 0;
}

static int layer_type_supported(const char *mt)
{
    static const char *const ok[] = {MT_OCI_LAYER,    MT_OCI_LAYER_GZIP,   MT_OCI_LAYER_ZSTD,
                                     MT_DOCKER_LAYER, MT_DOCKER_LAYER_TAR, ""};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strcmp(mt, ok[i]) == 0)
            return 1;
    return 0;
}

void image_manifest_free(image_manifest *m)
{
    if (m == NULL)
        return;
    free(m->media_type);
    image_descriptor_clear(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        image_descriptor_clear(&m->layers[i]);
    free(m->layers);
    free(m);
}

int manifest_parse(const char *data, size_t len, const char *hint, image_manifest **out,
                   hull_err **err)
{
    json_auto_t *root = parse_json(data, len, "manifest", err);
    if (root == NULL)
        return -1;
    enum manifest_kind kind;
    const char *mt = kind_of(root, hint, &kind, err);
    if (mt == NULL)
        return -1;
    if (kind != MANIFEST_KIND_IMAGE)
        return hull_error(err, 0, "expected an image manifest, got an index");
    image_manifest *m = calloc(1, sizeof(*m));
    if (m == NULL)
        abort();
    m->media_type = strndup(mt, strcspn(mt, "; "));
    json_t *layers = json_object_get(root, "layers");
    if (parse_descriptor(json_object_get(root, "config"), &m->config, "config", err) < 0) {
        image_manifest_free(m);
        return -1;
    }
    if (!json_is_array(layers)) {
        image_manifest_free(m);
        return hull_error(err, 0, "manifest has no layers array");
    }
    m->layers = calloc(json_array_size(layers) + 1, sizeof(*m->layers));
    if (m->layers == NULL)
        abort();
    size_t i;
    json_t *l;
    json_array_foreach(layers, i, l)
    {
        if (parse_descriptor(l, &m->layers[i], "layer", err) < 0) {
            image_manifest_free(m);
            return -1;
        }
        m->n_layers++;
        if (!layer_type_supported(m->layers[i].media_type)) {
            hull_error(err, 0, "unsupported layer media type `%s`", m->layers[i].media_type);
            image_manifest_free(m);
            return -1;
        }
    }
    *out = m;
    return 0;
}

const char *image_host_platform(void)
{
    struct utsname u;
    if (uname(&u) == 0) {
        if (strcmp(u.machine, "aarch64") == 0)
            return "linux/arm64";
        if (strcmp(u.machine, "riscv64") == 0)
            return "linux/riscv64";
        if (strcmp(u.machine, "s390x") == 0)
            return "linux/s390x";
        if (strcmp(u.machine, "ppc64le") == 0)
            return "linux/ppc64le";
    }
    return "linux/amd64";
}

static int platform_matches(json_t *p, const char *os, const char *arch, const char *variant)
{
    const char *pos = json_string_value(json_object_get(p, "os"));
    const char *parch = json_string_value(json_object_get(p, "architecture"));
    const char *pvar = json_string_value(json_object_get(p, "variant"));
    if (pos == NULL || parch == NULL || strcmp(pos, os) != 0 || strcmp(parch, arch) != 0)
        return 0;
    return variant == NULL || (pvar != NULL && strcmp(pvar, variant) == 0);
}

int manifest_index_select(const char *data, size_t len, const char *platform, image_descriptor *out,
                          hull_err **err)
{
    if (platform == NULL)
        platform = image_host_platform();
    cleanup_free char *copy = strdup(platform);
    if (copy == NULL)
        abort();
    char *arch = strchr(copy, '/');
    if (arch == NULL)
        return hull_error(err, 0, "invalid platform `%s` (expected os/arch[/variant])", platform);
    *arch++ = '\0';
    char *variant = strchr(arch, '/');
    if (variant != NULL)
        *variant++ = '\0';
    json_auto_t *root = parse_json(data, len, "index", err);
    if (root == NULL)
        return -1;
    json_t *manifests = json_object_get(root, "manifests");
    size_t i;
    json_t *m;
    json_array_foreach(manifests, i, m)
    {
        if (platform_matches(json_object_get(m, "platform"), copy, arch, variant))
            return parse_descriptor(m, out, "manifest", err);
    }
    return hull_error(err, 0, "no image for platform %s in the index", platform);
}

static char **string_array(json_t *arr)
{
    size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
    char **v = calloc(n + 1, sizeof(char *));
    if (v == NULL)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s != NULL && (v[o++] = strdup(s)) == NULL)
            abort();
    }
    return v;
}

/* {"k": "v"} -> "k=v"; {"80/tcp": {}} -> "80/tcp" */
static char **object_entries(json_t *obj, int with_values)
{
    size_t n = json_is_object(obj) ? json_object_size(obj) : 0;
    char **v = calloc(n + 1, sizeof(char *));
    if (v == NULL)
        abort();
    size_t o = 0;
    const char *key;
    json_t *val;
    if (n == 0)
        return v;
    json_object_foreach(obj, key, val)
    {
        char *s = NULL;
        if (with_values) {
            if (asprintf(&s, "%s=%s", key, json_string_value(val) ? json_string_value(val) : "") <
                0)
                abort();
        } else if ((s = strdup(key)) == NULL) {
            abort();
        }
        v[o++] = s;
    }
    return v;
}

static char *dup_string(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        abort();
    return d;
}

static image_healthcheck *parse_healthcheck(json_t *hc)
{
    if (!json_is_object(hc))
        return NULL;
    image_healthcheck *h = calloc(1, sizeof *h);
    if (h == NULL)
        abort();
    h->test = string_array(json_object_get(hc, "Test"));
    h->interval = json_integer_value(json_object_get(hc, "Interval"));
    h->timeout = json_integer_value(json_object_get(hc, "Timeout"));
    h->start_period = json_integer_value(json_object_get(hc, "StartPeriod"));
    h->start_interval = json_integer_value(json_object_get(hc, "StartInterval"));
    h->retries = json_integer_value(json_object_get(hc, "Retries"));
    return h;
}

int image_config_parse(const char *data, size_t len, image_config **out, hull_err **err)
{
    json_auto_t *root = parse_json(data, len, "image config", err);
    if (root == NULL)
        return -1;
    image_config *c = calloc(1, sizeof(*c));
    if (c == NULL)
        abort();
    c->architecture = dup_string(root, "architecture");
    c->os = dup_string(root, "os");
    c->variant = dup_string(root, "variant");
    c->created = dup_string(root, "created");
    c->author = dup_string(root, "author");
    json_t *cfg = json_object_get(root, "config");
    c->has_entrypoint = json_is_array(json_object_get(cfg, "Entrypoint"));
    c->has_cmd = json_is_array(json_object_get(cfg, "Cmd"));
    c->entrypoint = string_array(json_object_get(cfg, "Entrypoint"));
    c->cmd = string_array(json_object_get(cfg, "Cmd"));
    c->env = string_array(json_object_get(cfg, "Env"));
    c->labels = object_entries(json_object_get(cfg, "Labels"), 1);
    c->exposed_ports = object_entries(json_object_get(cfg, "ExposedPorts"), 0);
    c->volumes = object_entries(json_object_get(cfg, "Volumes"), 0);
    c->working_dir = dup_string(cfg, "WorkingDir");
    c->user = dup_string(cfg, "User");
    c->stop_signal = dup_string(cfg, "StopSignal");
    c->healthcheck = parse_healthcheck(json_object_get(cfg, "Healthcheck"));
    c->diff_ids = string_array(json_object_get(json_object_get(root, "rootfs"), "diff_ids"));
    *out = c;
    return 0;
}

void image_config_free(image_config *c)
{
    if (c == NULL)
        return;
    free(c->architecture);
    free(c->os);
    free(c->variant);
    free(c->created);
    free(c->author);
    hull_strvfree(c->entrypoint);
    hull_strvfree(c->cmd);
    hull_strvfree(c->env);
    hull_strvfree(c->labels);
    hull_strvfree(c->exposed_ports);
    hull_strvfree(c->volumes);
    hull_strvfree(c->diff_ids);
    free(c->working_dir);
    free(c->user);
    free(c->stop_signal);
    if (c->healthcheck)
        hull_strvfree(c->healthcheck->test);
    free(c->healthcheck);
    free(c);
}
