/* The event log: what happened to containers, images and volumes, for `hull events`.
 *
 * No daemon sees every change, so every process that makes one appends a line to
 * DATA_ROOT/events.log: the hull commands (create, start, stop, kill, pause, rm, rmi, pull,
 * volume create/rm...), the per-container monitor (die, oom) and the health probes
 * (health_status). Each line is one JSON object in docker's shape, so that scripts reading
 * `docker events --format '{{json .}}'` read hull's:
 *
 *   {"status":"die","id":"3fa2…","from":"busybox","Type":"container","Action":"die",
 *    "Actor":{"ID":"3fa2…","Attributes":{"exitCode":"0","image":"busybox","name":"web"}},
 *    "scope":"local","time":1733400000,"timeNano":1733400000123456789}
 *
 * (`status`, `id` and `from` are docker's legacy fields, given for container and image events.)
 *
 * Writing: one write(2) of the whole line on an O_APPEND descriptor, so concurrent writers never
 * interleave. Past EVENT_LOG_MAX_SIZE the writer that notices takes DATA_ROOT/events.lock (flock,
 * non-blocking: another writer is doing it) and renames events.log to events.log.1 (one old file
 * is kept). Readers read events.log.1 then events.log, and follow events.log with inotify.
 *
 * This file is libc-only (it is linked into the static hull-monitor too). Failing to record an
 * event never fails the operation it describes: the functions return -1 with errno set and
 * callers only warn (or ignore it, in the monitor).
 *
 * The API other layers and front ends call:
 *   - event_attr_append(): build the Attributes members, escaped, into a caller's buffer;
 *   - event_log_append(): append one event;
 *   - event_attrs_read(): a container's fixed attributes (image, name, labels), written to
 *     DIR/event-attrs before a monitor first starts, so that it adds them without a JSON
 *     library.
 * From libhull, container/event_emit.h does all of it from a container record, a volume name or
 * an image. */
#ifndef HULL_MONITOR_EVENTS_H
#define HULL_MONITOR_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

#define EVENT_LOG_NAME     "events.log"
#define EVENT_LOG_OLD_NAME "events.log.1"
#define EVENT_LOCK_NAME    "events.lock"
#define EVENT_LOG_MAX_SIZE (4L << 20)
/* A container's fixed attributes (a JSON members fragment), DIR/event-attrs. */
#define EVENT_ATTRS_NAME "event-attrs"
/* Largest line written; attributes past it are dropped (the line stays valid JSON). */
#define EVENT_LINE_MAX 8192

/* Append `"key":"value"` (JSON-escaped, comma-separated from what `buf` holds) to the
 * NUL-terminated members fragment in buf. Returns -1 (buf unchanged) when it does not fit. */
int event_attr_append(char *buf, size_t size, const char *key, const char *value);

struct event {
    const char *type;   /* "container", "image", "volume" */
    const char *action; /* docker's: "create", "start", "die", "health_status: healthy", ... */
    const char *id;     /* Actor.ID: container id, image reference or id, volume name */
    const char *from;   /* legacy `from` (the container's image), NULL to omit */
    const char *attrs;  /* Attributes members fragment (event_attr_append), NULL or "" = none */
};

/* Append one event to DATA_ROOT/events.log (timestamped now). */
int event_log_append(const char *data_root, const struct event *ev);

/* DIR/event-attrs (written by container_event_attrs_write before the container's first
 * monitor starts: the image on the first
 * line, the Attributes fragment on the second) into image and attrs; "" and -1 when missing. */
int event_attrs_read(int dirfd, char *image, size_t image_size, char *attrs, size_t attrs_size);

#endif
