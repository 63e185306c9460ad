/* Reading the event log (events.h): docker's `events` filters, and a reader that returns the
 * recorded events oldest first and then follows new ones (inotify, no polling). Used by
 * `hull events`; a front end serving docker's /events reads through the same calls. */
#ifndef HULL_CONTAINER_EVENTS_READ_H
#define HULL_CONTAINER_EVENTS_READ_H

#include <jansson.h>
#include <stdbool.h>

#include "container/store.h"
#include "util/error.h"

/* `--filter KEY=VALUE` as docker's: the values of one key are alternatives, different keys must
 * all match. Keys: type, event (action; `health_status` also matches `health_status: X`),
 * container (id, id prefix or name), image (the `image` attribute, the image event's id or
 * name), label (KEY or KEY=VALUE among the attributes), volume (name), scope (local). */
struct event_filter;
/* Add one KEY=VALUE; bad input is an error naming it (exit code 125). */
int event_filter_add(struct event_filter **f, const char *arg, hull_err **err);
bool event_filter_match(const struct event_filter *f, json_t *ev);
void event_filter_free(struct event_filter *f);

struct event_reader;
/* Open DATA_ROOT's log for reading from the first recorded event. */
int event_reader_open(const char *data_root, struct event_reader **out, hull_err **err);
/* The next event (a new reference) or NULL. With follow_until_ns > 0, waits for new events
 * until the wall clock reaches it (LLONG_MAX: for ever); 0 returns NULL at the end of what is
 * recorded. Torn lines are skipped. */
json_t *event_reader_next(struct event_reader *r, long long follow_until_ns);
void event_reader_close(struct event_reader *r);

/* Nanoseconds since the epoch of an event (timeNano). */
long long event_time_ns(json_t *ev);

#endif
