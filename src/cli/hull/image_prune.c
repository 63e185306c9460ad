/* hull image prune: garbage-collect the store. */
#include <stdio.h>

#include "cli/hull/cli.h"
#include "container/event_emit.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull image prune\n"
    "\n"
    "Remove dangling images (no names, not used by a container), then every blob and unpacked\n"
    "layer that no remaining image references, and the leftovers of interrupted pulls. Images\n"
    "with names and everything they reference are kept. Waits until no other hull process is\n"
    "using the store, so it never removes the blobs of a pull in progress.\n"
    "\n"
    "Prints the IDs of the images removed (docker's `Deleted Images:` list; each also a `delete`\n"
    "event in `hull events`), then what was removed: images, blobs, layers and bytes freed.\n"
    "\n"
    "Options:\n"
    "  -f, --force  accepted for docker compatibility (hull never prompts)\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on failure, 125 for usage errors.\n";

int cmd_image_prune(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {
        {"force", 'f', false, 1, "do not prompt (hull never does)"}, {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("image prune", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first < argc)
        return cli_usage("image prune", "unexpected argument `%s`", argv[first]);
    hull_err *err = NULL;
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    struct image_prune_report report = {0};
    int rc = image_prune(store, &report, &err);
    if (report.deleted)
        printf("Deleted Images:\n");
    for (char **d = report.deleted; d && *d; d++) {
        printf("deleted: %s\n", *d);
        image_event(store->data_root, "delete", *d, NULL);
    }
    if (report.deleted)
        printf("\n");
    hull_strvfree(report.deleted);
    if (rc < 0)
        return cli_fail(err);
    printf("Removed %zu images, %zu blobs, %zu layers; freed %llu bytes of blobs\n", report.images,
           report.blobs, report.layers, (unsigned long long)report.bytes);
    return 0;
}
