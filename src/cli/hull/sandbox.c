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
#include "util/cleanup.h"

static const char sandbox_help[] =
    "Usage: hull sandbox COMMAND\n"
    "\n"
    "Run untrusted code fast, locked down and attested (docs/sandbox.md).\n"
    "\n"
    "Commands:\n"
    "  run     Run a command in a new sandbox and print its result\n";

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
    "      --json                 Print the result document instead of the command's output\n";

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
};

static int size_flag(const char *flag, const char *text, long long *out)
{
    cleanup_err hull_err *e = NULL;
    if (parse_size(text, out, &e) < 0 || *out <= 0)
        return cli_usage("sandbox run", "invalid %s `%s`: expected a size like 256m", flag, text);
    return 0;
}

static int count_flag(const char *flag, const char *text, long long min, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < min)
        return cli_usage("sandbox run", "invalid %s `%s`: expected a number of at least %lld", flag,
                         text, min);
    *out = v;
    return 0;
}

static int cpus_flag(const char *text, long long *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v <= 0 || v > 1024)
        return cli_usage("sandbox run", "invalid --cpus `%s`: expected a positive number", text);
    *out = (long long)(v * 1000 + 0.5);
    return 0;
}

static int sandbox_run_cmd(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, run_help))
        return 0;
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
        {NULL, 0, NULL, 0},
    };
    struct sandbox_opts o;
    sandbox_opts_defaults(&o);
    cleanup_strv char **env = NULL, **allow = NULL, **ports = NULL;
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
                return cli_usage("sandbox run",
                                 "invalid --timeout `%s`: expected a duration "
                                 "like 30s",
                                 optarg);
            break;
        case 'm':
            if ((rc = size_flag("--memory", optarg, &o.memory)) != 0)
                return rc;
            break;
        case OPT_CPUS:
            if ((rc = cpus_flag(optarg, &o.cpus_milli)) != 0)
                return rc;
            break;
        case OPT_PIDS:
            if ((rc = count_flag("--pids", optarg, 1, &o.pids)) != 0)
                return rc;
            break;
        case OPT_DISK:
            if ((rc = size_flag("--disk", optarg, &o.disk)) != 0)
                return rc;
            break;
        case OPT_CAP:
            if ((rc = size_flag("--output-cap", optarg, &o.output_cap)) != 0)
                return rc;
            break;
        case 'e':
            if (strchr(optarg, '=') == NULL || optarg[0] == '=')
                return cli_usage("sandbox run", "invalid --env `%s`: expected K=V", optarg);
            strv_append(&env, optarg);
            break;
        case OPT_NETWORK:
            if (strcmp(optarg, "none") != 0 && strcmp(optarg, "egress") != 0)
                return cli_usage("sandbox run", "invalid --network `%s`: none or egress", optarg);
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
                return cli_usage("sandbox run", "invalid --isolation `%s`: container or vm",
                                 optarg);
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
        default:
            return ctr_bad_option("sandbox run", c, argv);
        }
    }
    if (o.image && o.rootfs)
        return cli_usage("sandbox run", "--image and --rootfs exclude each other");
    if ((allow || ports) && strcmp(o.network, "egress") != 0)
        return cli_usage("sandbox run", "--egress-allow and --egress-tcp-port need --network "
                                        "egress");
    if (optind >= argc)
        return cli_usage("sandbox run", "a command is required (hull sandbox run [OPTIONS] -- "
                                        "CMD...)");
    o.env = env;
    o.egress_allow = allow;
    o.egress_tcp_ports = ports;
    o.cmd = argv + optind;
    hull_err *err = NULL;
    image_store *is = NULL;
    if (cli_open_store(cli, &is, &err) < 0)
        return cli_fail(err);
    json_t *result = NULL;
    rc = sandbox_run(is->data_root, is, &o, &result, &err);
    image_store_close(is);
    if (rc < 0)
        return cli_fail(err);
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

static const struct hull_command sandbox_commands[] = {
    {"run", sandbox_run_cmd, "Run a command in a new sandbox and print its result"},
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
