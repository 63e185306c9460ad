/* The `hull` executable people type is linked without libcurl and libarchive: their library
 * constructors (TLS, ICU, ...) cost about 10 ms at every start, a third of a whole `hull run`.
 * The commands that need them (pull, load, save, login, logout and the image group) are run by
 * `hull-images`, the same front end built with everything, installed next to `hull`; this file
 * forwards to it. The built-in busybox image is seeded through it too (the seed writes a tar
 * layer). Only this executable contains this file. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/hull/cli.h"
#include "container/launch.h"
#include "image/builtin.h"
#include "image/layer.h"
#include "util/cleanup.h"

extern char **environ;

/* hull-images --data-root ROOT [--debug] ARGS... */
static char **full_argv(const char *tool, const char *data_root, int argc, char **argv)
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

int cmd_images_delegate(struct hull_cli *cli, int argc, char **argv)
{
    hull_err *err = NULL;
    cleanup_free char *tool = container_helper_path("hull-images", &err);
    if (tool == NULL)
        return cli_fail(err);
    cleanup_free char **v = full_argv(tool, cli->data_root, argc, argv);
    execv(tool, v);
    return cli_fail((hull_error(&err, errno, "run `%s`", tool), err));
}

int builtin_busybox_seed(image_store *s, hull_err **err)
{
    cleanup_free char *tool = container_helper_path("hull-images", err);
    if (tool == NULL)
        return hull_error_prefix(err, "seed the built-in busybox image");
    char *args[] = {"__seed-busybox", NULL};
    cleanup_free char **v = full_argv(tool, s->data_root, 1, args);
    pid_t pid;
    int rc = posix_spawn(&pid, tool, NULL, NULL, v, environ);
    if (rc != 0)
        return hull_error(err, rc, "run `%s`", tool);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return hull_error(err, errno, "wait for `%s`", tool);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hull_error(err, 0, "seeding the built-in busybox image failed (`%s`)", tool);
    return 0;
}

int layer_unpack_fd(int archive_fd, int dest_dirfd, unsigned flags, hull_err **err)
{
    (void)archive_fd;
    (void)dest_dirfd;
    (void)flags;
    /* Only pull and load unpack layers, and those run in hull-images. */
    return hull_error(err, ENOTSUP, "internal: layers are unpacked by hull-images");
}
