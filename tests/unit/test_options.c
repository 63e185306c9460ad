/* Unit tests for util/options.c and util/signals.c: the runc-style and docker-style command lines.
 */
#include <signal.h>
#include <string.h>

#include "check.h"
#include "util/options.h"
#include "util/signals.h"

enum { O_BUNDLE = 1, O_DETACH, O_PID };
static const struct option_spec specs[] = {{"bundle", 'b', true, O_BUNDLE},
                                           {"detach", 'd', false, O_DETACH},
                                           {"pid-file", 0, true, O_PID},
                                           {NULL, 0, false, 0}};

static void test_forms(void)
{
    char *argv[] = {"create", "--bundle=/b", "-d", "--pid-file",     "p",
                    "id1",    "-bundle",     "/c", "--detach=false", NULL};
    struct option_parser p;
    hull_err *err = NULL;
    CHECK(options_init(&p, specs, 9, argv, 1, 0, &err) == 0);
    const char *arg;
    CHECK(options_next(&p, &arg, &err) == O_BUNDLE && strcmp(arg, "/b") == 0);
    CHECK(options_next(&p, &arg, &err) == O_DETACH && arg == NULL);
    CHECK(options_next(&p, &arg, &err) == O_PID && strcmp(arg, "p") == 0);
    CHECK(options_next(&p, &arg, &err) == O_BUNDLE && strcmp(arg, "/c") == 0);
    CHECK(options_next(&p, &arg, &err) == O_DETACH && strcmp(arg, "false") == 0);
    CHECK(options_next(&p, &arg, &err) == 0);
    CHECK(p.n_positionals == 1 && strcmp(p.positionals[0], "id1") == 0);
    options_free(&p);
}

static void test_stop_after_positionals(void)
{
    char *argv[] = {"exec", "-d", "id", "sh", "-c", "echo --bundle", NULL};
    struct option_parser p;
    hull_err *err = NULL;
    CHECK(options_init(&p, specs, 6, argv, 1, 1, &err) == 0);
    const char *arg;
    CHECK(options_next(&p, &arg, &err) == O_DETACH);
    CHECK(options_next(&p, &arg, &err) == 0);
    CHECK(p.n_positionals == 4 && strcmp(p.positionals[2], "-c") == 0);
    CHECK(p.stop_index == 2);
    options_free(&p);
}

static void test_errors(void)
{
    char *argv[] = {"x", "--nope", NULL};
    struct option_parser p;
    hull_err *err = NULL;
    CHECK(options_init(&p, specs, 2, argv, 1, 0, &err) == 0);
    const char *arg;
    CHECK_ERROR(options_next(&p, &arg, &err), &err, "unknown option `--nope`");
    options_free(&p);
    char *argv2[] = {"x", "--pid-file", NULL};
    CHECK(options_init(&p, specs, 2, argv2, 1, 0, &err) == 0);
    CHECK_ERROR(options_next(&p, &arg, &err), &err, "needs a value");
    options_free(&p);
}

enum { P_DETACH = 1, P_INTERACTIVE, P_TTY, P_SIGNAL, P_RM };
static const struct option_spec posix_specs[] = {
    {"detach", 'd', false, P_DETACH, "run in the background"},
    {"interactive", 'i', false, P_INTERACTIVE, "keep stdin open"},
    {"tty", 't', false, P_TTY, "allocate a terminal"},
    {"signal", 's', true, P_SIGNAL, "signal to send"},
    {"rm", 0, false, P_RM, "remove on exit"},
    {NULL, 0, false, 0, NULL}};

static void test_posix_forms(void)
{
    char *argv[] = {"run", "-dit", "-sKILL", "--signal=TERM", "-s", "HUP", "--rm=false", "--signal",
                    "INT", "img",  "-d",     "--rm",          NULL};
    cleanup_options struct option_parser p;
    hull_err *err = NULL;
    CHECK(options_init_posix(&p, posix_specs, 12, argv, 1, &err) == 0);
    const char *arg;
    CHECK(options_next(&p, &arg, &err) == P_DETACH && arg == NULL);
    CHECK(options_next(&p, &arg, &err) == P_INTERACTIVE && arg == NULL);
    CHECK(options_next(&p, &arg, &err) == P_TTY && arg == NULL);
    CHECK(options_next(&p, &arg, &err) == P_SIGNAL && strcmp(arg, "KILL") == 0);
    CHECK(options_next(&p, &arg, &err) == P_SIGNAL && strcmp(arg, "TERM") == 0);
    CHECK(options_next(&p, &arg, &err) == P_SIGNAL && strcmp(arg, "HUP") == 0);
    CHECK(options_next(&p, &arg, &err) == P_RM && strcmp(arg, "false") == 0);
    CHECK(options_next(&p, &arg, &err) == P_SIGNAL && strcmp(arg, "INT") == 0);
    /* The first operand ends the options: `img -d --rm` are the command's. */
    CHECK(options_next(&p, &arg, &err) == 0);
    CHECK(p.index == 9 && strcmp(argv[p.index], "img") == 0);
    CHECK(options_next(&p, &arg, &err) == 0);
}

static void test_posix_dashdash_and_errors(void)
{
    char *argv[] = {"kill", "-d", "--", "-x", NULL};
    cleanup_options struct option_parser p;
    hull_err *err = NULL;
    CHECK(options_init_posix(&p, posix_specs, 4, argv, 1, &err) == 0);
    const char *arg;
    CHECK(options_next(&p, &arg, &err) == P_DETACH);
    CHECK(options_next(&p, &arg, &err) == 0);
    CHECK(p.index == 3);
    options_free(&p);

    char *argv2[] = {"kill", "-dx", NULL};
    CHECK(options_init_posix(&p, posix_specs, 2, argv2, 1, &err) == 0);
    CHECK(options_next(&p, &arg, &err) == P_DETACH);
    CHECK_ERROR(options_next(&p, &arg, &err), &err, "unknown option `-x`");
    options_free(&p);

    char *argv7[] = {"run", "-d=false", NULL};
    CHECK(options_init_posix(&p, posix_specs, 2, argv7, 1, &err) == 0);
    CHECK(options_next(&p, &arg, &err) == P_DETACH && strcmp(arg, "false") == 0);
    options_free(&p);

    char *argv3[] = {"kill", "-signal", NULL}; /* POSIX: -s with the value "ignal" */
    CHECK(options_init_posix(&p, posix_specs, 2, argv3, 1, &err) == 0);
    CHECK(options_next(&p, &arg, &err) == P_SIGNAL && strcmp(arg, "ignal") == 0);
    options_free(&p);

    char *argv4[] = {"kill", "--nope=1", NULL};
    CHECK(options_init_posix(&p, posix_specs, 2, argv4, 1, &err) == 0);
    CHECK_ERROR(options_next(&p, &arg, &err), &err, "unknown option `--nope`");
    options_free(&p);

    char *argv5[] = {"kill", "-s", NULL};
    CHECK(options_init_posix(&p, posix_specs, 2, argv5, 1, &err) == 0);
    CHECK_ERROR(options_next(&p, &arg, &err), &err, "option `-s` needs a value");
    options_free(&p);

    char *argv6[] = {"kill", "--signal", NULL};
    CHECK(options_init_posix(&p, posix_specs, 2, argv6, 1, &err) == 0);
    CHECK_ERROR(options_next(&p, &arg, &err), &err, "option `--signal` needs a value");
}

static void test_signals(void)
{
    int s = 0;
    hull_err *err = NULL;
    CHECK(signal_parse("TERM", &s, &err) == 0 && s == SIGTERM);
    CHECK(signal_parse("SIGKILL", &s, &err) == 0 && s == SIGKILL);
    CHECK(signal_parse("sigusr1", &s, &err) == 0 && s == SIGUSR1);
    CHECK(signal_parse("9", &s, &err) == 0 && s == 9);
    CHECK(signal_parse("RTMIN+2", &s, &err) == 0 && s == SIGRTMIN + 2);
    CHECK_ERROR(signal_parse("BOGUS", &s, &err), &err, "unknown signal `BOGUS`");
    CHECK_ERROR(signal_parse("0", &s, &err), &err, "invalid signal");
    CHECK_ERROR(signal_parse("999", &s, &err), &err, "invalid signal");
}

int main(void)
{
    test_forms();
    test_stop_after_positionals();
    test_errors();
    test_posix_forms();
    test_posix_dashdash_and_errors();
    test_signals();
    puts("ok");
    return 0;
}
