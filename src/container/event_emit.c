/* Events from container records, volumes and images (see event_emit.h and events.h). */
#include "container/event_emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/events.h"
#include "util/cleanup.h"
#include "util/log.h"

/* image, name and every label, as docker's container events carry them. */
static void record_attrs(const container_record *r, char *buf, size_t size)
{
    buf[0] = '\0';
    const char *image = json_string_value(json_object_get(r->doc, "ImageName"));
    event_attr_append(buf, size, "image", image ? image : "");
    event_attr_append(buf, size, "name", r->name ? r->name : "");
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(r->doc, "Config"), "Labels"), k, v)
    {
        if (json_is_string(v))
            event_attr_append(buf, size, k, json_string_value(v));
    }
}

int container_event_attrs_write(const container_record *r, hull_err **err)
{
    char attrs[EVENT_LINE_MAX / 2];
    record_attrs(r, attrs, sizeof attrs);
    const char *image = json_string_value(json_object_get(r->doc, "ImageName"));
    cleanup_free char *text = NULL;
    if (asprintf(&text, "%s\n%s", image ? image : "", attrs) < 0)
        abort();
    return container_write_file(r->dirfd, EVENT_ATTRS_NAME, text, strlen(text), 0600, err);
}

static void append(const char *data_root, const struct event *ev)
{
    if (event_log_append(data_root, ev) < 0)
        hull_warn("record the %s event `%s`: %s", ev->type, ev->action, strerror(errno));
}

void container_event(container_store *cs, const container_record *r, const char *action,
                     const char *extra_key, const char *extra_value)
{
    char attrs[EVENT_LINE_MAX / 2];
    record_attrs(r, attrs, sizeof attrs);
    if (extra_key)
        event_attr_append(attrs, sizeof attrs, extra_key, extra_value);
    const char *image = json_string_value(json_object_get(r->doc, "ImageName"));
    struct event ev = {"container", action, r->id, image ? image : "", attrs};
    append(cs->data_root, &ev);
}

void volume_event(const char *data_root, const char *name, const char *action)
{
    char attrs[256] = "";
    event_attr_append(attrs, sizeof attrs, "driver", "local");
    struct event ev = {"volume", action, name, NULL, attrs};
    append(data_root, &ev);
}

void image_event(const char *data_root, const char *action, const char *id, const char *name)
{
    char attrs[1200] = "";
    if (name)
        event_attr_append(attrs, sizeof attrs, "name", name);
    struct event ev = {"image", action, id, NULL, attrs};
    append(data_root, &ev);
}
