/* hull pull: fetch an image into the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "container/event_emit.h"
#include "cli/hull/progress.h"
#include "image/image.h"
#include "image/transport.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull pull [OPTIONS] SOURCE\n"
    "\n"
    "Copy an image into hull's image store. Every blob is verified against its sha256 digest\n"
    "before it is stored, each layer is unpacked once and shared by all images that contain it,\n"
    "and layers already in the store are not transferred again. The image name is recorded only\n"
    "after everything it needs is stored: a failed pull leaves nothing behind.\n"
    "\n"
    "SOURCE is one of:\n"
    "  [HOST[:PORT]/]REPO[:TAG|@DIGEST]  a registry (docker:// prefix optional); without HOST\n"
    "                                    docker.io, `busybox` means docker.io/library/busybox\n"
    "  oci:DIR[:TAG]                     an OCI image layout directory\n"
    "  oci-archive:FILE[:TAG]            a tar archive of an OCI image layout\n"
    "  docker-archive:FILE               a `docker save` tarball\n"
    "\n"
    "Registries are contacted over HTTPS with certificate verification. Plain HTTP is used only\n"
    "for localhost, 127.0.0.1 and [::1], or with --insecure. Credentials come from `hull login`\n"
    "(or ~/.docker/config.json); bearer tokens are requested as the registry asks.\n"
    "Image indexes (multi-platform images) resolve to this machine's platform or --platform.\n"
    "\n"
    "Options:\n"
    "  --platform OS/ARCH[/VARIANT]  pick this platform from a multi-platform image\n"
    "  --insecure                    allow plain HTTP and unverified TLS for any registry\n"
    "  --authfile FILE               credentials file (default: see `hull login --help`)\n"
    "  --name NAME                   record the image under NAME instead of the source's name\n"
    "  -j, --jobs N                  parallel layer downloads (default 4)\n"
    "  -q, --quiet                   no progress output\n"
    "  -h, --help                    show this help\n"
    "\n"
    "Output: progress on stderr (a bar on a terminal, one line per blob otherwise), then the\n"
    "image ID on stdout.\n"
    "\n"
    "Exit status: 0 when the image is in the store, 1 when the pull failed (the message names\n"
    "the source and the cause: unknown image, unreachable registry, authentication, digest\n"
    "mismatch, unsupported media type, disk full), 125 for usage errors.\n"
    "\n"
    "Examples:\n"
    "  hull pull 127.0.0.1:5000/app:1.2\n"
    "  hull pull --platform linux/arm64 registry.example.com/tools@sha256:0123...\n"
    "  hull pull oci:./layout:latest\n";

int cmd_pull(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec optspec[] = {
        {"platform", 0, true, 1, "OS/ARCH[/VARIANT]"},
        {"insecure", 0, false, 2, "plain HTTP or unverified TLS"},
        {"authfile", 0, true, 3, "credentials file"},
        {"name", 0, true, 4, "name the image"},
        {"jobs", 'j', true, 5, "parallel layer downloads (1-16)"},
        {"quiet", 'q', false, 6, "print only the image id"},
        {NULL, 0, false, 0, NULL}};
    struct image_pull_options opts = {0};
    bool quiet = false, insecure = false;
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    while ((id = options_next(&p, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_options("pull", err);
        long jobs;
        switch (id) {
        case 1:
            opts.platform = arg;
            break;
        case 2:
            if (options_bool("insecure", arg, &insecure, &err) < 0)
                return cli_usage_options("pull", err);
            opts.insecure = insecure;
            break;
        case 3:
            opts.authfile = arg;
            break;
        case 4:
            opts.name = arg;
            break;
        case 5:
            if (options_int("jobs", arg, 1, 16, &jobs, &err) < 0) {
                hull_err_free(err);
                return cli_usage("pull", "--jobs must be between 1 and 16");
            }
            opts.jobs = (int)jobs;
            break;
        default:
            if (options_bool("quiet", arg, &quiet, &err) < 0)
                return cli_usage_options("pull", err);
        }
    }
    int first = p.index;
    if (first != argc - 1)
        return cli_usage("pull", "expected exactly one SOURCE");
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    struct cli_progress *progress = cli_progress_new(quiet);
    opts.progress = cli_progress_sink(progress);
    cleanup_free char *name = NULL;
    char manifest[DIGEST_STR_LEN];
    int r = image_pull(store, argv[first], &opts, &name, manifest, &err);
    cli_progress_free(progress);
    if (r < 0)
        return cli_fail(err);
    cleanup_image_info image_info *info = NULL;
    if (image_lookup(store, manifest, &info, &err) < 0)
        return cli_fail(err);
    if (!quiet)
        fprintf(stderr, "Pulled %s (%s)\n", name, manifest);
    image_event(store->data_root, "pull", name, name);
    printf("%s\n", digest_hex(info->id));
    return 0;
}
