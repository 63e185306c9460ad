/* hull wait: block until containers stop, print their exit codes. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/status.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull wait CONTAINER [CONTAINER...]\n"
    "\n"
    "Wait until each container has stopped for good (no restart pending) and print its exit\n"
    "code, one line per container (-1 when its monitor ended without recording one). A created\n"
    "container is waited for until it has run.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 when every exit code was printed, 1 otherwise, 125 for usage errors.\n";

static int wait_one(struct hull_cli *cli, container_store *cs, const char *ref, void *data)
{
    (void)cli;
    (void)data;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, ref, &r, &err) < 0)
        return cli_fail(err);
    int last_code = 0;
    bool seen_exit = false;
    for (;;) {
        if (faccessat(cs->dirfd, r->id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
            break; /* removed (--rm) */
        struct container_state_info st;
        if (container_status_get(cs, r, &st, &err) < 0)
            return cli_fail(err);
        if (st.exit_known || st.state == CONTAINER_EXITED) {
            last_code = st.exit_code;
            seen_exit = true;
        }
        if (st.state == CONTAINER_EXITED && !st.monitor_alive) {
            printf("%d\n", st.exit_code);
            return 0;
        }
        /* Sleep on the container's process while it runs, then on the monitor, which records
         * the exit within milliseconds (and, with --rm, removes the container soon after). */
        int fd = -1, timeout = 20;
        if (st.state == CONTAINER_RUNNING && st.pid > 0) {
            fd = (int)syscall(SYS_pidfd_open, st.pid, 0);
            timeout = 1000;
        } else if (st.monitor_alive) {
            fd = (int)syscall(SYS_pidfd_open, st.monitor_pid, 0);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(fd >= 0 ? &p : NULL, fd >= 0 ? 1 : 0, timeout);
        if (fd >= 0)
            close(fd);
    }
    if (!seen_exit)
        return cli_fail((hull_error(&err, 0,
                                    "container %s was removed before its exit code could be "
                                    "read",
                                    ref),
                         err));
    printf("%d\n", last_code);
    return 0;
}

int cmd_wait(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    int first;
    int status = ctr_parse_no_options("wait", argc, argv, &first);
    if (status != 0)
        return status;
    return ctr_for_each(cli, first, argc, argv, wait_one, NULL);
}
