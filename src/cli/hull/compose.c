/* `hull compose` (and the short forms `hull up` / `hull down`): docker compose v2's verbs over
 * libhull's stack layer (src/stack/). Global options first (-f, -p, --env-file, --profile),
 * then one verb. Verbs that act on containers one at a time (stop, kill, rm, exec, ...) run the
 * matching `hull` command on the project's containers. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/hull/cli.h"
#include "cli/hull/containers.h"
#include "image/image.h"
#include "container/inspect.h"
#include "container/network.h"
#include "container/status.h"
#include "stack/exec.h"
#include "stack/hash.h"
#include "stack/load.h"
#include "stack/render.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/options.h"

struct compose_cli {
    struct hull_cli *cli;
    const char *files[33];
    size_t n_files;
    const char *env_files[9];
    size_t n_env_files;
    const char *profiles[17];
    size_t n_profiles;
    const char *project;
    bool quiet_children; /* run_self: the commands' stdout to /dev/null (push -q) */
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
    "  push      Push the images of the services that have build and image\n"
    "  port      The host address of a published port (port SERVICE PRIVATE_PORT)\n"
    "  build     Build the services' images with `hull build` [SERVICE...]\n"
    "  images    Images of the stack's containers\n"
    "  top       Processes of the stack's containers\n"
    "  events    Events of the stack's containers (--json, [SERVICE...])\n"
    "  ls        List projects\n"
    "\n"
    "`hull compose COMMAND --help` describes a command's options.\n";

static int compose_usage(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int compose_usage(const char *verb, const char *fmt, ...)
{
    char cmd[64], msg[512];
    snprintf(cmd, sizeof(cmd), "compose%s%s", verb[0] ? " " : "", verb);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return cli_usage(cmd, "%s", msg);
}

/* A verb's options, in docker's POSIX convention (util/options.h: they end at the first
 * operand, which is argv[p.index]). */
struct verb_options {
    struct option_parser p;
    const char *verb;
    int rc; /* the exit status once verb_next() returned -1 */
};

static void verb_options_init(struct verb_options *v, const char *verb,
                              const struct option_spec *specs, int argc, char **argv)
{
    hull_err *err = NULL;
    v->verb = verb;
    v->rc = 0;
    if (options_init_posix(&v->p, specs, argc, argv, 1, &err) < 0)
        abort(); /* only out of memory */
}

/* The next option's id, 0 after the last; -1 once the usage error is printed (v->rc). */
static int verb_next(struct verb_options *v, const char **arg)
{
    hull_err *err = NULL;
    int id = options_next(&v->p, arg, &err);
    if (id < 0) {
        /* util/options' words in docker compose's (pflag's): unknown flag: --x, unknown
         * shorthand flag: 'x' in -xy, flag needs an argument: --tail / 't' in -t */
        char name[64] = "", msg[160];
        char letter = 0;
        const char *a = v->p.argv[v->p.index > 0 ? v->p.index - 1 : 0];
        if (sscanf(err->msg, "unknown option `--%63[^`]`", name) == 1)
            snprintf(msg, sizeof(msg), "unknown flag: --%s", name);
        else if (sscanf(err->msg, "unknown option `-%c`", &letter) == 1)
            snprintf(msg, sizeof(msg), "unknown shorthand flag: '%c' in %s", letter, a);
        else if (sscanf(err->msg, "option `--%63[^`]` needs a value", name) == 1)
            snprintf(msg, sizeof(msg), "flag needs an argument: --%s", name);
        else if (sscanf(err->msg, "option `-%c` needs a value", &letter) == 1)
            snprintf(msg, sizeof(msg), "flag needs an argument: '%c' in -%c", letter, letter);
        else
            snprintf(msg, sizeof(msg), "%s", err->msg);
        hull_err_free(err);
        v->rc = compose_usage(v->verb, "%s", msg);
    }
    return id;
}

/* A boolean flag's value (--detach, --detach=false); -1 after the usage error. */
static int verb_flag(struct verb_options *v, const char *name, const char *arg, bool *out)
{
    hull_err *err = NULL;
    if (options_bool(name, arg, out, &err) < 0) {
        hull_err_free(err);
        v->rc = compose_usage(v->verb,
                              "invalid argument \"%s\" for \"--%s\" flag: strconv.ParseBool: "
                              "parsing \"%s\": invalid syntax",
                              arg, name, arg);
        return -1;
    }
    return 0;
}

/* The next option that takes a value (its id; *arg is the value). The boolean flags met on the
 * way are stored through flags[id] (NULL: accepted, ignored); the verbs' tables number their
 * options 1, 2, ... in order. 0 after the last, -1 once the usage error is printed. */
static int verb_next_valued(struct verb_options *v, const struct option_spec *specs,
                            bool *const *flags, const char **arg)
{
    int id;
    while ((id = verb_next(v, arg)) > 0) {
        if (specs[id - 1].has_arg)
            return id;
        bool ignored;
        if (verb_flag(v, specs[id - 1].name, *arg, flags[id] ? flags[id] : &ignored) < 0)
            return -1;
    }
    return id;
}

/* An integer flag's value, in pflag's words when it is not one; -1 after the usage error. */
static int verb_int(struct verb_options *v, const char *flag, const char *arg, long min, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(arg, &end, 10);
    if (*arg == '\0' || *end || errno) {
        v->rc = compose_usage(v->verb,
                              "invalid argument \"%s\" for \"%s\" flag: strconv.ParseInt: "
                              "parsing \"%s\": invalid syntax",
                              arg, flag, arg);
        return -1;
    }
    if (n < min) {
        v->rc = compose_usage(v->verb, "invalid argument \"%s\" for \"%s\" flag: below %ld", arg,
                              flag, min);
        return -1;
    }
    *out = n;
    return 0;
}

static void verb_options_free(struct verb_options *v)
{
    options_free(&v->p);
}
#define cleanup_verb_options __attribute__((cleanup(verb_options_free)))

/* Verbs whose only options are --help: argv[1..] are SERVICEs (or nothing). */
static int no_options(const char *verb, int argc, char **argv, int *first)
{
    static const struct option_spec none[] = {{NULL, 0, false, 0, NULL}};
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, verb, none, argc, argv);
    const char *arg;
    if (verb_next(&v, &arg) < 0)
        return v.rc;
    *first = v.p.index;
    return 0;
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
    enum { C_SERVICES = 1, C_HASH, C_FORMAT, C_QUIET };
    static const struct option_spec opts[] = {
        {"services", 0, false, C_SERVICES, "print the service names, one a line"},
        {"hash", 0, true, C_HASH, "print a service's config hash (\"*\": all)"},
        {"format", 0, true, C_FORMAT, "yaml (default) or json"},
        {"quiet", 'q', false, C_QUIET, "only validate"},
        {NULL, 0, false, 0, NULL}};
    bool services = false, quiet = false, json = false;
    const char *hash = NULL;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "config", opts, argc, argv);
    const char *arg;
    int id;
    bool *const flags[] = {NULL, &services, NULL, NULL, &quiet};
    while ((id = verb_next_valued(&v, opts, flags, &arg)) != 0) {
        if (id < 0)
            return v.rc;
        if (id == C_HASH)
            hash = arg;
        if (id == C_FORMAT) {
            if (strcmp(arg, "json") && strcmp(arg, "yaml"))
                return compose_usage("config", "unsupported format \"%s\"", arg);
            json = !strcmp(arg, "json");
        }
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
    int first = 1, rc = no_options("validate", argc, argv, &first);
    if (rc)
        return rc;
    (void)first;
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
    enum {
        U_DETACH = 1,
        U_FORCE,
        U_NO_RECREATE,
        U_ORPHANS,
        U_SCALE,
        U_WAIT,
        U_WAIT_TIMEOUT,
        U_BUILD,
        U_NO_BUILD,
        U_QUIET_PULL
    };
    static const struct option_spec opts[] = {
        {"detach", 'd', false, U_DETACH, "run in the background"},
        {"force-recreate", 0, false, U_FORCE, "recreate every container"},
        {"no-recreate", 0, false, U_NO_RECREATE, "keep existing containers"},
        {"remove-orphans", 0, false, U_ORPHANS, "remove containers of removed services"},
        {"scale", 0, true, U_SCALE, "SERVICE=N"},
        {"wait", 0, false, U_WAIT, "wait for running/healthy"},
        {"wait-timeout", 0, true, U_WAIT_TIMEOUT, "seconds --wait waits"},
        {"build", 0, false, U_BUILD, "build images first"},
        {"no-build", 0, false, U_NO_BUILD, "never build"},
        {"quiet-pull", 0, false, U_QUIET_PULL, "no pull progress"},
        {NULL, 0, false, 0, NULL}};
    struct verb_options v;
    verb_options_init(&v, verb, opts, argc, argv);
    const char *arg;
    int id;
    bool on = false;
    while ((id = verb_next(&v, &arg)) != 0) {
        if (id < 0 || (id != U_SCALE && id != U_WAIT_TIMEOUT &&
                       verb_flag(&v, opts[id - 1].name, arg, &on) < 0))
            goto out;
        switch (id) {
        case U_DETACH:
            *detach = on;
            break;
        case U_FORCE:
            o->force_recreate = on;
            break;
        case U_NO_RECREATE:
            o->no_recreate = on;
            break;
        case U_ORPHANS:
            o->remove_orphans = on;
            break;
        case U_WAIT:
            o->wait = on;
            break;
        case U_BUILD:
            *build = on ? 1 : 0;
            break;
        case U_NO_BUILD:
            *build = on ? -1 : 0;
            break;
        case U_SCALE: {
            const char *eq = strchr(arg, '=');
            char *end;
            if (eq == NULL || eq == arg || strchr(eq + 1, '=')) {
                v.rc = compose_usage(verb, "invalid --scale option \"%s\". Should be SERVICE=NUM",
                                     arg);
                goto out;
            }
            if (eq[1] == '\0' || strtol(eq + 1, &end, 10) < 0 || *end) {
                v.rc = compose_usage(verb, "strconv.Atoi: parsing \"%s\": invalid syntax", eq + 1);
                goto out;
            }
            strv_append(scale, arg);
            break;
        }
        case U_WAIT_TIMEOUT:
            if (verb_int(&v, "--wait-timeout", arg, 0, &o->wait_timeout) < 0)
                goto out;
            break;
        default:
            break;
        }
    }
    if (o->force_recreate && o->no_recreate)
        v.rc = compose_usage(verb, "--force-recreate and --no-recreate are incompatible");
    o->scale = (const char *const *)*scale;
    o->only = (const char *const *)(argv + v.p.index);
out:
    options_free(&v.p);
    return v.rc;
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

/* Whether a service of `only` (all when empty) has a build section. */
static bool has_build(const struct stack *s, const char *const *only)
{
    for (size_t i = 0; i < s->n_services; i++) {
        bool wanted = only == NULL || only[0] == NULL;
        for (const char *const *o = only; o && *o && !wanted; o++)
            wanted = !strcmp(*o, s->services[i].name);
        if (wanted && json_object_get(s->services[i].doc, "build"))
            return true;
    }
    return false;
}

static int cc_build(struct compose_cli *cc, int argc, char **argv)
{
    int first = 1, rc = no_options("build", argc, argv, &first);
    if (rc)
        return rc;
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    const char *const *only = (const char *const *)(argv + first);
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
        ctr_open(cc->cli, &cs, &err) < 0)
        return cli_fail(err);
    /* The common `up -d` of a stack that is up to date: the plan alone, without the image store,
     * the project lock or the networks' set-up (docs/performance.md "Stacks"). */
    if (detach && !o.wait && (build < 0 || !has_build(s, o.only))) {
        struct stack_plan plan = {0};
        if (stack_plan_compute(cs, s, &o, &plan, &err) < 0)
            return cli_fail(err);
        bool noop = stack_plan_is_noop(&plan, stderr);
        stack_plan_clear(&plan);
        if (noop)
            return 0;
    }
    if (cli_open_store(cc->cli, &is, &err) < 0)
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
    enum { D_VOLUMES = 1, D_ORPHANS, D_TIMEOUT, D_RMI };
    static const struct option_spec opts[] = {
        {"volumes", 'v', false, D_VOLUMES, "remove named volumes"},
        {"remove-orphans", 0, false, D_ORPHANS, "remove containers of removed services"},
        {"timeout", 't', true, D_TIMEOUT, "seconds to wait before killing"},
        {"rmi", 0, true, D_RMI, "local or all"},
        {NULL, 0, false, 0, NULL}};
    bool volumes = false, orphans = false;
    long timeout = -1;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "down", opts, argc, argv);
    const char *arg;
    int id;
    bool *const flags[] = {NULL, &volumes, &orphans, NULL, NULL};
    while ((id = verb_next_valued(&v, opts, flags, &arg)) != 0) {
        if (id < 0 || (id == D_TIMEOUT && verb_int(&v, "-t, --timeout", arg, 0, &timeout) < 0))
            return v.rc;
        if (id == D_RMI && strcmp(arg, "local") && strcmp(arg, "all"))
            return compose_usage("down", "invalid value for --rmi: \"%s\"", arg);
    }
    if (v.p.index < argc)
        return compose_usage("down", "unknown command \"%s\" for \"compose down\"",
                             argv[v.p.index]);
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

/* One row of `compose ps`: the container as docker compose v2 shows it. */
static json_t *ps_row(container_store *cs, container_record *r,
                      const struct container_state_info *st, const struct stack_container *h)
{
    char status[128], ago[64], d[48];
    container_status_text(st, status, sizeof status);
    const char *created = json_string_value(json_object_get(r->doc, "Created"));
    container_human_duration((long long)time(NULL) - container_parse_time(created ? created : ""),
                             d, sizeof d);
    snprintf(ago, sizeof ago, "%s ago", d);
    cleanup_free char *cmd = container_command_text(r);
    cleanup_free char *quoted = NULL;
    if (asprintf(&quoted, "\"%s\"", cmd ? cmd : "") < 0)
        abort();
    cleanup_free char *ports = container_ports_text(cs, r);
    const char *image = json_string_value(json_object_get(r->doc, "ImageName"));
    return json_pack("[s,s,s,s,s,s,s]", h->name, image ? image : "", quoted, h->service, ago,
                     status, ports);
}

static void print_ps_table(json_t *table, size_t columns)
{
    size_t width[16] = {0};
    size_t i;
    json_t *row;
    json_array_foreach(table, i, row) for (size_t c = 0; c < columns; c++)
    {
        size_t w = strlen(json_string_value(json_array_get(row, c)));
        if (w > width[c])
            width[c] = w;
    }
    json_array_foreach(table, i, row)
    {
        for (size_t c = 0; c + 1 < columns; c++) {
            const char *cell = json_string_value(json_array_get(row, c));
            printf("%-*s   ", (int)width[c], cell);
        }
        printf("%s\n", json_string_value(json_array_get(row, columns - 1)));
    }
}

static int cc_ps(struct compose_cli *cc, int argc, char **argv)
{
    enum { P_ALL = 1, P_QUIET, P_SERVICES, P_FORMAT };
    static const struct option_spec opts[] = {
        {"all", 'a', false, P_ALL, "stopped containers too"},
        {"quiet", 'q', false, P_QUIET, "only the IDs"},
        {"services", 0, false, P_SERVICES, "only the service names"},
        {"format", 0, true, P_FORMAT, "table (default) or json"},
        {NULL, 0, false, 0, NULL}};
    bool all = false, quiet = false, services = false, json = false;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "ps", opts, argc, argv);
    const char *arg;
    int id;
    bool *const flags[] = {NULL, &all, &quiet, &services, NULL};
    while ((id = verb_next_valued(&v, opts, flags, &arg)) != 0) {
        if (id < 0)
            return v.rc;
        if (id == P_FORMAT) {
            if (strcmp(arg, "json") && strcmp(arg, "table"))
                return compose_usage("ps", "unsupported format \"%s\"", arg);
            json = !strcmp(arg, "json");
        }
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, (const char *const *)(argv + v.p.index), &err) < 0)
        return cli_fail(err);
    /* docker compose v2's table: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS, laid out
     * like its tabwriter (each column as wide as its widest cell, 3 spaces apart). */
    enum { PS_COLUMNS = 7 };
    json_t *table = json_array();
    json_array_append_new(table, json_pack("[s,s,s,s,s,s,s]", "NAME", "IMAGE", "COMMAND", "SERVICE",
                                           "CREATED", "STATUS", "PORTS"));
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
            json_array_append_new(table, ps_row(cs, r, &st, h));
    }
    if (!quiet && !services && !json)
        print_ps_table(table, PS_COLUMNS);
    json_decref(table);
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
        } else if (cc->quiet_children) {
            int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
            if (null >= 0)
                dup2(null, 1);
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
    enum { L_FOLLOW = 1, L_TAIL, L_TIMESTAMPS, L_NO_COLOR, L_NO_PREFIX };
    static const struct option_spec opts[] = {
        {"follow", 'f', false, L_FOLLOW, "follow the output"},
        {"tail", 'n', true, L_TAIL, "lines from the end of each log (all)"},
        {"timestamps", 't', false, L_TIMESTAMPS, "show timestamps"},
        {"no-color", 0, false, L_NO_COLOR, "monochrome"},
        {"no-log-prefix", 0, false, L_NO_PREFIX, "no container-name prefix"},
        {NULL, 0, false, 0, NULL}};
    bool follow = false, ts = false;
    const char *tail = "all";
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "logs", opts, argc, argv);
    const char *arg;
    int id;
    bool *const flags[] = {NULL, &follow, NULL, &ts, NULL, NULL};
    while ((id = verb_next_valued(&v, opts, flags, &arg)) != 0) {
        if (id < 0)
            return v.rc;
        tail = arg;
    }
    return cc_logs_of(cc, follow, tail, ts, (const char *const *)(argv + v.p.index));
}

/* start/stop/restart/kill/pause/unpause/rm/top: `hull VERB [OPTS] CONTAINER...` for the
 * project's containers (of the SERVICEs given). */
enum { E_TIMEOUT = 1, E_SIGNAL, E_FORCE, E_STOP, E_VOLUMES, E_IGNORED, E_IGNORED_ARG };
static const struct option_spec each_timeout[] = {
    {"timeout", 't', true, E_TIMEOUT, "seconds to wait before killing"},
    {"no-deps", 0, false, E_IGNORED, "only the services given"},
    {NULL, 0, false, 0, NULL}};
static const struct option_spec each_kill[] = {
    {"signal", 's', true, E_SIGNAL, "signal to send (SIGKILL)"},
    {"remove-orphans", 0, false, E_IGNORED, "accepted"},
    {NULL, 0, false, 0, NULL}};
static const struct option_spec each_rm[] = {
    {"force", 'f', false, E_FORCE, "do not ask"},
    {"stop", 's', false, E_STOP, "stop running containers first"},
    {"volumes", 'v', false, E_VOLUMES, "remove anonymous volumes"},
    {NULL, 0, false, 0, NULL}};
static const struct option_spec each_none[] = {{NULL, 0, false, 0, NULL}};

static int cc_each(struct compose_cli *cc, int argc, char **argv)
{
    const char *verb = argv[0];
    bool rm = !strcmp(verb, "rm");
    const struct option_spec *specs = rm                      ? each_rm
                                      : !strcmp(verb, "kill") ? each_kill
                                      : !strcmp(verb, "stop") || !strcmp(verb, "restart")
                                          ? each_timeout
                                          : each_none;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, verb, specs, argc, argv);
    cleanup_strv char **opts = NULL;
    bool stop_first = false, flag = false;
    const char *arg;
    int id;
    while ((id = verb_next(&v, &arg)) != 0) {
        if (id < 0)
            return v.rc;
        long seconds;
        switch (id) {
        case E_TIMEOUT:
            if (verb_int(&v, "-t, --timeout", arg, 0, &seconds) < 0)
                return v.rc;
            strv_append(&opts, "-t");
            strv_append(&opts, arg);
            break;
        case E_SIGNAL:
            strv_append(&opts, "-s");
            strv_append(&opts, arg);
            break;
        case E_STOP:
            if (verb_flag(&v, "stop", arg, &stop_first) < 0)
                return v.rc;
            break;
        case E_VOLUMES:
            if (verb_flag(&v, "volumes", arg, &flag) < 0)
                return v.rc;
            if (flag)
                strv_append(&opts, "-v");
            break;
        default: /* -f: compose asks before rm; hull never does */
            if (verb_flag(&v, specs[id == E_FORCE ? 0 : 1].name, arg, &flag) < 0)
                return v.rc;
            break;
        }
    }
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, (const char *const *)(argv + v.p.index), &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (size_t k = 0; k < have.n; k++) {
        /* compose rm removes stopped containers; -s stops the running ones first */
        if (rm && have.items[k].running && !stop_first)
            continue;
        if (rm && have.items[k].running) {
            char *sargs[] = {"stop", have.items[k].id, NULL};
            int st;
            run_self(cc, sargs, -1, true, &st);
        }
        cleanup_strv char **args = NULL;
        strv_append(&args, verb);
        for (char **o = opts; o && *o; o++)
            strv_append(&args, *o);
        strv_append(&args, have.items[k].name);
        int st = 0;
        run_self(cc, args, -1, true, &st);
        if (st)
            status = st;
    }
    stack_containers_clear(&have);
    return status;
}

static int cc_exec(struct compose_cli *cc, int argc, char **argv)
{
    enum { X_DETACH = 1, X_ENV, X_INTERACTIVE, X_TTY, X_NO_TTY, X_INDEX, X_USER, X_WORKDIR };
    static const struct option_spec opts[] = {
        {"detach", 'd', false, X_DETACH, "run in the background"},
        {"env", 'e', true, X_ENV, "KEY=VALUE"},
        {"interactive", 'i', false, X_INTERACTIVE, "keep stdin open (default)"},
        {"tty", 't', false, X_TTY, "allocate a terminal"},
        {"no-TTY", 'T', false, X_NO_TTY, "no terminal"},
        {"index", 0, true, X_INDEX, "replica number (1)"},
        {"user", 'u', true, X_USER, "USER[:GROUP]"},
        {"workdir", 'w', true, X_WORKDIR, "working directory"},
        {NULL, 0, false, 0, NULL}};
    cleanup_strv char **pass = NULL;
    long index = 1;
    strv_append(&pass, "exec");
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "exec", opts, argc, argv);
    const char *arg;
    int id;
    while ((id = verb_next(&v, &arg)) != 0) {
        bool on = false;
        if (id < 0 || (!opts[id - 1].has_arg && verb_flag(&v, opts[id - 1].name, arg, &on) < 0) ||
            (id == X_INDEX && verb_int(&v, "--index", arg, 1, &index) < 0))
            return v.rc;
        static const char *const pass_as[] = {NULL, "-d", "-e", "-i", "-t", NULL, NULL, "-u", "-w"};
        if (id == X_INDEX || id == X_NO_TTY || pass_as[id] == NULL ||
            (!opts[id - 1].has_arg && !on))
            continue;
        strv_append(&pass, pass_as[id]);
        if (opts[id - 1].has_arg)
            strv_append(&pass, arg);
    }
    int i = v.p.index;
    if (argc - i < 2)
        return compose_usage("exec", "requires at least 2 arg(s), only received %d", argc - i);
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    const char *only[] = {argv[i], NULL};
    if (project_containers(cc, &s, &cs, &have, only, &err) < 0)
        return cli_fail(err);
    const char *target = NULL;
    for (size_t k = 0; k < have.n; k++)
        if (have.items[k].number == index && have.items[k].running)
            target = have.items[k].name;
    if (target == NULL) {
        stack_containers_clear(&have);
        if (index > 1)
            hull_error(&err, 0, "service \"%s\" is not running container #%ld", argv[i], index);
        else
            hull_error(&err, 0, "service \"%s\" is not running", argv[i]);
        return cli_fail(err);
    }
    strv_append(&pass, target);
    for (int k = i + 1; k < argc; k++)
        strv_append(&pass, argv[k]);
    int st = 0;
    run_self(cc, pass, -1, true, &st);
    stack_containers_clear(&have);
    return st;
}

static int cc_ls(struct compose_cli *cc, int argc, char **argv)
{
    int first = 1, rc = no_options("ls", argc, argv, &first);
    if (rc)
        return rc;
    (void)first;
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
    enum { R_DETACH = 1, R_RM, R_ENV, R_NAME, R_NO_DEPS, R_INTERACTIVE, R_TTY, R_NO_TTY };
    static const struct option_spec opts[] = {
        {"detach", 'd', false, R_DETACH, "run in the background"},
        {"rm", 0, false, R_RM, "remove the container when it exits"},
        {"env", 'e', true, R_ENV, "KEY=VALUE"},
        {"name", 0, true, R_NAME, "container name"},
        {"no-deps", 0, false, R_NO_DEPS, "do not start the dependencies"},
        {"interactive", 'i', false, R_INTERACTIVE, "keep stdin open"},
        {"tty", 't', false, R_TTY, "allocate a terminal"},
        {"no-TTY", 'T', false, R_NO_TTY, "no terminal"},
        {NULL, 0, false, 0, NULL}};
    struct stack_run_options ro = {0};
    cleanup_strv char **env = NULL;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "run", opts, argc, argv);
    const char *arg;
    int id;
    while ((id = verb_next(&v, &arg)) != 0) {
        bool on = false;
        if (id < 0 || (!opts[id - 1].has_arg && verb_flag(&v, opts[id - 1].name, arg, &on) < 0))
            return v.rc;
        switch (id) {
        case R_DETACH:
            ro.detach = on;
            break;
        case R_RM:
            ro.remove = on;
            break;
        case R_ENV:
            strv_append(&env, arg);
            break;
        case R_NAME:
            ro.name = arg;
            break;
        case R_NO_DEPS:
            ro.no_deps = on;
            break;
        case R_INTERACTIVE:
            ro.interactive = on;
            break;
        case R_TTY:
            ro.tty = on;
            break;
        case R_NO_TTY:
            ro.tty = !on && ro.tty;
            break;
        default:
            break;
        }
    }
    if (v.p.index >= argc)
        return compose_usage("run", "requires at least 1 arg(s), only received 0");
    ro.service = argv[v.p.index];
    ro.cmd = argv + v.p.index + 1;
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
    int first = 1, rc = no_options("pull", argc, argv, &first);
    if (rc)
        return rc;
    argv += first - 1;
    argc -= first - 1;
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
    int first = 1, rc = no_options("images", argc, argv, &first);
    if (rc)
        return rc;
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    if (project_containers(cc, &s, &cs, &have, (const char *const *)(argv + first), &err) < 0)
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
    static const struct option_spec opts[] = {{"json", 0, false, 1, "one JSON object a line"},
                                              {NULL, 0, false, 0, NULL}};
    bool json = false;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "events", opts, argc, argv);
    const char *arg;
    bool *const flags[] = {NULL, &json};
    if (verb_next_valued(&v, opts, flags, &arg) < 0)
        return v.rc;
    int i = v.p.index;
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

/* push: `hull push` the image of each service that has both `build` and `image` (docker
 * compose v2's rule: the others' images come from elsewhere). */
static int cc_push(struct compose_cli *cc, int argc, char **argv)
{
    enum { PU_IGNORE = 1, PU_QUIET, PU_DEPS };
    static const struct option_spec opts[] = {
        {"ignore-push-failures", 0, false, PU_IGNORE, "go on after a failed push"},
        {"quiet", 'q', false, PU_QUIET, "print nothing on success"},
        {"include-deps", 0, false, PU_DEPS, "also the services the SERVICEs depend on"},
        {NULL, 0, false, 0, NULL}};
    bool flags[4] = {false};
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "push", opts, argc, argv);
    const char *arg;
    bool *const to[] = {NULL, &flags[PU_IGNORE], &flags[PU_QUIET], &flags[PU_DEPS]};
    if (verb_next_valued(&v, opts, to, &arg) < 0)
        return v.rc;
    const char *const *only = (const char *const *)(argv + v.p.index);
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    if (load(cc, &s, &err) < 0 || check_services(s, only, &err) < 0)
        return cli_fail(err);
    int status = 0;
    for (size_t i = 0; i < s->n_services; i++) {
        const struct stack_service *svc = &s->services[i];
        const char *image = json_string_value(json_object_get(svc->doc, "image"));
        bool wanted = only[0] == NULL;
        for (const char *const *o = only; *o && !wanted; o++) {
            wanted = !strcmp(*o, svc->name);
            const struct stack_service *sel = stack_find_service(s, *o);
            for (size_t d = 0; flags[PU_DEPS] && sel && d < sel->n_deps && !wanted; d++)
                wanted = !strcmp(sel->deps[d].service, svc->name);
        }
        if (!wanted || image == NULL || json_object_get(svc->doc, "build") == NULL)
            continue;
        char *args[] = {"push", (char *)image, NULL};
        cc->quiet_children = flags[PU_QUIET];
        if (!flags[PU_QUIET])
            fprintf(stderr, " Service %s  Pushing %s\n", svc->name, image);
        int st = 0;
        run_self(cc, args, -1, true, &st);
        if (st && !flags[PU_IGNORE])
            return st;
        if (st)
            status = st;
    }
    return flags[PU_IGNORE] ? 0 : status;
}

/* port SERVICE PRIVATE_PORT: the host address a replica's private port is published on. */
static int cc_port(struct compose_cli *cc, int argc, char **argv)
{
    enum { PO_PROTOCOL = 1, PO_INDEX };
    static const struct option_spec opts[] = {
        {"protocol", 0, true, PO_PROTOCOL, "tcp (default) or udp"},
        {"index", 0, true, PO_INDEX, "replica number (1)"},
        {NULL, 0, false, 0, NULL}};
    const char *proto = "tcp";
    long index = 1;
    cleanup_verb_options struct verb_options v;
    verb_options_init(&v, "port", opts, argc, argv);
    const char *arg;
    int id;
    while ((id = verb_next(&v, &arg)) != 0) {
        if (id < 0 || (id == PO_INDEX && verb_int(&v, "--index", arg, 1, &index) < 0))
            return v.rc;
        if (id == PO_PROTOCOL) {
            if (strcmp(arg, "tcp") && strcmp(arg, "udp"))
                return compose_usage("port", "invalid protocol \"%s\": tcp or udp", arg);
            proto = arg;
        }
    }
    int first = v.p.index;
    if (argc - first != 2)
        return compose_usage("port", "requires exactly 2 arg(s), only received %d", argc - first);
    char *end;
    long port = strtol(argv[first + 1], &end, 10);
    if (*end || port < 1 || port > 65535)
        return compose_usage("port", "invalid port \"%s\"", argv[first + 1]);
    hull_err *err = NULL;
    cleanup_stack struct stack *s = NULL;
    cleanup_container_store container_store *cs = NULL;
    struct stack_containers have = {0};
    const char *only[] = {argv[first], NULL};
    if (project_containers(cc, &s, &cs, &have, only, &err) < 0)
        return cli_fail(err);
    cleanup_container_record container_record *r = NULL;
    for (size_t k = 0; k < have.n && r == NULL; k++)
        if (have.items[k].number == index &&
            container_record_load(cs, have.items[k].id, &r, &err) < 0) {
            stack_containers_clear(&have);
            return cli_fail(err);
        }
    stack_containers_clear(&have);
    if (r == NULL) {
        if (index > 1)
            hull_error(&err, 0, "service \"%s\" is not running container #%ld", argv[first], index);
        else
            hull_error(&err, 0, "service \"%s\" is not running", argv[first]);
        return cli_fail(err);
    }
    char key[32];
    snprintf(key, sizeof(key), "%ld/%s", port, proto);
    json_t *settings = container_network_settings(cs, r);
    json_t *binding = json_array_get(json_object_get(json_object_get(settings, "Ports"), key), 0);
    if (binding == NULL) {
        json_decref(settings);
        hull_error(&err, 0, "no port %s for container %s", key, r->name);
        return cli_fail(err);
    }
    printf("%s:%s\n", json_string_value(json_object_get(binding, "HostIp")),
           json_string_value(json_object_get(binding, "HostPort")));
    json_decref(settings);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(struct compose_cli *cc, int argc, char **argv);
    const char *usage; /* after "hull compose " */
    const char *help;  /* what it does, then its options */
} verbs[] = {
    {"up", cc_up, "up [OPTIONS] [SERVICE...]",
     "Create and start the stack's containers (only the changed ones are recreated).\n\n"
     "Options:\n"
     "  -d, --detach          run in the background\n"
     "      --build           build images before starting\n"
     "      --no-build        do not build missing images\n"
     "      --force-recreate  recreate every container\n"
     "      --no-recreate     keep existing containers even when their config changed\n"
     "      --remove-orphans  remove containers of services no longer in the file\n"
     "      --scale SERVICE=N run N replicas of SERVICE\n"
     "      --wait            wait until the services are running/healthy (implies -d)\n"
     "      --wait-timeout N  give up waiting after N seconds\n"},
    {"down", cc_down, "down [OPTIONS]",
     "Stop and remove the stack's containers and networks.\n\n"
     "Options:\n"
     "  -v, --volumes         remove named volumes too\n"
     "  -t, --timeout N       seconds to wait for each container to stop\n"
     "      --rmi local|all   accepted (images are kept)\n"
     "      --remove-orphans  accepted (orphans are always removed)\n"},
    {"plan", cc_plan, "plan [OPTIONS] [SERVICE...]",
     "What `up` with the same options would create, recreate, start, keep or remove, and why.\n"},
    {"config", cc_config, "config [OPTIONS]",
     "The resolved stack as YAML.\n\n"
     "Options:\n"
     "      --services        the service names\n"
     "      --hash SERVICE    the service's config hash (\"*\": every service)\n"
     "      --format json|yaml\n"
     "  -q, --quiet           only validate\n"},
    {"convert", cc_config, "convert [OPTIONS]", "Alias of config.\n"},
    {"validate", cc_validate, "validate", "Check the files; prints nothing when they are valid.\n"},
    {"ps", cc_ps, "ps [OPTIONS] [SERVICE...]",
     "List the stack's containers.\n\n"
     "Options:\n"
     "  -a, --all             stopped containers too\n"
     "  -q, --quiet           only the IDs\n"
     "      --services        only the service names\n"
     "      --format table|json\n"},
    {"logs", cc_logs, "logs [OPTIONS] [SERVICE...]",
     "Output of the stack's containers, each line prefixed with its container.\n\n"
     "Options:\n"
     "  -f, --follow          follow the output\n"
     "  -n, --tail N          lines from the end of each log (default all)\n"
     "  -t, --timestamps      show timestamps\n"
     "      --no-color        monochrome\n"},
    {"start", cc_each, "start [SERVICE...]", "Start the services' existing containers.\n"},
    {"stop", cc_each, "stop [OPTIONS] [SERVICE...]",
     "Stop the services' containers.\n\nOptions:\n  -t, --timeout N       seconds before "
     "SIGKILL\n"},
    {"restart", cc_each, "restart [OPTIONS] [SERVICE...]",
     "Restart the services' containers.\n\nOptions:\n"
     "  -t, --timeout N       seconds before SIGKILL\n"},
    {"kill", cc_each, "kill [OPTIONS] [SERVICE...]",
     "Send a signal to the services' containers.\n\nOptions:\n"
     "  -s, --signal SIG      signal to send (default SIGKILL)\n"},
    {"pause", cc_each, "pause [SERVICE...]", "Pause the services' containers.\n"},
    {"unpause", cc_each, "unpause [SERVICE...]", "Unpause the services' containers.\n"},
    {"rm", cc_each, "rm [OPTIONS] [SERVICE...]",
     "Remove the services' stopped containers.\n\nOptions:\n"
     "  -s, --stop            stop running containers first\n"
     "  -f, --force           do not ask (hull never asks)\n"
     "  -v, --volumes         remove their anonymous volumes\n"},
    {"top", cc_each, "top [SERVICE...]", "Processes of the services' containers.\n"},
    {"exec", cc_exec, "exec [OPTIONS] SERVICE COMMAND [ARGS...]",
     "Run a command in a running container of a service.\n\nOptions:\n"
     "  -d, --detach          run in the background\n"
     "  -e, --env KEY=VALUE   set a variable\n"
     "  -i, --interactive     keep stdin open\n"
     "  -t, --tty / -T, --no-TTY\n"
     "      --index N         replica number (default 1)\n"
     "  -u, --user USER       run as USER\n"
     "  -w, --workdir DIR     working directory\n"},
    {"ls", cc_ls, "ls", "List the projects that have containers.\n"},
    {"run", cc_run, "run [OPTIONS] SERVICE [COMMAND...]",
     "A one-off container of a service.\n\nOptions:\n"
     "  -d, --detach          run in the background\n"
     "      --rm              remove it when it exits\n"
     "  -e, --env KEY=VALUE   set a variable\n"
     "      --name NAME       container name\n"
     "      --no-deps         do not start the dependencies\n"
     "  -i, --interactive / -t, --tty / -T, --no-TTY\n"},
    {"pull", cc_pull, "pull [SERVICE...]", "Pull the services' images.\n"},
    {"push", cc_push, "push [OPTIONS] [SERVICE...]",
     "Push the images of the services that have both build and image.\n\nOptions:\n"
     "      --ignore-push-failures  go on after a failed push, exit 0\n"
     "      --include-deps          also the services the SERVICEs depend on\n"
     "  -q, --quiet                 print nothing on success\n"},
    {"build", cc_build, "build [SERVICE...]", "Build the services' images with `hull build`.\n"},
    {"images", cc_images, "images [SERVICE...]", "Images of the stack's containers.\n"},
    {"port", cc_port, "port [OPTIONS] SERVICE PRIVATE_PORT",
     "Print the host address a service's private port is published on (`0.0.0.0:8080`).\n\n"
     "Options:\n"
     "      --protocol tcp|udp  (default tcp)\n"
     "      --index N           replica number (default 1)\n"},
    {"events", cc_events, "events [OPTIONS] [SERVICE...]",
     "Events of the stack's containers.\n\nOptions:\n      --json  one JSON object a line\n"},
    {NULL, NULL, NULL, NULL},
};

static int compose_main(struct hull_cli *cli, int argc, char **argv, const char *forced_verb)
{
    enum { G_FILE = 1, G_PROJECT, G_ENV_FILE, G_PROFILE, G_HELP };
    static const struct option_spec opts[] = {
        {"file", 'f', true, G_FILE, "compose file or topology"},
        {"project-name", 'p', true, G_PROJECT, "project name"},
        {"env-file", 0, true, G_ENV_FILE, "variables for interpolation"},
        {"profile", 0, true, G_PROFILE, "enable a profile"},
        {"help", 'h', false, G_HELP, "show this help"},
        {NULL, 0, false, 0, NULL}};
    struct compose_cli cc = {.cli = cli};
    int first = 0;
    if (forced_verb == NULL) {
        cleanup_verb_options struct verb_options v;
        verb_options_init(&v, "", opts, argc, argv);
        const char *arg;
        int id;
        while ((id = verb_next(&v, &arg)) != 0) {
            if (id < 0)
                return v.rc;
            if (id == G_HELP) {
                fputs(compose_help, stdout);
                return 0;
            }
            if ((id == G_FILE && cc.n_files == 32) || (id == G_ENV_FILE && cc.n_env_files == 8) ||
                (id == G_PROFILE && cc.n_profiles == 16))
                return compose_usage("", "too many %s options", opts[id - 1].name);
            if (id == G_FILE)
                cc.files[cc.n_files++] = arg;
            else if (id == G_PROJECT)
                cc.project = arg;
            else if (id == G_ENV_FILE)
                cc.env_files[cc.n_env_files++] = arg;
            else if (id == G_PROFILE)
                cc.profiles[cc.n_profiles++] = arg;
        }
        first = v.p.index;
        if (first >= argc) {
            fputs(compose_help, stderr);
            return CLI_EXIT_USAGE;
        }
    }
    const char *verb = forced_verb ? forced_verb : argv[first];
    char **vargv = argv + first;
    int vargc = argc - first;
    for (size_t i = 0; verbs[i].name; i++)
        if (!strcmp(verbs[i].name, verb)) {
            for (int k = 1; k < vargc && vargv[k][0] == '-' && strcmp(vargv[k], "--"); k++)
                if (!strcmp(vargv[k], "--help") || !strcmp(vargv[k], "-h")) {
                    printf("Usage: hull compose %s\n\n%s", verbs[i].usage, verbs[i].help);
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
