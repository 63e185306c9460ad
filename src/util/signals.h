/* Signal names and numbers as kill(1) and runc spell them. */
#ifndef HULL_UTIL_SIGNALS_H
#define HULL_UTIL_SIGNALS_H

#include "util/error.h"

/* "TERM", "SIGTERM", "15", "sigterm", "RTMIN+3" -> number. */
int signal_parse(const char *text, int *out, hull_err **err);
const char *signal_name(int sig);

#endif
