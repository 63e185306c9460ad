/* -p parsing and host port reservations (see ports.h). */
#include "net/ports.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/addr.h"
#include "net/network.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int port_range(const char *text, unsigned *lo, unsigned *hi)
{
    char *end;
    unsigned long a = strtoul(text, &end, 10), b;
    if (end == text || a > 65535)
        return -1;
    if (*end == '-') {
        const char *t = end + 1;
        b = strtoul(t, &end, 10);
        if (end == t || b > 65535 || b < a)
            return -1;
    } else {
        b = a;
    }
    if (*end)
        return -1;
    *lo = (unsigned)a;
    *hi = (unsigned)b;
    return 0;
}

int net_port_parse(const char *spec, struct net_port **ports, size_t *n, hull_err **err)
{
    cleanup_free char *s = strdup(spec);
    char proto[4] = "tcp";
    char *slash = strchr(s, '/');
    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "tcp") != 0 && strcmp(slash + 1, "udp") != 0)
            return hull_error(err, 0, "-p %s: invalid protocol `%s` (tcp or udp)", spec, slash + 1);
        snprintf(proto, sizeof proto, "%s", slash + 1);
    }
    /* IP:HOST:CONTAINER, HOST:CONTAINER, IP::CONTAINER, CONTAINER; [IPV6]:HOST:CONTAINER */
    char *parts[3] = {NULL, NULL, NULL};
    int np = 0;
    char *rest = s;
    const char *ip6 = NULL;
    if (*s == '[') {
        char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return hull_error(err, 0, "-p %s: expected [IPV6]:[HOST]:CONTAINER[/PROTO]", spec);
        *close = '\0';
        ip6 = s + 1;
        unsigned char a6[16];
        if (net_ip6_parse(ip6, a6, err) < 0)
            return hull_error_prefix(err, "-p %s", spec);
        rest = close + 2;
        parts[np++] = (char *)ip6;
    }
    for (char *p = rest;; np++) {
        if (np == 3)
            return hull_error(err, 0, "-p %s: expected [IP:][HOST:]CONTAINER[/PROTO]", spec);
        parts[np] = p;
        char *colon = strchr(p, ':');
        if (colon == NULL) {
            np++;
            break;
        }
        *colon = '\0';
        p = colon + 1;
    }
    const char *ip = np == 3 ? parts[0] : "";
    const char *host = np == 3 ? parts[1] : np == 2 ? parts[0] : "";
    const char *ctr = parts[np - 1];
    if (ip6 && np != 3)
        return hull_error(err, 0, "-p %s: expected [IPV6]:[HOST]:CONTAINER[/PROTO]", spec);
    uint32_t a;
    if (*ip && !ip6 && net_ip_parse(ip, &a, err) < 0)
        return hull_error_prefix(err, "-p %s", spec);
    unsigned clo, chi, hlo = 0, hhi = 0;
    if (port_range(ctr, &clo, &chi) < 0 || clo == 0)
        return hull_error(err, 0, "-p %s: invalid container port `%s`", spec, ctr);
    if (*host && (port_range(host, &hlo, &hhi) < 0 || hlo == 0))
        return hull_error(err, 0, "-p %s: invalid host port `%s`", spec, host);
    if (*host && hhi - hlo != chi - clo && !(hlo != hhi && clo == chi))
        return hull_error(err, 0, "-p %s: the host and container port ranges differ in size", spec);
    for (unsigned c = clo; c <= chi; c++) {
        struct net_port *v = realloc(*ports, (*n + 1) * sizeof *v);
        if (v == NULL)
            abort();
        *ports = v;
        struct net_port *p = &v[(*n)++];
        memset(p, 0, sizeof *p);
        snprintf(p->host_ip, sizeof p->host_ip, "%s", ip);
        p->host_port = *host ? hlo + (c - clo) : 0;
        p->container_port = c;
        snprintf(p->proto, sizeof p->proto, "%s", proto);
    }
    return 0;
}

int net_expose_parse(const char *spec, char ***keys, size_t *n, hull_err **err)
{
    cleanup_free char *s = strdup(spec);
    const char *proto = "tcp";
    char *slash = strchr(s, '/');
    if (slash) {
        *slash = '\0';
        proto = slash + 1;
        if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0)
            return hull_error(err, 0, "--expose %s: invalid protocol `%s` (tcp or udp)", spec,
                              proto);
    }
    unsigned lo, hi;
    if (port_range(s, &lo, &hi) < 0 || lo == 0)
        return hull_error(err, 0, "--expose %s: invalid port `%s` (PORT[-END][/tcp|udp], 1-65535)",
                          spec, s);
    for (unsigned p = lo; p <= hi; p++) {
        char **v = realloc(*keys, (*n + 2) * sizeof *v);
        if (v == NULL || asprintf(&v[*n], "%u/%s", p, proto) < 0)
            abort();
        v[++*n] = NULL;
        *keys = v;
    }
    return 0;
}

int net_port_check_dnat(const struct net_port *p, hull_err **err)
{
    unsigned char a6[16], lo6[16] = {[15] = 1};
    if (!strchr(p->host_ip, ':'))
        return 0;
    if (net_ip6_parse(p->host_ip, a6, err) < 0)
        return -1;
    if (memcmp(a6, lo6, sizeof a6) == 0)
        return hull_error(err, 0,
                          "-p [%s]:%u:%u: ports are published by kernel DNAT, which cannot take "
                          "connections to ::1 (IPv6 has no route_localnet); publish on 127.0.0.1 "
                          "or on an IPv6 address of the host (docs/networking.md)",
                          p->host_ip, p->host_port, p->container_port);
    return 0;
}

static unsigned long long start_time_of(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file(path, 4096, &text, &len, &e) < 0)
        return 0;
    const char *p = strrchr(text, ')');
    if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0; /* gone, or a zombie: its namespaces are gone already */
    unsigned long long v = 0;
    /* field 22 (starttime): 20 fields after the state (field 3) */
    int field = 2;
    for (p++; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    if (field == 22)
        v = strtoull(p, NULL, 10);
    return v;
}

static void boot_id(char out[40])
{
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    out[0] = '\0';
    if (fs_read_file("/proc/sys/kernel/random/boot_id", 64, &text, &len, &e) == 0)
        snprintf(out, 40, "%.*s", (int)strcspn(text, "\n"), text);
}

void net_owner_self(struct net_owner *o, pid_t pid)
{
    o->pid = pid;
    o->start_time = start_time_of(pid);
    boot_id(o->boot_id);
}

bool net_owner_alive(const struct net_owner *o)
{
    if (o->pid <= 0)
        return false;
    char now[40];
    boot_id(now);
    if (strcmp(now, o->boot_id) != 0)
        return false;
    return start_time_of(o->pid) == o->start_time;
}

json_t *net_owner_json(const struct net_owner *o)
{
    return json_pack("{s:i, s:I, s:s}", "pid", (int)o->pid, "startTime", (json_int_t)o->start_time,
                     "bootId", o->boot_id);
}

void net_owner_from_json(json_t *j, struct net_owner *o)
{
    o->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
    o->start_time = (unsigned long long)json_integer_value(json_object_get(j, "startTime"));
    const char *b = json_string_value(json_object_get(j, "bootId"));
    snprintf(o->boot_id, sizeof o->boot_id, "%s", b ? b : "");
}

static const char *shown_ip(const struct net_port *p)
{
    return *p->host_ip ? p->host_ip : "0.0.0.0";
}

/* Is the reservation `name` held by a live owner? A dead one's file is removed. */
static bool reservation_live(int dirfd, const char *name)
{
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file_at(dirfd, name, 4096, &text, &len, &e) < 0)
        return false;
    cleanup_json json_t *j = json_loadb(text, len, 0, NULL);
    struct net_owner o;
    net_owner_from_json(j, &o);
    if (net_owner_alive(&o))
        return true;
    unlinkat(dirfd, name, 0);
    return false;
}

static bool conflicts_in(int dirfd, const struct net_port *p)
{
    cleanup_dir DIR *d = NULL;
    cleanup_err hull_err *e = NULL;
    if (fs_opendir_at(dirfd, &d, &e) < 0)
        return false;
    char prefix[32];
    int pl = snprintf(prefix, sizeof prefix, "%s-%u-", p->proto, p->host_port);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, (size_t)pl) != 0)
            continue;
        const char *ip = de->d_name + pl;
        if ((strcmp(ip, "0.0.0.0") == 0 || !*p->host_ip || strcmp(ip, p->host_ip) == 0) &&
            reservation_live(dirfd, de->d_name))
            return true;
    }
    return false;
}

/* A live reservation of p's port here or where an older hull kept them. */
static bool conflicts(int dirfd, const struct net_port *p)
{
    if (conflicts_in(dirfd, p))
        return true;
    cleanup_close int before = open(NET_PORTS_DIR_BEFORE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return before >= 0 && conflicts_in(before, p);
}

/* Does another program listen there (a bind() of our own fails)? */
static bool port_busy(const struct net_port *p)
{
    bool tcp = strcmp(p->proto, "tcp") == 0;
    bool v6 = strchr(p->host_ip, ':') != NULL;
    int fd = socket(v6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    if (tcp)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool busy;
    if (v6) {
        struct sockaddr_in6 sa6 = {.sin6_family = AF_INET6,
                                   .sin6_port = htons((uint16_t)p->host_port)};
        inet_pton(AF_INET6, p->host_ip, &sa6.sin6_addr);
        busy = bind(fd, (struct sockaddr *)&sa6, sizeof sa6) < 0 && errno == EADDRINUSE;
        close(fd);
        return busy;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port)};
    if (*p->host_ip)
        inet_pton(AF_INET, p->host_ip, &sa.sin_addr);
    busy = bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno == EADDRINUSE;
    close(fd);
    return busy;
}

/* A free port from the kernel's ephemeral range. */
static unsigned free_port(const struct net_port *p)
{
    bool tcp = strcmp(p->proto, "tcp") == 0;
    int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t l = sizeof sa;
    unsigned port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &l) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

void net_ports_release(json_t *names)
{
    static const char *const dirs[] = {NET_PORTS_DIR, NET_PORTS_DIR_BEFORE};
    for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) {
        cleanup_close int dirfd = open(dirs[k], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
            continue;
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n)
        {
            if (json_is_string(n))
                unlinkat(dirfd, json_string_value(n), 0);
        }
    }
}

int net_ports_reserve(struct net_port *ports, size_t n, const struct net_owner *owner,
                      const char *what, json_t **names, hull_err **err)
{
    *names = json_array();
    if (n == 0)
        return 0;
    cleanup_close int hlock = net_host_lock(err);
    if (hlock < 0)
        return -1;
    if (fs_mkdir_p(NET_PORTS_DIR, 0700, err) < 0)
        return -1;
    cleanup_close int dirfd = open(NET_PORTS_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return hull_error(err, errno, "open `%s`", NET_PORTS_DIR);
    cleanup_json json_t *oj = net_owner_json(owner);
    json_object_set_new(oj, "owner", json_string(what));
    cleanup_free char *text = json_dumps(oj, JSON_COMPACT);
    for (size_t i = 0; i < n; i++) {
        struct net_port *p = &ports[i];
        bool chosen = p->host_port == 0;
        for (int tries = 0; chosen && tries < 64; tries++) {
            p->host_port = free_port(p);
            if (p->host_port && !conflicts(dirfd, p))
                break;
            p->host_port = 0;
        }
        if (p->host_port == 0 || (!chosen && (conflicts(dirfd, p) || port_busy(p)))) {
            net_ports_release(*names);
            json_decref(*names);
            *names = NULL;
            if (p->host_port == 0)
                return hull_error(err, EADDRINUSE, "no free host port for %u/%s", p->container_port,
                                  p->proto);
            return hull_error(err, EADDRINUSE, "Bind for %s:%u failed: port is already allocated",
                              shown_ip(p), p->host_port);
        }
        char name[48];
        snprintf(name, sizeof name, "%s-%u-%s", p->proto, p->host_port, shown_ip(p));
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0) {
            int e = errno;
            if (fd >= 0)
                close(fd);
            net_ports_release(*names);
            json_decref(*names);
            *names = NULL;
            return hull_error(err, e, "reserve host port `%s`", name);
        }
        close(fd);
        json_array_append_new(*names, json_string(name));
    }
    return 0;
}
