/* hull rmi / hull image rm: remove images. */
#include <stdio.h>

#include "cli/hull/cli.h"
#include "container/event_emit.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull rmi [OPTIONS] IMAGE [IMAGE...]\n"
    "       hull image rm [OPTIONS] IMAGE [IMAGE...]\n"
    "\n"
    "Remove images from the store. IMAGE is a name (short names such as `busybox` resolve as in\n"
    "`hull pull`), NAME@DIGEST, a manifest digest or an image ID (at least 3 leading hex digits,\n"
    "unambiguous).\n"
    "\n"
    "When IMAGE is one of several names of an image, only that name is removed (Untagged).\n"
    "Otherwise the image is deleted and its blobs and layers are freed unless another image\n"
    "shares them (Deleted). An image used by a container is refused; with -f its names are\n"
    "removed and its content stays until the last container using it is deleted.\n"
    "\n"
    "Options:\n"
    "  -f, --force   remove names of images that containers still use\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0 when every IMAGE was removed, 1 when any could not be (unknown image, in\n"
    "use), 125 for usage errors.\n";

int cmd_rmi(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {
        {"force", 'f', false, 1, "remove even when containers use it"}, {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("rmi", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    int force = cli_flag(v[1]);
    hull_err *err = NULL;
    if (first >= argc)
        return cli_usage("rmi", "expected at least one IMAGE");
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (int i = first; i < argc; i++) {
        struct image_remove_result res;
        if (image_remove(store, argv[i], force, &res, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        for (char **n = res.untagged; n && *n; n++) {
            printf("Untagged: %s\n", *n);
            image_event(store->data_root, "untag", *n, *n);
        }
        if (res.deleted) {
            printf("Deleted: %s\n", res.deleted);
            image_event(store->data_root, "delete", res.deleted, NULL);
        }
        image_remove_result_clear(&res);
    }
    return status;
}
