/* hull start: run created or exited containers again. */
#include <stdio.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "container/create.h"
#include "container/launch.h"
#include "container/status.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull start [OPTIONS] CONTAINER [CONTAINER...]\n"
    "\n"
    "Start containers that were created (`hull create`) or have exited. Each runs under its own\n"
    "monitor, as with `hull run -d`; the filesystem changes of earlier runs are kept. Starting a\n"
    "running container does nothing, unless its monitor died (`Up ... (unmonitored)` in `hull\n"
    "ps`): then a new monitor adopts it, records its exit and applies its restart policy (its\n"
    "output since the old monitor died is lost). CONTAINER is a name, an ID or an unambiguous ID\n"
    "prefix.\n"
    "A container created with -i keeps its stdin open for `hull attach`.\n"
    "\n"
    "Options:\n"
    "  -a, --attach        run attached (one container): relay its output, forward signals and\n"
    "                      exit with its exit status, like `hull run`\n"
    "  -i, --interactive   with -a: hull's stdin feeds the container's\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 when every container started (with -a: the container's exit status), 1 when\n"
    "one could not be started, 125 for usage errors, 126/127 when the command cannot be\n"
    "executed / is not found.\n";

static int start_one(struct hull_cli *cli, container_store *cs, const char *ref, bool attach,
                     bool interactive)
{
    (void)cli;
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, ref, &r, &err) < 0)
        return cli_fail(err);
    cleanup_close int lock = container_lock(r, &err);
    if (lock < 0)
        return cli_fail(err);
    struct container_state_info st;
    if (container_status_get(cs, r, &st, &err) < 0)
        return cli_fail(err);
    if (st.state == CONTAINER_RUNNING || st.state == CONTAINER_PAUSED ||
        st.state == CONTAINER_RESTARTING) {
        if (attach)
            return cli_fail((hull_error(&err, 0, "container %s is already running", ref), err));
        /* Its monitor died: a new one takes over (restart policy, exit record). */
        if (st.unmonitored && container_adopt(cs, r, &err) < 0)
            return cli_fail(err);
        puts(ref);
        return 0;
    }
    /* It may re-execute hull (CVE-2019-5736): nothing happened yet for this container. */
    if (container_record_protect_binary(r, &err) < 0)
        return cli_fail(err);
    if (attach) {
        r->interactive = interactive;
        close(steal_fd(&lock)); /* the run can be long; stop/rm must not wait for it */
        int code = 0;
        if (container_run_attached(cs, r, &code, &err) < 0)
            return cli_fail(err);
        if (r->auto_remove) {
            cleanup_image_store image_store *is = NULL;
            cleanup_close int l2 = -1;
            if (image_store_open(cli->data_root, &is, &err) < 0 ||
                (l2 = container_lock(r, &err)) < 0 ||
                container_remove_all(cs, is, r, true, &err) < 0)
                cli_fail(err);
        }
        return code;
    }
    if (container_start_detached(cs, r, &err) < 0)
        return cli_fail(err);
    puts(ref);
    return 0;
}

int cmd_start(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, help))
        return 0;
    enum { ST_ATTACH = 1, ST_INTERACTIVE };
    static const struct option_spec opts[] = {
        {"attach", 'a', false, ST_ATTACH, "attach to the container's output"},
        {"interactive", 'i', false, ST_INTERACTIVE, "attach its stdin"},
        {NULL, 0, false, 0, NULL}};
    const char *v[3] = {NULL};
    int first;
    int usage = cli_options("start", opts, argc, argv, v, &first);
    if (usage)
        return usage;
    bool attach = cli_flag(v[ST_ATTACH]), interactive = cli_flag(v[ST_INTERACTIVE]);
    hull_err *err = NULL;
    if (first >= argc)
        return cli_usage("start", "expected at least one CONTAINER");
    if (attach && argc - first > 1)
        return cli_usage("start", "-a takes exactly one CONTAINER");
    if (interactive && !attach)
        return cli_usage("start", "-i needs -a");
    cleanup_container_store container_store *cs = NULL;
    if (ctr_open(cli, &cs, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (int i = first; i < argc; i++) {
        int rc = start_one(cli, cs, argv[i], attach, interactive);
        if (rc != 0)
            status = rc;
    }
    return status;
}
