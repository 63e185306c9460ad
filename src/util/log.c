/* The diagnostics sink: text to stderr, and optionally text or JSON lines to a log file. */
#include "util/log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/time.h"

static struct {
    int fd;
    enum hull_log_format format;
    enum hull_log_level max_level;
    const char *program;
} sink = {-1, HULL_LOG_TEXT, HULL_LOG_WARNING, "hull"};

void hull_log_set_program(const char *name)
{
    sink.program = name;
}

const char *hull_log_program(void)
{
    return sink.program;
}

static const char *level_names[] = {"error", "warning", "info", "debug"};

int hull_log_init(const char *file, enum hull_log_format format, enum hull_log_level max_level)
{
    sink.format = format;
    sink.max_level = max_level;
    if (file != NULL && *file != '\0') {
        int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return -1;
        if (sink.fd >= 0)
            close(sink.fd);
        sink.fd = fd;
    }
    return 0;
}

int hull_log_enabled(enum hull_log_level level)
{
    return level <= sink.max_level;
}

char *hull_json_escape(const char *s)
{
    size_t cap = strlen(s) * 6 + 1;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            *o++ = '\\';
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            *o++ = '\\';
            break;
        case '\n':
            *o++ = '\\';
            *o++ = 'n';
            break;
        case '\t':
            *o++ = '\\';
            *o++ = 't';
            break;
        default:
            if (*p < 0x20)
                o += sprintf(o, "\\u%04x", *p);
            else
                *o++ = (char)*p;
        }
    }
    *o = '\0';
    return out;
}

static void write_file_line(enum hull_log_level level, const char *msg)
{
    char line[8192];
    int n;
    if (sink.format == HULL_LOG_JSON) {
        char when[TIME_RFC3339_MAX];
        time_rfc3339_now(when, true);
        char *esc = hull_json_escape(msg);
        n = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                     level_names[level], esc ? esc : "", when);
        free(esc);
    } else {
        n = snprintf(line, sizeof(line), "%s: %s\n", level_names[level], msg);
    }
    if (n > 0)
        fs_write_all(sink.fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void hull_log(enum hull_log_level level, const char *fmt, ...)
{
    if (level > sink.max_level)
        return;
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (sink.fd >= 0)
        write_file_line(level, msg);
    /* stderr always gets the text form: people read it, and podman/containerd read the file. */
    char line[4200];
    int n = snprintf(line, sizeof(line), "%s: %s%s\n", sink.program,
                     level == HULL_LOG_ERROR     ? ""
                     : level == HULL_LOG_WARNING ? "warning: "
                                                 : "",
                     msg);
    if (n > 0)
        fs_write_all(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
