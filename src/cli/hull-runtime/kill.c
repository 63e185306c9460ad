/* hull-runtime kill: send a signal to a container. */
#include <signal.h>

#include "cli.h"
#include "util/signals.h"

enum { K_ALL = 1 };
static const struct option_spec kill_options[] = {{"all", 'a', false, K_ALL}, {NULL, 0, false, 0}};

int cmd_kill(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    if (options_init(&p, kill_options, argc, argv, 1, 0, &err) < 0)
        return cli_fail(err);
    bool all = false;
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_fail("kill", err);
        if (id == K_ALL && options_bool("all", arg, &all, &err) < 0)
            return cli_fail(err);
    }
    if (p.n_positionals < 1 || p.n_positionals > 2)
        return cli_usage_error("kill", "expected ID [SIGNAL]");
    int sig = SIGTERM;
    if (p.n_positionals == 2 && signal_parse(p.positionals[1], &sig, &err) < 0)
        return cli_fail(err);
    int r = runtime_kill(&ctx->ro, p.positionals[0], sig, all, &err);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_kill = {
    "kill",
    cmd_kill,
    "send a signal to a container's process",
    "Usage: hull-runtime kill [--all] ID [SIGNAL]\n"
    "\n"
    "Send SIGNAL (default TERM) to the container's process. SIGNAL is a name with or without\n"
    "SIG (TERM, SIGTERM, sigkill, RTMIN+1) or a number.\n"
    "\n"
    "Options:\n"
    "  -a, --all    signal every process of the container, not only its first\n",
};
