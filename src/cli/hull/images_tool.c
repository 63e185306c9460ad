/* `hull-images`, the front end built with libcurl and libarchive, run by the light `hull` for
 * what needs them (light.c) and by `hull run` to pull a missing image. */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/hull/cli.h"
#include "container/programs.h"
#include "util/cleanup.h"
#include "util/log.h"

extern char **environ;

char **images_tool_argv(const char *tool, const char *data_root, int argc, char **argv)
{
    char **v = calloc((size_t)argc + 5, sizeof *v);
    if (v == NULL)
        abort();
    int n = 0;
    v[n++] = (char *)tool;
    if (data_root) {
        v[n++] = "--data-root";
        v[n++] = (char *)data_root;
    }
    if (hull_log_enabled(HULL_LOG_DEBUG))
        v[n++] = "--debug";
    for (int i = 0; i < argc; i++)
        v[n++] = argv[i];
    return v;
}

int images_tool_run(const char *data_root, int argc, char **argv, bool stdout_to_stderr,
                    int *status, hull_err **err)
{
    cleanup_free char *tool = container_helper_path("hull-images", err);
    if (tool == NULL)
        return -1;
    cleanup_free char **v = images_tool_argv(tool, data_root, argc, argv);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (stdout_to_stderr)
        posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
    pid_t pid;
    int rc = posix_spawn(&pid, tool, &fa, NULL, v, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return hull_error(err, rc, "run `%s`", tool);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return hull_error(err, errno, "wait for `%s`", tool);
    return 0;
}
