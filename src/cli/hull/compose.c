/* `hull compose` (and the short forms `hull up` / `hull down`): docker compose v2's verbs over
 * libhull's stack layer (src/stack/). Global options first (-f, -p, --env-file, --profile),
 * then one verb. Verbs that act on containers one at a time (stop, kill, rm, exec, ...) run the
 * matching `hull` command on the project's containers. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/hull/cli.h"
#include "cli/hull/containers.h"
#include "image/image.h"
#include "container/status.h"
#include "stack/exec.h"
#include "stack/hash.h"
#include "stack/load.h"
#include "stack/render.h"
#include "util/cleanup.h"
#include "util/log.h"

struct compose_cli {
    struct hull_cli *cli;
    const char *files[33];
    size_t n_files;
    const char *env_files[9];
    size_t n_env_files;
    const char *profiles[17];
    size_t n_profiles;
    const char *project;
};

static const char compose_help[] =
    "Usage: hull compose [OPTIONS] COMMAND [ARGS...]\n"
    "\n"
    "Run multi-container stacks from compose files or TOML topologies (-f topology.toml).\n"
    "\n"
    "Options:\n"
    "  -f, --file FILE          compose file or topology (repeatable; default: compose.yaml,\n"
    "                           compose.yml, docker-compose.yaml, docker-compose.yml + override)\n"
    "  -p, --project-name NAME  project name (default: the file's name:, else the directory)\n"
    "      --env-file FILE      variables for interpolation (default: .env of the project)\n"
    "      --profile NAME       enable services of a profile (repeatable)\n"
    "\n"
    "Commands:\n"
    "  up        Create and start the stack (-d, --force-recreate, --no-recreate,\n"
    "            --remove-orphans, --scale S=N, --wait, --wait-timeout N, [SERVICE...])\n"
    "  down      Stop and remove the stack's containers (-v volumes, -t N, --remove-orphans)\n"
    "  plan      What `up` would create, recreate, start, keep or remove, and why\n"
    "  config    The resolved stack as YAML (--services, --hash SERVICE, --format json)\n"
    "  validate  Check the files; prints nothing and exits 0 when they are valid\n"
    "  ps        List the stack's containers (-a, -q, --services)\n"
    "  logs      Output of the stack's containers, prefixed (-f, --tail N, -t, [SERVICE...])\n"
    "  start, stop, restart, kill, pause, unpause, rm   [SERVICE...]\n"
    "  exec      Run a command in a service's container (exec [--index N] SERVICE CMD...)\n"
    "  run       A one-off container of a service (-d, --rm, -e K=V, --name, --no-deps, -i, -t)\n"
    "  pull      Pull the services' images\n"
    "  build     Build the services' images with `hull build` [SERVICE...]\n"
    "  images    Images of the stack's containers\n"
    "  top       Processes of the stack's containers\n"
    "  events    Events of the stack's containers (--json, [SERVICE...])\n"
    "  ls        List projects\n";

static int compose_usage(const char *verb, const char *fmt, const char *arg)
    __attribute__((format(printf, 2, 0)));
static int compose_usage(const char *verb, const char *fmt, const char *arg)
{
    char cmd[64], msg[512];
    snprintf(cmd, sizeof(cmd), "compose %s", verb);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(msg, sizeof(msg), fmt, arg);
#pragma GCC diagnostic pop
    return cli_usage(cmd, "%s", msg);
}

static int load(struct compose_cli *cc, struct stack **s, hull_err **err)
{
    cc->files[cc->n_files] = NULL;
    cc->env_files[cc->n_env_files] = NULL;
    cc->profiles[cc->n_profiles] = NULL;
    struct stack_load_options o = {.files = cc->files,
                                   .project_name = cc->project,
                                   .env_files = cc->env_files,
                                   .profiles = cc->profiles};
    return stack_load(&o, s, err);
}

static int cc_config(struct compose_cli *cc, int argc, char **argv)
{
    static const struct option opts[] = {{"services", no_argument, NULL, 's'},
                                         {"hash", required_argument, NULL, 'H'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    bool services = false, quiet = false, json = false;
    const char *hash = NULL;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, ":qH:F:", opts, NULL)) != -1) {
        if (c == 's')
            services = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 'H')
            hash = optarg;
        else if (c == 'F') {
            if (strcmp(optarg, "json") && strcmp(optarg, "yaml"))
                return compose_usage("config", "--format: `%s` is not json or yaml", optarg);
            json = !strcmp(optarg, "json");
        } else
            return ctr_bad_option("compose config", c, argv);
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    if (load(cc, &s, &err) < 0)
        return cli_fail(err);
    if (quiet)
        return 0;
    if (services) {
        for (size_t i = 0; i < s->n_services; i++)
            printf("%s\n", s->services[i].name);
        return 0;
    }
    if (hash) {
        for (size_t i = 0; i < s->n_services; i++)
            if (!strcmp(hash, "*") || !strcmp(hash, s->services[i].name))
                printf("%s %s\n", s->services[i].name, s->services[i].hash);
        if (strcmp(hash, "*") && stack_find_service(s, hash) == NULL) {
            fprintf(stderr, "hull: no such service: %s\n", hash);
            return 1;
        }
        return 0;
    }
    if (json) {
        json_dumpf(s->doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
    } else {
        stack_render_yaml(stdout, s->doc);
    }
    return 0;
}

static int cc_validate(struct compose_cli *cc, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    if (load(cc, &s, &err) < 0)
        return cli_fail(err);
    return 0;
}

/* up / plan options */
static int parse_up(const char *verb, int argc, char **argv, struct stack_up_options *o,
                    bool *detach, char ***scale, int *build)
{
    static const struct option opts[] = {{"detach", no_argument, NULL, 'd'},
                                         {"force-recreate", no_argument, NULL, 'F'},
                                         {"no-recreate", no_argument, NULL, 'N'},
                                         {"remove-orphans", no_argument, NULL, 'R'},
                                         {"scale", required_argument, NULL, 'S'},
                                         {"wait", no_argument, NULL, 'W'},
                                         {"wait-timeout", required_argument, NULL, 'T'},
                                         {"build", no_argument, NULL, 'b'},
                                         {"no-build", no_argument, NULL, 'B'},
                                         {"quiet-pull", no_argument, NULL, 'Q'},
                                         {NULL, 0, NULL, 0}};
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:d", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            *detach = true;
            break;
        case 'F':
            o->force_recreate = true;
            break;
        case 'N':
            o->no_recreate = true;
            break;
        case 'R':
            o->remove_orphans = true;
            break;
        case 'W':
            o->wait = true;
            break;
        case 'b':
            *build = 1;
            break;
        case 'B':
            *build = -1;
            break;
        case 'Q':
            break;
        case 'S': {
            const char *eq = strchr(optarg, '=');
            char *end;
            if (eq == NULL || eq == optarg || strtol(eq + 1, &end, 10) < 0 || *end || eq[1] == '\0')
                return compose_usage(verb, "--scale: `%s` is not SERVICE=N", optarg);
            strv_append(scale, optarg);
            break;
        }
        case 'T': {
            char *end;
            o->wait_timeout = strtol(optarg, &end, 10);
            if (*end || o->wait_timeout < 0)
                return compose_usage(verb, "--wait-timeout: `%s` is not a number of seconds",
                                     optarg);
            break;
        }
        default:
            return ctr_bad_option(verb, c, argv);
        }
    }
    if (o->force_recreate && o->no_recreate)
        return compose_usage(verb, "%s", "--force-recreate and --no-recreate are incompatible");
    o->scale = (const char *const *)*scale;
    o->only = (const char *const *)(argv + optind);
    return 0;
}

static int check_services(const struct stack *s, const char *const *names, hull_err **err)
{
    for (; names && *names; names++)
        if (stack_find_service(s, *names) == NULL)
            return hull_error(err, 0, "no such service: %s", *names);
    return 0;
}

static int cc_plan(struct compose_cli *cc, int argc, char **argv)
{
    struct stack_up_options o = {0};
    bool detach = false;
    cleanup_strv char **scale = NULL;
    int build = 0;
    int rc = parse_up("plan", argc, argv, &o, &detach, &scale, &build);
    if (rc)
        return rc;
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    if (load(cc, &s, &err) < 0 || check_services(s, o.only, &err) < 0 ||
        ctr_open(cc->cli, &cs, &err) < 0)
        return cli_fail(err);
    struct stack_plan plan = {0};
    if (stack_plan_compute(cs, s, &o, &plan, &err) < 0)
        return cli_fail(err);
    stack_plan_print(stdout, &plan);
    stack_plan_clear(&plan);
    return 0;
}

static int cc_logs_of(struct compose_cli *cc, bool follow, const char *tail, bool timestamps,
                      const char *const *only);
static pid_t run_self(struct compose_cli *cc, char **args, int out_fd, bool wait_for, int *status);

/* The image a service runs: `image`, else the one `build` makes (localhost/<project>-<service>,
 * as `hull build` names local images). */
static char *service_image(const struct stack *s, const struct stack_service *svc)
{
    const char *image = json_string_value(json_object_get(svc->doc, "image"));
    char *out = NULL;
    if (image)
        out = strdup(image);
    else if (asprintf(&out, "localhost/%s-%s:latest", s->name, svc->name) < 0)
        abort();
    return out;
}

/* `hull build` the services that have a build section: all of them (`always`), or those whose
 * image is missing. Only the services in `only` (all when empty). */
static int build_services(struct compose_cli *cc, const struct stack *s, image_store *is,
                          const char *const *only, bool always)
{
    for (size_t i = 0; i < s->n_services; i++) {
        const struct stack_service *svc = &s->services[i];
        json_t *b = json_object_get(svc->doc, "build");
        bool wanted = only == NULL || only[0] == NULL;
        for (const char *const *o = only; o && *o && !wanted; o++)
            wanted = !strcmp(*o, svc->name);
        if (b == NULL || !wanted)
            continue;
        cleanup_free char *image = service_image(s, svc);
        if (!always && is) {
            image_info *info = NULL;
            hull_err *e = NULL;
            if (image_lookup(is, image, &info, &e) == 0) {
                image_info_free(info);
                continue;
            }
            hull_err_free(e);
        }
        const char *context = json_string_value(json_object_get(b, "context"));
        const char *dockerfile = json_string_value(json_object_get(b, "dockerfile"));
        cleanup_free char *file = NULL;
        if (dockerfile && asprintf(&file, "%s%s%s", dockerfile[0] == '/' ? "" : context,
                                   dockerfile[0] == '/' ? "" : "/", dockerfile) < 0)
            abort();
        cleanup_strv char **args = NULL;
        strv_append(&args, "build");
        strv_append(&args, "-t");
        strv_append(&args, image);
        if (file && access(file, F_OK) == 0) {
            strv_append(&args, "-f");
            strv_append(&args, file);
        }
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(b, "args"), k, v)
        {
            cleanup_free char *kv = NULL;
            if (asprintf(&kv, "%s=%s", k, json_string_value(v)) < 0)
                abort();
            strv_append(&args, "--build-arg");
            strv_append(&args, kv);
        }
        if (json_string_value(json_object_get(b, "target"))) {
            strv_append(&args, "--target");
            strv_append(&args, json_string_value(json_object_get(b, "target")));
        }
        strv_append(&args, context);
        fprintf(stderr, " Service %s  Building\n", svc->name);
        int st = 0;
        run_self(cc, args, -1, true, &st);
        if (st) {
            fprintf(stderr, "hull: service %s: build failed (exit %d)\n", svc->name, st);
            return st;
        }
    }
    return 0;
}

static int cc_build(struct compose_cli *cc, int argc, char **argv)
{
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    const char *const *only = (const char *const *)(argv + (argc > 1 ? 1 : argc));
    if (load(cc, &s, &err) < 0 || check_services(s, only, &err) < 0)
        return cli_fail(err);
    return build_services(cc, s, NULL, only, true);
}

static int cc_up(struct compose_cli *cc, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, compose_help))
        return 0;
    struct stack_up_options o = {0};
    bool detach = false;
    cleanup_strv char **scale = NULL;
    int build = 0;
    int rc = parse_up("up", argc, argv, &o, &detach, &scale, &build);
    if (rc)
        return rc;
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_image_store image_store *is = NULL;
    if (load(cc, &s, &err) < 0 || check_services(s, o.only, &err) < 0 ||
        ctr_open(cc->cli, &cs, &err) < 0 || cli_open_store(cc->cli, &is, &err) < 0)
        return cli_fail(err);
    /* --build: build every service with a build section; default: those whose image is
     * missing; --no-build: none */
    if (build >= 0 && (rc = build_services(cc, s, is, o.only, build > 0)) != 0)
        return rc;
    if (stack_up(cs, is, s, &o, stderr, &err) < 0)
        return cli_fail(err);
    if (detach)
        return 0;
    /* attached: follow the logs until interrupted, then stop the stack (docker compose's
     * Ctrl-C) */
    return cc_logs_of(cc, true, "all", false, o.only);
}

static int cc_down(struct compose_cli *cc, int argc, char **argv)
{
    static const struct option opts[] = {{"volumes", no_argument, NULL, 'v'},
                                         {"remove-orphans", no_argument, NULL, 'R'},
                                         {"timeout", required_argument, NULL, 't'},
                                         {"rmi", required_argument, NULL, 'r'},
                                         {NULL, 0, NULL, 0}};
    bool volumes = false;
    long timeout = -1;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, ":vt:", opts, NULL)) != -1) {
        if (c == 'v')
            volumes = true;
        else if (c == 'R')
            continue;
        else if (c == 'r') {
            if (strcmp(optarg, "local") && strcmp(optarg, "all"))
                return compose_usage("down", "--rmi: `%s` is not local or all", optarg);
        } else if (c == 't') {
            char *end;
            timeout = strtol(optarg, &end, 10);
            if (*end || timeout < 0)
                return compose_usage("down", "-t: invalid number of seconds `%s`", optarg);
        } else
            return ctr_bad_option("compose down", c, argv);
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_image_store image_store *is = NULL;
    if (load(cc, &s, &err) < 0 || ctr_open(cc->cli, &cs, &err) < 0 ||
        cli_open_store(cc->cli, &is, &err) < 0)
        return cli_fail(err);
    if (stack_down(cs, is, s, s->name, volumes, timeout, stderr, &err) < 0)
        return cli_fail(err);
    return 0;
}

/* The project's containers, sorted by service then number; only `only` services when given. */
static int project_containers(struct compose_cli *cc, struct stack **s, container_store **cs,
                              struct stack_containers *out, const char *const *only, hull_err **err)
{
    if (load(cc, s, err) < 0 || check_services(*s, only, err) < 0 ||
        ctr_open(cc->cli, cs, err) < 0 || stack_containers_list(*cs, (*s)->name, out, err) < 0)
        return -1;
    for (size_t i = 0; i < out->n; i++)
        for (size_t j = i + 1; j < out->n; j++) {
            int c = strcmp(out->items[i].service, out->items[j].service);
            if (c > 0 || (c == 0 && out->items[i].number > out->items[j].number)) {
                struct stack_container t = out->items[i];
                out->items[i] = out->items[j];
                out->items[j] = t;
            }
        }
    if (only && only[0]) {
        size_t k = 0;
        for (size_t i = 0; i < out->n; i++) {
            bool keep = false;
            for (const char *const *o = only; *o && !keep; o++)
                keep = !strcmp(*o, out->items[i].service);
            if (keep)
                out->items[k++] = out->items[i];
            else {
                free(out->items[i].id);
                free(out->items[i].name);
                free(out->items[i].service);
                free(out->items[i].hash);
            }
        }
        out->n = k;
    }
    return 0;
}

static int cc_ps(struct compose_cli *cc, int argc, char **argv)
{
    static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"services", no_argument, NULL, 's'},
                                         {"format", required_argument, NULL, 'F'},
                                         {NULL, 0, NULL, 0}};
    bool all = false, quiet = false, services = false, json = false;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, ":aq", opts, NULL)) != -1) {
        if (c == 'a')
            all = true;
        else if (c == 'q')
            quiet = true;
        else if (c == 's')
            services = true;
        else if (c == 'F')
            json = !strcmp(optarg, "json");
        else
            return ctr_bad_option("compose ps", c, argv);
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, (const char *const *)(argv + optind), &err) < 0)
        return cli_fail(err);
    if (!quiet && !services && !json)
        printf("%-30s %-12s %-14s %s\n", "NAME", "SERVICE", "ID", "STATUS");
    json_t *arr = json_array();
    for (size_t i = 0; i < have.n; i++) {
        struct stack_container *h = &have.items[i];
        if (!all && !h->running)
            continue;
        cleanup_container_record container_record *r = NULL;
        struct container_state_info st;
        hull_err *e = NULL;
        if (container_record_load(cs, h->id, &r, &e) < 0 ||
            container_status_get(cs, r, &st, &e) < 0) {
            hull_err_free(e);
            continue;
        }
        char status[64];
        snprintf(status, sizeof(status), "%s%s%s%s", container_state_name(st.state),
                 st.health[0] ? " (" : "", st.health, st.health[0] ? ")" : "");
        if (st.state == CONTAINER_EXITED)
            snprintf(status, sizeof(status), "exited (%d)", st.exit_code);
        if (quiet)
            printf("%s\n", h->id);
        else if (services)
            printf("%s\n", h->service);
        else if (json)
            json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "ID", h->id, "Name",
                                                 h->name, "Service", h->service, "Project", s->name,
                                                 "State", container_state_name(st.state), "Health",
                                                 st.health));
        else
            printf("%-30s %-12s %-14.12s %s\n", h->name, h->service, h->id, status);
    }
    if (json) {
        json_dumpf(arr, stdout, JSON_COMPACT);
        putchar('\n');
    }
    json_decref(arr);
    stack_containers_clear(&have);
    return 0;
}

/* Run this hull with `args` (after --data-root); wait for it unless out_fd is given. */
static pid_t run_self(struct compose_cli *cc, char **args, int out_fd, bool wait_for, int *status)
{
    char *argv[256];
    size_t n = 0;
    argv[n++] = "hull";
    if (cc->cli->data_root) {
        argv[n++] = "--data-root";
        argv[n++] = (char *)cc->cli->data_root;
    }
    for (size_t i = 0; args[i] && n < 254; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (out_fd >= 0) {
            dup2(out_fd, 1);
            dup2(out_fd, 2);
            close(out_fd);
        }
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    if (pid > 0 && wait_for) {
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    return pid;
}

struct log_source {
    int fd;
    pid_t pid;
    char prefix[200];
    char buf[8192];
    size_t len;
};

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void flush_lines(struct log_source *l, bool all)
{
    size_t start = 0;
    for (size_t i = 0; i < l->len; i++)
        if (l->buf[i] == '\n') {
            printf("%s%.*s\n", l->prefix, (int)(i - start), l->buf + start);
            start = i + 1;
        }
    if (all && start < l->len) {
        printf("%s%.*s\n", l->prefix, (int)(l->len - start), l->buf + start);
        start = l->len;
    }
    memmove(l->buf, l->buf + start, l->len - start);
    l->len -= start;
    fflush(stdout);
}

static int cc_logs_of(struct compose_cli *cc, bool follow, const char *tail, bool timestamps,
                      const char *const *only)
{
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, only, &err) < 0)
        return cli_fail(err);
    size_t width = 0;
    for (size_t i = 0; i < have.n; i++)
        if (strlen(have.items[i].name) > width)
            width = strlen(have.items[i].name);
    bool color = isatty(1);
    static const int colors[] = {36, 33, 32, 35, 34, 31};
    struct log_source *src = calloc(have.n + 1, sizeof(*src));
    struct pollfd *pfd = calloc(have.n + 1, sizeof(*pfd));
    size_t open_n = 0;
    for (size_t i = 0; i < have.n; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
            continue;
        char *args[] = {"logs",
                        follow ? "-f" : "--tail",
                        follow ? "--tail" : (char *)tail,
                        follow ? (char *)tail : NULL,
                        timestamps ? "-t" : NULL,
                        NULL,
                        NULL};
        if (!follow) {
            args[3] = timestamps ? "-t" : NULL;
            args[4] = NULL;
        }
        size_t k = 0;
        while (args[k])
            k++;
        args[k] = have.items[i].id;
        args[k + 1] = NULL;
        src[i].pid = run_self(cc, args, p[1], false, NULL);
        close(p[1]);
        src[i].fd = p[0];
        if (color)
            snprintf(src[i].prefix, sizeof(src[i].prefix), "\033[%dm%-*s |\033[0m ", colors[i % 6],
                     (int)width, have.items[i].name);
        else
            snprintf(src[i].prefix, sizeof(src[i].prefix), "%-*s | ", (int)width,
                     have.items[i].name);
        open_n++;
    }
    struct sigaction sa = {.sa_handler = on_interrupt};
    if (follow) {
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    while (open_n > 0 && !interrupted) {
        for (size_t i = 0; i < have.n; i++) {
            pfd[i].fd = src[i].fd;
            pfd[i].events = POLLIN;
        }
        if (poll(pfd, have.n, -1) < 0 && errno != EINTR)
            break;
        for (size_t i = 0; i < have.n; i++) {
            if (src[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP)))
                continue;
            if (src[i].len == sizeof(src[i].buf))
                flush_lines(&src[i], true);
            ssize_t r = read(src[i].fd, src[i].buf + src[i].len, sizeof(src[i].buf) - src[i].len);
            if (r <= 0) {
                flush_lines(&src[i], true);
                close(src[i].fd);
                src[i].fd = -1;
                open_n--;
                continue;
            }
            src[i].len += (size_t)r;
            flush_lines(&src[i], false);
        }
    }
    for (size_t i = 0; i < have.n; i++) {
        if (src[i].fd >= 0)
            close(src[i].fd);
        if (src[i].pid > 0) {
            if (interrupted)
                kill(src[i].pid, SIGTERM);
            waitpid(src[i].pid, NULL, 0);
        }
    }
    free(src);
    free(pfd);
    stack_containers_clear(&have);
    if (interrupted) {
        /* Ctrl-C on an attached `up`: stop the project's containers, as docker compose does */
        fprintf(stderr, "Gracefully stopping... (press Ctrl+C again to force)\n");
        signal(SIGINT, SIG_DFL);
        char *args[] = {"compose", NULL};
        (void)args;
        struct stack_containers again = {0};
        cleanup_stack struct stack *s2 = NULL;
        cleanup_container_store container_store *cs2 = NULL;
        if (project_containers(cc, &s2, &cs2, &again, NULL, &err) < 0)
            return cli_fail(err);
        for (size_t i = again.n; i-- > 0;) {
            char *sargs[] = {"stop", again.items[i].id, NULL};
            int st;
            run_self(cc, sargs, -1, true, &st);
        }
        stack_containers_clear(&again);
        return 130;
    }
    return 0;
}

static int cc_logs(struct compose_cli *cc, int argc, char **argv)
{
    static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
                                         {"tail", required_argument, NULL, 'n'},
                                         {"timestamps", no_argument, NULL, 't'},
                                         {"no-color", no_argument, NULL, 'C'},
                                         {NULL, 0, NULL, 0}};
    bool follow = false, ts = false;
    const char *tail = "all";
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, ":fn:t", opts, NULL)) != -1) {
        if (c == 'f')
            follow = true;
        else if (c == 't')
            ts = true;
        else if (c == 'n')
            tail = optarg;
        else if (c == 'C')
            continue;
        else
            return ctr_bad_option("compose logs", c, argv);
    }
    return cc_logs_of(cc, follow, tail, ts, (const char *const *)(argv + optind));
}

/* start/stop/restart/kill/pause/unpause/rm/top: `hull VERB [OPTS] CONTAINER...` */
static int cc_each(struct compose_cli *cc, int argc, char **argv)
{
    const char *verb = argv[0];
    char **opts = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        strv_append(&opts, argv[i]);
        if ((!strcmp(argv[i], "-t") || !strcmp(argv[i], "-s") || !strcmp(argv[i], "--signal") ||
             !strcmp(argv[i], "--timeout")) &&
            i + 1 < argc)
            strv_append(&opts, argv[++i]);
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, (const char *const *)(argv + i), &err) < 0) {
        hull_strvfree(opts);
        return cli_fail(err);
    }
    int status = 0;
    bool rm = !strcmp(verb, "rm");
    bool force = false;
    for (char **o = opts; o && *o; o++)
        if (!strcmp(*o, "-f") || !strcmp(*o, "--force") || !strcmp(*o, "-s") ||
            !strcmp(*o, "--stop"))
            force = true;
    if (rm && !force)
        for (size_t k = 0; k < have.n; k++)
            if (have.items[k].running) {
                hull_strvfree(opts);
                stack_containers_clear(&have);
                return cli_fail((hull_err[]){{0, 1,
                                              "containers are running: `compose rm` removes "
                                              "stopped containers (-s stops them first)"}});
            }
    for (size_t k = 0; k < have.n; k++) {
        if (rm && have.items[k].running && force) {
            char *sargs[] = {"stop", have.items[k].id, NULL};
            int st;
            run_self(cc, sargs, -1, true, &st);
        }
        char **args = NULL;
        strv_append(&args, verb);
        for (char **o = opts; o && *o; o++)
            if (!rm || (strcmp(*o, "-s") && strcmp(*o, "--stop") && strcmp(*o, "-f") &&
                        strcmp(*o, "--force")))
                strv_append(&args, *o);
        strv_append(&args, have.items[k].name);
        int st = 0;
        run_self(cc, args, -1, true, &st);
        if (st)
            status = st;
        hull_strvfree(args);
    }
    hull_strvfree(opts);
    stack_containers_clear(&have);
    return status;
}

static int cc_exec(struct compose_cli *cc, int argc, char **argv)
{
    char **pass = NULL;
    long index = 1;
    int i = 1;
    strv_append(&pass, "exec");
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--index") && i + 1 < argc) {
            index = strtol(argv[++i], NULL, 10);
            continue;
        }
        if (!strcmp(argv[i], "-T"))
            continue;
        strv_append(&pass, argv[i]);
        if ((!strcmp(argv[i], "-e") || !strcmp(argv[i], "-u") || !strcmp(argv[i], "-w") ||
             !strcmp(argv[i], "--env") || !strcmp(argv[i], "--user") ||
             !strcmp(argv[i], "--workdir")) &&
            i + 1 < argc)
            strv_append(&pass, argv[++i]);
    }
    if (i + 1 >= argc) {
        hull_strvfree(pass);
        return compose_usage("exec", "%s", "expected SERVICE COMMAND...");
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    const char *only[] = {argv[i], NULL};
    if (project_containers(cc, &s, &cs, &have, only, &err) < 0) {
        hull_strvfree(pass);
        return cli_fail(err);
    }
    const char *target = NULL;
    for (size_t k = 0; k < have.n; k++)
        if (have.items[k].number == index && have.items[k].running)
            target = have.items[k].name;
    if (target == NULL) {
        hull_strvfree(pass);
        stack_containers_clear(&have);
        fprintf(stderr, "hull: service \"%s\" is not running\n", argv[i]);
        return 1;
    }
    strv_append(&pass, target);
    for (int k = i + 1; k < argc; k++)
        strv_append(&pass, argv[k]);
    int st = 0;
    run_self(cc, pass, -1, true, &st);
    hull_strvfree(pass);
    stack_containers_clear(&have);
    return st;
}

static int cc_ls(struct compose_cli *cc, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_strv char **ids = NULL;
    if (ctr_open(cc->cli, &cs, &err) < 0 || container_list_ids(cs, &ids, &err) < 0)
        return cli_fail(err);
    json_t *projects = json_object();
    for (size_t i = 0; ids[i]; i++) {
        cleanup_container_record container_record *r = NULL;
        hull_err *e = NULL;
        if (container_record_load(cs, ids[i], &r, &e) < 0) {
            hull_err_free(e);
            continue;
        }
        const char *p = json_string_value(json_object_get(
            json_object_get(json_object_get(r->doc, "Config"), "Labels"), STACK_LABEL_PROJECT));
        if (p == NULL)
            continue;
        struct container_state_info st;
        const char *state = "exited";
        if (container_status_get(cs, r, &st, &e) == 0)
            state = container_state_name(st.state);
        hull_err_free(e);
        json_t *counts = json_object_get(projects, p);
        if (counts == NULL)
            json_object_set_new(projects, p, counts = json_object());
        json_object_set_new(counts, state,
                            json_integer(json_integer_value(json_object_get(counts, state)) + 1));
    }
    printf("%-24s %s\n", "NAME", "STATUS");
    const char *name;
    json_t *counts;
    json_object_foreach(projects, name, counts)
    {
        char status[256] = "";
        const char *st;
        json_t *n;
        json_object_foreach(counts, st, n)
        {
            char one[64];
            snprintf(one, sizeof(one), "%s%s(%lld)", status[0] ? ", " : "", st,
                     (long long)json_integer_value(n));
            strncat(status, one, sizeof(status) - strlen(status) - 1);
        }
        printf("%-24s %s\n", name, status);
    }
    json_decref(projects);
    return 0;
}

static int cc_run(struct compose_cli *cc, int argc, char **argv)
{
    static const struct option opts[] = {{"detach", no_argument, NULL, 'd'},
                                         {"rm", no_argument, NULL, 'R'},
                                         {"env", required_argument, NULL, 'e'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"no-deps", no_argument, NULL, 'N'},
                                         {"interactive", no_argument, NULL, 'i'},
                                         {"tty", no_argument, NULL, 't'},
                                         {"no-TTY", no_argument, NULL, 'T'},
                                         {NULL, 0, NULL, 0}};
    struct stack_run_options ro = {0};
    cleanup_strv char **env = NULL;
    int c;
    ctr_getopt_reset();
    while ((c = getopt_long(argc, argv, "+:de:itT", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            ro.detach = true;
            break;
        case 'R':
            ro.remove = true;
            break;
        case 'e':
            strv_append(&env, optarg);
            break;
        case 'n':
            ro.name = optarg;
            break;
        case 'N':
            ro.no_deps = true;
            break;
        case 'i':
            ro.interactive = true;
            break;
        case 't':
            ro.tty = true;
            break;
        case 'T':
            ro.tty = false;
            break;
        default:
            return ctr_bad_option("compose run", c, argv);
        }
    }
    if (optind >= argc)
        return compose_usage("run", "%s", "expected SERVICE [COMMAND...]");
    ro.service = argv[optind];
    ro.cmd = argv + optind + 1;
    ro.env = env;
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_image_store image_store *is = NULL;
    if (load(cc, &s, &err) < 0 || ctr_open(cc->cli, &cs, &err) < 0 ||
        cli_open_store(cc->cli, &is, &err) < 0)
        return cli_fail(err);
    int exit_code = 0;
    if (stack_run_oneoff(cs, is, s, &ro, stderr, &exit_code, &err) < 0)
        return cli_fail(err);
    return exit_code;
}

/* pull: `hull pull` each service's image; images: the images of the project's services. */
static int cc_pull(struct compose_cli *cc, int argc, char **argv)
{
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    if (load(cc, &s, &err) < 0 ||
        check_services(s, (const char *const *)(argv + (argc > 1 ? 1 : argc)), &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (size_t i = 0; i < s->n_services; i++) {
        const char *image = json_string_value(json_object_get(s->services[i].doc, "image"));
        bool wanted = argc <= 1;
        for (int k = 1; k < argc && !wanted; k++)
            wanted = !strcmp(argv[k], s->services[i].name);
        if (image == NULL || !wanted)
            continue;
        char *args[] = {"pull", (char *)image, NULL};
        int st = 0;
        run_self(cc, args, -1, true, &st);
        if (st)
            status = st;
    }
    return status;
}

static int cc_images(struct compose_cli *cc, int argc, char **argv)
{
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, (const char *const *)(argv + (argc > 1 ? 1 : argc)),
                           &err) < 0)
        return cli_fail(err);
    printf("%-30s %-24s %s\n", "CONTAINER", "IMAGE", "IMAGE ID");
    for (size_t i = 0; i < have.n; i++) {
        cleanup_container_record container_record *r = NULL;
        hull_err *e = NULL;
        if (container_record_load(cs, have.items[i].id, &r, &e) < 0) {
            hull_err_free(e);
            continue;
        }
        const char *image = json_string_value(json_object_get(r->doc, "Image"));
        if (image == NULL)
            image = json_string_value(json_object_get(json_object_get(r->doc, "Config"), "Image"));
        printf("%-30s %-24s %.19s\n", have.items[i].name, image ? image : "",
               r->image_digest ? r->image_digest : "");
    }
    stack_containers_clear(&have);
    return 0;
}

/* events: `hull events` filtered to the project's containers (and services). */
static int cc_events(struct compose_cli *cc, int argc, char **argv)
{
    bool json = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else
            return compose_usage("events", "unknown option `%s`", argv[i]);
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    if (load(cc, &s, &err) < 0 || check_services(s, (const char *const *)(argv + i), &err) < 0)
        return cli_fail(err);
    cleanup_strv char **args = NULL;
    cleanup_free char *project = NULL;
    if (asprintf(&project, "label=" STACK_LABEL_PROJECT "=%s", s->name) < 0)
        abort();
    strv_append(&args, "events");
    strv_append(&args, "--filter");
    strv_append(&args, project);
    for (; i < argc; i++) {
        cleanup_free char *svc = NULL;
        if (asprintf(&svc, "label=" STACK_LABEL_SERVICE "=%s", argv[i]) < 0)
            abort();
        strv_append(&args, "--filter");
        strv_append(&args, svc);
    }
    if (json) {
        strv_append(&args, "--format");
        strv_append(&args, "{{json .}}");
    }
    int st = 0;
    run_self(cc, args, -1, true, &st);
    return st;
}

/* Verbs that need parts hull does not have yet (hull build, stack networks, an event stream). */
static int cc_not_yet(struct compose_cli *cc, int argc, char **argv)
{
    (void)cc;
    (void)argc;
    fprintf(stderr, "hull: compose %s is not supported by this hull yet (docs/compose.md)\n",
            argv[0]);
    return 1;
}

static const struct {
    const char *name;
    int (*fn)(struct compose_cli *cc, int argc, char **argv);
} verbs[] = {
    {"up", cc_up},         {"down", cc_down},      {"plan", cc_plan},
    {"config", cc_config}, {"convert", cc_config}, {"validate", cc_validate},
    {"ps", cc_ps},         {"logs", cc_logs},      {"start", cc_each},
    {"stop", cc_each},     {"restart", cc_each},   {"kill", cc_each},
    {"pause", cc_each},    {"unpause", cc_each},   {"rm", cc_each},
    {"top", cc_each},      {"exec", cc_exec},      {"ls", cc_ls},
    {"run", cc_run},       {"pull", cc_pull},      {"images", cc_images},
    {"build", cc_build},   {"push", cc_not_yet},   {"port", cc_not_yet},
    {"events", cc_events}, {NULL, NULL},
};

static int compose_main(struct hull_cli *cli, int argc, char **argv, const char *forced_verb)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, 'f'},     {"project-name", required_argument, NULL, 'p'},
        {"env-file", required_argument, NULL, 'E'}, {"profile", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    struct compose_cli cc = {.cli = cli};
    int c;
    ctr_getopt_reset();
    int first = 1;
    if (forced_verb == NULL) {
        while ((c = getopt_long(argc, argv, "+:f:p:h", opts, NULL)) != -1) {
            switch (c) {
            case 'f':
                if (cc.n_files == 32)
                    return compose_usage("", "%s", "too many -f files");
                cc.files[cc.n_files++] = optarg;
                break;
            case 'p':
                cc.project = optarg;
                break;
            case 'E':
                if (cc.n_env_files < 8)
                    cc.env_files[cc.n_env_files++] = optarg;
                break;
            case 'P':
                if (cc.n_profiles < 16)
                    cc.profiles[cc.n_profiles++] = optarg;
                break;
            case 'h':
                fputs(compose_help, stdout);
                return 0;
            default:
                return ctr_bad_option("compose", c, argv);
            }
        }
        first = optind;
        if (first >= argc) {
            fputs(compose_help, stderr);
            return CLI_EXIT_USAGE;
        }
    } else {
        first = 0;
    }
    const char *verb = forced_verb ? forced_verb : argv[first];
    char **vargv = argv + first;
    int vargc = argc - first;
    for (size_t i = 0; verbs[i].name; i++)
        if (!strcmp(verbs[i].name, verb)) {
            if (vargc > 1 && (!strcmp(vargv[1], "--help") || !strcmp(vargv[1], "-h"))) {
                fputs(compose_help, stdout);
                return 0;
            }
            return verbs[i].fn(&cc, vargc, vargv);
        }
    return cli_usage("compose", "unknown command `%s` (see hull compose --help)", verb);
}

int cmd_compose(struct hull_cli *cli, int argc, char **argv)
{
    return compose_main(cli, argc, argv, NULL);
}

/* `hull up ARGS` = `hull compose up ARGS`; `hull down ARGS` likewise. */
int cmd_compose_up(struct hull_cli *cli, int argc, char **argv)
{
    return compose_main(cli, argc, argv, "up");
}

int cmd_compose_down(struct hull_cli *cli, int argc, char **argv)
{
    return compose_main(cli, argc, argv, "down");
}
