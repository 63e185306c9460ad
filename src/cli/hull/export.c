/* hull export: a container's root filesystem as a tar archive. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/rootfs.h"
#include "image/flat_archive.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull export [OPTIONS] CONTAINER\n"
    "\n"
    "Write the root filesystem of CONTAINER (running or not) as a tar archive to stdout or to\n"
    "FILE: the image's files with the container's changes, without its volumes, bind mounts\n"
    "and tmpfs mounts. Owners (numeric), modes, modification times, symbolic links, hard links,\n"
    "devices and security.*/user.* extended attributes are kept. `hull import` makes an image\n"
    "of such an archive.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE   write to FILE instead of stdout (refused when stdout is a terminal)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0, 1 when the container is unknown or the archive could not be written, 125\n"
    "for usage errors.\n";

int cmd_export(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    static const struct option_spec opts[] = {{"output", 'o', true, 1, "write the archive to FILE"},
                                              {NULL, 0, false, 0, NULL}};
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("export", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    const char *output = v[1];
    hull_err *err = NULL;
    if (first != argc - 1)
        return cli_usage("export", "expected exactly one CONTAINER");
    if (output == NULL && isatty(STDOUT_FILENO))
        return cli_usage("export", "cowardly refusing to write an archive to a terminal: use "
                                   "-o FILE or redirect stdout");
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, argv[first], &r, &err) < 0)
        return cli_fail(err);
    cleanup_close int out = STDOUT_FILENO;
    cleanup_free char *tmp = NULL;
    if (output) {
        /* written beside FILE and renamed: no half archive under its name */
        if (asprintf(&tmp, "%s.hull-export-%d", output, (int)getpid()) < 0)
            abort();
        out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (out < 0)
            return cli_fail((hull_error(&err, errno, "create `%s`", output), err));
    }
    /* A stopped container's filesystem is mounted for the export, under its lock so that a
     * concurrent start does not unmount it under us (as `hull cp`). */
    cleanup_close int lock = container_lock(r, &err);
    if (lock < 0)
        return cli_fail(err);
    bool mounted_here = false;
    int rc = 0;
    if (!container_rootfs_mounted(r)) {
        rc = container_rootfs_mount(r, &err);
        mounted_here = rc == 0;
    } else {
        close(steal_fd(&lock));
    }
    cleanup_free char *rootfs = NULL;
    if (asprintf(&rootfs, "%s/rootfs", r->bundle) < 0)
        abort();
    if (rc == 0)
        rc = image_export_tree(rootfs, out, &err);
    if (mounted_here) {
        hull_err *e2 = NULL;
        if (container_rootfs_unmount(r, false, &e2) < 0)
            cli_fail(e2);
    }
    if (output) {
        if (rc == 0 && fsync(out) < 0)
            rc = hull_error(&err, errno, "write `%s`", output);
        if (rc == 0 && rename(tmp, output) < 0)
            rc = hull_error(&err, errno, "rename to `%s`", output);
        if (rc < 0)
            unlink(tmp);
    } else {
        steal_fd(&out);
    }
    if (rc < 0)
        return cli_fail((hull_error_prefix(&err, "export %s", argv[first]), err));
    return 0;
}
