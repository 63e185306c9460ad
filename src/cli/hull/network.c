/* hull network create|ls|inspect|rm|prune|connect|disconnect, and hull port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/hull/containers.h"
#include "cli/hull/format.h"
#include "container/network.h"
#include "net/attach.h"
#include "net/network.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

static const char help[] =
    "Usage: hull network COMMAND [ARGS...]\n"
    "\n"
    "Manage networks: Linux bridges set up by the CNI plugins (bridge, host-local, bandwidth,\n"
    "and hull's hull-portmap for published ports), one conflist per network under\n"
    "DATA_ROOT/networks. Containers on the same user network reach each other and resolve each\n"
    "other's names (aardvark-dns on the gateway); containers on different networks cannot\n"
    "reach each other (docs/networking.md).\n"
    "\n"
    "Commands:\n"
    "  create [OPTIONS] NAME    create a network; prints its ID\n"
    "      -d, --driver bridge      the only driver\n"
    "      --subnet CIDR            default: the next free /24 of the address pools\n"
    "                               (172.28.0.0/16; DATA_ROOT/config.json\n"
    "                               \"default-address-pools\")\n"
    "      --gateway IP             default: the subnet's first address\n"
    "      --ipv6                   dual stack: also an IPv6 subnet (a second --subnet,\n"
    "                               e.g. fd00:1::/64, default: a random unique local /64;\n"
    "                               a second --gateway for its gateway)\n"
    "      --ip-range CIDR          containers' addresses come from this part of the subnet\n"
    "      --internal               no route out and no published ports\n"
    "      --label K=V              repeatable\n"
    "      -o, --opt K=V            isolate=true|false (default true: other networks cannot\n"
    "                               reach this one), com.docker.network.bridge.name=DEVICE,\n"
    "                               com.docker.network.driver.mtu=N (bridge and containers)\n"
    "  ls [-q] [--no-trunc] [-f name=N|id=ID|driver=D|label=K[=V]]\n"
    "                           list networks\n"
    "  inspect [-f TMPL] NETWORK...\n"
    "                           JSON array (docker's shape, Containers: the attached ones); with\n"
    "                           -f, --format a Go template rendered per network instead\n"
    "  rm [-f] NETWORK...       remove networks (refused while containers are attached; the\n"
    "                           default network `bridge` only with -f)\n"
    "  prune [-f]               remove every network no container is attached to\n"
    "  connect [--alias A] [--ip IP] [--ip6 IP] NETWORK CONTAINER\n"
    "                           connect a container (at once when it runs, else at its start)\n"
    "  disconnect [-f] NETWORK CONTAINER\n"
    "                           disconnect a container\n"
    "\n"
    "Exit status: 0, 1 when an operation failed, 125 for usage errors.\n";

static int open_stores(struct hull_cli *cli, container_store **cs, net_store **ns, hull_err **err)
{
    if (ctr_open(cli, cs, err) < 0 || net_store_open((*cs)->data_root, ns, err) < 0)
        return -1;
    /* Stale attachments (crashed monitors, a reboot) go first: the next command reconciles. */
    cleanup_err hull_err *e = NULL;
    net_reconcile(*ns, &e);
    return 0;
}

static void print_json(json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(4));
    puts(text ? text : "[]");
    free(text);
}

static int bad_usage(const char *command, hull_err *err)
{
    int rc = cli_usage(command, "%s", err->msg);
    hull_err_free(err);
    return rc;
}

static int n_create(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)cs;
    static const struct option_spec opts[] = {
        {"driver", 'd', true, 'd', "bridge (the only driver)"},
        {"subnet", 0, true, 's', "CIDR"},
        {"gateway", 0, true, 'g', "the bridge's address"},
        {"ip-range", 0, true, 'r', "allocate from this CIDR"},
        {"internal", 0, false, 'i', "no route out"},
        {"ipv6", 0, false, '6', "dual stack: also an IPv6 subnet"},
        {"label", 0, true, 'l', "KEY=VALUE"},
        {"opt", 'o', true, 'o', "driver option"},
        {NULL, 0, false, 0, NULL},
    };
    struct net_create_opts o = {.isolate = true};
    cleanup_strv char **labels = NULL, **options = NULL;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, opts, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    int c;
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        switch (c) {
        case 'd':
            o.driver = arg;
            break;
        case 's': /* given twice: one IPv4 and one IPv6 subnet */
            if (strchr(arg, ':') ? o.subnet6 != NULL : o.subnet != NULL)
                return cli_usage("network create", "--subnet %s: one subnet per address family",
                                 arg);
            *(strchr(arg, ':') ? &o.subnet6 : &o.subnet) = arg;
            break;
        case 'g':
            if (strchr(arg, ':') ? o.gateway6 != NULL : o.gateway != NULL)
                return cli_usage("network create", "--gateway %s: one gateway per address family",
                                 arg);
            *(strchr(arg, ':') ? &o.gateway6 : &o.gateway) = arg;
            break;
        case '6':
            if (options_bool("ipv6", arg, &o.ipv6, &perr) < 0)
                return cli_usage_options("network create", perr);
            break;
        case 'r':
            o.ip_range = arg;
            break;
        case 'i':
            if (options_bool("internal", arg, &o.internal, &perr) < 0)
                return cli_usage_options("network create", perr);
            break;
        case 'l':
            strv_append(&labels, arg);
            break;
        case 'o':
            if (strcmp(arg, "isolate=true") == 0 || strcmp(arg, "isolate=false") == 0)
                o.isolate = strcmp(arg, "isolate=true") == 0;
            else if (strncmp(arg, "com.docker.network.bridge.name=", 31) == 0)
                o.bridge = arg + 31;
            else if (strncmp(arg, "com.docker.network.driver.mtu=", 30) != 0)
                return cli_usage("network create",
                                 "-o `%s`: expected isolate=true|false, "
                                 "com.docker.network.bridge.name=NAME or "
                                 "com.docker.network.driver.mtu=N",
                                 arg);
            strv_append(&options, arg);
            break;
        default:
            return cli_usage_options("network create", perr);
        }
    }
    if (p.index + 1 != argc)
        return cli_usage("network create", "expected exactly one NAME");
    o.name = argv[p.index];
    o.labels = labels;
    o.options = options;
    hull_err *err = NULL;
    cleanup_json json_t *conf = NULL;
    if (net_network_create(ns, &o, &conf, &err) < 0) {
        if (err->errnum == 0 && strstr(err->msg, "overlaps") == NULL &&
            strstr(err->msg, "pools") == NULL)
            return bad_usage("network create", err);
        return cli_fail(err);
    }
    puts(net_network_id(conf));
    return 0;
}

static bool filter_match(json_t *conf, char **filters)
{
    json_t *m = net_network_meta(conf);
    for (char **f = filters; f && *f; f++) {
        const char *eq = strchr(*f, '=');
        const char *v = eq ? eq + 1 : "";
        size_t kl = eq ? (size_t)(eq - *f) : strlen(*f);
        if (strncmp(*f, "name", kl) == 0 && kl == 4) {
            if (strstr(net_network_name(conf), v) == NULL)
                return false;
        } else if (strncmp(*f, "id", kl) == 0 && kl == 2) {
            if (strncmp(net_network_id(conf), v, strlen(v)) != 0)
                return false;
        } else if (strncmp(*f, "driver", kl) == 0 && kl == 6) {
            if (strcmp(v, "bridge") != 0)
                return false;
        } else if (strncmp(*f, "label", kl) == 0 && kl == 5) {
            const char *eq2 = strchr(v, '=');
            cleanup_free char *k = eq2 ? strndup(v, (size_t)(eq2 - v)) : strdup(v);
            json_t *lv = json_object_get(json_object_get(m, "labels"), k);
            if (lv == NULL || (eq2 && strcmp(json_string_value(lv), eq2 + 1) != 0))
                return false;
        }
    }
    return true;
}

static int n_ls(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)cs;
    static const struct option_spec opts[] = {
        {"quiet", 'q', false, 'q', "only the IDs"},
        {"no-trunc", 0, false, 'n', "full IDs"},
        {"filter", 'f', true, 'f', "name=, id=, driver=, label= (repeatable)"},
        {NULL, 0, false, 0, NULL},
    };
    bool quiet = false, no_trunc = false;
    cleanup_strv char **filters = NULL;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, opts, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    int c;
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        if (c == 'f')
            strv_append(&filters, arg);
        else if (c < 0 || options_bool(c == 'q' ? "quiet" : "no-trunc", arg,
                                       c == 'q' ? &quiet : &no_trunc, &perr) < 0)
            return cli_usage_options("network ls", perr);
    }
    if (p.index < argc)
        return cli_usage("network ls", "unexpected argument `%s`", argv[p.index]);
    for (char **f = filters; f && *f; f++) {
        static const char *const keys[] = {"name=", "id=", "driver=", "label="};
        bool ok = false;
        for (size_t k = 0; k < 4; k++)
            ok = ok || strncmp(*f, keys[k], strlen(keys[k])) == 0;
        if (!ok)
            return cli_usage("network ls", "invalid filter `%s` (name, id, driver, label)", *f);
    }
    hull_err *err = NULL;
    if (net_network_ensure_default(ns, &err) < 0)
        return cli_fail(err);
    cleanup_json json_t *list = NULL;
    if (net_network_list(ns, &list, &err) < 0)
        return cli_fail(err);
    if (!quiet)
        printf("%-*s   %-20s %-10s %s\n", no_trunc ? 64 : 12, "NETWORK ID", "NAME", "DRIVER",
               "SCOPE");
    size_t i;
    json_t *n;
    json_array_foreach(list, i, n)
    {
        if (!filter_match(n, filters))
            continue;
        int w = no_trunc ? 64 : 12;
        if (quiet)
            printf("%.*s\n", w, net_network_id(n));
        else
            printf("%-*.*s   %-20s %-10s %s\n", w, w, net_network_id(n), net_network_name(n),
                   "bridge", "local");
    }
    return 0;
}

struct n_each {
    net_store *ns;
    bool force;
    json_t *docs;
};

static int inspect_one(void *ctx, const char *ref, hull_err **err)
{
    struct n_each *e = ctx;
    cleanup_json json_t *conf = NULL;
    if (strcmp(ref, NET_DEFAULT_NETWORK) == 0 && net_network_ensure_default(e->ns, err) < 0)
        return -1;
    if (net_network_load(e->ns, ref, &conf, err) < 0)
        return -1;
    json_array_append_new(e->docs, net_network_inspect(e->ns, conf));
    return 0;
}

static const struct option_spec inspect_opts[] = {{"format", 'f', true, 1, "see the command"},
                                                  {NULL, 0, false, 0, NULL}};

static int n_inspect(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)cs;
    const char *v[2] = {NULL, NULL};
    int first;
    int usage = cli_options("network inspect", inspect_opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first >= argc)
        return cli_usage("network inspect", "expected at least one NETWORK");
    cleanup_json json_t *arr = json_array();
    struct n_each e = {.ns = ns, .docs = arr};
    int status = cli_each_operand(first, argc, argv, false, inspect_one, &e);
    if (v[1] == NULL) {
        print_json(arr);
        return status;
    }
    /* -f TMPL: the template per network found, as `hull inspect -f` renders it. */
    struct cli_format fmt = {0};
    int rc = cli_format_begin(&fmt, "network inspect", v[1], NULL);
    if (rc != 0)
        return rc;
    hull_err *err = NULL;
    size_t i;
    json_t *doc;
    json_array_foreach(arr, i, doc)
    {
        if (cli_format_row(&fmt, doc, &err) < 0) {
            cli_format_clear(&fmt);
            return cli_fail(err);
        }
    }
    if (cli_format_end(&fmt, &err) < 0)
        return cli_fail(err);
    return status;
}

static int remove_one(void *ctx, const char *ref, hull_err **err)
{
    struct n_each *e = ctx;
    if (strcmp(ref, NET_DEFAULT_NETWORK) == 0 && !e->force)
        return hull_error(err, 0, "%s is a pre-defined network and cannot be removed", ref);
    return net_network_remove(e->ns, ref, err);
}

static const struct option_spec force_opts[] = {{"force", 'f', false, 1, "see the command"},
                                                {NULL, 0, false, 0, NULL}};

static int n_rm(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)cs;
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("network rm", force_opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first >= argc)
        return cli_usage("network rm", "expected at least one NETWORK");
    struct n_each e = {.ns = ns, .force = cli_flag(v[1])};
    return cli_each_operand(first, argc, argv, true, remove_one, &e);
}

static int n_prune(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)cs;
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("network prune", force_opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first < argc)
        return cli_usage("network prune", "unexpected argument `%s`", argv[first]);
    hull_err *err = NULL;
    cleanup_json json_t *removed = NULL;
    if (net_network_prune(ns, &removed, &err) < 0)
        return cli_fail(err);
    size_t i;
    json_t *n;
    json_array_foreach(removed, i, n)
    {
        if (i == 0)
            puts("Deleted Networks:");
        puts(json_string_value(n));
    }
    return 0;
}

static int n_connect(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)ns;
    static const struct option_spec opts[] = {
        {"alias", 0, true, 'a', "another name on this network"},
        {"ip", 0, true, 'i', "the container's address"},
        {"ip6", 0, true, '6', "the container's IPv6 address (an --ipv6 network)"},
        {NULL, 0, false, 0, NULL},
    };
    cleanup_strv char **aliases = NULL;
    const char *ip = NULL, *ip6 = NULL;
    hull_err *perr = NULL;
    cleanup_options struct option_parser p;
    if (options_init_posix(&p, opts, argc, argv, 1, &perr) < 0)
        return cli_fail(perr);
    int c;
    const char *arg;
    while ((c = options_next(&p, &arg, &perr)) != 0) {
        if (c == 'a')
            strv_append(&aliases, arg);
        else if (c == 'i')
            ip = arg;
        else if (c == '6')
            ip6 = arg;
        else
            return cli_usage_options("network connect", perr);
    }
    int first = p.index;
    if (first + 2 != argc)
        return cli_usage("network connect", "expected NETWORK CONTAINER");
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, argv[first + 1], &r, &err) < 0)
        return cli_fail(err);
    cleanup_close int lock = container_lock(r, &err);
    if (lock < 0 || container_network_connect(cs, r, argv[first], aliases, ip, ip6, &err) < 0)
        return cli_fail(err);
    return 0;
}

static int n_disconnect(container_store *cs, net_store *ns, int argc, char **argv)
{
    (void)ns;
    const char *v[2] = {NULL};
    int first;
    int usage = cli_options("network disconnect", force_opts, argc, argv, v, &first);
    if (usage)
        return usage;
    if (first + 2 != argc)
        return cli_usage("network disconnect", "expected NETWORK CONTAINER");
    hull_err *err = NULL;
    cleanup_container_record container_record *r = NULL;
    if (container_record_find(cs, argv[first + 1], &r, &err) < 0)
        return cli_fail(err);
    cleanup_close int lock = container_lock(r, &err);
    if (lock < 0 || container_network_disconnect(cs, r, argv[first], &err) < 0)
        return cli_fail(err);
    return 0;
}

int cmd_network(struct hull_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : 0;
    }
    if (cli_wants_sub_help(argc - 1, argv + 1, "network", help))
        return 0;
    static const struct {
        const char *name;
        int (*fn)(container_store *, net_store *, int, char **);
    } cmds[] = {{"create", n_create},   {"ls", n_ls},           {"list", n_ls},
                {"inspect", n_inspect}, {"rm", n_rm},           {"remove", n_rm},
                {"prune", n_prune},     {"connect", n_connect}, {"disconnect", n_disconnect}};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) != 0)
            continue;
        hull_err *err = NULL;
        cleanup_container_store container_store *cs = NULL;
        cleanup_net_store net_store *ns = NULL;
        if (open_stores(cli, &cs, &ns, &err) < 0)
            return cli_fail(err);
        return cmds[i].fn(cs, ns, argc - 1, argv + 1);
    }
    return cli_usage("network", "unknown command `%s`", argv[1]);
}

static const char port_help[] =
    "Usage: hull port CONTAINER [PRIVATE_PORT[/PROTO]]\n"
    "\n"
    "List the container's published ports (`80/tcp -> 0.0.0.0:8080`), or the host addresses\n"
    "of one private port (`0.0.0.0:8080`).\n"
    "\n"
    "Exit status: 0, 1 when the container or the port is unknown, 125 for usage errors.\n";

int cmd_port(struct hull_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv, port_help))
        return 0;
    const char *v[1] = {NULL};
    int first;
    int usage = cli_options("port", cli_no_options, argc, argv, v, &first);
    if (usage)
        return usage;
    if (argc - first < 1 || argc - first > 2)
        return cli_usage("port", "expected CONTAINER [PRIVATE_PORT[/PROTO]]");
    hull_err *err = NULL;
    cleanup_container_store container_store *cs = NULL;
    cleanup_container_record container_record *r = NULL;
    if (ctr_open(cli, &cs, &err) < 0 || container_record_find(cs, argv[first], &r, &err) < 0)
        return cli_fail(err);
    cleanup_json json_t *settings = container_network_settings(cs, r);
    json_t *ports = json_object_get(settings, "Ports");
    cleanup_free char *want = NULL;
    if (argc - first == 2) {
        const char *port = argv[first + 1];
        if (asprintf(&want, "%s%s", port, strchr(port, '/') ? "" : "/tcp") < 0)
            abort();
    }
    bool found = false;
    const char *key;
    json_t *list;
    json_object_foreach(ports, key, list)
    {
        if (want && strcmp(want, key) != 0)
            continue;
        size_t i;
        json_t *b;
        json_array_foreach(list, i, b)
        {
            const char *hip = json_string_value(json_object_get(b, "HostIp"));
            const char *hp = json_string_value(json_object_get(b, "HostPort"));
            bool v6 = hip && strchr(hip, ':'); /* docker's [ADDR]:PORT */
            if (want)
                printf("%s%s%s:%s\n", v6 ? "[" : "", hip, v6 ? "]" : "", hp);
            else
                printf("%s -> %s%s%s:%s\n", key, v6 ? "[" : "", hip, v6 ? "]" : "", hp);
            found = true;
        }
    }
    if (want && !found) {
        hull_error(&err, 0, "No public port '%s' published for %s", want, r->name);
        return cli_fail(err);
    }
    return 0;
}
