/* Recording events from libhull and the front ends (the event log itself: events.h). Every
 * function is best effort: a failure is a warning on stderr, never the operation's failure. */
#ifndef HULL_CONTAINER_EVENT_EMIT_H
#define HULL_CONTAINER_EVENT_EMIT_H

#include "container/store.h"
#include "util/error.h"

/* DIR/event-attrs: the container's image, name and labels as an Attributes fragment, for the
 * monitor's events: written when a monitor is about to start and there is none yet (a
 * container that only ever runs attached, as `run --rm` does, never needs the file). */
int container_event_attrs_write(const container_record *r, hull_err **err);

/* A container event with the record's attributes and, optionally, one more (extra_key NULL:
 * none), e.g. container_event(cs, r, "kill", "signal", "15"). */
void container_event(container_store *cs, const container_record *r, const char *action,
                     const char *extra_key, const char *extra_value);

/* A volume event (create, destroy) with docker's attribute driver=local. */
void volume_event(const char *data_root, const char *name, const char *action);

/* An image event (pull, tag, untag, delete, load, save, push): `id` is the reference or image
 * id docker reports, `name` the reference (attribute name), NULL to omit. */
void image_event(const char *data_root, const char *action, const char *id, const char *name);

#endif
