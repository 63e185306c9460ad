/* What the front ends share. Each front end parses its own command line (hull-runtime: runc's
 * forms through util/options.h; hull: docker's, the POSIX mode of the same parser) but reports the
 * same way: an error is printed once, here, and turned into the exit status.
 *
 * Exit statuses (docs/hull-cli.md, "Exit codes and errors"):
 *   hull-runtime, as runc: 1 for every failure, usage errors included;
 *   hull, as docker: 125 when hull itself fails (usage errors, unknown containers ...), 126/127
 *   when the command cannot be run / is not found, else the container's own status. */
#ifndef HULL_CLI_COMMON_H
#define HULL_CLI_COMMON_H

#include "util/error.h"

/* Usage errors: hull (docker) and hull-runtime (runc). */
#define CLI_EXIT_USAGE_HULL    125
#define CLI_EXIT_USAGE_RUNTIME 1

/* Print the error once (stderr and the --log sink) and free it; return its exit_code, 1 when
 * none is set. An empty message prints nothing: a helper process reported the error already. */
int cli_fail(hull_err *err);

/* Seed jansson's hash function with one getrandom (jansson would open, read and close
 * /dev/urandom at its first object); left to jansson when getrandom fails. Before any JSON. */
void cli_seed_json_hash(void);

#endif
