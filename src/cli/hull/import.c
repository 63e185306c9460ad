/* hull import / hull image import: an image from a flat root filesystem tarball. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
        {"message", 'm', true, 1, "the history comment"}, {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("import", import_opts, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *message = v[1];
    hull_err *err = NULL;
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
    struct image_import_flat_options opts = {.name = name, .comment = message ? message : comment};
    cleanup_image_store image_store *store = NULL;
    char id[DIGEST_STR_LEN];
    if (cli_open_store(cli, &store, &err) < 0 || image_import_flat(store, in, &opts, id, &err) < 0)
        return cli_fail((hull_error_prefix(&err, "import %s", file), err));
    printf("%s\n", id);
    return 0;
}
