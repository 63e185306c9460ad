/* hull commit: a container's changes as a new image (src/builder/commit.h). */
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
    static const struct option_spec opts[] = {
        {"change", 'c', true, 1, "apply a Dockerfile instruction"},
        {"message", 'm', true, 2, "the commit message"},
        {"author", 'a', true, 3, "the author"},
        {"pause", 'p', false, 4, "accepted for compatibility"},
        {NULL, 0, false, 0, NULL}};
    struct commit_request req = {0};
    cleanup_strv char **changes = calloc(1, sizeof(char *));
    size_t n = 0;
    bool pause_flag = true;
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, opts, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int oid;
    const char *arg;
    while ((oid = options_next(&p, &arg, &err)) != 0) {
        if (oid < 0)
            return cli_usage_options("commit", err);
        if (oid == 1) {
            char **grown = realloc(changes, (n + 2) * sizeof *changes);
            if (grown == NULL || (grown[n] = strdup(arg)) == NULL) {
                if (grown)
                    changes = grown;
                return cli_fail((hull_error(&err, ENOMEM, "commit --change"), err));
            }
            changes = grown;
            changes[++n] = NULL;
        } else if (oid == 2) {
            req.message = arg;
        } else if (oid == 3) {
            req.author = arg;
        } else if (options_bool("pause", arg, &pause_flag, &err) < 0) {
            return cli_usage_options("commit", err);
        }
    }
    int first = p.index;
    if (first != argc - 1 && first != argc - 2)
        return cli_usage("commit", "expected CONTAINER [REPOSITORY[:TAG]]");
    req.container = argv[first];
    req.changes = changes;
    cleanup_free char *name = NULL;
    if (first == argc - 2 && cli_normalise_local_name(argv[first + 1], &name, &err) < 0) {
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
