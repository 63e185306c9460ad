/* The `hull` executable people type is linked without libcurl and libarchive: their library
 * constructors (TLS, ICU, ...) cost about 10 ms at every start, a third of a whole `hull run`.
 * The commands that need them (pull, load, save, login, logout and the image group) are run by
 * `hull-images`, the same front end built with everything, installed next to `hull`; this file
 * forwards to it. The built-in busybox image is seeded through it too (the seed writes a tar
 * layer). Only this executable contains this file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/hull/cli.h"
#include "container/programs.h"
#include "image/builtin.h"
#include "image/layer.h"
#include "util/cleanup.h"

int cmd_images_delegate(struct hull_cli *cli, int argc, char **argv)
{
    hull_err *err = NULL;
    cleanup_free char *tool = container_helper_path("hull-images", &err);
    if (tool == NULL)
        return cli_fail(err);
    cleanup_free char **v = images_tool_argv(tool, cli->data_root, argc, argv);
    execv(tool, v);
    return cli_fail((hull_error(&err, errno, "run `%s`", tool), err));
}

int builtin_busybox_seed(image_store *s, hull_err **err)
{
    char *args[] = {"__seed-busybox", NULL};
    int status;
    if (images_tool_run(s->data_root, 1, args, false, &status, err) < 0)
        return hull_error_prefix(err, "seed the built-in busybox image");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hull_error(err, 0, "seeding the built-in busybox image failed (hull-images)");
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
