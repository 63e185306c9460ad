/* hull-images __seed-busybox: add the built-in busybox image (internal; the light `hull` asks
 * for it, see light.c). */
#include <stdio.h>

#include "cli/hull/cli.h"
#include "image/builtin.h"
#include "util/cleanup.h"

int cmd_seed_busybox(struct hull_cli *cli, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    hull_err *err = NULL;
    cleanup_image_store image_store *s = NULL;
    if (image_store_open(cli->data_root, &s, &err) < 0 || builtin_busybox_seed(s, &err) < 0)
        return cli_fail(err);
    return 0;
}
