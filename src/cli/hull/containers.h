/* Helpers shared by the container commands of `hull` (run, ps, logs, stop, rm, ...). */
#ifndef HULL_CLI_HULL_CONTAINERS_H
#define HULL_CLI_HULL_CONTAINERS_H

#include <signal.h>

#include "cli/hull/cli.h"
#include "container/attach.h"
#include "container/request.h"
#include "container/store.h"

/* Open DATA_ROOT's container store. */
int ctr_open(struct hull_cli *cli, container_store **out, hull_err **err);

/* The options of stop and restart (`opts`: -t/--time and aliases, any id): the seconds value
 * (0..1000000; -1 when not given) and at least one CONTAINER after them (from *first).
 * Returns 0, or the usage error's exit status. */
int ctr_parse_stop_options(const char *command, const struct option_spec *opts, int argc,
                           char **argv, long *timeout, int *first);
/* A command without options and at least one CONTAINER (pause, unpause, wait): *first is the
 * first CONTAINER. Returns 0, or the usage error's exit status. */
int ctr_parse_no_options(const char *command, int argc, char **argv, int *first);
/* Find `ref` and stop it as `hull stop` does (timeout -1: the container's stop timeout). */
int ctr_stop_ref(container_store *cs, const char *ref, long timeout, container_record **r,
                 hull_err **err);

/* Parse `hull run`/`hull create` options up to IMAGE; fills req (req->cmd points into argv).
 * Returns 0, or the exit status to return (125 for usage errors, 0 after --help). */
int run_flags_parse(const char *command, int argc, char **argv, struct run_request *req,
                    bool *help_shown);
/* Refuse what this build cannot do yet, with a message naming the flag (exit 125). */
int run_flags_check_supported(const char *command, const struct run_request *req);

extern const char run_flags_help[];

/* RFC 3339 text (fractions kept) -> nanoseconds since the epoch; 0 when unparsable. */
long long ctr_time_ns(const char *text);
/* docker's --since/--until: RFC 3339, Unix seconds (with a fraction), or a duration before now
 * (10s, 5m, 2h). Returns -1 when TEXT is none of these. */
int ctr_parse_when(const char *text, long long *out);

/* An attach session (`hull attach`, `hull run -it`) over `sock`, connected to the container's
 * attach endpoint, until the run ends (returns its exit code) or the detach keys are typed
 * (*detached, returns 0). The terminal is raw meanwhile and restored after. */
struct ctr_attach_opts {
    unsigned char keys[DETACH_KEYS_MAX];
    size_t n_keys;
    bool stdin_on;  /* our stdin feeds the container */
    bool sig_proxy; /* forward signals (never with a terminal) */
};
int ctr_attach_session(container_store *cs, container_record *r, const char *ref, int sock,
                       const struct ctr_attach_opts *o, bool *detached);
/* Block the signals the session catches, before connecting to the monitor (the session reads
 * them from a signalfd, pending ones included); *old: the mask to restore after it. */
void ctr_attach_block_signals(sigset_t *old);

/* Run a command over several containers (stop, kill, rm, wait, ...): errors are printed per
 * container, the status is that of the last failure. */
int ctr_for_each(struct hull_cli *cli, int first, int argc, char **argv,
                 int (*fn)(struct hull_cli *cli, container_store *cs, const char *ref, void *data),
                 void *data);

#endif
