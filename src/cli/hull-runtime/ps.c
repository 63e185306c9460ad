/* hull-runtime ps: the processes of a container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/cgroup.h"
#include "util/cleanup.h"

enum { P_FORMAT = 1 };
static const struct option_spec ps_options[] = {{"format", 'f', true, P_FORMAT},
                                                {NULL, 0, false, 0}};

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* Run ps(1) with `args` and print its header and the lines of the container's pids. */
static int ps_table(char **args, int n_args, const pid_t *pids, size_t n, hull_err **err)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0)
        return hull_error(err, errno, "pipe");
    char *argv[256];
    int argc = 0;
    argv[argc++] = "ps";
    if (n_args == 0)
        argv[argc++] = "-ef";
    for (int i = 0; i < n_args && argc < 255; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t child = fork();
    if (child < 0)
        return hull_error(err, errno, "fork");
    if (child == 0) {
        dup2(fds[1], STDOUT_FILENO);
        execvp("ps", argv);
        _exit(127);
    }
    close(fds[1]);
    cleanup_file FILE *in = fdopen(fds[0], "r");
    if (in == NULL) {
        close(fds[0]);
        waitpid(child, NULL, 0);
        return hull_error(err, errno, "read ps output");
    }
    char line[8192];
    int pid_column = -1;
    while (fgets(line, sizeof line, in)) {
        char copy[sizeof line];
        memcpy(copy, line, sizeof line);
        char *save = NULL;
        int col = 0;
        if (pid_column < 0) {
            for (char *f = strtok_r(copy, " \t\n", &save); f; f = strtok_r(NULL, " \t\n", &save))
                if (strcmp(f, "PID") == 0 && pid_column < 0)
                    pid_column = col;
                else
                    col++;
            if (pid_column < 0) {
                waitpid(child, NULL, 0);
                return hull_error(err, EINVAL, "ps output has no PID column");
            }
            fputs(line, stdout);
            continue;
        }
        for (char *f = strtok_r(copy, " \t\n", &save); f; f = strtok_r(NULL, " \t\n", &save)) {
            if (col++ != pid_column)
                continue;
            if (has_pid(pids, n, strtol(f, NULL, 10)))
                fputs(line, stdout);
            break;
        }
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hull_error(err, 0, "ps exited with status %d", WEXITSTATUS(status));
    return 0;
}

int cmd_ps(struct cli_ctx *ctx, int argc, char **argv)
{
    cleanup_options struct option_parser p = {0};
    hull_err *err = NULL;
    /* Everything after the id goes to ps(1). */
    if (options_init(&p, ps_options, argc, argv, 1, 1, &err) < 0)
        return cli_fail(err);
    const char *format = "table";
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_fail("ps", err);
        if (id == P_FORMAT)
            format = arg;
    }
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return cli_usage_error("ps", "--format: expected table or json, got `%s`", format);
    if (p.n_positionals < 1)
        return cli_usage_error("ps", "expected ID [PS OPTIONS]");
    pid_t *pids = NULL;
    size_t n = 0;
    int r = runtime_pids(&ctx->ro, p.positionals[0], &pids, &n, &err);
    if (r == 0 && strcmp(format, "json") == 0) {
        if (p.n_positionals > 1)
            r = hull_error(&err, EINVAL, "ps options cannot be used with --format json");
        else {
            printf("[");
            for (size_t i = 0; i < n; i++)
                printf("%s%d", i ? "," : "", (int)pids[i]);
            printf("]\n");
        }
    } else if (r == 0) {
        /* `--` between the id and ps's options is optional. */
        char **args = p.positionals + 1;
        int n_args = p.n_positionals - 1;
        if (n_args > 0 && strcmp(args[0], "--") == 0) {
            args++;
            n_args--;
        }
        fflush(stdout);
        r = ps_table(args, n_args, pids, n, &err);
    }
    free(pids);
    return r < 0 ? cli_fail(err) : 0;
}

const struct cli_command command_ps = {
    "ps",
    cmd_ps,
    "list the processes of a container",
    "Usage: hull-runtime ps [--format table|json] ID [PS OPTIONS]\n"
    "\n"
    "List the processes in container ID's cgroup. The table format runs ps(1) on the host with\n"
    "PS OPTIONS (default -ef) and prints its header and the lines of the container's processes\n"
    "(host pids). The json format prints a JSON array of host pids, as containerd expects.\n"
    "\n"
    "Options:\n"
    "  -f, --format table|json   output format (default table)\n",
};
