/* hull run / hull create: a container from an image, started attached, detached, or not. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/create.h"
#include "container/launch.h"
#include "container/seccomp_trace.h"
#include "container/status.h"
#include "image/image.h"
#include "util/cleanup.h"

static const char run_help_head[] =
    "Usage: hull run [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
    "\n"
    "Create a container from IMAGE and run COMMAND in it (default: the image's Entrypoint and\n"
    "Cmd, combined as docker does). Attached (the default), hull relays the container's\n"
    "stdout/stderr, forwards signals (INT, TERM, HUP, QUIT, USR1, USR2, WINCH), records the\n"
    "output in the container's log and exits with the container's exit status. With -d the\n"
    "container runs under its own small monitor process (no daemon): hull prints the container\n"
    "ID and returns; `hull logs`, `hull stop`, `hull rm` find it by ID, ID prefix or name.\n"
    "With -d -i the monitor keeps the container's stdin open (-d -i -t: its terminal) and\n"
    "`hull attach` connects to it later, as often as wanted (`hull run -dit --name box busybox\n"
    "sh`, then `hull attach box`; ctrl-p ctrl-q detaches).\n"
    "\n"
    "The image config is applied like docker applies it: Entrypoint, Cmd, Env, WorkingDir,\n"
    "User, StopSignal, Volumes (each VOLUME becomes an anonymous volume) and Healthcheck (the\n"
    "monitor runs it; --health-* override it field by field).\n"
    "\n";

static const char run_help_tail[] =
    "\n"
    "Exit status: the container's exit status; 125 when hull itself fails (bad options, unknown\n"
    "image, the container cannot be created); 126 when COMMAND cannot be executed; 127 when\n"
    "COMMAND is not found.\n";

static const char create_help_head[] =
    "Usage: hull create [OPTIONS] IMAGE [COMMAND [ARG...]]\n"
    "\n"
    "Create a container from IMAGE without starting it and print its ID; `hull start` runs it.\n"
    "The options are those of `hull run` (except -d).\n"
    "\n";

/* `hull-images pull REF`, its progress on our stderr (stdout is the container's, or its ID). */
static int pull_image(struct hull_cli *cli, const char *ref, hull_err **err)
{
    char *args[] = {"pull", (char *)ref, NULL};
    int status;
    if (images_tool_run(cli->data_root, 2, args, true, &status, err) < 0)
        return -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        /* hull-images said why on our stderr: say nothing more. */
        hull_error(err, 0, "%s", "");
        (*err)->exit_code = 125;
        return -1;
    }
    if (!WIFEXITED(status))
        return hull_error(err, 0, "pull `%s`: hull-images was killed", ref);
    return 0;
}

/* docker's --pull: fetch the image when asked to, or when the store does not have it. */
/* *img: the image when it was found here (NULL after a pull: the create looks it up). */
static int ensure_image(struct hull_cli *cli, image_store *is, const struct run_request *req,
                        image_info **img, hull_err **err)
{
    *img = NULL;
    if (strcmp(req->pull, "always") != 0) {
        if (image_lookup(is, req->image, img, err) == 0)
            return 0;
        if ((*err)->errnum != ENOENT || strcmp(req->pull, "never") == 0)
            return -1;
        hull_err_freep(err);
        fprintf(stderr, "Unable to find image '%s' locally\n", req->image);
    }
    return pull_image(cli, req->image, err);
}

static int fail125(hull_err *err)
{
    if (err && err->exit_code == 0)
        err->exit_code = 125;
    return cli_fail(err);
}

static int create_container(struct hull_cli *cli, const char *command, int argc, char **argv,
                            struct run_request *req, container_store **cs, image_store **is,
                            container_record **r, int *status)
{
    bool help = false;
    *status = run_flags_parse(command, argc, argv, req, &help);
    if (help) {
        bool run = strcmp(command, "run") == 0;
        fputs(run ? run_help_head : create_help_head, stdout);
        fputs(run_flags_help, stdout);
        fputs(run_help_tail, stdout);
        return -1;
    }
    if (*status || (*status = run_flags_check_supported(command, req)) != 0)
        return -1;
    hull_err *err = NULL;
    if (strcmp(command, "run") == 0) {
        /* Before any side effect: it may re-execute hull (CVE-2019-5736). */
        json_t *caps = json_array();
        for (char **c = req->cap_add; c && *c; c++)
            json_array_append_new(caps, json_string(*c));
        int rc = container_protect_binary(req->privileged, caps, &err);
        json_decref(caps);
        if (rc < 0) {
            *status = fail125(err);
            return -1;
        }
    }
    if (ctr_open(cli, cs, &err) < 0) {
        *status = fail125(err);
        return -1;
    }
    if (strcmp(command, "run") == 0)
        container_launch_detect_cgroups(*cs);
    cleanup_image_info image_info *img = NULL;
    if (cli_open_store(cli, is, &err) < 0 || ensure_image(cli, *is, req, &img, &err) < 0 ||
        container_create_from_image_info(*cs, *is, img, req, r, &err) < 0) {
        *status = fail125(err);
        return -1;
    }
    return 0;
}

/* --rm: the container goes away however the run ended. */
static void auto_remove(container_store *cs, image_store *is, container_record *r)
{
    hull_err *err = NULL;
    cleanup_close int lock = -1;
    if ((lock = container_lock(r, &err)) < 0 || container_remove_all(cs, is, r, true, &err) < 0)
        cli_fail(err);
}

/* `hull run -it` on a terminal: as docker does, the container runs under its own monitor and
 * this terminal is attached to it (connected before the process starts, so nothing it prints
 * is missed): the detach keys leave it running, `hull attach` comes back. */
static int run_in_terminal(container_store *cs, image_store *is, container_record *r,
                           const char *keys)
{
    hull_err *err = NULL;
    struct ctr_attach_opts o = {.stdin_on = true};
    if (detach_keys_parse(keys, o.keys, &o.n_keys, &err) < 0)
        return fail125(err);
    cleanup_close int sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return fail125((hull_error(&err, errno, "attach socket"), err));
    if (container_start_detached_attach(cs, r, sock, &err) < 0) {
        if (r->auto_remove)
            auto_remove(cs, is, r);
        return fail125(err);
    }
    /* --rm: the monitor removes the container after the exit; wait for that, as docker does. */
    struct container_run_info run;
    cleanup_close int monitor = -1;
    if (r->auto_remove && container_run_info_read(r, &run, &err) == 0 && run.monitor_pid > 0)
        monitor = (int)syscall(SYS_pidfd_open, run.monitor_pid, 0);
    hull_err_free(err);
    bool detached = false;
    int code = ctr_attach_session(cs, r, *r->name ? r->name : r->id, sock, &o, &detached);
    if (!detached && monitor >= 0) {
        struct pollfd p = {.fd = monitor, .events = POLLIN};
        while (poll(&p, 1, 60000) < 0 && errno == EINTR)
            ;
    }
    return code;
}

int cmd_run(struct hull_cli *cli, int argc, char **argv)
{
    struct run_request req;
    run_request_init(&req);
    cleanup_container_store container_store *cs = NULL;
    cleanup_image_store image_store *is = NULL;
    cleanup_container_record container_record *r = NULL;
    int status = 0;
    int rc = create_container(cli, "run", argc, argv, &req, &cs, &is, &r, &status);
    bool detach = req.detach;
    cleanup_free char *trace = req.seccomp_trace;
    req.seccomp_trace = NULL;
    const char *keys = req.detach_keys ? req.detach_keys : DETACH_KEYS_DEFAULT;
    run_request_clear(&req);
    if (rc < 0)
        return status;
    hull_err *err = NULL;
    /* --seccomp-trace: the tracer listens before the runtime's create connects to it. */
    struct container_tracer tracer = {.cancel_fd = -1, .done_fd = -1};
    if (trace && container_seccomp_trace_spawn(r->id, trace, &tracer, &err) < 0) {
        if (r->auto_remove)
            auto_remove(cs, is, r);
        return fail125(err);
    }
    if (detach) {
        rc = container_start_detached(cs, r, &err);
        container_seccomp_trace_release(&tracer);
        if (rc < 0) {
            if (r->auto_remove)
                auto_remove(cs, is, r);
            return fail125(err);
        }
        printf("%s\n", r->id);
        return 0;
    }
    if (r->tty && r->interactive && isatty(STDIN_FILENO)) {
        /* It may be detached from (ctrl-p ctrl-q): the trace is written when the container
         * ends, as with -d. */
        rc = run_in_terminal(cs, is, r, keys);
        container_seccomp_trace_release(&tracer);
        return rc;
    }
    int exit_code = 0;
    rc = container_run_attached(cs, r, &exit_code, &err);
    if (trace) {
        /* The trace is complete once no process of the container is left. */
        hull_err *terr = NULL;
        if (container_seccomp_trace_wait(&tracer, trace, &terr) < 0) {
            if (rc < 0)
                hull_err_free(terr);
            else
                err = terr, rc = -1;
        }
    }
    if (r->auto_remove)
        auto_remove(cs, is, r);
    if (rc < 0)
        return fail125(err);
    return exit_code;
}

int cmd_create(struct hull_cli *cli, int argc, char **argv)
{
    struct run_request req;
    run_request_init(&req);
    cleanup_container_store container_store *cs = NULL;
    cleanup_image_store image_store *is = NULL;
    cleanup_container_record container_record *r = NULL;
    int status = 0;
    int rc = create_container(cli, "create", argc, argv, &req, &cs, &is, &r, &status);
    run_request_clear(&req);
    if (rc < 0)
        return status;
    printf("%s\n", r->id);
    return 0;
}
