/* hull push / hull image push: upload an image to a registry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "cli/hull/progress.h"
#include "container/event_emit.h"
#include "image/push.h"
#include "image/reference.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull push [OPTIONS] NAME[:TAG]\n"
    "       hull image push [OPTIONS] NAME[:TAG]\n"
    "\n"
    "Upload the image NAME names in the store to the registry and repository of NAME\n"
    "(`hull tag` gives an image such a name first: `hull tag app localhost:5000/app:1`).\n"
    "Blobs the repository has are skipped (HEAD), blobs another repository of that registry\n"
    "holds under another name of the image are mounted from it without a transfer, the others\n"
    "are uploaded; the manifest goes last, unchanged, so the image keeps its digest.\n"
    "Registries are reached as for `hull pull`: HTTPS with certificate verification, plain HTTP\n"
    "only for localhost, 127.0.0.1 and [::1] or with --insecure, credentials from `hull login`.\n"
    "\n"
    "Options:\n"
    "  --insecure             allow plain HTTP and unverified TLS for any registry\n"
    "  --tls-verify=false     the same (podman's spelling); --tls-verify=true is the default\n"
    "  --authfile FILE        credentials file (default: see `hull login --help`)\n"
    "  --chunk-size BYTES     upload blobs larger than BYTES in chunks of BYTES (PATCH);\n"
    "                         default 0: every blob in one request\n"
    "  -q, --quiet            no progress output\n"
    "  -h, --help             show this help\n"
    "\n"
    "Output: progress on stderr (a bar on a terminal, one line per blob otherwise), then\n"
    "docker's last line on stdout: `TAG: digest: sha256:... size: N`.\n"
    "\n"
    "Exit status: 0 when the registry has the image, 1 when the push failed (unknown image,\n"
    "unreachable registry, authentication, refused upload), 125 for usage errors.\n";

int cmd_push(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { OPT_INSECURE = 256, OPT_TLS_VERIFY, OPT_AUTHFILE, OPT_CHUNK };
    static const struct option_spec optspec[] = {
        {"insecure", 0, false, OPT_INSECURE, "plain HTTP or unverified TLS"},
        {"tls-verify", 0, false, OPT_TLS_VERIFY, "verify TLS (true) or not (false)"},
        {"authfile", 0, true, OPT_AUTHFILE, "credentials file"},
        {"chunk-size", 0, true, OPT_CHUNK, "upload in chunks of this many bytes"},
        {"quiet", 'q', false, 'q', "print nothing on success"},
        {NULL, 0, false, 0, NULL}};
    struct image_push_options opts = {0};
    int quiet = 0, c;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        switch (c) {
        case OPT_INSECURE: {
            bool insecure = false;
            if (options_bool("insecure", arg, &insecure, &perr) < 0)
                return cli_usage_options("push", perr);
            opts.insecure = insecure;
            break;
        }
        case OPT_TLS_VERIFY:
            if (arg == NULL || strcmp(arg, "true") == 0)
                opts.insecure = 0;
            else if (strcmp(arg, "false") == 0)
                opts.insecure = 1;
            else
                return cli_usage("push", "--tls-verify `%s`: expected true or false", arg);
            break;
        case OPT_AUTHFILE:
            opts.authfile = arg;
            break;
        case OPT_CHUNK: {
            char *end;
            errno = 0;
            long long v = strtoll(arg, &end, 10);
            if (errno || end == arg || *end || v < 0)
                return cli_usage("push", "--chunk-size `%s`: expected a number of bytes", arg);
            opts.chunk_size = v;
            break;
        }
        case 'q': {
            bool q = false;
            if (options_bool("quiet", arg, &q, &perr) < 0)
                return cli_usage_options("push", perr);
            quiet = q;
            break;
        }
        default:
            return cli_usage_options("push", perr);
        }
    }
    if (p.index != argc - 1)
        return cli_usage("push", "expected exactly one NAME");
    const char *name = argv[p.index];
    hull_err *err = NULL;
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(name, &ref, &err) < 0)
        return cli_fail(err);
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    cleanup_free char *repo = image_ref_repository(ref);
    if (!quiet)
        fprintf(stderr, "The push refers to repository [%s]\n", repo);
    struct cli_progress *progress = cli_progress_new(quiet);
    opts.progress = cli_progress_sink(progress);
    char manifest[DIGEST_STR_LEN];
    int r = image_push(store, name, &opts, manifest, &err);
    cli_progress_free(progress);
    if (r < 0)
        return cli_fail(err);
    cleanup_free char *data = NULL;
    size_t len = 0;
    if (store_blob_read(store, manifest, &data, &len, &err) < 0)
        return cli_fail(err);
    printf("%s: digest: %s size: %zu\n", ref->tag ? ref->tag : ref->digest, manifest, len);
    image_event(store->data_root, "push", name, name);
    return 0;
}
