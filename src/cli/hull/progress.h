/* Pull and push progress on stderr: one redrawn summary line on a terminal, plain lines otherwise.
 */
#ifndef HULL_CLI_HULL_PROGRESS_H
#define HULL_CLI_HULL_PROGRESS_H

#include "image/import.h"

struct cli_progress;

struct cli_progress *cli_progress_new(int quiet);
const struct image_progress *cli_progress_sink(struct cli_progress *p);
/* Finish the terminal line. */
void cli_progress_free(struct cli_progress *p);

#endif
