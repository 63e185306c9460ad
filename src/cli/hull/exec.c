/* hull exec: run a command in a running container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/exec.h"
#include "container/status.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
    "\n"
    "Run COMMAND inside a running container: in its namespaces and cgroups, with its root,\n"
    "environment, user, capabilities, seccomp and Landlock confinement (options override the\n"
    "user, working directory and add variables). Attached, hull forwards signals and exits\n"
    "with COMMAND's status; stdout and stderr are hull's own (not the container's log).\n"
    "\n"
    "Options:\n"
    "  -i, --interactive        pass hull's stdin to COMMAND (otherwise it reads /dev/null)\n"
    "  -t, --tty                run COMMAND on a new pseudo-terminal of the container; hull's\n"
    "                           terminal is put in raw mode and relayed\n"
    "  -d, --detach             start COMMAND and return at once (its output is discarded)\n"
    "  -u, --user USER[:GROUP]  names or ids, looked up in the image's /etc/passwd and\n"
    "                           /etc/group (default: the container's user)\n"
    "  -e, --env KEY=VALUE      set a variable; repeatable\n"
    "  -w, --workdir DIR        working directory (absolute)\n"
    "  -h, --help               show this help\n"
    "\n"
    "Exit status: COMMAND's exit status (128+N when killed by signal N); 125 when hull fails\n"
    "(usage, unknown or stopped container); 126 when COMMAND cannot be executed; 127 when it is\n"
    "not found.\n";

static int fail(hull_err *err, int code)
{
    if (err && err->exit_code == 0)
        err->exit_code = code;
    return cli_fail(err);
}

int cmd_exec(struct hull_cli *cli, int argc, char **argv)
{
    static const struct option_spec optspec[] = {
        {"interactive", 'i', false, 1, "keep stdin open"},
        {"tty", 't', false, 2, "allocate a terminal"},
        {"detach", 'd', false, 3, "run in the background"},
        {"user", 'u', true, 4, "USER[:GROUP] or UID[:GID]"},
        {"env", 'e', true, 5, "KEY=VALUE"},
        {"workdir", 'w', true, 6, "absolute working directory"},
        {"help", 'h', false, 7, "show this help"},
        {NULL, 0, false, 0, NULL}};
    bool interactive = false, tty = false, detach = false;
    const char *user = NULL, *workdir = NULL;
    cleanup_strv char **env = NULL;
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int oid;
    const char *arg;
    while ((oid = options_next(&p, &arg, &err)) != 0) {
        if (oid < 0)
            return cli_usage_options("exec", err);
        switch (oid) {
        case 1:
        case 2:
        case 3:
            if (options_bool(p.specs[oid - 1].name, arg,
                             oid == 1   ? &interactive
                             : oid == 2 ? &tty
                                        : &detach,
                             &err) < 0)
                return cli_usage_options("exec", err);
            break;
        case 4:
            user = arg;
            break;
        case 5:
            if (strchr(arg, '=') == NULL || arg[0] == '=')
                return cli_usage("exec", "-e `%s`: expected KEY=VALUE", arg);
            strv_append(&env, arg);
            break;
        case 6:
            if (arg[0] != '/')
                return cli_usage("exec", "-w `%s`: the working directory must be absolute", arg);
            workdir = arg;
            break;
        default:
            fputs(help, stdout);
            return 0;
        }
    }
    int first = p.index;
    if (argc - first < 2)
        return cli_usage("exec", "expected CONTAINER and COMMAND");
    if (tty && detach)
        return cli_usage("exec", "-t with -d: nothing would be attached to the terminal");
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    struct container_state_info st;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, argv[first], &r, &err) < 0 ||
        container_status_get(cs, r, &st, &err) < 0)
        return fail(err, 125);
    if (st.state != CONTAINER_RUNNING || st.pid <= 0)
        return fail((hull_error(&err, 0, "container %s is %s, not running", argv[first],
                                container_state_name(st.state)),
                     err),
                    125);

    struct container_exec_request req = {
        .args = argv + first + 1,
        .interactive = interactive,
        .tty = tty,
        .detach = detach,
        .cwd = workdir,
        .env = env,
        .user = user,
    };
    int code = 0;
    if (container_exec(cs, r, &req, &code, &err) < 0)
        return fail(err, 125);
    return detach ? 0 : code;
}
