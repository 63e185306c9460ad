/* hull image: the image management group (docker's `docker image ...`). */
#include <stdio.h>
#include <string.h>

#include "cli/hull/cli.h"

static const struct hull_command image_commands[] = {
    {"ls", cmd_images, "List images (same as `hull images`)"},
    {"list", cmd_images, "List images"},
    {"inspect", cmd_image_inspect, "Show images as JSON"},
    {"history", cmd_history, "Show the history of an image (same as `hull history`)"},
    {"rm", cmd_rmi, "Remove images (same as `hull rmi`)"},
    {"tag", cmd_tag, "Give an image another name (same as `hull tag`)"},
    {"prune", cmd_image_prune, "Remove dangling images and unreferenced blobs and layers"},
    {"pull", cmd_pull, "Pull an image (same as `hull pull`)"},
    {"push", cmd_push, "Upload an image to a registry (same as `hull push`)"},
    {"import", cmd_import, "Make an image of a root filesystem tarball (same as `hull import`)"},
    {"load", cmd_load, "Load images from an archive (same as `hull load`)"},
    {"save", cmd_save, "Save an image as an OCI archive (same as `hull save`)"},
    {"bootstrap", cmd_image_bootstrap, "Make a Debian base image with mmdebstrap"},
    {NULL, NULL, NULL},
};

int cmd_image(struct hull_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        printf("Usage: hull image COMMAND [ARGS...]\n\nManage the image store.\n\n"
               "Commands:\n");
        cli_print_commands(image_commands);
        printf("\nRun `hull image COMMAND --help` for a command's options.\n");
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    return cli_dispatch(cli, image_commands, "hull image", argc - 1, argv + 1);
}
