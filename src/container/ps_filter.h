/* `hull ps` selection as docker does it (daemon/list.go): which containers a listing shows for
 * -a, -n/--last and the `-f KEY=VALUE` filters. Pure logic over a small description of each
 * container, so that it can be tested without containers; the caller gathers the descriptions
 * (container_ps_facts_load) and resolves image references through the image store.
 *
 * Filters: the values of one key are alternatives (OR), different keys must all match (AND),
 * except `label`, whose values must all match (docker's MatchKVList).
 *   id=PREFIX           the ID starts with PREFIX
 *   name=RE             POSIX extended regular expression searched in the name (so a plain word
 *                       matches as a substring; ^ and $ anchor) or in "/name", as docker's Go
 *                       regexp does; an expression that does not compile matches exactly
 *   label=KEY, label=KEY=VALUE
 *   status=S            created, restarting, running, removing, paused, exited, dead; any status
 *                       filter lists all containers, as -a does
 *   exited=CODE         exit code of an exited container
 *   health=H            starting, healthy, unhealthy, none (no health check, or never started)
 *   ancestor=IMAGE      made from IMAGE (name[:tag], name@digest, ID or ID prefix) as the image
 *                       store resolves it now; an IMAGE the store does not know matches nothing
 *   volume=V            a mount whose volume name (bind mounts: host path) or destination is V
 *   before=C, since=C   created before / after container C (name, ID or unambiguous prefix) */
#ifndef HULL_CONTAINER_PS_FILTER_H
#define HULL_CONTAINER_PS_FILTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "container/status.h"
#include "container/store.h"
#include "util/error.h"

/* What the filters look at, borrowed from the record (valid while it lives). */
struct container_ps_facts {
    const char *id;   /* 64 hex digits */
    const char *name; /* without docker's leading "/" */
    enum container_state_kind state;
    int exit_code;        /* when exited (-1: unknown) */
    char health[16];      /* starting, healthy, unhealthy or none */
    json_t *labels;       /* Config.Labels: object of strings, or NULL */
    json_t *mounts;       /* the record's Mounts: Name, Source, Destination */
    const char *image_id; /* "sha256:..." the container was created from */
};

/* Fill `out` from a loaded record and its state (reads health.json for a stopped container). */
void container_ps_facts_load(container_record *r, const struct container_state_info *st,
                             struct container_ps_facts *out);

typedef struct container_ps_filter container_ps_filter;

container_ps_filter *container_ps_filter_new(void);
void container_ps_filter_free(container_ps_filter *f);
void container_ps_filter_freep(container_ps_filter **f);
#define cleanup_container_ps_filter __attribute__((cleanup(container_ps_filter_freep)))

/* Add one `KEY=VALUE` as given to --filter (key case-insensitive, both trimmed; an empty
 * argument adds nothing, as docker's). Refused with docker's messages: no `=` "bad format of
 * filter (expected name=value)", an unknown key "invalid filter 'KEY'", a bad status
 * "invalid filter 'status=VALUE'", a bad health "Unrecognised filter value for health: VALUE",
 * a bad exit code "invalid filter 'exited=VALUE'". */
int container_ps_filter_add(container_ps_filter *f, const char *expr, hull_err **err);

/* Whether a status filter was given (docker then lists every container, as with -a). */
bool container_ps_filter_lists_all(const container_ps_filter *f);

/* Whether an ancestor filter was given (the caller then resolves it). */
bool container_ps_filter_has_ancestor(const container_ps_filter *f);

/* Resolve the ancestor values: `resolve` returns the image ID of a reference (malloc'd,
 * "sha256:...") or NULL when the image store does not know it. */
void container_ps_filter_resolve_images(container_ps_filter *f,
                                        char *(*resolve)(void *ctx, const char *ref), void *ctx);

/* Whether one container passes the key filters (not -a, before/since or -n). */
bool container_ps_filter_match(const container_ps_filter *f, const struct container_ps_facts *c);

struct container_ps_options {
    bool all;  /* -a */
    long last; /* -n; <= 0: no limit (-l is 1) */
};

/* docker's listing: `list` holds every container, newest first; the indexes of those to show,
 * in that order, go to `out` (room for n) and their number to *count. Without -a, -n or a
 * status filter only running, paused and restarting containers are shown. Fails when a
 * before/since container is not in `list` ("no such container: REF"). */
int container_ps_select(container_ps_filter *f, const struct container_ps_facts *list, size_t n,
                        const struct container_ps_options *opt, size_t *out, size_t *count,
                        hull_err **err);

#endif
