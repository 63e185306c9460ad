/* Diagnostics sink. The library never prints: it reports warnings and debug messages here, and
 * the command-line front end decides where they go (stderr, a --log file, text or JSON lines as
 * podman and containerd read them). The sink is process-wide state owned by the CLI. */
#ifndef HULL_UTIL_LOG_H
#define HULL_UTIL_LOG_H

#include "util/error.h"

enum hull_log_level {
    HULL_LOG_ERROR = 0,
    HULL_LOG_WARNING = 1,
    HULL_LOG_INFO = 2,
    HULL_LOG_DEBUG = 3
};
enum hull_log_format { HULL_LOG_TEXT = 0, HULL_LOG_JSON = 1 };

/* Configure the sink. `file` may be NULL (stderr only). Returns -1 with errno on open failure. */
int hull_log_init(const char *file, enum hull_log_format format, enum hull_log_level max_level);
/* Name printed before stderr messages ("hull-runtime", "hull"). */
void hull_log_set_program(const char *name);
/* That name, for the few messages written straight to a file descriptor (the container process
 * between clone and exec has no sink of its own). */
const char *hull_log_program(void);
void hull_log(enum hull_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int hull_log_enabled(enum hull_log_level level);

#define hull_warn(...) hull_log(HULL_LOG_WARNING, __VA_ARGS__)
/* A warning for an error the caller goes on after (NULL: nothing). */
static inline void hull_warn_err(const char *what, hull_err *e)
{
    if (e)
        hull_warn("%s: %s", what, e->msg);
}
#define hull_debug(...)                                                                            \
    (hull_log_enabled(HULL_LOG_DEBUG) ? hull_log(HULL_LOG_DEBUG, __VA_ARGS__) : (void)0)

/* Encode `s` as a JSON string body (without quotes) into a malloc'd buffer. */
char *hull_json_escape(const char *s);

#endif
