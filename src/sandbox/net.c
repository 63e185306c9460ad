/* `--network egress` of a sandbox (net.h). */
#include "sandbox/net.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/attach.h"
#include "container/programs.h"
#include "net/egress.h"
#include "net/network.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

int sandbox_net_check(const struct sandbox_opts *o, json_t **allow, json_t **ports, hull_err **err)
{
    *allow = json_array();
    *ports = json_array();
    for (char **c = o->egress_allow; c && *c; c++) {
        char norm[20];
        if (net_egress_cidr_normalize(*c, norm, err) < 0)
            goto fail;
        json_array_append_new(*allow, json_string(norm));
    }
    for (char **p = o->egress_tcp_ports; p && *p; p++) {
        unsigned port;
        if (net_egress_port_parse(*p, &port, err) < 0)
            goto fail;
        json_array_append_new(*ports, json_integer(port));
    }
    return 0;
fail:
    json_decref(*allow);
    json_decref(*ports);
    *allow = *ports = NULL;
    return -1;
}

static int install_rules(const struct sandbox_opts *o, pid_t pid, const char *log_path,
                         pid_t *logger, hull_err **err)
{
    cleanup_json json_t *allow = NULL, *ports = NULL;
    if (sandbox_net_check(o, &allow, &ports, err) < 0)
        return -1;
    cleanup_strv char **cidrs = calloc(json_array_size(allow) + 1, sizeof *cidrs);
    cleanup_free unsigned *pv = calloc(json_array_size(ports) + 1, sizeof *pv);
    if (cidrs == NULL || pv == NULL)
        abort();
    for (size_t i = 0; i < json_array_size(allow); i++)
        cidrs[i] = strdup(json_string_value(json_array_get(allow, i)));
    for (size_t i = 0; i < json_array_size(ports); i++)
        pv[i] = (unsigned)json_integer_value(json_array_get(ports, i));
    /* No resolvers: the sandbox's root is the image's, read-only, with no resolv.conf of
     * hull's; DNS is allowed only where the allow-list says. */
    struct net_egress e = {.cidrs = cidrs, .ports = pv, .n_ports = json_array_size(ports)};
    cleanup_close int log_fd =
        open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (log_fd < 0)
        return hull_error(err, errno, "open `%s`", log_path);
    cleanup_free char *nft = container_helper_path("hull-nft", err);
    if (nft == NULL)
        return -1;
    return net_egress_apply(pid, &e, nft, log_fd, logger, err);
}

int sandbox_net_setup(const char *data_root, const char *id, const struct sandbox_opts *o,
                      pid_t pid, const char *log_path, pid_t *logger, hull_err **err)
{
    *logger = -1;
    const char *network = sandbox_egress_network(o);
    if (network == NULL)
        return 0;
    cleanup_net_store net_store *ns = NULL;
    if (net_store_open(data_root, &ns, err) < 0)
        return -1;
    if (strcmp(network, NET_DEFAULT_NETWORK) == 0 && net_network_ensure_default(ns, err) < 0)
        return -1;
    struct net_endpoint_request ep = {.network = network};
    struct net_attach_request req = {
        .container_id = id, .container_name = id, .pid = pid, .endpoints = &ep, .n_endpoints = 1};
    cleanup_json json_t *eps = NULL;
    if (net_attach(ns, &req, &eps, err) < 0)
        return hull_error_prefix(err, "sandbox %s: network %s", id, network);
    if (install_rules(o, pid, log_path, logger, err) < 0) {
        cleanup_err hull_err *de = NULL;
        net_detach(ns, id, NULL, &de);
        return hull_error_prefix(err, "sandbox %s", id);
    }
    return 0;
}

void sandbox_net_teardown(const char *data_root, const char *id, pid_t logger)
{
    cleanup_net_store net_store *ns = NULL;
    cleanup_err hull_err *e = NULL;
    if (net_store_open(data_root, &ns, &e) == 0)
        net_detach(ns, id, NULL, &e);
    if (logger > 0) {
        /* It exits by itself once the sandbox's first process has, after reading what is
         * queued; a bounded wait, then it is killed. */
        int pidfd = (int)syscall(SYS_pidfd_open, logger, 0);
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        if (pidfd < 0 || poll(&p, 1, 2000) <= 0)
            kill(logger, SIGKILL);
        if (pidfd >= 0)
            close(pidfd);
        while (waitpid(logger, NULL, 0) < 0 && errno == EINTR)
            ;
    }
}

json_t *sandbox_net_denied(const char *log_path, size_t max)
{
    json_t *out = json_array();
    FILE *f = fopen(log_path, "re");
    if (f == NULL)
        return out;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (json_array_size(out) < max && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        json_array_append_new(out, json_string(line));
    }
    free(line);
    fclose(f);
    return out;
}
