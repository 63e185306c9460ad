/* `hull`: the docker-like command. Global options, then one subcommand from the table below;
 * each subcommand lives in its own file and is a thin layer over libhull. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/hull/cli.h"
#include "linux/rootless.h"
#include "util/cleanup.h"
#include "util/log.h"

#ifdef HULL_LIGHT
/* This `hull` links neither libcurl nor libarchive (about 10 ms less at every start); the image
 * commands run in hull-images (light.c). */
#define IMAGE_COMMAND(fn) cmd_images_delegate
#else
#define IMAGE_COMMAND(fn) fn
#endif

static const struct hull_command commands[] = {
    {"pull", IMAGE_COMMAND(cmd_pull), "Pull an image from a registry, OCI layout or archive"},
    {"load", IMAGE_COMMAND(cmd_load), "Load images from a docker-archive or oci-archive tarball"},
    {"save", IMAGE_COMMAND(cmd_save), "Save an image as an OCI archive"},
    {"images", IMAGE_COMMAND(cmd_images), "List images"},
    {"build", IMAGE_COMMAND(cmd_build), "Build an image from a Containerfile"},
    {"commit", IMAGE_COMMAND(cmd_commit), "Create an image from a container's changes"},
    {"rmi", IMAGE_COMMAND(cmd_rmi), "Remove images"},
    {"tag", IMAGE_COMMAND(cmd_tag), "Give an image another name"},
    {"push", IMAGE_COMMAND(cmd_push), "Upload an image to a registry"},
    {"history", IMAGE_COMMAND(cmd_history), "Show the history of an image"},
    {"import", IMAGE_COMMAND(cmd_import), "Make an image of a root filesystem tarball"},
    {"export", IMAGE_COMMAND(cmd_export), "Write a container's filesystem as a tar archive"},
    {"image", IMAGE_COMMAND(cmd_image),
     "Manage images (ls, inspect, history, rm, tag, prune, pull, push, import, load, save)"},
    {"login", IMAGE_COMMAND(cmd_login), "Store credentials for a registry"},
    {"logout", IMAGE_COMMAND(cmd_logout), "Remove stored credentials for a registry"},
    {"run", cmd_run, "Create and run a container from an image"},
    {"create", cmd_create, "Create a container without starting it"},
    {"start", cmd_start, "Start created or stopped containers"},
    {"attach", cmd_attach, "Attach this terminal to a running container's stdio"},
    {"ps", cmd_ps, "List containers"},
    {"logs", cmd_logs, "Print (and follow) a container's output"},
    {"exec", cmd_exec, "Run a command in a running container"},
    {"stop", cmd_stop, "Stop containers (stop signal, then SIGKILL)"},
    {"kill", cmd_kill, "Send a signal to containers"},
    {"restart", cmd_restart, "Stop and start containers"},
    {"rm", cmd_rm, "Remove containers"},
    {"wait", cmd_wait, "Wait for containers to stop, print their exit codes"},
    {"inspect", cmd_inspect, "JSON details of containers, images or volumes"},
    {"top", cmd_top, "List the processes of a container"},
    {"stats", cmd_stats, "CPU, memory and process counts of containers"},
    {"pause", cmd_pause, "Freeze the processes of containers"},
    {"unpause", cmd_unpause, "Thaw paused containers"},
    {"cp", cmd_cp, "Copy files between a container and the host"},
    {"events", cmd_events, "Print (and follow) container, image and volume events"},
    {"healthcheck", cmd_healthcheck, "Run a container's health check now (healthcheck run C)"},
    {"volume", cmd_volume, "Manage volumes (create, ls, rm, inspect, prune)"},
    {"network", cmd_network, "Manage networks (create, ls, inspect, rm, prune, connect, ...)"},
    {"port", cmd_port, "List a container's published ports"},
    {"system", cmd_system, "System information, disk use, pruning"},
    {"sandbox", cmd_sandbox, "Run untrusted code in a locked-down, attested sandbox"},
    {"seccomp", cmd_seccomp, "Seccomp profiles from traces (seccomp generate TRACE)"},
    {"compose", cmd_compose, "Multi-container stacks from compose files and TOML topologies"},
    {"up", cmd_compose_up, "Create and start a stack (hull compose up)"},
    {"down", cmd_compose_down, "Stop and remove a stack (hull compose down)"},
    {"version", cmd_version, "Show version information"},
    {"__monitor", cmd_monitor, NULL},     /* internal: hull-monitor's restarts and clean-up */
    {"__health", cmd_health_probe, NULL}, /* internal: a monitor's health probe */
#ifndef HULL_LIGHT
    {"__seed-busybox", cmd_seed_busybox, NULL}, /* internal: for the light hull (light.c) */
#endif
    {NULL, NULL, NULL},
};

static const char help[] =
    "Usage: hull [GLOBAL OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "hull runs containers from OCI images. Images live in a content-addressed store under the\n"
    "data root; every layer is unpacked once and shared through overlayfs.\n"
    "\n"
    "Global options:\n"
    "  --data-root DIR    where hull keeps its state (default: $HULL_ROOT or /var/lib/hull;\n"
    "                     rootless: $XDG_DATA_HOME/hull, see docs/rootless.md)\n"
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
        if (c->summary)
            fprintf(out, "  %-11s %s\n", c->name, c->summary);
    fputs("\nExit status: 0 on success, 1 on failure, 125 for usage errors.\n", out);
}

/* An unprivileged user: the data root defaults to $XDG_DATA_HOME/hull (~/.local/share/hull),
 * the run directory is $XDG_RUNTIME_DIR/hull (/tmp/hull-UID without it), as podman's; then
 * the user's rootless namespaces are joined (docs/rootless.md). HULL_ROOT carries the data
 * root to the programs hull starts (monitor, hull-images), which run as root of the user
 * namespace. */
static int enter_rootless(struct hull_cli *cli, char **argv)
{
    char root[4096], run[4096];
    const char *env = getenv("HULL_ROOT");
    if (cli->data_root == NULL && (env == NULL || *env == '\0')) {
        const char *xdg = getenv("XDG_DATA_HOME");
        const char *home = getenv("HOME");
        if (xdg && *xdg == '/')
            snprintf(root, sizeof root, "%s/hull", xdg);
        else if (home && *home == '/')
            snprintf(root, sizeof root, "%s/.local/share/hull", home);
        else {
            fprintf(stderr, "hull: rootless: neither $XDG_DATA_HOME nor $HOME is set: give "
                            "--data-root\n");
            return CLI_EXIT_USAGE;
        }
        setenv("HULL_ROOT", root, 1);
    }
    const char *xdg_run = getenv("XDG_RUNTIME_DIR");
    if (xdg_run && *xdg_run == '/')
        snprintf(run, sizeof run, "%s/hull", xdg_run);
    else
        snprintf(run, sizeof run, "/tmp/hull-%u", (unsigned)getuid());
    cleanup_err hull_err *err = NULL;
    if (rootless_join(run, &err) < 0) {
        fprintf(stderr, "hull: %s\n", err->msg);
        return 1;
    }
    /* Execute again inside: a process keeps the user namespace its memory was made in (the
     * host's, for us), and its children made non-dumpable by the runtime could not then be
     * reached through /proc by root of ours (ptrace's check against that namespace). */
    execv("/proc/self/exe", argv);
    fprintf(stderr, "hull: rootless: execute hull again in the user namespace: %s\n",
            strerror(errno));
    return 1;
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
    cli_seed_json_hash();
    if (i >= argc) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        usage(stdout);
        return 0;
    }
    bool wants_help = false; /* a command's --help needs no namespace */
    for (int j = i; j < argc; j++)
        wants_help = wants_help || strcmp(argv[j], "--help") == 0;
    if (geteuid() != 0 && !wants_help) {
        int rc = enter_rootless(&cli, argv);
        if (rc != 0)
            return rc;
    }
    return cli_dispatch(&cli, commands, "hull", argc - i, argv + i);
}
