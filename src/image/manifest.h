/* OCI and Docker v2 schema 2 manifests, image indexes / manifest lists, and image configs:
 * parsing into plain structs with every field a later step relies on validated once here. */
#ifndef HULL_IMAGE_MANIFEST_H
#define HULL_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define MT_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER        "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP   "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD   "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER     "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_DOCKER_LAYER_TAR "application/vnd.docker.image.rootfs.diff.tar"

/* What a registry is told we accept, best first. */
#define MANIFEST_ACCEPT                                                                            \
    MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_MANIFEST ", " MT_DOCKER_MANIFEST

typedef struct image_descriptor {
    char *media_type;
    char *digest;
    int64_t size;
} image_descriptor;

typedef struct image_manifest {
    char *media_type;
    image_descriptor config;
    image_descriptor *layers;
    size_t n_layers;
} image_manifest;

enum manifest_kind { MANIFEST_KIND_IMAGE, MANIFEST_KIND_INDEX };

/* Which kind of document this is; `hint` is a Content-Type or descriptor media type (may be
 * NULL). Schema 1 and unknown types are errors. */
int manifest_kind(const char *data, size_t len, const char *hint, enum manifest_kind *kind,
                  hull_err **err);

int manifest_parse(const char *data, size_t len, const char *hint, image_manifest **out,
                   hull_err **err);
void image_manifest_free(image_manifest *m);

/* Pick the manifest for `platform` ("os/arch[/variant]", NULL = this machine) from an index. */
int manifest_index_select(const char *data, size_t len, const char *platform, image_descriptor *out,
                          hull_err **err);

/* "linux/amd64" style name of the running machine. */
const char *image_host_platform(void);

void image_descriptor_clear(image_descriptor *d);

/* config.Healthcheck (docker's HEALTHCHECK): durations in nanoseconds, 0 = not set. */
typedef struct image_healthcheck {
    char **test; /* ["CMD", arg...], ["CMD-SHELL", cmd], ["NONE"]; empty = inherit */
    int64_t interval, timeout, start_period, start_interval, retries;
} image_healthcheck;

/* The parts of an image config a container needs. String lists are NULL-terminated. */
typedef struct image_config {
    char *architecture, *os, *variant, *created, *author;
    char **entrypoint, **cmd, **env, **labels, **exposed_ports, **volumes, **diff_ids;
    char *working_dir, *user, *stop_signal;
    int has_entrypoint, has_cmd;
    image_healthcheck *healthcheck; /* NULL when the config has none */
} image_config;

int image_config_parse(const char *data, size_t len, image_config **out, hull_err **err);
void image_config_free(image_config *c);

#endif
