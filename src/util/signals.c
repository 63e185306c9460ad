/* Signal name table. */
#include "util/signals.h"

#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    int sig;
} signal_names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},   {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},   {"KILL", SIGKILL},   {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},   {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CLD", SIGCHLD},  {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},
    {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},       {"POLL", SIGPOLL},
    {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

int signal_parse(const char *text, int *out, hull_err **err)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (*text && *end == '\0') {
        if (n <= 0 || n >= NSIG)
            return hull_error(err, EINVAL, "invalid signal `%s`", text);
        *out = (int)n;
        return 0;
    }
    const char *name = strncasecmp(text, "SIG", 3) == 0 ? text + 3 : text;
    for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
        if (strcasecmp(name, signal_names[i].name) == 0) {
            *out = signal_names[i].sig;
            return 0;
        }
    if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
        bool min = strncasecmp(name, "RTMIN", 5) == 0;
        long off = 0;
        if (name[5] != '\0') {
            off = strtol(name + 5, &end, 10);
            if (*end != '\0')
                return hull_error(err, EINVAL, "invalid signal `%s`", text);
        }
        int s = min ? SIGRTMIN + (int)off : SIGRTMAX + (int)off;
        if (s < SIGRTMIN || s > SIGRTMAX)
            return hull_error(err, EINVAL, "invalid signal `%s`", text);
        *out = s;
        return 0;
    }
    return hull_error(err, EINVAL, "unknown signal `%s`", text);
}

const char *signal_name(int sig)
{
    for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
        if (signal_names[i].sig == sig)
            return signal_names[i].name;
    return "?";
}
