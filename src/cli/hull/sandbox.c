/* `hull sandbox run ...`: untrusted code in a locked-down, attested sandbox (docs/sandbox.md). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/cli.h"
#include "cli/hull/containers.h"
#include "container/health.h"
#include "container/request.h"
#include "sandbox/sandbox.h"
#include "sandbox/seccomp_trace.h"
#include "sandbox/session.h"
#include "util/cleanup.h"

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
    "      --network MODE         none (default)\n"
    "      --isolation MODE       container (default)\n"
    "      --seccomp PROFILE      OCI seccomp profile file, or `unconfined`\n"
    "      --output DIR           Write DIR/result.json and the changed files to DIR/changes/\n"
    "      --json                 Print the result document instead of the command's output\n"
    "      --seccomp-trace FILE   Record every syscall (counts, first argument shapes) into FILE\n"
    "                             (then `hull seccomp generate FILE > profile.json`)\n";

enum {
    OPT_CONTEXT = 256,
    OPT_IMAGE,
    OPT_ROOTFS,
    OPT_TIMEOUT,
    OPT_CPUS,
    OPT_PIDS,
    OPT_DISK,
    OPT_CAP,
    OPT_NETWORK,
    OPT_EGRESS_ALLOW,
    OPT_EGRESS_PORT,
    OPT_ISOLATION,
    OPT_SECCOMP,
    OPT_OUTPUT,
    OPT_JSON,
    OPT_TRACE,
};

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
};

static void parsed_clear(struct parsed *p)
{
    hull_strvfree(p->env);
    hull_strvfree(p->allow);
    hull_strvfree(p->ports);
}

/* The options of run/create/exec; returns 0 when parsed (optind at the first operand), else
 * the exit status of the usage error. */
static int parse_flags(const char *command, int argc, char **argv, struct parsed *p)
{
    static const struct option opts[] = {
        {"context", required_argument, NULL, OPT_CONTEXT},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"rootfs", required_argument, NULL, OPT_ROOTFS},
        {"workdir", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"memory", required_argument, NULL, 'm'},
        {"cpus", required_argument, NULL, OPT_CPUS},
        {"pids", required_argument, NULL, OPT_PIDS},
        {"disk", required_argument, NULL, OPT_DISK},
        {"output-cap", required_argument, NULL, OPT_CAP},
        {"env", required_argument, NULL, 'e'},
        {"network", required_argument, NULL, OPT_NETWORK},
        {"egress-allow", required_argument, NULL, OPT_EGRESS_ALLOW},
        {"egress-tcp-port", required_argument, NULL, OPT_EGRESS_PORT},
        {"isolation", required_argument, NULL, OPT_ISOLATION},
        {"seccomp", required_argument, NULL, OPT_SECCOMP},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"json", no_argument, NULL, OPT_JSON},
        {"seccomp-trace", required_argument, NULL, OPT_TRACE},
        {NULL, 0, NULL, 0},
    };
    struct sandbox_opts o;
    sandbox_opts_defaults(&o);
    char **env = NULL, **allow = NULL, **ports = NULL;
    bool json = false;
    int c, rc;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:w:m:e:", opts, NULL)) != -1) {
        cleanup_err hull_err *e = NULL;
        switch (c) {
        case OPT_CONTEXT:
            o.context = optarg;
            break;
        case OPT_IMAGE:
            o.image = optarg;
            break;
        case OPT_ROOTFS:
            o.rootfs = optarg;
            break;
        case 'w':
            o.workdir = optarg;
            break;
        case OPT_TIMEOUT:
            if (health_parse_duration(optarg, &o.timeout_ns, &e) < 0 || o.timeout_ns < 0)
                return cli_usage(command,
                                 "invalid --timeout `%s`: expected a duration "
                                 "like 30s",
                                 optarg);
            break;
        case 'm':
            if ((rc = size_flag(command, "--memory", optarg, &o.memory)) != 0)
                return rc;
            break;
        case OPT_CPUS:
            if ((rc = cpus_flag(command, optarg, &o.cpus_milli)) != 0)
                return rc;
            break;
        case OPT_PIDS:
            if ((rc = count_flag(command, "--pids", optarg, 1, &o.pids)) != 0)
                return rc;
            break;
        case OPT_DISK:
            if ((rc = size_flag(command, "--disk", optarg, &o.disk)) != 0)
                return rc;
            break;
        case OPT_CAP:
            if ((rc = size_flag(command, "--output-cap", optarg, &o.output_cap)) != 0)
                return rc;
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return cli_usage(command, "invalid --env `%s`: expected K=V", optarg);
            strv_append(&env, optarg);
            break;
        case OPT_NETWORK:
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "egress") != 0)
                return cli_usage(command, "invalid --network `%s`: none or egress", optarg);
            o.network = optarg;
            break;
        case OPT_EGRESS_ALLOW:
            strv_append(&allow, optarg);
            break;
        case OPT_EGRESS_PORT:
            strv_append(&ports, optarg);
            break;
        case OPT_ISOLATION:
            if (strcmp(optarg, "container") != 0 && strcmp(optarg, "vm") != 0)
                return cli_usage(command, "invalid --isolation `%s`: container or vm", optarg);
            o.isolation = optarg;
            break;
        case OPT_SECCOMP:
            o.seccomp = optarg;
            break;
        case OPT_OUTPUT:
            o.output = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_TRACE:
            o.seccomp_trace = optarg;
            break;
        default:
            return ctr_bad_option("sandbox run", c, argv);
        }
    }
    p->env = env;
    p->allow = allow;
    p->ports = ports;
    p->json = json;
    o.env = env;
    o.egress_allow = allow;
    o.egress_tcp_ports = ports;
    p->o = o;
    if (o.image && o.rootfs)
        return cli_usage(command, "--image and --rootfs exclude each other");
    if ((allow || ports) && strcmp(o.network, "egress") != 0)
        return cli_usage(command, "--egress-allow and --egress-tcp-port need --network "
                                  "egress");
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
    if (optind >= argc) {
        parsed_clear(&p);
        return cli_usage("sandbox run", "a command is required (hull sandbox run [OPTIONS] -- "
                                        "CMD...)");
    }
    struct sandbox_opts o = p.o;
    o.cmd = argv + optind;
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
    if (optind + 1 != argc) {
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
    rc = sandbox_session_create(is->data_root, is, &p.o, argv[optind], &info, &err);
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

static int session_data_root(struct hull_cli *cli, char **out, hull_err **err)
{
    image_store *is = NULL;
    if (cli_open_store(cli, &is, err) < 0)
        return -1;
    *out = strdup(is->data_root);
    image_store_close(is);
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
    if (optind + 1 >= argc) {
        parsed_clear(&p);
        return cli_usage("sandbox exec", "NAME and a command are required (hull sandbox exec "
                                         "NAME -- CMD...)");
    }
    struct sandbox_opts o = p.o;
    /* Not given: the session's own timeout. */
    bool timeout_given = false;
    for (int i = 1; i < optind; i++)
        if (strncmp(argv[i], "--timeout", 9) == 0)
            timeout_given = true;
    if (!timeout_given)
        o.timeout_ns = 0;
    const char *name = argv[optind];
    o.cmd = argv + optind + 1;
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

static const char rm_help[] = "Usage: hull sandbox rm NAME...\n"
                              "\n"
                              "Kill and remove sandbox sessions with their workspaces.\n";

static int sandbox_rm_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, rm_help))
        return 0;
    if (argc < 2)
        return cli_usage("sandbox rm", "at least one NAME is required");
    hull_err *err = NULL;
    cleanup_free char *root = NULL;
    if (session_data_root(cli, &root, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (int i = 1; i < argc; i++) {
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
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    if (argc > 2 || (argc == 2 && !json))
        return cli_usage("sandbox ls", "unexpected argument `%s`", argv[1]);
    hull_err *err = NULL;
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
    if (argc != 3)
        return cli_usage("sandbox cp", "SRC and DST are required");
    const char *a = argv[1], *b = argv[2];
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
    if (argc < 2 || cli_wants_help(argc, argv, sandbox_help)) {
        if (argc < 2)
            fputs(sandbox_help, stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    return cli_dispatch(cli, sandbox_commands, "sandbox", argc - 1, argv + 1);
}

static const char seccomp_help[] =
    "Usage: hull seccomp generate TRACE\n"
    "\n"
    "Print the minimal OCI seccomp profile for a trace written by `hull sandbox run\n"
    "--seccomp-trace TRACE`: the syscalls it recorded allowed, every other one refused with\n"
    "ENOSYS. Use it with `hull sandbox run --seccomp PROFILE`.\n";

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
