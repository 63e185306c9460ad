/* Container changes into images (see commit.h). */
#include "builder/commit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "builder/containerfile.h"
#include "builder/instructions.h"
#include "image/draft.h"
#include "image/image.h"
#include "image/layer_create.h"
#include "util/cleanup.h"

static const char *const mount_points[] = {"etc/hosts", "etc/hostname", "etc/resolv.conf", NULL};

/* What `--change` may say (docker's list). */
static const char *const allowed[] = {"CMD",        "ENTRYPOINT",  "ENV",    "EXPOSE",
                                      "LABEL",      "USER",        "VOLUME", "WORKDIR",
                                      "STOPSIGNAL", "HEALTHCHECK", NULL};

static int apply_change(struct build_state *st, const char *line, hull_err **err)
{
    /* The reader wants a FROM first; a change is a lone instruction. */
    struct containerfile *cf = NULL;
    cleanup_free char *text = NULL;
    if (asprintf(&text, "FROM scratch\n%s\n", line) < 0)
        abort();
    if (containerfile_parse("--change", text, &cf, err) < 0)
        return -1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < cf->n; i++) {
        const struct cf_instruction *in = &cf->ins[i];
        if (strcmp(in->keyword, "FROM") == 0)
            continue;
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || strcmp(*a, in->keyword) == 0;
        if (!ok)
            r = hull_error(err, 0, "--change `%s`: %s is not a valid change command", line,
                           in->keyword);
        else if (build_state_apply(st, in, cf->escape, err) < 0)
            r = hull_error_prefix(err, "--change `%s`", line);
    }
    containerfile_free(cf);
    return r;
}

/* docker commit keeps what the container was run with: its Cmd, Entrypoint and Env. */
static void take_container_config(struct build_state *st, const container_record *r)
{
    json_t *cfg = json_object_get(r->doc, "Config");
    json_t *c = image_draft_container_config(&st->d);
    static const char *const keys[] = {"Cmd", "Entrypoint", "WorkingDir", "User", NULL};
    for (const char *const *k = keys; *k; k++) {
        json_t *v = json_object_get(cfg, *k);
        if (v && !json_is_null(v) && !(json_is_string(v) && *json_string_value(v) == '\0'))
            json_object_set(c, *k, v);
    }
    json_t *env = json_object_get(cfg, "Env");
    if (json_is_array(env)) {
        json_t *keep = json_array();
        size_t i;
        json_t *v;
        json_array_foreach(env, i, v)
        {
            const char *e = json_string_value(v);
            if (e && strncmp(e, "HOSTNAME=", 9) != 0)
                json_array_append(keep, v);
        }
        json_object_set_new(c, "Env", keep);
    }
}

int builder_commit(container_store *cs, image_store *is, const struct commit_request *req,
                   char id_out[DIGEST_STR_LEN], hull_err **err)
{
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, req->container, &r, err) < 0)
        return -1;
    cleanup_image_info image_info *img = NULL;
    if (image_lookup(is, r->image_digest, &img, err) < 0)
        return hull_error_prefix(err, "container %.12s", r->id);
    struct build_state st = {0};
    if (image_draft_from_image(&st.d, img, err) < 0)
        return -1;
    take_container_config(&st, r);
    build_state_load_config(&st);
    int rc = 0;
    for (char **c = req->changes; rc == 0 && c && *c; c++)
        rc = apply_change(&st, *c, err);
    cleanup_close int upper = -1;
    if (rc == 0) {
        upper = openat(r->dirfd, "storage/upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (upper < 0)
            rc = hull_error(err, errno,
                            "container %.12s: no overlay upper directory to commit "
                            "(commit needs overlayfs)",
                            r->id);
    }
    char layer[DIGEST_STR_LEN];
    int64_t size = 0;
    struct layer_create_options lo = {.skip_empty = mount_points};
    if (rc == 0)
        rc = layer_create_from_dir(is, upper, &lo, layer, &size, err);
    if (rc == 0)
        rc = store_layer_unpack(is, layer, err);
    if (rc == 0) {
        cleanup_free char *by = NULL;
        if (asprintf(&by, "hull commit %.12s", r->id) < 0)
            abort();
        image_draft_add_layer(&st.d, layer, size, by, req->message);
        image_draft_set_created(&st.d, (long long)time(NULL), req->author);
        char manifest[DIGEST_STR_LEN];
        rc = image_draft_write(is, &st.d, req->name, manifest, id_out, err);
    }
    build_state_clear(&st);
    return rc;
}

int builder_changes_config(char *const *changes, json_t **out, hull_err **err)
{
    struct build_state st = {0};
    build_state_init_scratch(&st);
    int rc = 0;
    for (char *const *c = changes; rc == 0 && c && *c; c++)
        rc = apply_change(&st, *c, err);
    if (rc == 0)
        *out = json_deep_copy(image_draft_container_config(&st.d));
    build_state_clear(&st);
    return rc;
}
