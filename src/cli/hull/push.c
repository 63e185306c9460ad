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
    enum { P_INSECURE = 1, P_TLS_VERIFY, P_AUTHFILE, P_CHUNK, P_QUIET };
    static const struct option_spec optspec[] = {
        {"insecure", 0, false, P_INSECURE, "plain HTTP or unverified TLS"},
        {"tls-verify", 0, false, P_TLS_VERIFY, "verify TLS (true) or not (false)"},
        {"authfile", 0, true, P_AUTHFILE, "credentials file"},
        {"chunk-size", 0, true, P_CHUNK, "upload in chunks of this many bytes"},
        {"quiet", 'q', false, P_QUIET, "print nothing on success"},
        {NULL, 0, false, 0, NULL}};
    const char *v[P_QUIET + 1] = {NULL};
    int first;
    int usage = cli_options("push", optspec, argc, argv, v, &first);
    if (usage)
        return usage;
    /* --tls-verify=false is --insecure; given, --tls-verify decides. */
    struct image_push_options opts = {.insecure = v[P_TLS_VERIFY] ? !cli_flag(v[P_TLS_VERIFY])
                                                                  : cli_flag(v[P_INSECURE]),
                                      .authfile = v[P_AUTHFILE]};
    bool quiet = cli_flag(v[P_QUIET]);
    if (v[P_CHUNK]) {
        const char *arg = v[P_CHUNK];
        char *end;
        errno = 0;
        long long size = strtoll(arg, &end, 10);
        if (errno || end == arg || *end || size < 0)
            return cli_usage("push", "--chunk-size `%s`: expected a number of bytes", arg);
        opts.chunk_size = size;
    }
    if (first != argc - 1)
        return cli_usage("push", "expected exactly one NAME");
    const char *name = argv[first];
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
