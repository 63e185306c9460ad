/* hull load: images from a tarball. */
#include <stdio.h>

#include "cli/hull/cli.h"
#include "container/event_emit.h"
#include "image/transport.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull load -i FILE\n"
    "\n"
    "Load every image of a tarball into the store. The format is detected from the content:\n"
    "  docker-archive  what `docker save`, `podman save` and `skopeo copy ... docker-archive:`\n"
    "                  write (manifest.json with Config, RepoTags, Layers)\n"
    "  oci-archive     a tar of an OCI image layout (oci-layout, index.json, blobs/), as written\n"
    "                  by `hull save`, `podman save --format oci-archive` and skopeo\n"
    "Images are named after RepoTags (docker-archive) or the org.opencontainers.image.ref.name\n"
    "annotation (oci-archive; a bare tag becomes localhost/FILE-NAME:TAG). Unnamed images are\n"
    "loaded dangling and printed by ID. Blobs are verified, as in `hull pull`.\n"
    "\n"
    "Options:\n"
    "  -i, --input FILE   the tarball to read (required)\n"
    "  --name NAME        record the image under NAME\n"
    "  -q, --quiet        print nothing on success\n"
    "  -h, --help         show this help\n"
    "\n"
    "Output: `Loaded image: NAME` for each image.\n"
    "\n"
    "Exit status: 0 when every image was loaded, 1 otherwise (nothing of a failed image is\n"
    "kept), 125 for usage errors.\n";

int cmd_load(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {{"input", 'i', true, 1, "the archive to read"},
                                              {"name", 0, true, 2, "name the image"},
                                              {"quiet", 'q', false, 3, "print nothing on success"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[4] = {NULL};
    int first;
    int usage = cli_options("load", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *input = v[1];
    struct image_pull_options opts_pull = {.name = v[2]};
    bool quiet = cli_flag(v[3]);
    hull_err *err = NULL;
    if (input == NULL || first != argc)
        return cli_usage("load", "expected -i FILE and no other argument");
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    cleanup_strv char **loaded = NULL;
    if (image_load(store, input, &opts_pull, &loaded, &err) < 0)
        return cli_fail(err);
    for (char **l = loaded; l && *l; l++) {
        if (!quiet)
            printf("Loaded image: %s\n", *l);
        image_event(store->data_root, "load", *l, *l);
    }
    return 0;
}
