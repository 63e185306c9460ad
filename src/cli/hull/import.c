/* hull import / hull image import: an image from a flat root filesystem tarball. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder/commit.h"
#include "cli/hull/cli.h"
#include "image/flat_archive.h"
#include "image/reference.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull import [OPTIONS] FILE|- [REPOSITORY[:TAG]]\n"
    "       hull image import [OPTIONS] FILE|- [REPOSITORY[:TAG]]\n"
    "\n"
    "Make an image of a tar archive of a root filesystem (`hull export`, `docker export`, a\n"
    "debootstrap tarball...), read from FILE or, with -, from stdin; gzip, bzip2, xz and zstd\n"
    "compression are recognised. The image has that one layer (stored uncompressed), an empty\n"
    "config (no command: give one to `hull run`) for this machine's platform, and the name\n"
    "REPOSITORY[:TAG] when given (normalised as `hull tag` does). Prints the image ID.\n"
    "\n"
    "Options:\n"
    "  -c, --change INSTR   apply a Dockerfile instruction to the config (CMD, ENTRYPOINT, ENV,\n"
    "                       EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, HEALTHCHECK);\n"
    "                       repeatable, applied in order\n"
    "  -m, --message TEXT   the history comment (default: \"Imported from FILE\")\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0, 1 when the archive could not be read or is not a tar archive, 125 for usage\n"
    "errors (a bad REPOSITORY name).\n";

int cmd_import(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec import_opts[] = {
        {"message", 'm', true, 1, "the history comment"},
        {"change", 'c', true, 2, "apply a Dockerfile instruction"},
        {NULL, 0, false, 0, NULL}};
    const char *message = NULL;
    cleanup_strv char **changes = calloc(1, sizeof(char *));
    size_t nchanges = 0;
    if (changes == NULL)
        abort();
    hull_err *err = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, import_opts, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int oid;
    const char *arg;
    while ((oid = options_next(&p, &arg, &err)) != 0) {
        if (oid < 0)
            return cli_usage_options("import", err);
        if (oid == 1) {
            message = arg;
            continue;
        }
        char **grown = realloc(changes, (nchanges + 2) * sizeof *changes);
        if (grown == NULL || (grown[nchanges] = strdup(arg)) == NULL)
            abort();
        grown[++nchanges] = NULL;
        changes = grown;
    }
    int first = p.index;
    if (first >= argc || argc - first > 2)
        return cli_usage("import", "expected FILE or - and an optional REPOSITORY[:TAG]");
    const char *file = argv[first];
    cleanup_free char *name = NULL;
    if (first + 1 < argc) {
        cleanup_image_ref image_ref *ref = NULL;
        if (image_ref_parse(argv[first + 1], &ref, &err) < 0) {
            int rc = cli_usage("import", "%s", err->msg);
            hull_err_free(err);
            return rc;
        }
        if (ref->digest)
            return cli_usage("import", "`%s`: a name with a digest cannot be given",
                             argv[first + 1]);
        name = image_ref_string(ref);
    }
    json_auto_t *config = NULL;
    if (nchanges > 0 && builder_changes_config(changes, &config, &err) < 0) {
        err->exit_code = CLI_EXIT_USAGE;
        return cli_fail(err);
    }
    cleanup_close int in = -1;
    if (strcmp(file, "-") == 0)
        in = dup(STDIN_FILENO);
    else
        in = open(file, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return cli_fail((hull_error(&err, errno, "open `%s`", file), err));
    cleanup_free char *comment = NULL;
    if (message == NULL && asprintf(&comment, "Imported from %s", file) < 0)
        abort();
    struct image_import_flat_options opts = {
        .name = name, .comment = message ? message : comment, .config = config};
    cleanup_image_store image_store *store = NULL;
    char id[DIGEST_STR_LEN];
    if (cli_open_store(cli, &store, &err) < 0 || image_import_flat(store, in, &opts, id, &err) < 0)
        return cli_fail((hull_error_prefix(&err, "import %s", file), err));
    printf("%s\n", id);
    return 0;
}
