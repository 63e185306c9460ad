/* hull save: an image as an OCI archive. */
#include <stdio.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "image/transport.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull save -o FILE IMAGE\n"
    "\n"
    "Write IMAGE as an OCI archive: a tar of an OCI image layout (oci-layout, index.json,\n"
    "blobs/sha256/...) that `hull load`, `skopeo copy oci-archive:FILE ...` and\n"
    "`podman load` read. The index carries the image's first name in the\n"
    "org.opencontainers.image.ref.name annotation. Blobs are written as stored (compressed\n"
    "layers stay compressed); a Docker v2 schema 2 manifest is rewritten with the equivalent\n"
    "OCI media types, so the saved manifest digest can differ from the pulled one.\n"
    "The archive is written to a temporary file and renamed: FILE is complete or absent.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   where to write the archive (required)\n"
    "  --format oci-archive  the only format (accepted for compatibility)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on failure, 125 for usage errors.\n";

int cmd_save(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {
        {"output", 'o', true, 1, "where to write the archive"},
        {"format", 0, true, 2, "oci-archive, the only format"},
        {NULL, 0, false, 0, NULL}};
    const char *v[3] = {NULL};
    int first;
    int usage = cli_options("save", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *output = v[1];
    if (v[2] && strcmp(v[2], "oci-archive") != 0)
        return cli_usage("save", "--format: the only format is oci-archive, not `%s`", v[2]);
    hull_err *err = NULL;
    if (output == NULL || first != argc - 1)
        return cli_usage("save", "expected -o FILE and one IMAGE");
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    if (image_save(store, argv[first], output, &err) < 0)
        return cli_fail(err);
    return 0;
}
