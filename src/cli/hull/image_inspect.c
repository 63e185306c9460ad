/* hull image inspect: images as JSON. */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "cli/hull/cli.h"
#include "cli/hull/format.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull image inspect IMAGE [IMAGE...]\n"
    "\n"
    "Print a JSON array with one object per IMAGE (a name, short name, NAME@DIGEST, digest or\n"
    "ID prefix). Fields:\n"
    "  Id                 the config digest (what `hull images` shows as IMAGE ID)\n"
    "  Digest             the manifest digest\n"
    "  RepoTags           the image's names\n"
    "  RepoDigests        REPOSITORY@MANIFEST-DIGEST for each repository it is named in\n"
    "  Created, Author, Architecture, Os, Variant   from the image config\n"
    "  Size               bytes of config and layer blobs as stored\n"
    "  Config             the image config's `config` object (Entrypoint, Cmd, Env,\n"
    "                     WorkingDir, User, Labels, ExposedPorts, Volumes, StopSignal)\n"
    "  RootFS             {Type, Layers: the uncompressed layer digests (diff_ids)}\n"
    "  Layers             the layer blob digests, bottom to top\n"
    "  LayerDirs          the unpacked layer directories, bottom to top\n"
    "  ManifestMediaType  OCI or Docker v2 schema 2\n"
    "  Users              number of containers using the image\n"
    "\n"
    "Options:\n"
    "  -f, --format TEMPLATE   a Go template per IMAGE instead, as `hull inspect -f`\n"
    "                          ('{{.Id}} {{json .RepoTags}}')\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 when every IMAGE was found, 1 otherwise (the JSON then holds the images\n"
    "that were found), 125 for usage errors.\n";

int cmd_image_inspect(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {{"format", 'f', true, 1, "a Go template"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("image inspect", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *format = v[1];
    hull_err *err = NULL;
    if (first >= argc)
        return cli_usage("image inspect", "expected at least one IMAGE");
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    json_t *arr = json_array();
    int status = 0;
    for (int i = first; i < argc; i++) {
        cleanup_image_info image_info *info = NULL;
        if (image_lookup(store, argv[i], &info, &err) < 0) {
            status = cli_fail(err);
            err = NULL;
            continue;
        }
        json_array_append_new(arr, image_info_to_json(info));
    }
    if (format) {
        int rc = cli_format_print("image inspect", format, NULL, arr);
        return rc ? rc : status;
    }
    char *text = json_dumps(arr, JSON_INDENT(2));
    puts(text);
    free(text);
    json_decref(arr);
    return status;
}
