/* hull-runtime exec: run another process in a running container (runc's flag set). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/exec.h"

enum {
    E_CONSOLE_SOCKET = 1,
    E_CWD,
    E_ENV,
    E_TTY,
    E_USER,
    E_ADDITIONAL_GIDS,
    E_PROCESS,
    E_DETACH,
    E_PID_FILE,
    E_PROCESS_LABEL,
    E_APPARMOR,
    E_NO_NEW_PRIVS,
    E_CAP,
    E_PRESERVE_FDS,
    E_CGROUP,
    E_IGNORE_PAUSED,
};

static const struct option_spec exec_options[] = {
    {"console-socket", 0, true, E_CONSOLE_SOCKET},
    {"cwd", 0, true, E_CWD},
    {"env", 'e', true, E_ENV},
    {"tty", 't', false, E_TTY},
    {"user", 'u', true, E_USER},
    {"additional-gids", 'g', true, E_ADDITIONAL_GIDS},
    {"process", 'p', true, E_PROCESS},
    {"detach", 'd', false, E_DETACH},
    {"pid-file", 0, true, E_PID_FILE},
    {"process-label", 0, true, E_PROCESS_LABEL},
    {"apparmor", 0, true, E_APPARMOR},
    {"no-new-privs", 0, false, E_NO_NEW_PRIVS},
    {"cap", 'c', true, E_CAP},
    {"preserve-fds", 0, true, E_PRESERVE_FDS},
    {"cgroup", 0, true, E_CGROUP},
    {"ignore-paused", 0, false, E_IGNORE_PAUSED},
    {NULL, 0, false, 0},
};

struct exec_lists {
    char **env, **caps, **gids;
    size_t n_env, n_caps, n_gids;
};

static void push(char **list, size_t *n, const char *arg)
{
    list[(*n)++] = (char *)arg;
    list[*n] = NULL;
}

static int parse_flags(int argc, char **argv, struct exec_opts *eo, struct exec_lists *l,
                       struct option_parser *p)
{
    hull_err *err = NULL;
    if (options_init(p, exec_options, argc, argv, 1, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    long n;
    while ((id = options_next(p, &arg, &err)) != 0) {
        bool *flag = NULL;
        switch (id) {
        case -1: {
            return cli_usage_fail("exec", err);
        }
        case E_CONSOLE_SOCKET:
            eo->console_socket = arg;
            break;
        case E_CWD:
            eo->cwd = arg;
            break;
        case E_ENV:
            if (strchr(arg, '=') == NULL || arg[0] == '=')
                return cli_usage_error("exec", "--env: `%s` is not of the form KEY=VALUE", arg);
            push(l->env, &l->n_env, arg);
            break;
        case E_TTY:
            flag = &eo->tty;
            eo->tty_set = true;
            break;
        case E_USER:
            eo->user = arg;
            break;
        case E_ADDITIONAL_GIDS:
            push(l->gids, &l->n_gids, arg);
            break;
        case E_PROCESS:
            eo->process_file = arg;
            break;
        case E_DETACH:
            flag = &eo->detach;
            break;
        case E_PID_FILE:
            eo->pid_file = arg;
            break;
        case E_PROCESS_LABEL:
            eo->process_label = *arg ? arg : NULL;
            break;
        case E_APPARMOR:
            eo->apparmor = *arg ? arg : NULL;
            break;
        case E_NO_NEW_PRIVS:
            flag = &eo->no_new_privs;
            break;
        case E_CAP:
            push(l->caps, &l->n_caps, arg);
            break;
        case E_PRESERVE_FDS:
            if (options_int("preserve-fds", arg, 0, 65536, &n, &err) < 0)
                return cli_fail(err);
            eo->preserve_fds = (int)n;
            break;
        case E_CGROUP:
            return cli_usage_error("exec", "--cgroup: joining a sub-cgroup is not supported yet");
        case E_IGNORE_PAUSED:
            flag = &eo->ignore_paused;
            break;
        }
        if (flag && options_bool(exec_options[id - 1].name, arg, flag, &err) < 0)
            return cli_fail(err);
    }
    if (p->n_positionals < 1)
        return cli_usage_error("exec", "expected a container id");
    eo->id = p->positionals[0];
    eo->args = p->positionals + 1;
    if (eo->process_file == NULL && eo->args[0] == NULL)
        return cli_usage_error("exec", "expected a command after the container id, or --process");
    eo->env = l->n_env ? l->env : NULL;
    eo->caps = l->n_caps ? l->caps : NULL;
    eo->additional_gids = l->n_gids ? l->gids : NULL;
    return 0;
}

int cmd_exec(struct cli_ctx *ctx, int argc, char **argv)
{
    struct exec_opts eo = {0};
    struct exec_lists l = {0};
    l.env = calloc((size_t)argc + 1, sizeof(char *));
    l.caps = calloc((size_t)argc + 1, sizeof(char *));
    l.gids = calloc((size_t)argc + 1, sizeof(char *));
    cleanup_options struct option_parser p = {0};
    int r = 1;
    if (l.env && l.caps && l.gids)
        r = parse_flags(argc, argv, &eo, &l, &p);
    if (r == 0) {
        hull_err *err = NULL;
        int exit_code = 0;
        r = runtime_exec(&ctx->ro, &eo, &exit_code, &err) < 0 ? cli_fail(err) : exit_code;
    }
    free(l.env);
    free(l.caps);
    free(l.gids);
    return r;
}

const struct cli_command command_exec = {
    "exec",
    cmd_exec,
    "run a new process inside a running container",
    "Usage: hull-runtime exec [OPTIONS] ID COMMAND [ARGS...]\n"
    "       hull-runtime exec [OPTIONS] --process FILE ID\n"
    "\n"
    "Run COMMAND inside the container ID. The process joins every namespace of the container\n"
    "(user, mount, pid, network, ipc, uts, cgroup, time) and its cgroups, and is confined like\n"
    "the container's process: capabilities, no_new_privs, rlimits, user and groups, umask and\n"
    "security profiles come from the container's config.json unless overridden below. Its\n"
    "environment is the container's process.env plus --env. The container must be created or\n"
    "running; a stopped container is an error, and so is a paused one unless --ignore-paused.\n"
    "\n"
    "Attached (the default), stdio is passed through, signals hull-runtime receives are\n"
    "forwarded, and the exit status is the process's (128+N when killed by signal N; 127 when\n"
    "COMMAND is not found, 126 when it cannot be executed).\n"
    "\n"
    "Options:\n"
    "  -p, --process FILE      a runtime-spec `process` object (JSON) describing the whole\n"
    "                          process; capabilities, rlimits and LSM labels it leaves out come\n"
    "                          from the container. COMMAND and the flags below, except --tty,\n"
    "                          are then ignored\n"
    "  -t, --tty               allocate a pseudo-terminal inside the container's /dev/pts\n"
    "  --console-socket PATH   unix socket to send the terminal's master fd to (SCM_RIGHTS, as\n"
    "                          runc); needs --tty and --detach\n"
    "  -d, --detach            return once the process runs; it keeps the caller's stdio\n"
    "  --pid-file FILE         write the new process's pid (host view) to FILE\n"
    "  --cwd DIR               working directory inside the container (must stay inside)\n"
    "  -e, --env KEY=VALUE     add an environment variable (repeatable)\n"
    "  -u, --user UID[:GID]    numeric user and group to run as\n"
    "  -g, --additional-gids GID  add a supplementary group (repeatable)\n"
    "  -c, --cap CAP           add a capability, e.g. CAP_NET_ADMIN, to every set (repeatable)\n"
    "  --no-new-privs          set no_new_privs for the process\n"
    "  --preserve-fds N        pass N extra fds (3 .. 3+N-1) to the process\n"
    "  --apparmor PROFILE      AppArmor profile (not supported yet: refused)\n"
    "  --process-label LABEL   SELinux label (not supported yet: refused)\n"
    "  --cgroup PATH           sub-cgroup to join (not supported yet: refused)\n"
    "  --ignore-paused         exec even when the container is paused\n"
    "\n"
    "With LISTEN_FDS/LISTEN_PID set for hull-runtime (socket activation), those fds are passed\n"
    "first, and the process sees LISTEN_FDS and LISTEN_PID set to its own pid.\n",
};
