/* hull tag / hull image tag: another name for an image. */
#include <stdio.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "container/event_emit.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
    "       hull image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
    "\n"
    "Give the image SOURCE_IMAGE (a name, NAME@DIGEST, a digest or an ID) the name\n"
    "TARGET_IMAGE. The target is normalised as docker does: `app` is "
    "docker.io/library/app:latest,\n"
    "`localhost:5000/app:1` stays as it is. A name that pointed at another image moves to this\n"
    "one (the other keeps its other names). `hull push TARGET_IMAGE` uploads the image under it.\n"
    "\n"
    "Options:\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit status: 0, 1 when SOURCE_IMAGE is unknown or TARGET_IMAGE is not a valid name (or has\n"
    "a digest), 125 for usage errors.\n";

int cmd_tag(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    const char *v[1] = {NULL};
    int first;
    int usage = cli_options("tag", cli_no_options, argc, argv, v, &first);
    if (usage)
        return usage;
    if (argc - first != 2)
        return cli_usage("tag", "expected SOURCE_IMAGE and TARGET_IMAGE");
    hull_err *err = NULL;
    cleanup_image_store image_store *store = NULL;
    cleanup_free char *name = NULL;
    if (cli_open_store(cli, &store, &err) < 0 ||
        image_tag(store, argv[first], argv[first + 1], &name, &err) < 0)
        return cli_fail(err);
    image_event(store->data_root, "tag", name, name);
    return 0;
}
