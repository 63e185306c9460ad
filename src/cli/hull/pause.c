/* hull pause / hull unpause: freeze and thaw every process of a container. */
#include <stdio.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "container/event_emit.h"
#include "container/launch.h"
#include "container/status.h"
#include "util/cleanup.h"

static const char pause_help[] =
    "Usage: hull pause CONTAINER [CONTAINER...]\n"
    "\n"
    "Freeze every process of running containers with the cgroup freezer. A paused container\n"
    "shows as `paused` in `hull ps`; `hull unpause` thaws it, `hull stop` and `hull rm -f` of a\n"
    "paused container kill it.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 when every container was paused, 1 otherwise (unknown, not running,\n"
    "already paused), 125 for usage errors.\n";

static const char unpause_help[] =
    "Usage: hull unpause CONTAINER [CONTAINER...]\n"
    "\n"
    "Thaw every process of paused containers (`hull pause` froze them); they run on where they\n"
    "stopped.\n"
    "\n"
    "Options:\n"
    "  -h, --help   show this help\n"
    "\n"
    "Exit status: 0 when every container was unpaused, 1 otherwise (unknown, not paused), 125\n"
    "for usage errors.\n";

static int pause_one(struct hull_cli *cli, container_store *cs, const char *ref, void *data)
{
    (void)cli;
    bool pause = *(bool *)data;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    struct container_state_info st;
    if (container_record_find(cs, ref, &r, &err) < 0 || container_status_get(cs, r, &st, &err) < 0)
        return cli_fail(err);
    enum container_state_kind want = pause ? CONTAINER_RUNNING : CONTAINER_PAUSED;
    if (st.state != want)
        return cli_fail((hull_error(&err, 0, "container %s is %s, not %s", ref,
                                    container_state_name(st.state), container_state_name(want)),
                         err));
    if (container_pause(cs, r, pause, &err) < 0)
        return cli_fail(err);
    container_event(cs, r, pause ? "pause" : "unpause", NULL, NULL);
    puts(ref);
    return 0;
}

static int pause_common(struct hull_cli *cli, const char *command, bool pause, int argc,
                        char **argv)
{
    if (cli_wants_help(argc, argv, pause ? pause_help : unpause_help))
        return 0;
    int first;
    int status = ctr_parse_no_options(command, argc, argv, &first);
    if (status != 0)
        return status;
    return ctr_for_each(cli, first, argc, argv, pause_one, &pause);
}

int cmd_pause(struct hull_cli *cli, int argc, char **argv)
{
    return pause_common(cli, "pause", true, argc, argv);
}

int cmd_unpause(struct hull_cli *cli, int argc, char **argv)
{
    return pause_common(cli, "unpause", false, argc, argv);
}
