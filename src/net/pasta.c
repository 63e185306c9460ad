/* pasta for rootless containers (see pasta.h). */
#include "net/pasta.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux/procfs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/log.h"

#define PASTA "/usr/bin/pasta"

/* Bind p's host address and port (0: any free one) with a socket of its protocol; *fd gets it. */
static int bind_host(const struct net_port *p, int *fd, struct sockaddr_storage *ss, socklen_t *len)
{
    bool v6 = strchr(p->host_ip, ':') != NULL;
    struct sockaddr_in *sa = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    ss->ss_family = v6 ? AF_INET6 : AF_INET;
    if (*p->host_ip && inet_pton(ss->ss_family, p->host_ip,
                                 v6 ? (void *)&sa6->sin6_addr : (void *)&sa->sin_addr) != 1) {
        errno = EINVAL;
        return -1;
    }
    if (v6)
        sa6->sin6_port = htons((uint16_t)p->host_port);
    else
        sa->sin_port = htons((uint16_t)p->host_port);
    bool tcp = strcmp(p->proto, "udp") != 0;
    *fd = socket(ss->ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    int one = 1;
    if (*fd >= 0 && tcp)
        setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    *len = v6 ? sizeof *sa6 : sizeof *sa;
    return *fd < 0 ? -1 : bind(*fd, (struct sockaddr *)ss, *len);
}

/* docker's words when a host port is taken (pasta's are "Failed to bind any port"). */
static int check_port_free(const struct net_port *p, hull_err **err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    cleanup_close int fd = -1;
    if (bind_host(p, &fd, &ss, &len) == 0)
        return 0;
    bool v6 = strchr(p->host_ip, ':') != NULL;
    if (errno == EADDRINUSE)
        return hull_error(err, 0, "Bind for %s%s%s:%u failed: port is already allocated",
                          v6 ? "[" : "", *p->host_ip ? p->host_ip : "0.0.0.0", v6 ? "]" : "",
                          p->host_port);
    return hull_error(err, errno, "bind host port %s%s%s:%u", v6 ? "[" : "",
                      *p->host_ip ? p->host_ip : "0.0.0.0", v6 ? "]" : "", p->host_port);
}

/* A free host port for p (bind to port 0, read it back). */
static int free_port(struct net_port *p, hull_err **err)
{
    bool v6 = strchr(p->host_ip, ':') != NULL;
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)&ss;
    ss.ss_family = v6 ? AF_INET6 : AF_INET;
    if (*p->host_ip && inet_pton(ss.ss_family, p->host_ip,
                                 v6 ? (void *)&sa6->sin6_addr : (void *)&sa->sin_addr) != 1)
        return hull_error(err, EINVAL, "host address `%s`", p->host_ip);
    int type = strcmp(p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
    cleanup_close int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
    socklen_t len = v6 ? sizeof *sa6 : sizeof *sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return hull_error(err, errno, "choose a free host port");
    p->host_port = ntohs(v6 ? sa6->sin6_port : sa->sin_port);
    return 0;
}

/* Append `opt` and `val` (owned) to the argument vector. */
static void push2(char ***argv, size_t *n, const char *opt, char *val)
{
    char **v = realloc(*argv, (*n + 3) * sizeof *v);
    if (v == NULL || val == NULL)
        abort();
    v[(*n)++] = strdup(opt);
    v[(*n)++] = val;
    v[*n] = NULL;
    *argv = v;
}

static void push1(char ***argv, size_t *n, const char *arg)
{
    char **v = realloc(*argv, (*n + 2) * sizeof *v);
    if (v == NULL)
        abort();
    v[(*n)++] = strdup(arg);
    v[*n] = NULL;
    *argv = v;
}

/* One -t/-u per published port, "[ADDR/]HOST:CONTAINER" (pasta takes one address per option);
 * "none" for a protocol without any. */
static void port_options(char ***argv, size_t *n, const struct net_port *ports, size_t count,
                         const char *proto, const char *opt)
{
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(ports[i].proto, proto) != 0)
            continue;
        char *spec = NULL;
        if (asprintf(&spec, "%s%s%u:%u", ports[i].host_ip, *ports[i].host_ip ? "/" : "",
                     ports[i].host_port, ports[i].container_port) < 0)
            abort();
        push2(argv, n, opt, spec);
        any = true;
    }
    if (!any)
        push2(argv, n, opt, strdup("none"));
}

int net_pasta_start(const char *netns_path, struct net_port *ports, size_t n, const char *pid_path,
                    hull_err **err)
{
    if (access(PASTA, X_OK) != 0)
        return hull_error(err, errno,
                          "rootless networking needs pasta (`%s`, Debian package passt)", PASTA);
    for (size_t i = 0; i < n; i++)
        if (ports[i].host_port == 0 ? free_port(&ports[i], err) < 0
                                    : check_port_free(&ports[i], err) < 0)
            return -1;
    /* Published ports only (docker's meaning, not pasta's default `auto`), nothing forwarded
     * from the container to the host's loopback (-T/-U none). pasta started as root (here: of
     * the user namespace) would switch to nobody, who may not open the namespace: --runas 0. */
    cleanup_strv char **argv = NULL;
    size_t argc = 0;
    push1(&argv, &argc, PASTA);
    push1(&argv, &argc, "--config-net");
    push1(&argv, &argc, "--quiet");
    push2(&argv, &argc, "--runas", strdup("0:0"));
    push2(&argv, &argc, "-T", strdup("none"));
    push2(&argv, &argc, "-U", strdup("none"));
    push2(&argv, &argc, "--pid", strdup(pid_path));
    push2(&argv, &argc, "--netns", strdup(netns_path));
    port_options(&argv, &argc, ports, n, "tcp", "-t");
    port_options(&argv, &argc, ports, n, "udp", "-u");
    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) < 0)
        return hull_error(err, errno, "pipe");
    pid_t child = fork();
    if (child < 0) {
        close(errpipe[0]);
        close(errpipe[1]);
        return hull_error(err, errno, "fork pasta");
    }
    if (child == 0) {
        /* Its own process group: a pasta that fails leaves a child behind (seen when it
         * cannot open /dev/net/tun), which the group's kill below takes. */
        setpgid(0, 0);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        dup2(errpipe[1], 2);
        execv(PASTA, argv);
        dprintf(2, "cannot run %s: %s", PASTA, strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    setpgid(child, child);
    /* pasta forks into the background (a new session) once set up, and the first process
     * exits: its status says how the set-up went, its error text is in the pipe. */
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    char msg[1024];
    size_t used = 0;
    ssize_t r;
    fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
    while (used < sizeof msg - 1 &&
           ((r = read(errpipe[0], msg + used, sizeof msg - 1 - used)) > 0 ||
            (r < 0 && errno == EINTR)))
        if (r > 0)
            used += (size_t)r;
    msg[used] = '\0';
    close(errpipe[0]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    kill(-child, SIGKILL);
    net_pasta_stop(pid_path);
    /* Its syslog complaints are noise here (no syslog in most containers' hosts). */
    char clean[1024] = "";
    size_t cl = 0;
    for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "Failed to send", 14) == 0)
            continue;
        cl += (size_t)snprintf(clean + cl, sizeof clean - cl, "%s%s", cl ? "; " : "", line);
        if (cl >= sizeof clean)
            break;
    }
    return hull_error(err, 0, "pasta failed (exit status %d): %s%s", WEXITSTATUS(status),
                      *clean ? clean : "no message",
                      strstr(clean, "tun") ? " (it opens /dev/net/tun in the container's "
                                             "namespace: see docs/rootless.md)"
                                           : "");
}

void net_pasta_stop(const char *pid_path)
{
    cleanup_free char *text = NULL;
    size_t len;
    cleanup_err hull_err *e = NULL;
    if (fs_read_file(pid_path, 64, &text, &len, &e) < 0)
        return;
    long pid = strtol(text, NULL, 10);
    if (pid > 1) {
        /* Only a pasta (its command is passt, passt.avx2 or pasta): the pid may be reused. */
        char path[64];
        snprintf(path, sizeof path, "/proc/%ld/comm", pid);
        cleanup_free char *comm = NULL;
        cleanup_err hull_err *e2 = NULL;
        if (fs_read_file(path, 64, &comm, &len, &e2) == 0 &&
            (strncmp(comm, "passt", 5) == 0 || strncmp(comm, "pasta", 5) == 0)) {
            /* Wait for it to be gone, so that the host port is free when the container is. */
            proc_terminate((pid_t)pid, 5000);
        }
    }
    unlink(pid_path);
}
