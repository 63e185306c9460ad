/* Container JSON documents for inspect and ps (see inspect.h). */
#include "container/inspect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container/health.h"
#include "util/cleanup.h"

static const char *const internal_fields[] = {"LayerDirs", "ResolvedUser", NULL};

json_t *container_inspect_json(const container_record *r, const struct container_state_info *st)
{
    json_t *o = json_deep_copy(r->doc);
    for (const char *const *f = internal_fields; *f; f++)
        json_object_del(o, *f);
    /* docker's Name carries a leading slash (the daemon's name registry path). */
    const char *name = json_string_value(json_object_get(o, "Name"));
    if (name && name[0] != '/') {
        cleanup_free char *slashed = NULL;
        if (asprintf(&slashed, "/%s", name) < 0)
            abort();
        json_object_set_new(o, "Name", json_string(slashed));
    }
    json_t *state = container_status_json(st);
    json_t *health = NULL;
    cleanup_err hull_err *e = NULL;
    /* docker shows State.Health once a container with a health check has started. */
    if (r->healthcheck && health_record_read(r->dirfd, &health, &e) == 0 && health)
        json_object_set_new(state, "Health", health);
    json_object_set_new(o, "State", state);
    json_object_set_new(o, "RestartCount", json_integer(st->restart_count));
    char path[4096];
    static const struct {
        const char *key, *file;
    } files[] = {
        {"HostnamePath", "hostname"}, {"HostsPath", "hosts"}, {"ResolvConfPath", "resolv.conf"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", r->dir, files[i].file);
        json_object_set_new(o, files[i].key, json_string(path));
    }
    /* docker's Mounts entries carry Driver/Mode/Propagation too. */
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(o, "Mounts"), i, m)
    {
        json_object_del(m, "Anonymous");
        if (strcmp(json_string_value(json_object_get(m, "Type")), "volume") == 0)
            json_object_set_new(m, "Driver", json_string("local"));
        json_object_set_new(m, "Propagation", json_string("rprivate"));
    }
    char upper[4096], work[4096], merged[4096];
    snprintf(upper, sizeof upper, "%s/storage/upper", r->dir);
    snprintf(work, sizeof work, "%s/storage/work", r->dir);
    snprintf(merged, sizeof merged, "%s/rootfs", r->bundle);
    json_t *lower = json_object_get(r->doc, "LayerDirs");
    size_t len = 1;
    json_array_foreach(lower, i, m) len += strlen(json_string_value(m)) + 1;
    char *lower_text = calloc(1, len);
    if (lower_text == NULL)
        abort();
    size_t off = 0;
    for (size_t k = json_array_size(lower); k-- > 0;) {
        const char *d = json_string_value(json_array_get(lower, k));
        size_t dl = strlen(d);
        memcpy(lower_text + off, d, dl);
        off += dl;
        if (k)
            lower_text[off++] = ':';
    }
    lower_text[off] = '\0';
    json_object_set_new(o, "GraphDriver",
                        json_pack("{s:s, s:{s:s, s:s, s:s, s:s}}", "Name", "overlay", "Data",
                                  "LowerDir", lower_text, "UpperDir", upper, "WorkDir", work,
                                  "MergedDir", merged));
    free(lower_text);
    return o;
}

static char *put(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static void append_quoted(char **buf, size_t *len, size_t *cap, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p && plain; p++)
        plain = strchr(" \t\n'\"\\$`;&|<>(){}*?!#~", *p) == NULL;
    size_t need = strlen(s) * 4 + 4;
    if (*len + need >= *cap) {
        *cap = (*len + need) * 2;
        *buf = realloc(*buf, *cap);
        if (*buf == NULL)
            abort();
    }
    char *o = *buf + *len;
    if (*len)
        *o++ = ' ';
    if (plain) {
        o = put(o, s);
    } else {
        *o++ = '\'';
        for (const char *p = s; *p; p++) {
            if (*p == '\'')
                o = put(o, "'\\''");
            else
                *o++ = *p;
        }
        *o++ = '\'';
    }
    *o = '\0';
    *len = (size_t)(o - *buf);
}

char *container_command_text(const container_record *r)
{
    size_t len = 0, cap = 64;
    char *buf = calloc(1, cap);
    if (buf == NULL)
        abort();
    const char *path = json_string_value(json_object_get(r->doc, "Path"));
    if (path == NULL)
        return buf; /* a dead container: no command recorded */
    append_quoted(&buf, &len, &cap, path);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(r->doc, "Args"), i, a)
        append_quoted(&buf, &len, &cap, json_string_value(a));
    return buf;
}

json_t *container_ps_json(const container_record *r, const struct container_state_info *st)
{
    char status[128];
    container_status_text(st, status, sizeof status);
    char *cmd = container_command_text(r);
    json_t *mounts = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(r->doc, "Mounts"), i, m)
    {
        const char *name = json_string_value(json_object_get(m, "Name"));
        json_array_append_new(
            mounts, json_string(name ? name
                                : json_string_value(json_object_get(m, "Source"))
                                    ? json_string_value(json_object_get(m, "Source"))
                                    : json_string_value(json_object_get(m, "Destination"))));
    }
    json_t *o =
        json_pack("{s:s, s:[s], s:O, s:O, s:s, s:O, s:s, s:s, s:i, s:i, s:s, s:s, s:O, s:o, s:I}",
                  "Id", r->id, "Names", r->name, "Image", json_object_get(r->doc, "ImageName"),
                  "ImageID", json_object_get(r->doc, "Image"), "Command", cmd, "Created",
                  json_object_get(r->doc, "Created"), "State", container_state_name(st->state),
                  "Status", status, "ExitCode", st->exit_code, "Pid", (int)st->pid, "StartedAt",
                  st->started_at, "FinishedAt", st->finished_at, "Labels",
                  json_object_get(json_object_get(r->doc, "Config"), "Labels"), "Mounts", mounts,
                  "RestartCount", (json_int_t)st->restart_count);
    json_object_set_new(o, "Health", json_string(st->health));
    free(cmd);
    return o;
}
