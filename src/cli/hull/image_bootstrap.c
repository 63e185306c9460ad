/* hull image bootstrap: a Debian base image made here (src/builder/bootstrap.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/bootstrap.h"
#include "cli/hull/cli.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull image bootstrap [OPTIONS] SUITE NAME[:TAG]\n"
    "\n"
    "Make a Debian root filesystem with mmdebstrap from this machine's apt sources (those of\n"
    "/etc/apt that name SUITE, else deb.debian.org) and store it as a one-layer image NAME\n"
    "(config: PATH, Cmd [\"bash\"], os/arch, created, history). With SOURCE_DATE_EPOCH set,\n"
    "two bootstraps of the same package set give the same layer digest and image ID.\n"
    "Example: hull image bootstrap bookworm localhost/debian:bookworm\n"
    "\n"
    "Options:\n"
    "  --variant minbase|slim   minbase (default): essential packages and apt; slim: the same\n"
    "                           without documentation, manual pages and translations\n"
    "  --include PKG,...        more packages\n"
    "  -q, --quiet              no mmdebstrap progress\n"
    "  -h, --help               show this help\n"
    "\n"
    "Prints the image ID. Exit status: 0 on success, 1 on failure, 125 for usage errors.\n";

int cmd_image_bootstrap(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {{"variant", 0, true, 1, "debootstrap variant"},
                                              {"include", 0, true, 2, "extra packages"},
                                              {"quiet", 'q', false, 3, "print only the image id"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[4] = {NULL};
    int first;
    int usage = cli_options("image bootstrap", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    struct bootstrap_request req = {
        .variant = v[1] ? v[1] : "minbase", .include = v[2], .quiet = cli_flag(v[3])};
    hull_err *err = NULL;
    if (first != argc - 2)
        return cli_usage("image bootstrap", "expected SUITE and NAME[:TAG]");
    if (strcmp(req.variant, "minbase") != 0 && strcmp(req.variant, "slim") != 0)
        return cli_usage("image bootstrap", "--variant %s: expected minbase or slim", req.variant);
    req.suite = argv[first];
    cleanup_free char *name = NULL;
    if (cli_normalise_local_name(argv[first + 1], &name, &err) < 0) {
        err->exit_code = CLI_EXIT_USAGE;
        return cli_fail(err);
    }
    req.name = name;
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    cleanup_free char *id = NULL;
    if (builder_bootstrap(store, &req, &id, &err) < 0)
        return cli_fail(err);
    printf("%s\n", id);
    return 0;
}
