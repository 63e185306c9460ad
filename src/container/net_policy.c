/* Per-container network policy: egress allow-lists and bandwidth (see net_policy.h). */
#include "container/net_policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container/programs.h"
#include "net/egress.h"
#include "util/cleanup.h"
#include "util/fs.h"

int container_net_policy_record(const struct run_request *req, json_t *rec, hull_err **err)
{
    json_t *host = json_object_get(rec, "HostConfig");
    const char *mode = json_string_value(json_object_get(host, "NetworkMode"));
    bool own_net = mode && strcmp(mode, "none") != 0 && strcmp(mode, "host") != 0 &&
                   strncmp(mode, "container:", 10) != 0;
    json_t *allow = json_array(), *ports = json_array();
    json_object_set_new(host, "EgressAllow", allow);
    json_object_set_new(host, "EgressTcpPorts", ports);
    for (char **c = req->egress_allow; c && *c; c++) {
        char norm[NET_EGRESS_CIDR_MAX];
        if (net_egress_cidr_normalize_any(*c, norm, err) < 0)
            return -1;
        json_array_append_new(allow, json_string(norm));
    }
    for (char **p = req->egress_tcp_ports; p && *p; p++) {
        unsigned port;
        if (net_egress_port_parse(*p, &port, err) < 0)
            return -1;
        json_array_append_new(ports, json_integer(port));
    }
    if (!own_net && (json_array_size(allow) || json_array_size(ports)))
        return hull_error(err, 0,
                          "--egress-allow and --egress-tcp-port need a bridge network "
                          "(not --network %s)",
                          mode ? mode : "none");
    return 0;
}

/* The nameservers of the container's resolv.conf (IPv4 and IPv6 addresses). */
static char **resolvers(container_record *r)
{
    char **out = calloc(1, sizeof *out);
    size_t n = 0;
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file_at(r->dirfd, "resolv.conf", 1u << 20, &text, &len, &e) < 0)
        return out;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char ns[64];
        unsigned char addr[16];
        if (sscanf(l, " nameserver %63s", ns) != 1 ||
            (inet_pton(AF_INET, ns, addr) != 1 && inet_pton(AF_INET6, ns, addr) != 1))
            continue;
        char **v = realloc(out, (n + 2) * sizeof *v);
        if (v == NULL)
            abort();
        out = v;
        out[n++] = strdup(ns);
        out[n] = NULL;
    }
    return out;
}

int container_net_policy_setup(container_store *cs, container_record *r, pid_t pid, hull_err **err)
{
    (void)cs;
    json_t *host = json_object_get(r->doc, "HostConfig");
    json_t *allow = json_object_get(host, "EgressAllow");
    json_t *ports = json_object_get(host, "EgressTcpPorts");
    if (json_array_size(allow) == 0 && json_array_size(ports) == 0)
        return 0;
    cleanup_strv char **cidrs = calloc(json_array_size(allow) + 1, sizeof *cidrs);
    cleanup_free unsigned *pv = calloc(json_array_size(ports) + 1, sizeof *pv);
    if (cidrs == NULL || pv == NULL)
        abort();
    for (size_t i = 0; i < json_array_size(allow); i++)
        cidrs[i] = strdup(json_string_value(json_array_get(allow, i)));
    for (size_t i = 0; i < json_array_size(ports); i++)
        pv[i] = (unsigned)json_integer_value(json_array_get(ports, i));
    cleanup_strv char **res = resolvers(r);
    struct net_egress e = {
        .cidrs = cidrs, .ports = pv, .n_ports = json_array_size(ports), .resolvers = res};
    cleanup_close int log_fd =
        openat(r->dirfd, CONTAINER_EGRESS_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (log_fd < 0)
        return hull_error(err, errno, "container %s: open %s", r->name, CONTAINER_EGRESS_LOG);
    cleanup_free char *nft = container_helper_path("hull-nft", err);
    if (nft == NULL)
        return hull_error_prefix(err, "container %s", r->name);
    pid_t logger;
    if (net_egress_apply(pid, &e, nft, log_fd, &logger, err) < 0)
        return hull_error_prefix(err, "container %s", r->name);
    return 0;
}
