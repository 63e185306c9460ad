/* hull build: an image from a Containerfile (src/builder/build.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/build.h"
#include "cli/hull/cli.h"
#include "image/reference.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char help[] =
    "Usage: hull build [OPTIONS] CONTEXT\n"
    "\n"
    "Build an image from the Containerfile (or Dockerfile) in the directory CONTEXT. The\n"
    "context is read in place; .containerignore or .dockerignore hides files from COPY/ADD, and\n"
    "nothing outside CONTEXT can be read (`..` and symlinks leading out are refused). RUN steps\n"
    "run as hull containers (docker's default capabilities, seccomp, no network unless\n"
    "--network says which). Every RUN, COPY and ADD makes a layer and is cached: an unchanged step "
    "is\n"
    "not run again. See docs/build.md for the instructions and their rules.\n"
    "\n"
    "Options:\n"
    "  -t, --tag NAME[:TAG]    name the image (repeatable; a short name gets localhost/)\n"
    "  -f, --file FILE         the Containerfile (default: CONTEXT/Containerfile, else\n"
    "                          CONTEXT/Dockerfile)\n"
    "  --build-arg K=V         set a build argument (K alone: from the environment)\n"
    "  --target STAGE          build up to the stage named STAGE\n"
    "  --no-cache              run every step\n"
    "  --pull=never|missing|always  base images: local only, pull when missing (default),\n"
    "                          always pull\n"
    "  --network NETWORK       the network of RUN steps: none (default), host, or a network\n"
    "                          (bridge or `default`, or a user network: names resolve there)\n"
    "  --label K=V             add a label to the image (repeatable)\n"
    "  -q, --quiet             print only the image ID\n"
    "  --iidfile FILE          write the image ID to FILE\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 on success, 1 when a step fails, 125 for usage errors.\n";

/* `app` -> localhost/app:latest (as podman names local builds); full names as given. */
int cli_normalise_local_name(const char *text, char **out, hull_err **err)
{
    cleanup_image_ref image_ref *ref = NULL;
    if (image_ref_parse(text, &ref, err) < 0)
        return -1;
    if (ref->digest)
        return hull_error(err, 0, "`%s`: a name to tag must not have a digest", text);
    if (!ref->short_name) {
        *out = image_ref_string(ref);
        return 0;
    }
    const char *path = ref->path;
    if (strncmp(path, "library/", 8) == 0 && strchr(text, '/') == NULL)
        path += 8;
    if (asprintf(out, "localhost/%s:%s", path, ref->tag ? ref->tag : "latest") < 0)
        abort();
    return 0;
}

static void push(char ***v, size_t *n, char *s)
{
    *v = realloc(*v, (*n + 2) * sizeof **v);
    if (*v == NULL)
        abort();
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

int cmd_build(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { O_BUILD_ARG = 256, O_TARGET, O_NO_CACHE, O_PULL, O_NETWORK, O_LABEL, O_IIDFILE };
    static const struct option_spec optspec[] = {
        {"tag", 't', true, 't', "NAME[:TAG] for the result"},
        {"file", 'f', true, 'f', "the Dockerfile"},
        {"build-arg", 0, true, O_BUILD_ARG, "KEY=VALUE"},
        {"target", 0, true, O_TARGET, "the stage to build"},
        {"no-cache", 0, false, O_NO_CACHE, "build every step again"},
        {"pull", 0, false, O_PULL, "never, missing or always"},
        {"network", 0, true, O_NETWORK, "host or none for RUN"},
        {"label", 0, true, O_LABEL, "KEY=VALUE"},
        {"quiet", 'q', false, 'q', "print only the image id"},
        {"iidfile", 0, true, O_IIDFILE, "write the image id to FILE"},
        {NULL, 0, false, 0, NULL}};
    struct build_request req = {.pull = "missing", .network = "none", .progress = stderr};
    cleanup_strv char **tags = calloc(1, sizeof(char *));
    cleanup_strv char **build_args = calloc(1, sizeof(char *));
    cleanup_strv char **labels = calloc(1, sizeof(char *));
    size_t nt = 0, na = 0, nl = 0;
    const char *iidfile = NULL;
    hull_err *err = NULL;
    int c;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, optspec, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        switch (c) {
        case 't': {
            char *name = NULL;
            if (cli_normalise_local_name(arg, &name, &err) < 0) {
                hull_error_prefix(&err, "-t");
                err->exit_code = CLI_EXIT_USAGE;
                return cli_fail(err);
            }
            push(&tags, &nt, name);
            break;
        }
        case 'f':
            req.file = arg;
            break;
        case 'q':
            if (options_bool("quiet", arg, &req.quiet, &perr) < 0)
                return cli_usage_options("build", perr);
            break;
        case O_BUILD_ARG:
            push(&build_args, &na, strdup(arg));
            break;
        case O_TARGET:
            req.target = arg;
            break;
        case O_NO_CACHE:
            if (options_bool("no-cache", arg, &req.no_cache, &perr) < 0)
                return cli_usage_options("build", perr);
            break;
        case O_PULL:
            req.pull = arg ? arg : "always";
            if (strcmp(req.pull, "true") == 0)
                req.pull = "always";
            if (strcmp(req.pull, "never") && strcmp(req.pull, "missing") &&
                strcmp(req.pull, "always"))
                return cli_usage("build", "--pull=%s: expected never, missing or always", req.pull);
            break;
        case O_NETWORK:
            if (arg[0] == '\0')
                return cli_usage("build", "--network: expected host, none or a network name");
            /* docker's `default` is the default bridge network. */
            req.network = strcmp(arg, "default") == 0 ? "bridge" : arg;
            break;
        case O_LABEL:
            if (strchr(arg, '=') == NULL)
                return cli_usage("build", "--label %s: expected KEY=VALUE", arg);
            push(&labels, &nl, strdup(arg));
            break;
        case O_IIDFILE:
            iidfile = arg;
            break;
        default:
            return cli_usage_options("build", perr);
        }
    }
    if (p.index != argc - 1)
        return cli_usage("build", "expected exactly one CONTEXT directory");
    req.context = argv[p.index];
    req.tags = tags;
    req.build_args = build_args;
    req.labels = labels;
    req.terminal = isatty(STDERR_FILENO) == 1;
    cleanup_image_store image_store *store = NULL;
    if (cli_open_store(cli, &store, &err) < 0)
        return cli_fail(err);
    char id[DIGEST_STR_LEN];
    if (builder_build(store, &req, id, &err) < 0)
        return cli_fail(err);
    if (iidfile && fs_write_file_atomic(iidfile, id, strlen(id), 0644, &err) < 0)
        return cli_fail(err);
    printf("%s\n", req.quiet ? id : digest_hex(id));
    return 0;
}
