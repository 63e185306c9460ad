/* aardvark-dns control (see dns.h). */
#include "net/dns.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "net/addr.h"
#include "net/cni_cache.h"
#include "net/dns_probe.h"
#include "oci/json_read.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/time.h"

static const char *aardvark_path(void)
{
    const char *env = getenv("HULL_AARDVARK_DNS");
    if (env && *env)
        return env;
    static const char *const candidates[] = {"/usr/lib/podman/aardvark-dns",
                                             "/usr/libexec/podman/aardvark-dns",
                                             "/usr/local/libexec/podman/aardvark-dns"};
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/* The running server's pid, 0 when none. */
static pid_t aardvark_pid(net_store *s)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/aardvark.pid", s->dns_dir) < 0)
        abort();
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file(path, 64, &text, &len, &e) < 0)
        return 0;
    pid_t pid = (pid_t)strtol(text, NULL, 10);
    if (pid <= 0)
        return 0;
    char comm_path[64], comm[64] = "";
    snprintf(comm_path, sizeof comm_path, "/proc/%d/comm", (int)pid);
    FILE *f = fopen(comm_path, "re");
    if (f == NULL)
        return 0;
    if (fgets(comm, sizeof comm, f) == NULL)
        comm[0] = '\0';
    fclose(f);
    /* A zombie (exited, not yet reaped by whoever inherited it) is no server: it would take a
     * SIGHUP and never answer with new listeners. */
    return strncmp(comm, "aardvark-dns", 12) == 0 && proc_start_time(pid) != 0 ? pid : 0;
}

/* The inode of the UDP socket listening on gw:53, 0 when none. */
static unsigned long udp_listener(uint32_t gw)
{
    FILE *f = fopen("/proc/net/udp", "re");
    if (f == NULL)
        return 0;
    char want[16];
    snprintf(want, sizeof want, "%08X:0035", htonl(gw));
    char line[256], local[32];
    unsigned long inode = 0, ino;
    while (inode == 0 && fgets(line, sizeof line, f))
        /* sl local rem st tx:rx tr:tm retr uid timeout inode */
        if (sscanf(line, "%*s %31s %*s %*s %*s %*s %*s %*s %*s %lu", local, &ino) == 2 &&
            strcmp(local, want) == 0)
            inode = ino;
    fclose(f);
    return inode;
}

/* What hull asks each network's listener after a reload: its gateway (the first address of a
 * network file's first line, write_network), the name to look up (the 12-digit ID of the
 * joining container when it is on that network, else of the file's first container: every
 * container answers to it) and the listener's socket before the reload. */
struct dns_target {
    uint32_t gw;
    char name[13];
    unsigned long old_listener;
};

static bool read_target(const char *text, const char *joining, struct dns_target *t)
{
    cleanup_err hull_err *e = NULL;
    char gw[INET_ADDRSTRLEN] = "";
    size_t n = strcspn(text, ",\n");
    if (n >= sizeof gw)
        return false;
    memcpy(gw, text, n);
    if (net_ip_parse(gw, &t->gw, &e) < 0)
        return false;
    t->name[0] = '\0';
    size_t jlen = joining ? strlen(joining) : 0;
    for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        const char *id = line + 1;
        if (t->name[0] == '\0' || (jlen && strncmp(id, joining, jlen) == 0 && id[jlen] == ' '))
            snprintf(t->name, sizeof t->name, "%.12s", id);
    }
    return t->name[0] != '\0';
}

static size_t dns_targets(net_store *s, const char *joining, struct dns_target *t, size_t max)
{
    cleanup_dir DIR *d = opendir(s->dns_dir);
    size_t n = 0;
    struct dirent *de;
    while (d && n < max && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "aardvark.pid") == 0)
            continue;
        cleanup_free char *path = NULL, *text = NULL;
        size_t len;
        cleanup_err hull_err *e = NULL;
        if (asprintf(&path, "%s/%s", s->dns_dir, de->d_name) < 0)
            abort();
        if (fs_read_file(path, 0, &text, &len, &e) == 0 && read_target(text, joining, &t[n]))
            n++;
    }
    return n;
}

#define DNS_READY_MS 5000

/* aardvark-dns (Debian's 1.4) closes every listener on a reload and binds a new one, which
 * serves the files as they are then; until it has, a query there is refused. A target is
 * ready when its name is answered with a record and the gateway's listener is not the one it
 * had before the reload (the old one may answer in the moment before it is closed). The
 * query is sent again 1, 2, 4 ... 32 ms after the last one; an answer ends the wait at once. */
static int wait_ready(const struct dns_target *t, long long deadline, hull_err **err)
{
    struct dns_probe p;
    if (dns_probe_open(&p, t->gw, 53, t->name, err) < 0)
        return -1;
    int interval = 1;
    for (;;) {
        long long sent = time_monotonic_ms();
        if (sent >= deadline)
            break;
        int wait = (int)(deadline - sent < interval ? deadline - sent : interval);
        if (dns_probe_ask(&p, wait) == 1) {
            unsigned long now = udp_listener(t->gw);
            if (now != 0 && now != t->old_listener) {
                dns_probe_close(&p);
                return 0;
            }
        }
        /* Refused, or answered by the listener that is going away: ask again when the
         * interval is over. */
        long long next = sent + interval;
        struct timespec ts = {(time_t)(next / 1000), (long)(next % 1000) * 1000000};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        if (interval < 32)
            interval *= 2;
    }
    char gw[16];
    net_ip_format(t->gw, gw);
    int e = p.last_errno;
    dns_probe_close(&p);
    return hull_error(err, e, "aardvark-dns did not answer for %s on %s:53 within %d s", t->name,
                      gw, DNS_READY_MS / 1000);
}

static int aardvark_start(net_store *s, hull_err **err)
{
    const char *bin = aardvark_path();
    if (bin == NULL)
        return hull_error(err, ENOENT,
                          "aardvark-dns not found (apt-get install aardvark-dns, or "
                          "set HULL_AARDVARK_DNS)");
    pid_t pid = fork();
    if (pid < 0)
        return hull_error(err, errno, "fork aardvark-dns");
    if (pid == 0) {
        setsid();
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        execle(bin, "aardvark-dns", "--config", s->dns_dir, "-p", "53", "run", (char *)NULL, env);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return hull_error(err, 0, "aardvark-dns --config %s run: exit status %d", s->dns_dir,
                          WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

/* Is any network file left (aardvark stops when there is nothing to serve)? */
static bool any_network_file(net_store *s)
{
    cleanup_dir DIR *d = opendir(s->dns_dir);
    if (d == NULL)
        return false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, "aardvark.pid") != 0)
            return true;
    return false;
}

#define DNS_MAX_NETWORKS 256

/* Signal (or start) aardvark-dns and wait until every network's listener answers. Only a
 * joining container's wait is an error when it fails: a leaving one's is best effort. */
static int reload(net_store *s, const char *joining, hull_err **err)
{
    pid_t pid = aardvark_pid(s);
    if (!any_network_file(s)) {
        /* Gone before the next command looks: a dying aardvark-dns would take that command's
         * SIGHUP and never answer it with new listeners. */
        if (pid > 0)
            proc_terminate(pid, 5000);
        return 0;
    }
    struct dns_target t[DNS_MAX_NETWORKS];
    size_t n = dns_targets(s, joining, t, DNS_MAX_NETWORKS);
    for (size_t i = 0; i < n; i++)
        t[i].old_listener = pid > 0 ? udp_listener(t[i].gw) : 0;
    if (pid > 0) {
        if (kill(pid, SIGHUP) < 0)
            return hull_error(err, errno, "reload aardvark-dns (pid %d)", (int)pid);
    } else if (aardvark_start(s, err) < 0) {
        return -1;
    }
    long long deadline = time_monotonic_ms() + DNS_READY_MS;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        cleanup_err hull_err *e = NULL;
        if (wait_ready(&t[i], deadline, &e) < 0 && rc == 0 && joining) {
            *err = steal_pointer(&e);
            rc = -1;
        }
    }
    return rc;
}

static void append_csv(char **buf, const char *item)
{
    char *n;
    if (asprintf(&n, "%s%s%s", *buf ? *buf : "", *buf && **buf ? "," : "", item) < 0)
        abort();
    free(*buf);
    *buf = n;
}

static int write_network(net_store *s, json_t *conf, json_t *entries, hull_err **err)
{
    const char *name = net_network_name(conf);
    const char *gw = json_string_value(json_object_get(net_network_meta(conf), "gateway"));
    const char *gw6 = json_string_value(json_object_get(net_network_meta(conf), "gateway6"));
    char *text = NULL;
    size_t n_lines = 0;
    /* The addresses aardvark-dns listens on: the gateways (both families on a dual-stack
     * network); each container: ID IPV4 IPV6 NAMES (AAAA answers come from IPV6). */
    if (asprintf(&text, "%s%s%s\n", gw, gw6 ? "," : "", gw6 ? gw6 : "") < 0)
        abort();
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "networkName")), name) != 0)
            continue;
        json_t *h = json_object_get(e, "hull");
        const char *addr = json_string_value(json_object_get(h, "address"));
        const char *cid = json_string_value(json_object_get(e, "containerId"));
        if (addr == NULL || cid == NULL)
            continue;
        cleanup_free char *ip = strndup(addr, strcspn(addr, "/"));
        const char *addr6 = json_string_value(json_object_get(h, "address6"));
        cleanup_free char *ip6 = addr6 ? strndup(addr6, strcspn(addr6, "/")) : strdup("");
        cleanup_free char *names = NULL;
        const char *cname = json_string_value(json_object_get(h, "name"));
        if (cname)
            append_csv(&names, cname);
        size_t j;
        json_t *a;
        json_array_foreach(json_object_get(h, "aliases"), j, a)
            append_csv(&names, json_string_value(a));
        char short_id[13];
        snprintf(short_id, sizeof short_id, "%.12s", cid);
        append_csv(&names, short_id);
        char *line;
        if (asprintf(&line, "%s%s %s %s %s\n", text, cid, ip, ip6, names) < 0)
            abort();
        free(text);
        text = line;
        n_lines++;
    }
    int rc = 0;
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s", s->dns_dir, name) < 0)
        abort();
    if (n_lines == 0) {
        if (unlink(path) < 0 && errno != ENOENT)
            rc = hull_error(err, errno, "remove the aardvark-dns file of network %s", name);
    } else {
        rc = fs_replace_file_at(AT_FDCWD, path, text, strlen(text), 0644, err);
    }
    free(text);
    return rc;
}

int net_dns_update(net_store *s, json_t *networks, const char *joining, hull_err **err)
{
    cleanup_json json_t *entries = NULL;
    if (net_cni_cache_list(s->cache_fd, NULL, &entries, err) < 0)
        return -1;
    bool touched = false;
    size_t i;
    json_t *n;
    json_array_foreach(networks, i, n)
    {
        cleanup_json json_t *conf = NULL;
        cleanup_err hull_err *e = NULL;
        if (net_network_load(s, json_string_value(n), &conf, &e) < 0)
            continue;
        if (!json_is_true(json_object_get(net_network_meta(conf), "dns")))
            continue;
        if (write_network(s, conf, entries, err) < 0)
            return -1;
        touched = true;
    }
    return touched ? reload(s, joining, err) : 0;
}

void net_dns_network_removed(net_store *s, const char *name)
{
    cleanup_free char *path = NULL;
    if (asprintf(&path, "%s/%s", s->dns_dir, name) < 0)
        abort();
    if (unlink(path) == 0) {
        cleanup_err hull_err *e = NULL;
        reload(s, NULL, &e);
    }
}
