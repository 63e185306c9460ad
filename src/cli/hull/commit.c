/* hull commit: a container's changes as a new image (src/builder/commit.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/commit.h"
#include "cli/hull/cli.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n"
    "\n"
    "Create an image from a container's changes: what the container wrote to its root\n"
    "filesystem (the overlay upper directory) becomes a new layer on top of the container's\n"
    "image; deleted files become whiteouts. The new image keeps the container's command,\n"
    "entrypoint, environment, working directory and user. A running container is not paused:\n"
    "commit it stopped for a consistent copy.\n"
    "\n"
    "Options:\n"
    "  -c, --change INSTR   apply a Containerfile instruction to the config (CMD, ENTRYPOINT,\n"
    "                       ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL,\n"
    "                       HEALTHCHECK); repeatable\n"
    "  -m, --message TEXT   the history comment\n"
    "  -a, --author TEXT    the author (\"Name <email>\")\n"
    "  -h, --help           show this help\n"
    "\n"
    "Prints the new image's ID. Exit status: 0 on success, 1 on failure, 125 for usage errors.\n";

int cmd_commit(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option longopts[] = {{"change", required_argument, NULL, 'c'},
                                             {"message", required_argument, NULL, 'm'},
                                             {"author", required_argument, NULL, 'a'},
                                             {"pause", optional_argument, NULL, 'p'},
                                             {NULL, 0, NULL, 0}};
    struct commit_request req = {0};
    cleanup_strv char **changes = calloc(1, sizeof(char *));
    size_t n = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "+c:m:a:p", longopts, NULL)) != -1) {
        if (c == 'c') {
            changes = realloc(changes, (n + 2) * sizeof *changes);
            changes[n++] = strdup(optarg);
            changes[n] = NULL;
        } else if (c == 'm') {
            req.message = optarg;
        } else if (c == 'a') {
            req.author = optarg;
        } else if (c != 'p') {
            return cli_usage("commit", "invalid option");
        }
    }
    if (optind != argc - 1 && optind != argc - 2)
        return cli_usage("commit", "expected CONTAINER [REPOSITORY[:TAG]]");
    req.container = argv[optind];
    req.changes = changes;
    hull_err *err = NULL;
    cleanup_free char *name = NULL;
    if (optind == argc - 2 && cli_normalise_local_name(argv[optind + 1], &name, &err) < 0) {
        err->exit_code = CLI_EXIT_USAGE;
        return cli_fail(err);
    }
    req.name = name;
    cleanup_image_store image_store *store = NULL;
    cleanup_container_store container_store *cs = NULL;
    if (cli_open_store(cli, &store, &err) < 0 ||
        container_store_open(cli->data_root ? cli->data_root : image_store_default_root(), &cs,
                             &err) < 0)
        return cli_fail(err);
    char id[DIGEST_STR_LEN];
    if (builder_commit(cs, store, &req, id, &err) < 0)
        return cli_fail(err);
    printf("%s\n", id);
    return 0;
}
