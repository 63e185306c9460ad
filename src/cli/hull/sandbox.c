/* `hull sandbox run ...`: untrusted code in a locked-down, attested sandbox (docs/sandbox.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "cli/hull/containers.h"
#include "container/health.h"
#include "container/request.h"
#include "sandbox/owner.h"
#include "sandbox/sandbox.h"
#include "linux/seccomp_trace.h"
#include "sandbox/session.h"
#include "util/cleanup.h"
#include "vm/handler.h"

static const char sandbox_help[] =
    "Usage: hull sandbox COMMAND\n"
    "\n"
    "Run untrusted code fast, locked down and attested (docs/sandbox.md).\n"
    "\n"
    "Commands:\n"
    "  run     Run a command in a new sandbox and print its result\n"
    "  create  Create a sandbox session NAME\n"
    "  exec    Run a command in a session\n"
    "  cp      Copy files between a session's workspace and the host\n"
    "  ls      List sessions\n"
    "  rm      Remove sessions\n";

static const char run_help[] =
    "Usage: hull sandbox run [OPTIONS] -- CMD [ARG...]\n"
    "\n"
    "Run CMD in a new sandbox: the context copied into a size-limited tmpfs workspace, the image\n"
    "or rootfs read-only, no capabilities, no_new_privs, a user namespace, the default seccomp\n"
    "profile, Landlock (writes only under the workspace and /tmp), no network, cgroup limits and\n"
    "a wall-clock timeout. Prints the command's output (or the result document with --json) and\n"
    "exits with the command's exit code.\n"
    "\n"
    "Options:\n"
    "      --context DIR          Host directory copied into the workspace\n"
    "      --image REF            Image whose layers form the root (default localhost/busybox)\n"
    "      --rootfs DIR           Host directory used read-only as the root instead of an image\n"
    "  -w, --workdir PATH         Workspace path in the sandbox (default /workspace)\n"
    "      --timeout DURATION     Wall-clock limit, then the whole sandbox is killed (default "
    "60s)\n"
    "  -m, --memory SIZE          Memory limit (default 512m)\n"
    "      --cpus N               CPU limit (default 1)\n"
    "      --pids N               Process limit (default 256)\n"
    "      --disk SIZE            Workspace size (default 256m)\n"
    "      --output-cap SIZE      Bytes of stdout and of stderr kept (default 1m)\n"
    "  -e, --env K=V              Set an environment variable\n"
    "      --network MODE         none (default: only lo) or egress (a hull network, only the\n"
    "                             allow-list may leave)\n"
    "      --egress-allow CIDR    With egress: an allowed IPv4 destination (repeatable)\n"
    "      --egress-tcp-port N    With egress: an allowed TCP port (repeatable)\n"
    "      --egress-network NET   With egress: the hull network to attach (default bridge)\n"
    "      --isolation MODE       container (default) or vm (the command in a microVM)\n"
    "      --seccomp PROFILE      OCI seccomp profile file, or `unconfined`\n"
    "      --output DIR           Write DIR/result.json and the changed files to DIR/changes/\n"
    "      --json                 Print the result document instead of the command's output\n"
    "      --health-tcp PORT      Readiness: report when 127.0.0.1:PORT in the sandbox accepts\n"
    "      --notify               Readiness: a NOTIFY_SOCKET for sd_notify (READY=1, WATCHDOG=1,\n"
    "                             WATCHDOG_USEC=, STATUS=)\n"
    "      --watchdog DURATION    With --notify: WATCHDOG_USEC for the service; a missed\n"
    "                             WATCHDOG=1 kills the sandbox\n"
    "      --seccomp-trace FILE   Record every syscall (counts, first argument shapes) into FILE\n"
    "                             (then `hull seccomp generate FILE > profile.json`)\n";

enum {
    OPT_CONTEXT = 1,
    OPT_IMAGE,
    OPT_ROOTFS,
    OPT_WORKDIR,
    OPT_TIMEOUT,
    OPT_MEMORY,
    OPT_CPUS,
    OPT_PIDS,
    OPT_DISK,
    OPT_CAP,
    OPT_ENV,
    OPT_NETWORK,
    OPT_EGRESS_ALLOW,
    OPT_EGRESS_PORT,
    OPT_EGRESS_NETWORK,
    OPT_ISOLATION,
    OPT_SECCOMP,
    OPT_OUTPUT,
    OPT_JSON,
    OPT_TRACE,
    OPT_HEALTH_TCP,
    OPT_NOTIFY,
    OPT_WATCHDOG,
};

/* The runtime handlers a sandbox may use: the microVM for --isolation vm. */
static const struct runtime_handler *const sandbox_handlers[] = {&vm_runtime_handler, NULL};

/* One table for run, create and exec (exec takes a subset: checked after parsing). */
static const struct option_spec sandbox_opts_spec[] = {
    {"context", 0, true, OPT_CONTEXT, NULL},
    {"image", 0, true, OPT_IMAGE, NULL},
    {"rootfs", 0, true, OPT_ROOTFS, NULL},
    {"workdir", 'w', true, OPT_WORKDIR, NULL},
    {"timeout", 0, true, OPT_TIMEOUT, NULL},
    {"memory", 'm', true, OPT_MEMORY, NULL},
    {"cpus", 0, true, OPT_CPUS, NULL},
    {"pids", 0, true, OPT_PIDS, NULL},
    {"disk", 0, true, OPT_DISK, NULL},
    {"output-cap", 0, true, OPT_CAP, NULL},
    {"env", 'e', true, OPT_ENV, NULL},
    {"network", 0, true, OPT_NETWORK, NULL},
    {"egress-allow", 0, true, OPT_EGRESS_ALLOW, NULL},
    {"egress-tcp-port", 0, true, OPT_EGRESS_PORT, NULL},
    {"egress-network", 0, true, OPT_EGRESS_NETWORK, NULL},
    {"isolation", 0, true, OPT_ISOLATION, NULL},
    {"seccomp", 0, true, OPT_SECCOMP, NULL},
    {"output", 0, true, OPT_OUTPUT, NULL},
    {"json", 0, false, OPT_JSON, NULL},
    {"seccomp-trace", 0, true, OPT_TRACE, NULL},
    {"health-tcp", 0, true, OPT_HEALTH_TCP, NULL},
    {"notify", 0, false, OPT_NOTIFY, NULL},
    {"watchdog", 0, true, OPT_WATCHDOG, NULL},
    {NULL, 0, false, 0, NULL},
};

static const char *option_name(int id)
{
    for (const struct option_spec *s = sandbox_opts_spec; s->name; s++)
        if (s->id == id)
            return s->name;
    return "?";
}

/* The options `hull sandbox exec` takes. */
static bool exec_option(int id)
{
    return id == OPT_TIMEOUT || id == OPT_ENV || id == OPT_CAP || id == OPT_OUTPUT ||
           id == OPT_JSON;
}

static int size_flag(const char *command, const char *flag, const char *text, long long *out)
{
    cleanup_err hull_err *e = NULL;
    if (parse_size(text, out, &e) < 0 || *out <= 0)
        return cli_usage(command, "invalid %s `%s`: expected a size like 256m", flag, text);
    return 0;
}

static int count_flag(const char *command, const char *flag, const char *text, long long min,
                      long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min)
        return cli_usage(command, "invalid %s `%s`: expected a number of at least %lld", flag, text,
                         min);
    *out = v;
    return 0;
}

static int cpus_flag(const char *command, const char *text, long long *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v <= 0 || v > 1024)
        return cli_usage(command, "invalid --cpus `%s`: expected a positive number", text);
    *out = (long long)(v * 1000 + 0.5);
    return 0;
}

struct parsed {
    struct sandbox_opts o;
    char **env, **allow, **ports;
    bool json;
    bool timeout_given;
    int first; /* argv index of the first operand */
};

static void parsed_clear(struct parsed *p)
{
    hull_strvfree(p->env);
    hull_strvfree(p->allow);
    hull_strvfree(p->ports);
}

/* The options of run/create/exec (docker's POSIX convention: they end at the first operand or
 * at `--`); returns 0 when parsed (p->first at the first operand), else the exit status of the
 * usage error. */
static int parse_flags(const char *command, int argc, char **argv, struct parsed *p)
{
    sandbox_opts_defaults(&p->o);
    struct sandbox_opts *o = &p->o;
    bool is_exec = strcmp(command, "sandbox exec") == 0;
    hull_err *err = NULL;
    cleanup_options struct option_parser op;
    if (options_init_posix(&op, sandbox_opts_spec, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int id, rc;
    const char *arg;
    while ((id = options_next(&op, &arg, &err)) != 0) {
        if (id < 0)
            return cli_usage_options(command, err);
        if (is_exec && !exec_option(id))
            return cli_usage(command,
                             "unknown option `--%s` (exec takes --timeout, --env, "
                             "--output-cap, --output, --json)",
                             option_name(id));
        cleanup_err hull_err *e = NULL;
        switch (id) {
        case OPT_CONTEXT:
            o->context = arg;
            break;
        case OPT_IMAGE:
            o->image = arg;
            break;
        case OPT_ROOTFS:
            o->rootfs = arg;
            break;
        case OPT_WORKDIR:
            o->workdir = arg;
            break;
        case OPT_TIMEOUT:
            if (health_parse_duration(arg, &o->timeout_ns, &e) < 0 || o->timeout_ns < 0)
                return cli_usage(command, "invalid --timeout `%s`: expected a duration like 30s",
                                 arg);
            p->timeout_given = true;
            break;
        case OPT_MEMORY:
            if ((rc = size_flag(command, "--memory", arg, &o->memory)) != 0)
                return rc;
            break;
        case OPT_CPUS:
            if ((rc = cpus_flag(command, arg, &o->cpus_milli)) != 0)
                return rc;
            break;
        case OPT_PIDS:
            if ((rc = count_flag(command, "--pids", arg, 1, &o->pids)) != 0)
                return rc;
            break;
        case OPT_DISK:
            if ((rc = size_flag(command, "--disk", arg, &o->disk)) != 0)
                return rc;
            break;
        case OPT_CAP:
            if ((rc = size_flag(command, "--output-cap", arg, &o->output_cap)) != 0)
                return rc;
            break;
        case OPT_ENV:
            if (strchr(arg, '=') == NULL || arg[0] == '=')
                return cli_usage(command, "invalid --env `%s`: expected K=V", arg);
            strv_append(&p->env, arg);
            break;
        case OPT_NETWORK:
            if (strcmp(arg, "none") != 0 && strcmp(arg, "egress") != 0)
                return cli_usage(command, "invalid --network `%s`: none or egress", arg);
            o->network = arg;
            break;
        case OPT_EGRESS_ALLOW:
            strv_append(&p->allow, arg);
            break;
        case OPT_EGRESS_PORT:
            strv_append(&p->ports, arg);
            break;
        case OPT_EGRESS_NETWORK:
            o->egress_network = arg;
            break;
        case OPT_ISOLATION:
            if (strcmp(arg, "container") != 0 && strcmp(arg, "vm") != 0)
                return cli_usage(command, "invalid --isolation `%s`: container or vm", arg);
            o->isolation = arg;
            break;
        case OPT_SECCOMP:
            o->seccomp = arg;
            break;
        case OPT_OUTPUT:
            o->output = arg;
            break;
        case OPT_JSON:
            if (options_bool("json", arg, &p->json, &err) < 0)
                return cli_usage_options(command, err);
            break;
        case OPT_TRACE:
            o->seccomp_trace = arg;
            break;
        case OPT_HEALTH_TCP:
            if ((rc = count_flag(command, "--health-tcp", arg, 1, &o->health_tcp)) != 0)
                return rc;
            if (o->health_tcp > 65535)
                return cli_usage(command, "invalid --health-tcp `%s`: a port 1-65535", arg);
            break;
        case OPT_NOTIFY:
            if (options_bool("notify", arg, &o->notify, &err) < 0)
                return cli_usage_options(command, err);
            break;
        case OPT_WATCHDOG:
            if (health_parse_duration(arg, &o->watchdog_ns, &e) < 0 || o->watchdog_ns <= 0)
                return cli_usage(command, "invalid --watchdog `%s`: expected a duration like 5s",
                                 arg);
            break;
        }
    }
    p->first = op.index;
    o->handlers = sandbox_handlers;
    o->env = p->env;
    o->egress_allow = p->allow;
    o->egress_tcp_ports = p->ports;
    if (o->image && o->rootfs)
        return cli_usage(command, "--image and --rootfs exclude each other");
    if ((p->allow || p->ports || o->egress_network) && strcmp(o->network, "egress") != 0)
        return cli_usage(command, "--egress-allow, --egress-tcp-port and --egress-network need "
                                  "--network egress");
    return 0;
}

static int print_result(json_t *result, bool json)
{
    if (json) {
        json_dumpf(result, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        json_t *out = json_object_get(json_object_get(result, "stdout"), "data");
        json_t *er = json_object_get(json_object_get(result, "stderr"), "data");
        fwrite(json_string_value(out), 1, json_string_length(out), stdout);
        fwrite(json_string_value(er), 1, json_string_length(er), stderr);
        if (json_is_true(json_object_get(result, "timed_out")))
            fprintf(stderr, "hull: sandbox timed out\n");
    }
    int status = (int)json_integer_value(json_object_get(result, "exit_code"));
    json_decref(result);
    return status;
}

static int sandbox_run_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, run_help))
        return 0;
    struct parsed p = {0};
    int rc = parse_flags("sandbox run", argc, argv, &p);
    if (rc != 0) {
        parsed_clear(&p);
        return rc;
    }
    if (p.first >= argc) {
        parsed_clear(&p);
        return cli_usage("sandbox run", "a command is required (hull sandbox run [OPTIONS] -- "
                                        "CMD...)");
    }
    struct sandbox_opts o = p.o;
    o.cmd = argv + p.first;
    hull_err *err = NULL;
    image_store *is = NULL;
    if (cli_open_store(cli, &is, &err) < 0)
        return cli_fail(err);
    json_t *result = NULL;
    rc = sandbox_run(is->data_root, is, &o, &result, &err);
    image_store_close(is);
    bool json = p.json;
    parsed_clear(&p);
    if (rc < 0)
        return cli_fail(err);
    return print_result(result, json);
}

static const char create_help[] =
    "Usage: hull sandbox create [OPTIONS] NAME\n"
    "\n"
    "Create a sandbox session NAME with the options of `hull sandbox run` (the command is given\n"
    "to each `hull sandbox exec`). Its workspace and processes persist until `hull sandbox rm`.\n";

static int sandbox_create_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, create_help))
        return 0;
    struct parsed p = {0};
    int rc = parse_flags("sandbox create", argc, argv, &p);
    if (rc != 0) {
        parsed_clear(&p);
        return rc;
    }
    if (p.first + 1 != argc) {
        parsed_clear(&p);
        return cli_usage("sandbox create", "exactly one NAME is required");
    }
    hull_err *err = NULL;
    image_store *is = NULL;
    if (cli_open_store(cli, &is, &err) < 0) {
        parsed_clear(&p);
        return cli_fail(err);
    }
    json_t *info = NULL;
    rc = sandbox_session_create(is->data_root, is, &p.o, argv[p.first], &info, &err);
    image_store_close(is);
    bool json = p.json;
    parsed_clear(&p);
    if (rc < 0)
        return cli_fail(err);
    if (json) {
        json_dumpf(info, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        printf("%s\n", json_string_value(json_object_get(info, "id")));
    }
    json_decref(info);
    return 0;
}

static const char exec_help[] =
    "Usage: hull sandbox exec [OPTIONS] NAME -- CMD [ARG...]\n"
    "\n"
    "Run CMD in sandbox session NAME (its namespaces, cgroup and confinement); the result\n"
    "document is that of `hull sandbox run`, its changes relative to the previous exec.\n"
    "\n"
    "Options:\n"
    "      --timeout DURATION  Wall-clock limit of this command (default: the session's)\n"
    "  -e, --env K=V           Set an environment variable\n"
    "      --output-cap SIZE   Bytes of stdout and of stderr kept (default 1m)\n"
    "      --output DIR        Write DIR/result.json and the changed files to DIR/changes/\n"
    "      --json              Print the result document instead of the command's output\n";

/* Sessions need only the data root's path, not its image store (exec is on the fast path). */
static int session_data_root(struct hull_cli *cli, char **out, hull_err **err)
{
    (void)err;
    *out = strdup(cli->data_root);
    return 0;
}

static int sandbox_exec_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, exec_help))
        return 0;
    struct parsed p = {0};
    int rc = parse_flags("sandbox exec", argc, argv, &p);
    if (rc != 0) {
        parsed_clear(&p);
        return rc;
    }
    if (p.first + 1 >= argc) {
        parsed_clear(&p);
        return cli_usage("sandbox exec", "NAME and a command are required (hull sandbox exec "
                                         "NAME -- CMD...)");
    }
    struct sandbox_opts o = p.o;
    /* Not given: the session's own timeout. */
    if (!p.timeout_given)
        o.timeout_ns = 0;
    const char *name = argv[p.first];
    o.cmd = argv + p.first + 1;
    if (o.cmd[0] && strcmp(o.cmd[0], "--") == 0)
        o.cmd++;
    hull_err *err = NULL;
    cleanup_free char *root = NULL;
    json_t *result = NULL;
    if (session_data_root(cli, &root, &err) < 0 ||
        sandbox_session_exec(root, name, &o, &result, &err) < 0) {
        parsed_clear(&p);
        return cli_fail(err);
    }
    bool json = p.json;
    parsed_clear(&p);
    return print_result(result, json);
}

/* Commands without options still take `--` and refuse unknown ones alike; *first: the first
 * operand. Returns 0, or the exit status of the usage error. */
static int no_options(const char *command, int argc, char **argv, int *first)
{
    static const struct option_spec none[] = {{NULL, 0, false, 0, NULL}};
    hull_err *err = NULL;
    cleanup_options struct option_parser op;
    if (options_init_posix(&op, none, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    const char *arg;
    if (options_next(&op, &arg, &err) != 0)
        return cli_usage_options(command, err);
    *first = op.index;
    return 0;
}

static const char rm_help[] = "Usage: hull sandbox rm NAME...\n"
                              "\n"
                              "Kill and remove sandbox sessions with their workspaces.\n";

static int sandbox_rm_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, rm_help))
        return 0;
    int first, rc = no_options("sandbox rm", argc, argv, &first);
    if (rc != 0)
        return rc;
    if (first >= argc)
        return cli_usage("sandbox rm", "at least one NAME is required");
    hull_err *err = NULL;
    cleanup_free char *root = NULL;
    if (session_data_root(cli, &root, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (int i = first; i < argc; i++) {
        if (sandbox_session_rm(root, argv[i], &err) < 0) {
            status = cli_fail(err);
            err = NULL;
        }
    }
    return status;
}

static const char ls_help[] = "Usage: hull sandbox ls [--json]\n"
                              "\n"
                              "List sandbox sessions.\n";

static int sandbox_ls_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, ls_help))
        return 0;
    static const struct option_spec opts[] = {{"json", 0, false, 1, NULL},
                                              {NULL, 0, false, 0, NULL}};
    bool json = false;
    hull_err *err = NULL;
    cleanup_options struct option_parser op;
    if (options_init_posix(&op, opts, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int id;
    const char *arg;
    while ((id = options_next(&op, &arg, &err)) != 0)
        if (id < 0 || options_bool("json", arg, &json, &err) < 0)
            return cli_usage_options("sandbox ls", err);
    if (op.index < argc)
        return cli_usage("sandbox ls", "unexpected argument `%s`", argv[op.index]);
    cleanup_free char *root = NULL;
    json_t *list = NULL;
    if (session_data_root(cli, &root, &err) < 0 || sandbox_session_list(root, &list, &err) < 0)
        return cli_fail(err);
    if (json) {
        json_dumpf(list, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        printf("%-24s %-22s %s\n", "NAME", "ID", "CREATED");
        size_t i;
        json_t *r;
        json_array_foreach(list, i, r)
        {
            printf("%-24s %-22s %s\n", json_string_value(json_object_get(r, "name")),
                   json_string_value(json_object_get(r, "id")),
                   json_string_value(json_object_get(r, "created")));
        }
    }
    json_decref(list);
    return 0;
}

static const char cp_help[] =
    "Usage: hull sandbox cp NAME:PATH HOSTPATH\n"
    "       hull sandbox cp HOSTPATH NAME:PATH\n"
    "\n"
    "Copy files between a session's workspace (PATH relative to it, or absolute under its\n"
    "workdir) and the host.\n";

static int sandbox_cp_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, cp_help))
        return 0;
    int first, rc = no_options("sandbox cp", argc, argv, &first);
    if (rc != 0)
        return rc;
    if (argc - first != 2)
        return cli_usage("sandbox cp", "SRC and DST are required");
    const char *a = argv[first], *b = argv[first + 1];
    const char *ca = a[0] != '/' && a[0] != '.' ? strchr(a, ':') : NULL;
    const char *cb = b[0] != '/' && b[0] != '.' ? strchr(b, ':') : NULL;
    if ((ca == NULL) == (cb == NULL))
        return cli_usage("sandbox cp", "exactly one of SRC and DST must be NAME:PATH");
    bool to_sandbox = cb != NULL;
    const char *spec = to_sandbox ? b : a, *colon = to_sandbox ? cb : ca;
    cleanup_free char *name = strndup(spec, (size_t)(colon - spec));
    hull_err *err = NULL;
    cleanup_free char *root = NULL;
    if (session_data_root(cli, &root, &err) < 0 ||
        sandbox_session_cp(root, name, to_sandbox ? a : colon + 1, to_sandbox ? colon + 1 : b,
                           to_sandbox, &err) < 0)
        return cli_fail(err);
    return 0;
}

static const struct hull_command sandbox_commands[] = {
    {"run", sandbox_run_cmd, "Run a command in a new sandbox and print its result"},
    {"create", sandbox_create_cmd, "Create a sandbox session"},
    {"exec", sandbox_exec_cmd, "Run a command in a sandbox session"},
    {"cp", sandbox_cp_cmd, "Copy files between a session's workspace and the host"},
    {"ls", sandbox_ls_cmd, "List sandbox sessions"},
    {"rm", sandbox_rm_cmd, "Remove sandbox sessions"},
    {NULL, NULL, NULL},
};

int cmd_sandbox(struct hull_cli *cli, int argc, char **argv)
{
    /* `hull sandbox --help`; `hull sandbox SUB --help` is SUB's own (cli_dispatch). */
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(sandbox_help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    /* Repair first: bundles left by a killed hull (owner.h). Not for exec and cp, which make
     * no bundle and work in a live session only: they stay on the fast path (a repair reads
     * every bundle's owner document and every session's record). */
    if (strcmp(argv[1], "exec") != 0 && strcmp(argv[1], "cp") != 0)
        sandbox_reap_stale();
    return cli_dispatch(cli, sandbox_commands, "sandbox", argc - 1, argv + 1);
}

static const char seccomp_help[] =
    "Usage: hull seccomp generate TRACE\n"
    "\n"
    "Print the minimal OCI seccomp profile for a trace written by `hull run --seccomp-trace\n"
    "TRACE` or `hull sandbox run --seccomp-trace TRACE`: the syscalls it recorded allowed,\n"
    "every other one refused with ENOSYS. Use it with `hull run --security-opt\n"
    "seccomp=PROFILE` or `hull sandbox run --seccomp PROFILE` (docs/seccomp-trace.md).\n";

int cmd_seccomp(struct hull_cli *cli, int argc, char **argv)
{
    (void)cli;
    if (cli_wants_help(argc, argv, seccomp_help))
        return 0;
    if (argc != 3 || strcmp(argv[1], "generate") != 0)
        return cli_usage("seccomp", "expected: hull seccomp generate TRACE");
    hull_err *err = NULL;
    json_t *profile = NULL;
    if (seccomp_trace_generate(argv[2], &profile, &err) < 0)
        return cli_fail(err);
    json_dumpf(profile, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    json_decref(profile);
    return 0;
}
