/* hull rm: remove containers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/create.h"
#include "container/launch.h"
#include "container/status.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull rm [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Remove containers: their runtime state, root filesystem mount and writable layer, logs,\n"
    "name and image use. A running (or restarting) container is refused unless -f, which kills\n"
    "it first (SIGKILL, no grace period). A container whose monitor died (crash, reboot) is\n"
    "cleaned up as well, and so is a dead one (its create was interrupted: `Dead` in `hull ps\n"
    "-a`). Of several concurrent removals of one container exactly one succeeds; the others\n"
    "report `no such container`.\n"
    "\n"
    "Options:\n"
    "  -f, --force     kill a running container before removing it\n"
    "  -v, --volumes   also remove the container's anonymous volumes (named volumes stay)\n"
    "  -h, --help      show this help\n"
    "\n"
    "Exit status: 0 when every container was removed, 1 otherwise, 125 for usage errors.\n";

struct rm_opts {
    bool force;
    bool volumes;
};

/* The lock of a container this rm is about to remove; a concurrent rm that won the race has
 * removed it meanwhile: then "no such container", as docker's daemon answers the losers. */
static int lock_for_removal(container_record *r, const char *ref, hull_err **err)
{
    int lock = container_lock(r, err);
    if (lock < 0 && (*err)->errnum == ENOENT) {
        hull_err_freep(err);
        hull_error(err, 0, "no such container: %s", ref);
        (*err)->errnum = ENOENT;
    }
    return lock;
}

static int rm_one(struct hull_cli *cli, container_store *cs, const char *ref, void *data)
{
    const struct rm_opts *o = data;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, ref, &r, &err) < 0)
        return cli_fail(err);
    cleanup_image_store image_store *is = NULL;
    if (image_store_open(cli->data_root, &is, &err) < 0)
        return cli_fail(err);
    if (r->dead) {
        /* An interrupted create (or one still running: the lock waits for it to finish). */
        cleanup_close int lock = lock_for_removal(r, ref, &err);
        if (lock < 0)
            return cli_fail(err);
        cleanup_container_record container_record *now = NULL;
        if (container_record_load(cs, r->id, &now, &err) < 0)
            return cli_fail(err);
        if (!now->dead) {
            /* Its create completed meanwhile: remove it as any other container. */
            close(steal_fd(&lock));
            return rm_one(cli, cs, ref, data);
        }
        if (container_remove_all(cs, is, now, o->volumes, &err) < 0)
            return cli_fail(err);
        puts(ref);
        return 0;
    }
    struct container_state_info st;
    if (container_status_get(cs, r, &st, &err) < 0)
        return cli_fail(err);
    bool active = st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED ||
                  st.state == CONTAINER_RESTARTING;
    if (active && !o->force)
        return cli_fail((hull_error(&err, 0,
                                    "cannot remove container %s: it is %s (stop it first, or "
                                    "use -f)",
                                    ref, container_state_name(st.state)),
                         err));
    if (active || st.monitor_alive) {
        if (container_stop(cs, r, SIGKILL, 0, &err) < 0) {
            /* Its stop marker could not be written: a concurrent rm removed the directory. */
            if (err->errnum == ENOENT &&
                faccessat(cs->dirfd, r->id, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
                hull_err_freep(&err);
                hull_error(&err, 0, "no such container: %s", ref);
            }
            return cli_fail(err);
        }
    }
    if (faccessat(cs->dirfd, r->id, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && r->auto_remove) {
        puts(ref); /* --rm: its monitor removed it meanwhile */
        return 0;
    }
    cleanup_close int lock = lock_for_removal(r, ref, &err);
    if (lock < 0 || container_remove_all(cs, is, r, o->volumes, &err) < 0)
        return cli_fail(err);
    puts(ref);
    return 0;
}

int cmd_rm(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { RM_FORCE = 1, RM_VOLUMES };
    static const struct option_spec opts[] = {
        {"force", 'f', false, RM_FORCE, "kill a running container first"},
        {"volumes", 'v', false, RM_VOLUMES, "remove its anonymous volumes"},
        {NULL, 0, false, 0, NULL}};
    const char *v[3] = {NULL};
    int first;
    int usage = cli_options("rm", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    struct rm_opts o = {cli_flag(v[RM_FORCE]), cli_flag(v[RM_VOLUMES])};
    if (first >= argc)
        return cli_usage("rm", "expected at least one CONTAINER");
    return ctr_for_each(cli, first, argc, argv, rm_one, &o);
}
