/* `hull`: the docker-like command. Global options, then one subcommand from the table below;
 * each subcommand lives in its own file and is a thin layer over libhull. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "util/log.h"

static const struct hull_command commands[] = {
    {"pull", cmd_pull, "Pull an image from a registry, OCI layout or archive"},
    {"load", cmd_load, "Load images from a docker-archive or oci-archive tarball"},
    {"save", cmd_save, "Save an image as an OCI archive"},
    {"images", cmd_images, "List images"},
    {"rmi", cmd_rmi, "Remove images"},
    {"image", cmd_image, "Manage images (ls, inspect, rm, prune, pull, load, save)"},
    {"login", cmd_login, "Store credentials for a registry"},
    {"logout", cmd_logout, "Remove stored credentials for a registry"},
    {NULL, NULL, NULL},
};

static const char help[] =
    "Usage: hull [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "hull runs containers from OCI images. Images live in a content-addressed store under the\n"
    "data root; every layer is unpacked once and shared through overlayfs.\n"
    "\n"
    "Global options:\n"
    "  --data-root DIR    where hull keeps its state (default: $HULL_ROOT or /var/lib/hull)\n"
    "  --log-level LEVEL  error, warning (default), info or debug\n"
    "  --debug            same as --log-level debug\n"
    "  -h, --help         show this help; `hull COMMAND --help` documents a command\n"
    "  -v, --version      print the version\n"
    "\n"
    "Commands:\n";

static void usage(FILE *out)
{
    fputs(help, out);
    for (const struct hull_command *c = commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fputs("\nExit status: 0 on success, 1 on failure, 125 for usage errors.\n", out);
}

static enum hull_log_level parse_level(const char *s)
{
    if (strcmp(s, "error") == 0)
        return HULL_LOG_ERROR;
    if (strcmp(s, "info") == 0)
        return HULL_LOG_INFO;
    if (strcmp(s, "debug") == 0)
        return HULL_LOG_DEBUG;
    return HULL_LOG_WARNING;
}

int main(int argc, char **argv)
{
    struct hull_cli cli = {.data_root = NULL};
    enum hull_log_level level = HULL_LOG_WARNING;
    hull_log_set_program("hull");
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--version") == 0) {
            printf("hull version %s\n", HULL_VERSION);
            return 0;
        } else if (strcmp(a, "--debug") == 0) {
            level = HULL_LOG_DEBUG;
        } else if (strncmp(a, "--data-root=", 12) == 0) {
            cli.data_root = a + 12;
        } else if (strcmp(a, "--data-root") == 0 && i + 1 < argc) {
            cli.data_root = argv[++i];
        } else if (strncmp(a, "--log-level=", 12) == 0) {
            level = parse_level(a + 12);
        } else if (strcmp(a, "--log-level") == 0 && i + 1 < argc) {
            level = parse_level(argv[++i]);
        } else {
            fprintf(stderr, "hull: unknown global option `%s`\n", a);
            usage(stderr);
            return CLI_EXIT_USAGE;
        }
    }
    hull_log_init(NULL, HULL_LOG_TEXT, level);
    if (i >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        usage(stdout);
        return 0;
    }
    return cli_dispatch(&cli, commands, "hull", argc - i, argv + i);
}
