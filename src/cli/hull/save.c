/* hull save: an image as an OCI archive. */
#include <getopt.h>
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
    static const struct option longopts[] = {{"output", required_argument, NULL, 'o'},
                                             {"format", required_argument, NULL, 'F'},
                                             {NULL, 0, NULL, 0}};
    const char *output = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+o:", longopts, NULL)) != -1) {
        if (c == 'o')
            output = optarg;
        else if (c == 'F' && strcmp(optarg, "oci-archive") == 0)
            continue;
        else
            return cli_usage("save", "invalid option (the only format is oci-archive)");
    }
    if (output == NULL || optind != argc - 1)
        return cli_usage("save", "expected -o FILE and one IMAGE");
    hull_err *err = NULL;
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    if (image_save(store, argv[optind], output, &err) < 0)
        return cli_fail(err);
    return 0;
}
