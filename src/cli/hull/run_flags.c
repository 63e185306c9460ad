/* The options `hull run` and `hull create` share, parsed into a struct run_request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/hull/containers.h"
#include "container/health.h"
#include "util/cleanup.h"
#include "util/signals.h"

const char run_flags_help[] =
    "Options:\n"
    "  -d, --detach              run in the background under a monitor and print the ID (run)\n"
    "      --rm                  remove the container (and its anonymous volumes) when it exits\n"
    "      --detach-keys KEYS    -it: the key sequence that detaches, leaving the container\n"
    "                            running (default ctrl-p,ctrl-q; `hull attach` reconnects)\n"
    "  -i, --interactive         keep stdin open: attached, hull's stdin feeds the container;\n"
    "                            with -d (and `hull start`) the monitor keeps it open for\n"
    "                            `hull attach`\n"
    "  -t, --tty                 allocate a pseudo-terminal (-dit: a shell that waits for\n"
    "                            `hull attach`)\n"
    "      --name NAME           container name ([a-zA-Z0-9][a-zA-Z0-9_.-]+, unique); default: a\n"
    "                            generated adjective_animal name\n"
    "  -e, --env KEY=VALUE       set a variable (KEY alone copies hull's own value, if any);\n"
    "                            repeatable, applied after the image's Env and --env-file\n"
    "      --env-file FILE       KEY=VALUE lines (# comments, blank lines ignored)\n"
    "  -v, --volume SRC:DST[:ro|rw]\n"
    "                            SRC an absolute (or ./relative) host path: bind mount, created\n"
    "                            when missing; SRC a name: named volume, created on first use;\n"
    "                            -v DST alone: a new anonymous volume\n"
    "      --mount type=bind|volume|tmpfs,source=S,target=T[,readonly][,tmpfs-size=N]\n"
    "                            [,tmpfs-mode=OCTAL]   the long form of -v / --tmpfs\n"
    "      --tmpfs DST[:OPTS]    a tmpfs at DST (nosuid,nodev,noexec unless OPTS say exec;\n"
    "                            OPTS: size=, mode=, uid=, gid=, nr_inodes=, ro, exec)\n"
    "  -w, --workdir DIR         working directory (absolute; created when missing)\n"
    "  -u, --user USER[:GROUP]   names or numeric ids, looked up in the image's /etc/passwd and\n"
    "                            /etc/group\n"
    "      --entrypoint CMD      replace the image's Entrypoint (\"\" clears it; the image's Cmd\n"
    "                            is then dropped too, as in docker)\n"
    "  -h, --hostname NAME       container hostname (default: the short ID)\n"
    "  -m, --memory SIZE         memory limit (b, k, m, g)\n"
    "      --cpus N              CPU quota in CPUs (e.g. 1.5)\n"
    "      --pids-limit N        maximum number of processes\n"
    "      --read-only           mount the root filesystem read-only\n"
    "      --cap-add CAP         add a capability (CAP_NET_ADMIN, net_admin, ALL); repeatable\n"
    "      --cap-drop CAP        drop a capability (or ALL); repeatable\n"
    "      --device HOST[:CONTAINER][:PERMS]\n"
    "                            give the container a host device node (or every node under a\n"
    "                            host directory): the node is created at CONTAINER (default:\n"
    "                            HOST) and allowed in the device cgroup with PERMS, a\n"
    "                            combination of r, w, m (default rwm); repeatable\n"
    "      --privileged          docker's privileged mode: every capability, every host\n"
    "                            device, no seccomp, Landlock, masked or read-only paths,\n"
    "                            read-write /sys (see docs/security.md before using it)\n"
    "      --security-opt OPT    no-new-privileges[=true|false] (default true),\n"
    "                            seccomp=FILE|unconfined (FILE: a runtime-spec\n"
    "                            linux.seccomp object; default: hull's profile),\n"
    "                            landlock=FILE|default (a run.hull.landlock policy; `default`\n"
    "                            opens system dirs read-only and /tmp, /run, writable volumes)\n"
    "      --seccomp-trace FILE  (hull run) record every syscall the container makes into FILE\n"
    "                            (docs/seccomp-trace.md); `hull seccomp generate FILE` makes a\n"
    "                            minimal profile for --security-opt seccomp=. The container runs\n"
    "                            once, under the tracing profile instead of its seccomp profile\n"
    "      --init                run hull-init as PID 1: it forwards signals and reaps zombies\n"
    "      --stop-signal SIG     signal for `hull stop` (default: the image's StopSignal, else\n"
    "                            SIGTERM)\n"
    "      --stop-timeout N      seconds `hull stop` waits before SIGKILL (default 10)\n"
    "      --restart POLICY      no (default), on-failure[:N], always, unless-stopped; restarts\n"
    "                            wait 100ms, 200ms, 400ms ... (capped at 1 minute)\n"
    "      --network NET         bridge (default: the default network, outbound NAT), a\n"
    "                            network's name (`hull network create`: names resolve),\n"
    "                            none (loopback only), host, or container:C (C's namespace)\n"
    "      --network-alias NAME  another name the container resolves by on its network\n"
    "      --ip IP               the container's IPv4 address on its (user) network\n"
    "      --ip6 IP              its IPv6 address (a user network made with --ipv6)\n"
    "  -p, --publish [IP:][HOST:]CONTAINER[/tcp|udp]  ([IPV6]:HOST:CONTAINER for IPv6)\n"
    "                            publish a container port (ranges: 8000-8001:80-81; no HOST:\n"
    "                            a free port); kernel DNAT, reachable from 127.0.0.1 too\n"
    "  -P, --publish-all         publish all exposed ports (the image's EXPOSE and --expose)\n"
    "                            to free host ports\n"
    "      --expose PORT[-END][/tcp|udp]  expose a port or a range of ports; repeatable\n"
    "      --dns IP              nameserver for /etc/resolv.conf; repeatable\n"
    "      --dns-search DOMAIN   search domain; repeatable\n"
    "      --dns-option OPT      resolv.conf option (ndots:2, ...); repeatable\n"
    "      --add-host HOST:IP    an /etc/hosts line (IP host-gateway: the network's gateway)\n"
    "      --sysctl K=V          a namespaced sysctl (net.*, fs.mqueue.*, kernel.msg*,\n"
    "                            kernel.sem, kernel.shm*); repeatable\n"
    "      --ulimit NAME=SOFT[:HARD]\n"
    "                            a resource limit (nofile, nproc, core, stack, memlock, ...);\n"
    "                            repeatable\n"
    "      --egress-allow CIDR   egress allow-list: only these destinations (and DNS to the\n"
    "                            container's resolvers, replies) leave; the rest is dropped\n"
    "                            and logged (`hull logs --egress`); repeatable\n"
    "      --egress-tcp-port N   with --egress-allow: only TCP to these ports of the allowed\n"
    "                            CIDRs (alone: TCP to these ports anywhere); repeatable\n"
    "      --network-ingress-rate RATE, --network-egress-rate RATE\n"
    "                            limit traffic into / out of the container, bits/s (k, m, g:\n"
    "                            powers of 1000), by the CNI bandwidth plugin (tc)\n"
    "      --runtime NAME        native (default) or vm\n"
    "      --pull POLICY         missing (default: pull IMAGE when it is not in the store),\n"
    "                            always (pull first), never (fail when it is not there)\n"
    "  -l, --label KEY=VALUE     set a label; repeatable\n"
    "      --log-opt KEY=VALUE   max-size=SIZE (default 10m, 0 = unlimited), max-file=N\n"
    "                            (default 3): rotation of the JSON-lines log\n"
    "      --health-cmd CMD      health check command, run with /bin/sh -c inside the\n"
    "                            container (exit 0 = healthy); replaces the image's HEALTHCHECK\n"
    "      --health-interval D   time between checks (default: the image's, else 30s)\n"
    "      --health-timeout D    a check running longer fails (default: the image's, else 30s)\n"
    "      --health-start-period D\n"
    "                            start-up grace: failures do not count until the first success\n"
    "                            or its end (default: the image's, else 0s)\n"
    "      --health-start-interval D\n"
    "                            time between checks during the start period (default: the\n"
    "                            image's, else 5s)\n"
    "      --health-retries N    consecutive failures that make it unhealthy (default: the\n"
    "                            image's, else 3)\n"
    "      --no-healthcheck      disable the image's HEALTHCHECK\n"
    "                            (durations D in Go's syntax, as docker: 1m30s, 500ms, 2s,\n"
    "                            1.5h; at least 1ms; 0 = not set. Results: `hull ps`, `hull\n"
    "                            inspect` State.Health; `hull healthcheck run` checks now)\n"
    "      --help                show this help\n"
    "\n"
    "Hardened defaults: no-new-privileges, hull-runtime's default capability set\n"
    "(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE), the default seccomp profile, masked and\n"
    "read-only /proc paths, private pid/ipc/uts/mount/cgroup/network namespaces, a cgroup per\n"
    "container that denies every device but /dev/null, zero, full, random, urandom, tty,\n"
    "console, ptmx and the pts terminals (and what --device adds).\n";

enum {
    OPT_RM = 256,
    OPT_DETACH_KEYS,
    OPT_NAME,
    OPT_ENV_FILE,
    OPT_MOUNT,
    OPT_TMPFS,
    OPT_ENTRYPOINT,
    OPT_CPUS,
    OPT_PIDS_LIMIT,
    OPT_READ_ONLY,
    OPT_CAP_ADD,
    OPT_CAP_DROP,
    OPT_SECURITY_OPT,
    OPT_DEVICE,
    OPT_PRIVILEGED,
    OPT_INIT,
    OPT_STOP_SIGNAL,
    OPT_STOP_TIMEOUT,
    OPT_RESTART,
    OPT_NETWORK,
    OPT_RUNTIME,
    OPT_PULL,
    OPT_LOG_OPT,
    OPT_HEALTH_CMD,
    OPT_HEALTH_INTERVAL,
    OPT_HEALTH_TIMEOUT,
    OPT_HEALTH_START_PERIOD,
    OPT_HEALTH_START_INTERVAL,
    OPT_HEALTH_RETRIES,
    OPT_NO_HEALTHCHECK,
    OPT_NETWORK_ALIAS,
    OPT_IP,
    OPT_IP6,
    OPT_EXPOSE,
    OPT_DNS,
    OPT_DNS_SEARCH,
    OPT_DNS_OPTION,
    OPT_SYSCTL,
    OPT_ULIMIT,
    OPT_ADD_HOST,
    OPT_EGRESS_ALLOW,
    OPT_EGRESS_TCP_PORT,
    OPT_INGRESS_RATE,
    OPT_EGRESS_RATE,
    OPT_SECCOMP_TRACE,
    OPT_HELP,
};

static const struct option_spec run_options[] = {
    {"detach", 'd', false, 'd', NULL},
    {"rm", 0, false, OPT_RM, NULL},
    {"detach-keys", 0, true, OPT_DETACH_KEYS, NULL},
    {"interactive", 'i', false, 'i', NULL},
    {"tty", 't', false, 't', NULL},
    {"name", 0, true, OPT_NAME, NULL},
    {"env", 'e', true, 'e', NULL},
    {"env-file", 0, true, OPT_ENV_FILE, NULL},
    {"volume", 'v', true, 'v', NULL},
    {"mount", 0, true, OPT_MOUNT, NULL},
    {"tmpfs", 0, true, OPT_TMPFS, NULL},
    {"workdir", 'w', true, 'w', NULL},
    {"user", 'u', true, 'u', NULL},
    {"entrypoint", 0, true, OPT_ENTRYPOINT, NULL},
    {"hostname", 'h', true, 'h', NULL},
    {"memory", 'm', true, 'm', NULL},
    {"cpus", 0, true, OPT_CPUS, NULL},
    {"pids-limit", 0, true, OPT_PIDS_LIMIT, NULL},
    {"read-only", 0, false, OPT_READ_ONLY, NULL},
    {"cap-add", 0, true, OPT_CAP_ADD, NULL},
    {"cap-drop", 0, true, OPT_CAP_DROP, NULL},
    {"security-opt", 0, true, OPT_SECURITY_OPT, NULL},
    {"device", 0, true, OPT_DEVICE, NULL},
    {"privileged", 0, false, OPT_PRIVILEGED, NULL},
    {"init", 0, false, OPT_INIT, NULL},
    {"stop-signal", 0, true, OPT_STOP_SIGNAL, NULL},
    {"stop-timeout", 0, true, OPT_STOP_TIMEOUT, NULL},
    {"restart", 0, true, OPT_RESTART, NULL},
    {"network", 0, true, OPT_NETWORK, NULL},
    {"pull", 0, true, OPT_PULL, NULL},
    {"net", 0, true, OPT_NETWORK, NULL},
    {"runtime", 0, true, OPT_RUNTIME, NULL},
    {"label", 'l', true, 'l', NULL},
    {"log-opt", 0, true, OPT_LOG_OPT, NULL},
    {"health-cmd", 0, true, OPT_HEALTH_CMD, NULL},
    {"health-interval", 0, true, OPT_HEALTH_INTERVAL, NULL},
    {"health-timeout", 0, true, OPT_HEALTH_TIMEOUT, NULL},
    {"health-start-period", 0, true, OPT_HEALTH_START_PERIOD, NULL},
    {"health-start-interval", 0, true, OPT_HEALTH_START_INTERVAL, NULL},
    {"health-retries", 0, true, OPT_HEALTH_RETRIES, NULL},
    {"no-healthcheck", 0, false, OPT_NO_HEALTHCHECK, NULL},
    {"network-alias", 0, true, OPT_NETWORK_ALIAS, NULL},
    {"ip", 0, true, OPT_IP, NULL},
    {"ip6", 0, true, OPT_IP6, NULL},
    {"publish", 'p', true, 'p', NULL},
    {"publish-all", 'P', false, 'P', NULL},
    {"expose", 0, true, OPT_EXPOSE, NULL},
    {"dns", 0, true, OPT_DNS, NULL},
    {"dns-search", 0, true, OPT_DNS_SEARCH, NULL},
    {"dns-option", 0, true, OPT_DNS_OPTION, NULL},
    {"add-host", 0, true, OPT_ADD_HOST, NULL},
    {"sysctl", 0, true, OPT_SYSCTL, NULL},
    {"ulimit", 0, true, OPT_ULIMIT, NULL},
    {"egress-allow", 0, true, OPT_EGRESS_ALLOW, NULL},
    {"egress-tcp-port", 0, true, OPT_EGRESS_TCP_PORT, NULL},
    {"network-ingress-rate", 0, true, OPT_INGRESS_RATE, NULL},
    {"network-egress-rate", 0, true, OPT_EGRESS_RATE, NULL},
    {"seccomp-trace", 0, true, OPT_SECCOMP_TRACE, NULL},
    {"help", 0, false, OPT_HELP, NULL},
    {NULL, 0, false, 0, NULL},
};

/* --seccomp-trace FILE: made absolute (the tracer writes it at the end); its directory must
 * exist now. `hull create` has no tracer to run. */
static int seccomp_trace_flag(const char *command, const char *arg, struct run_request *req)
{
    if (strcmp(command, "run") != 0)
        return cli_usage(command, "--seccomp-trace: only `hull run` traces (use `hull run`)");
    if (*arg == '\0')
        return cli_usage(command, "--seccomp-trace: expected a FILE");
    char *path = NULL;
    if (arg[0] == '/') {
        path = strdup(arg);
    } else {
        cleanup_free char *cwd = getcwd(NULL, 0);
        if (cwd == NULL)
            return cli_usage(command, "--seccomp-trace %s: current directory: %s", arg,
                             strerror(errno));
        if (asprintf(&path, "%s/%s", cwd, arg) < 0)
            path = NULL;
    }
    if (path == NULL)
        abort();
    cleanup_free char *dir = strdup(path);
    if (dir == NULL)
        abort();
    *strrchr(dir, '/') = '\0';
    struct stat st;
    if (stat(*dir ? dir : "/", &st) < 0 || !S_ISDIR(st.st_mode)) {
        free(path);
        return cli_usage(command, "--seccomp-trace %s: directory `%s` does not exist", arg,
                         *dir ? dir : "/");
    }
    free(req->seccomp_trace);
    req->seccomp_trace = path;
    return 0;
}

static void add_mount(struct run_request *req, const struct mount_request *m)
{
    struct mount_request *n = realloc(req->mounts, (req->n_mounts + 1) * sizeof *n);
    if (n == NULL)
        abort();
    req->mounts = n;
    req->mounts[req->n_mounts++] = *m;
}

static void add_device(struct run_request *req, const struct device_request *d)
{
    struct device_request *n = realloc(req->devices, (req->n_devices + 1) * sizeof *n);
    if (n == NULL)
        abort();
    req->devices = n;
    req->devices[req->n_devices++] = *d;
}

static int bad(const char *command, hull_err *err)
{
    int rc = cli_usage(command, "%s", err->msg);
    hull_err_free(err);
    return rc;
}

static int security_opt(const char *command, const char *opt, struct run_request *req)
{
    if (strcmp(opt, "no-new-privileges") == 0 || strcmp(opt, "no-new-privileges=true") == 0 ||
        strcmp(opt, "no-new-privileges:true") == 0) {
        req->no_new_privileges = true;
    } else if (strcmp(opt, "no-new-privileges=false") == 0 ||
               strcmp(opt, "no-new-privileges:false") == 0) {
        req->no_new_privileges = false;
    } else if (strncmp(opt, "seccomp=", 8) == 0 || strncmp(opt, "seccomp:", 8) == 0) {
        req->seccomp = opt + 8;
    } else if (strncmp(opt, "landlock=", 9) == 0) {
        req->landlock = opt + 9;
    } else {
        return cli_usage(command,
                         "--security-opt `%s`: expected no-new-privileges[=true|false], "
                         "seccomp=FILE|unconfined or landlock=FILE",
                         opt);
    }
    return 0;
}

static int log_opt(const char *command, const char *opt, struct run_request *req)
{
    hull_err *err = NULL;
    if (strncmp(opt, "max-size=", 9) == 0) {
        if (parse_size(opt + 9, &req->log_max_size, &err) < 0)
            return bad(command, err);
        return 0;
    }
    if (strncmp(opt, "max-file=", 9) == 0) {
        char *end;
        long n = strtol(opt + 9, &end, 10);
        if (opt[9] == '\0' || *end || n < 1 || n > 100)
            return cli_usage(command, "--log-opt `%s`: max-file must be 1 to 100", opt);
        req->log_max_files = (int)n;
        return 0;
    }
    return cli_usage(command, "--log-opt `%s`: expected max-size=SIZE or max-file=N", opt);
}

static int number(const char *command, const char *flag, const char *text, long long min,
                  long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || *text == '\0' || *end || v < min || v > max)
        return cli_usage(command, "%s: invalid number `%s`", flag, text);
    *out = v;
    return 0;
}

/* 20m, 1.5g, 800000: bits per second (decimal multiples, as tc counts). */
static int bit_rate(const char *command, const char *flag, const char *text, long long *out)
{
    char *end;
    double v = strtod(text, &end);
    double mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1e3, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1e6, end++;
    else if (*end == 'g' || *end == 'G')
        mult = 1e9, end++;
    if (end == text || *end || v <= 0 || v * mult < 8000 || v * mult > 1e12)
        return cli_usage(command, "%s `%s`: expected bits/s of at least 8k (k, m, g suffixes)",
                         flag, text);
    *out = (long long)(v * mult);
    return 0;
}

/* --health-interval & co: a Go duration, not negative (docker's CLI checks). */
static int health_duration(const char *command, const char *flag, const char *text, long long *out)
{
    hull_err *err = NULL;
    if (health_parse_duration(text, out, &err) < 0) {
        int rc = cli_usage(command, "%s: %s", flag, err->msg);
        hull_err_free(err);
        return rc;
    }
    if (*out < 0)
        return cli_usage(command, "%s cannot be negative", flag);
    return 0;
}

/* A boolean flag: --rm, --rm=true, --rm=false (as docker's pflag). */
static int flag_value(const char *command, const char *name, const char *arg, bool *out)
{
    hull_err *err = NULL;
    if (options_bool(name, arg, out, &err) < 0)
        return cli_usage_options(command, err);
    return 0;
}

int run_flags_parse(const char *command, int argc, char **argv, struct run_request *req,
                    bool *help_shown)
{
    *help_shown = false;
    hull_err *err = NULL;
    bool is_run = strcmp(command, "run") == 0;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, run_options, argc, argv, 1, &err) < 0)
        return cli_fail(err);
    int c;
    const char *arg;
    while ((c = options_next(&p, &arg, &err)) != 0) {
        struct mount_request m;
        long long n;
        int rc = 0;
        if (c < 0)
            return cli_usage_options(command, err);
        switch (c) {
        case 'd':
            if (!is_run)
                return cli_usage(command, "unknown option `-d` (use `hull start`)");
            if ((rc = flag_value(command, "detach", arg, &req->detach)) != 0)
                return rc;
            break;
        case OPT_RM:
            if ((rc = flag_value(command, "rm", arg, &req->remove)) != 0)
                return rc;
            break;
        case OPT_DETACH_KEYS: {
            unsigned char keys[DETACH_KEYS_MAX];
            size_t nkeys;
            hull_err *kerr = NULL;
            if (detach_keys_parse(arg, keys, &nkeys, &kerr) < 0) {
                rc = cli_usage(command, "--detach-keys: %s", kerr->msg);
                hull_err_free(kerr);
                return rc;
            }
            req->detach_keys = arg;
            break;
        }
        case 'i':
            if ((rc = flag_value(command, "interactive", arg, &req->interactive)) != 0)
                return rc;
            break;
        case 't':
            if ((rc = flag_value(command, "tty", arg, &req->tty)) != 0)
                return rc;
            break;
        case OPT_NAME:
            req->name = arg;
            break;
        case 'e':
            strv_append(&req->env, arg);
            break;
        case OPT_ENV_FILE:
            strv_append(&req->env_files, arg);
            break;
        case 'v':
            if (parse_volume_flag(arg, &m, &err) < 0)
                return bad(command, err);
            add_mount(req, &m);
            break;
        case OPT_MOUNT:
            if (parse_mount_flag(arg, &m, &err) < 0)
                return bad(command, err);
            add_mount(req, &m);
            break;
        case OPT_TMPFS:
            if (parse_tmpfs_flag(arg, &m, &err) < 0)
                return bad(command, err);
            add_mount(req, &m);
            break;
        case 'w':
            req->workdir = arg;
            break;
        case 'u':
            req->user = arg;
            break;
        case OPT_ENTRYPOINT:
            req->has_entrypoint = true;
            req->entrypoint = arg;
            break;
        case 'h':
            req->hostname = arg;
            break;
        case 'm':
            if (parse_size(arg, &req->memory, &err) < 0)
                return bad(command, err);
            if (req->memory < (6ll << 20))
                return cli_usage(command, "--memory: the minimum is 6m");
            break;
        case OPT_CPUS: {
            char *end;
            double v = strtod(arg, &end);
            if (*arg == '\0' || *end || v <= 0 || v > 4096)
                return cli_usage(command, "--cpus: invalid number of CPUs `%s`", arg);
            req->cpus_milli = (long long)(v * 1000 + 0.5);
            break;
        }
        case OPT_PIDS_LIMIT:
            if ((rc = number(command, "--pids-limit", arg, -1, 1ll << 30, &n)) != 0)
                return rc;
            req->pids_limit = n;
            break;
        case OPT_READ_ONLY:
            if ((rc = flag_value(command, "read-only", arg, &req->read_only)) != 0)
                return rc;
            break;
        case OPT_CAP_ADD:
            strv_append(&req->cap_add, arg);
            break;
        case OPT_CAP_DROP:
            strv_append(&req->cap_drop, arg);
            break;
        case OPT_SECURITY_OPT:
            if ((rc = security_opt(command, arg, req)) != 0)
                return rc;
            break;
        case OPT_DEVICE: {
            struct device_request d;
            if (parse_device_flag(arg, &d, &err) < 0)
                return bad(command, err);
            add_device(req, &d);
            break;
        }
        case OPT_PRIVILEGED:
            if ((rc = flag_value(command, "privileged", arg, &req->privileged)) != 0)
                return rc;
            break;
        case OPT_INIT:
            if ((rc = flag_value(command, "init", arg, &req->init)) != 0)
                return rc;
            break;
        case OPT_STOP_SIGNAL: {
            int sig;
            if (signal_parse(arg, &sig, &err) < 0)
                return bad(command, err);
            req->stop_signal = arg;
            break;
        }
        case OPT_STOP_TIMEOUT:
            if ((rc = number(command, "--stop-timeout", arg, 0, 1000000, &n)) != 0)
                return rc;
            req->stop_timeout = (long)n;
            break;
        case OPT_RESTART:
            if (parse_restart_policy(arg, &req->restart, &req->max_retries, &err) < 0)
                return bad(command, err);
            break;
        case OPT_NETWORK:
            if (*arg == '\0' || strcmp(arg, "container:") == 0)
                return cli_usage(command,
                                 "--network `%s`: expected bridge, none, host, "
                                 "container:C or a network name",
                                 arg);
            req->network = strcmp(arg, "default") == 0 ? "bridge" : arg;
            break;
        case OPT_NETWORK_ALIAS:
            strv_append(&req->network_aliases, arg);
            break;
        case OPT_IP:
            req->ip = arg;
            break;
        case OPT_IP6:
            req->ip6 = arg;
            break;
        case 'p':
            strv_append(&req->publish, arg);
            break;
        case 'P':
            if ((rc = flag_value(command, "publish-all", arg, &req->publish_all)) != 0)
                return rc;
            break;
        case OPT_EXPOSE:
            strv_append(&req->expose, arg);
            break;
        case OPT_DNS:
            strv_append(&req->dns, arg);
            break;
        case OPT_DNS_SEARCH:
            strv_append(&req->dns_search, arg);
            break;
        case OPT_DNS_OPTION:
            strv_append(&req->dns_options, arg);
            break;
        case OPT_ADD_HOST:
            if (strchr(arg, ':') == NULL)
                return cli_usage(command, "--add-host `%s`: expected HOST:IP", arg);
            strv_append(&req->add_hosts, arg);
            break;
        case OPT_SYSCTL:
        case OPT_ULIMIT: {
            hull_err *e = NULL;
            const char *rl;
            unsigned long long soft, hard;
            int bad_arg = c == OPT_SYSCTL ? parse_sysctl_flag(arg, &e)
                                          : parse_ulimit_flag(arg, &rl, &soft, &hard, &e);
            if (bad_arg < 0) {
                rc = cli_usage(command, "invalid argument \"%s\" for \"--%s\" flag: %s", arg,
                               c == OPT_SYSCTL ? "sysctl" : "ulimit", e->msg);
                hull_err_free(e);
                return rc;
            }
            strv_append(c == OPT_SYSCTL ? &req->sysctls : &req->ulimits, arg);
            break;
        }
        case OPT_EGRESS_ALLOW:
            strv_append(&req->egress_allow, arg);
            break;
        case OPT_EGRESS_TCP_PORT:
            strv_append(&req->egress_tcp_ports, arg);
            break;
        case OPT_INGRESS_RATE:
        case OPT_EGRESS_RATE:
            if ((rc = bit_rate(
                     command,
                     c == OPT_INGRESS_RATE ? "--network-ingress-rate" : "--network-egress-rate",
                     arg, c == OPT_INGRESS_RATE ? &req->ingress_rate : &req->egress_rate)) != 0)
                return rc;
            break;
        case OPT_PULL:
            if (strcmp(arg, "missing") != 0 && strcmp(arg, "always") != 0 &&
                strcmp(arg, "never") != 0)
                return cli_usage(command, "--pull `%s`: expected missing, always or never", arg);
            req->pull = strcmp(arg, "missing") == 0  ? "missing"
                        : strcmp(arg, "always") == 0 ? "always"
                                                     : "never";
            break;
        case OPT_RUNTIME:
            if (strcmp(arg, "native") != 0 && strcmp(arg, "vm") != 0)
                return cli_usage(command, "--runtime `%s`: expected native or vm", arg);
            req->runtime = strcmp(arg, "native") == 0 ? "native" : "vm";
            break;
        case 'l':
            strv_append(&req->labels, arg);
            break;
        case OPT_LOG_OPT:
            if ((rc = log_opt(command, arg, req)) != 0)
                return rc;
            break;
        case OPT_HEALTH_CMD:
            req->health_cmd = *arg ? arg : NULL; /* "" = not given, as in docker */
            break;
        case OPT_HEALTH_INTERVAL:
            rc = health_duration(command, "--health-interval", arg, &req->health_interval);
            if (rc)
                return rc;
            break;
        case OPT_HEALTH_TIMEOUT:
            rc = health_duration(command, "--health-timeout", arg, &req->health_timeout);
            if (rc)
                return rc;
            break;
        case OPT_HEALTH_START_PERIOD:
            rc = health_duration(command, "--health-start-period", arg, &req->health_start_period);
            if (rc)
                return rc;
            break;
        case OPT_HEALTH_START_INTERVAL:
            rc = health_duration(command, "--health-start-interval", arg,
                                 &req->health_start_interval);
            if (rc)
                return rc;
            break;
        case OPT_HEALTH_RETRIES:
            if (arg[0] == '-' && arg[1] != '\0' && strspn(arg + 1, "0123456789") == strlen(arg + 1))
                return cli_usage(command, "--health-retries cannot be negative");
            if ((rc = number(command, "--health-retries", arg, 0, 1000000000, &n)) != 0)
                return rc;
            req->health_retries = n;
            break;
        case OPT_NO_HEALTHCHECK:
            if ((rc = flag_value(command, "no-healthcheck", arg, &req->no_healthcheck)) != 0)
                return rc;
            break;
        case OPT_SECCOMP_TRACE:
            if ((rc = seccomp_trace_flag(command, arg, req)) != 0)
                return rc;
            break;
        case OPT_HELP:
            *help_shown = true;
            return 0;
        }
    }
    if (p.index >= argc)
        return cli_usage(command, "expected an IMAGE");
    req->image = argv[p.index];
    req->cmd = argv + p.index + 1;
    if (req->no_healthcheck &&
        (req->health_cmd || req->health_interval || req->health_timeout ||
         req->health_start_period || req->health_start_interval || req->health_retries))
        return cli_usage(command, "--no-healthcheck conflicts with --health-* options");
    if (req->remove && strcmp(req->restart, "no") != 0)
        return cli_usage(command, "conflicting options: --restart %s and --rm", req->restart);
    if (req->seccomp_trace) {
        if (req->seccomp)
            return cli_usage(command,
                             "conflicting options: --seccomp-trace and --security-opt seccomp");
        if (req->privileged)
            return cli_usage(command, "conflicting options: --seccomp-trace and --privileged");
        if (strcmp(req->restart, "no") != 0)
            return cli_usage(command,
                             "conflicting options: --seccomp-trace and --restart %s (a traced "
                             "container runs once)",
                             req->restart);
        if (strcmp(req->runtime, "vm") == 0)
            return cli_usage(command, "--runtime vm: --seccomp-trace is not supported (no "
                                      "seccomp inside the guest)");
    }
    return 0;
}

int run_flags_check_supported(const char *command, const struct run_request *req)
{
    /* What the microVM handler cannot honour is refused instead of silently dropped
     * (docs/vm.md: no mounts, capabilities, seccomp or limits inside the guest). */
    if (strcmp(req->runtime, "vm") == 0) {
        if (req->n_mounts)
            return cli_usage(command, "--runtime vm: volumes and tmpfs mounts are not supported "
                                      "in a VM yet");
        if (req->tty)
            return cli_usage(command, "--runtime vm: --tty is not supported in a VM yet");
        if (req->memory || req->cpus_milli || req->pids_limit)
            return cli_usage(command, "--runtime vm: --memory, --cpus and --pids-limit are not "
                                      "supported in a VM yet");
        if (req->n_devices || req->privileged)
            return cli_usage(command, "--runtime vm: --device and --privileged are not "
                                      "supported in a VM");
        if (req->interactive)
            return cli_usage(command, "--runtime vm: -i is not supported in a VM yet");
        if (req->health_cmd || req->health_interval || req->health_timeout ||
            req->health_start_period || req->health_start_interval || req->health_retries)
            return cli_usage(command, "--runtime vm: health checks are not supported in a VM "
                                      "yet (no exec into the guest)");
    }
    return 0;
}
