/* hull cp: copy files between a container's root filesystem and the host. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/copy.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH\n"
    "       hull cp [OPTIONS] SRC_PATH CONTAINER:DEST_PATH\n"
    "\n"
    "Copy a file or a directory tree out of or into a container, running or not. A running\n"
    "container's paths are those its processes see: volumes, bind mounts, tmpfs mounts and\n"
    "the /etc/hostname, /etc/hosts and /etc/resolv.conf hull provides included. For a stopped\n"
    "container hull mounts its root filesystem for the copy, and a path under a volume or bind\n"
    "mount reaches that volume's or host directory's files (a tmpfs holds nothing then).\n"
    "When DEST_PATH is an existing directory the copy goes inside it under SRC_PATH's name,\n"
    "otherwise it becomes DEST_PATH (whose parent must exist). Modes and modification times\n"
    "are kept; symbolic links are copied as links, never followed. Container paths are\n"
    "resolved inside the container's root (symlinks cannot lead out of it). A read-only root\n"
    "filesystem or mount refuses copies into it. The copies belong to the user running hull\n"
    "(root: uid 0 in the container) unless -a keeps the original owners.\n"
    "\n"
    "Options:\n"
    "  -a, --archive   keep the owner (uid and gid) of every file\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0, 1 when the copy failed, 125 for usage errors.\n";

/* "NAME:PATH" with NAME a container reference (no '/' before the colon). */
static char *split_container(char *arg, char **path)
{
    char *colon = strchr(arg, ':');
    if (colon == NULL || colon == arg || memchr(arg, '/', (size_t)(colon - arg)))
        return NULL;
    *colon = '\0';
    *path = colon + 1;
    return arg;
}

int cmd_cp(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {{"archive", 'a', false, 1, "keep the owners"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("cp", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    bool archive = cli_flag(v[1]);
    if (argc - first != 2)
        return cli_usage("cp", "expected SRC and DEST, one of them CONTAINER:PATH");
    cleanup_free char *a = strdup(argv[first]);
    cleanup_free char *b = strdup(argv[first + 1]);
    char *apath = NULL, *bpath = NULL;
    char *ca = split_container(a, &apath), *cb = split_container(b, &bpath);
    if ((ca == NULL) == (cb == NULL))
        return cli_usage("cp", "exactly one of SRC and DEST must be CONTAINER:PATH");
    bool out = ca != NULL;
    const char *ref = out ? ca : cb;
    const char *cpath = out ? apath : bpath;
    const char *hpath = out ? argv[first + 1] : argv[first];
    if (*cpath == '\0')
        return cli_usage("cp", "the container path is empty");
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, ref, &r, &err) < 0)
        return cli_fail(err);
    if (container_copy(cs, r, cpath, hpath, out, archive, &err) < 0)
        return cli_fail((hull_error_prefix(&err, "cp"), err));
    return 0;
}
