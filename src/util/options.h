/* Command-line option parsing shared by the front ends, one table per command.
 * Two conventions over the same table and the same usage-error wording:
 * - OPTIONS_RUNC (hull-runtime): --name value, --name=value, -n value, -nvalue and urfave/cli's
 *   single-dash long -name; options and operands may interleave.
 * - OPTIONS_POSIX (hull, like docker): --name value, --name=value, short clusters (-dit,
 *   -it -sSIG, -s SIG, -H=false); option parsing stops at the first operand (`run IMAGE CMD...`).
 * In both, boolean flags also take --name=true|false and "--" ends the options. */
#ifndef HULL_UTIL_OPTIONS_H
#define HULL_UTIL_OPTIONS_H

#include <stdbool.h>

#include "util/error.h"

struct option_spec {
    const char *name; /* long name without dashes */
    char short_name;  /* 0 = none */
    bool has_arg;
    int id;           /* returned to the caller */
    const char *help; /* one line for --help listings, or NULL */
};

enum option_style { OPTIONS_RUNC = 0, OPTIONS_POSIX };

struct option_parser {
    const struct option_spec *specs;
    int argc;
    char **argv;
    int index; /* next argv element */
    /* Stop at the n-th positional argument (0 = never): everything from there on is
     * positional (exec's command, after the container id). */
    int stop_after_positionals;
    int positionals_seen;
    char **positionals; /* collected, NULL-terminated, owned */
    int n_positionals;
    bool done;
    int stop_index; /* argv index of the positional that ended option parsing, or -1 */
    enum option_style style;
    const char *cluster; /* OPTIONS_POSIX: rest of a short-flag cluster being read, or NULL */
};

/* Initialise over argv[start..argc). */
int options_init(struct option_parser *p, const struct option_spec *specs, int argc, char **argv,
                 int start, int stop_after_positionals, hull_err **err);
/* Initialise the docker/POSIX convention over argv[start..argc): parsing stops at the first
 * operand; after the loop, p->index is the first operand (argv[p->index..argc) are operands). */
int options_init_posix(struct option_parser *p, const struct option_spec *specs, int argc,
                       char **argv, int start, hull_err **err);
/* Next option: returns its id and sets *arg (NULL for flags, or "true"/"false" given with =);
 * 0 at the end; -1 on an unknown option or a missing value. */
int options_next(struct option_parser *p, const char **arg, hull_err **err);
void options_free(struct option_parser *p);
#define cleanup_options __attribute__((cleanup(options_free)))

/* Parse "true"/"false"/NULL as a boolean flag value. */
int options_bool(const char *name, const char *arg, bool *out, hull_err **err);
int options_int(const char *name, const char *arg, long min, long max, long *out, hull_err **err);

#endif
