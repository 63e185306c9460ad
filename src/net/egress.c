/* Egress allow-lists: the nft rules and the NFLOG logger (see egress.h). */
#include "net/egress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/addr.h"
#include "net/firewall.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/fs.h"
#include "util/time.h"

int net_egress_cidr_normalize(const char *text, char out[20], hull_err **err)
{
    cleanup_free char *with = NULL;
    if (strchr(text, '/') == NULL && asprintf(&with, "%s/32", text) < 0)
        abort();
    struct net_cidr c;
    if (net_cidr_parse(with ? with : text, &c, err) < 0)
        return hull_error_prefix(err, "--egress-allow %s", text);
    uint32_t ip;
    cleanup_err hull_err *e = NULL;
    cleanup_free char *addr = strndup(text, strcspn(text, "/"));
    if (net_ip_parse(addr, &ip, &e) == 0 && (ip & net_cidr_mask(c.prefix)) != ip)
        return hull_error(err, 0, "--egress-allow %s: host bits set (did you mean %s/%d?)", text,
                          inet_ntoa((struct in_addr){htonl(c.addr)}), c.prefix);
    net_cidr_format(&c, out);
    return 0;
}

int net_egress_cidr_normalize_any(const char *text, char out[NET_EGRESS_CIDR_MAX], hull_err **err)
{
    if (strchr(text, ':') == NULL) {
        char v4[20];
        if (net_egress_cidr_normalize(text, v4, err) < 0)
            return -1;
        snprintf(out, NET_EGRESS_CIDR_MAX, "%s", v4);
        return 0;
    }
    cleanup_free char *with = NULL;
    if (strchr(text, '/') == NULL && asprintf(&with, "%s/128", text) < 0)
        abort();
    struct net_cidr6 c;
    cleanup_err hull_err *e = NULL;
    if (net_cidr6_parse(with ? with : text, &c, false, &e) < 0) {
        struct net_cidr6 kept;
        cleanup_err hull_err *e2 = NULL;
        if (net_cidr6_parse(with ? with : text, &kept, true, &e2) < 0)
            return hull_error(err, 0, "--egress-allow %s: %s", text, e->msg);
        /* Host bits set: say which block was meant. */
        for (int i = 0; i < 16; i++) {
            int bits = kept.prefix - i * 8;
            kept.addr[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
        }
        char fixed[NET_EGRESS_CIDR_MAX];
        net_cidr6_format(&kept, fixed);
        return hull_error(err, 0, "--egress-allow %s: host bits set (did you mean %s?)", text,
                          fixed);
    }
    net_cidr6_format(&c, out);
    return 0;
}

int net_egress_port_parse(const char *text, unsigned *out, hull_err **err)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (*text == '\0' || *end || errno || v == 0 || v > 65535 || *text == '-' || *text == '+')
        return hull_error(err, 0, "--egress-tcp-port %s: not a port number (1-65535)", text);
    *out = (unsigned)v;
    return 0;
}

/* "{ A, B }" of the members of v of one family (IPv6: with a colon); false when none. */
static bool append_set(char **s, char *const *v, bool v6)
{
    bool any = false;
    for (size_t i = 0; v && v[i]; i++) {
        if ((strchr(v[i], ':') != NULL) != v6)
            continue;
        str_appendf(s, "%s%s", any ? ", " : "{ ", v[i]);
        any = true;
    }
    if (any)
        str_appendf(s, " }");
    return any;
}

char *net_egress_script(const struct net_egress *e)
{
    char *s = NULL;
    str_appendf(&s, "table inet " NET_EGRESS_TABLE " {\n"
                    "  chain output {\n"
                    "    type filter hook output priority filter; policy drop;\n"
                    "    oifname \"lo\" accept\n"
                    "    ct state established,related accept\n");
    for (char *const *r = e->resolvers; r && *r; r++)
        str_appendf(&s, "    %s daddr %s meta l4proto { tcp, udp } th dport 53 accept\n",
                    strchr(*r, ':') ? "ip6" : "ip", *r);
    bool cidrs = e->cidrs && e->cidrs[0];
    char *ports = NULL;
    for (size_t i = 0; i < e->n_ports; i++)
        str_appendf(&ports, "%s%u", i ? ", " : "", e->ports[i]);
    for (int v6 = 0; cidrs && v6 <= 1; v6++) {
        char *set = NULL;
        if (!append_set(&set, e->cidrs, v6))
            continue;
        str_appendf(&s, "    %s daddr %s", v6 ? "ip6" : "ip", set);
        free(set);
        if (ports)
            str_appendf(&s, " tcp dport { %s }", ports);
        str_appendf(&s, " accept\n");
    }
    if (!cidrs && ports)
        str_appendf(&s, "    tcp dport { %s } accept\n", ports);
    free(ports);
    /* IPv6 needs neighbour discovery to reach anything (the gateway included); link-local
     * multicast (MLD reports, router solicitations' echoes) goes, unlogged. */
    str_appendf(&s,
                "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit } "
                "accept\n"
                "    ip6 daddr ff02::/16 drop\n"
                "    limit rate 100/second burst 200 packets log prefix \"" NET_EGRESS_LOG_PREFIX
                "\" group %d\n"
                "    drop\n"
                "  }\n"
                "}\n",
                NET_EGRESS_LOG_GROUP);
    return s;
}

/* nfnetlink_log configuration message: one attribute. */
static int nflog_config(int fd, uint16_t group, uint16_t attr_type, const void *attr,
                        size_t attr_len)
{
    char buf[256] __attribute__((aligned(NLMSG_ALIGNTO)));
    memset(buf, 0, sizeof buf);
    struct nlmsghdr *nh = (struct nlmsghdr *)buf;
    nh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
    nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nh->nlmsg_seq = 1;
    struct nfgenmsg *g = NLMSG_DATA(nh);
    g->nfgen_family = AF_UNSPEC;
    g->version = NFNETLINK_V0;
    g->res_id = htons(group);
    struct nlattr *a = (struct nlattr *)((char *)g + NLMSG_ALIGN(sizeof *g));
    a->nla_type = attr_type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + attr_len);
    memcpy((char *)a + NLA_HDRLEN, attr, attr_len);
    nh->nlmsg_len = (uint32_t)(NLMSG_LENGTH(NLMSG_ALIGN(sizeof *g)) + NLA_ALIGN(a->nla_len));
    if (send(fd, buf, nh->nlmsg_len, 0) < 0)
        return -1;
    char ack[512];
    ssize_t n = recv(fd, ack, sizeof ack, 0);
    if (n < (ssize_t)sizeof(struct nlmsghdr))
        return -1;
    struct nlmsghdr *r = (struct nlmsghdr *)ack;
    if (r->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = NLMSG_DATA(r);
        if (e->error) {
            errno = -e->error;
            return -1;
        }
    }
    return 0;
}

static int nflog_open(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
    if (fd < 0)
        return -1;
    struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
    struct nfulnl_msg_config_cmd cmd = {.command = NFULNL_CFG_CMD_BIND};
    struct nfulnl_msg_config_mode mode = {.copy_range = htonl(96), .copy_mode = NFULNL_COPY_PACKET};
    uint32_t qthresh = htonl(1);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        goto fail;
    if (nflog_config(fd, NET_EGRESS_LOG_GROUP, NFULA_CFG_CMD, &cmd, sizeof cmd) < 0)
        goto fail;
    if (nflog_config(fd, NET_EGRESS_LOG_GROUP, NFULA_CFG_MODE, &mode, sizeof mode) < 0)
        goto fail;
    /* Each drop at once: the kernel's default batches up to 100 packets or one second, so a
     * program that exits within that second would end before its drops were logged. */
    if (nflog_config(fd, NET_EGRESS_LOG_GROUP, NFULA_CFG_QTHRESH, &qthresh, sizeof qthresh) < 0)
        goto fail;
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

/* One log line for a dropped packet (its network header onwards). */
static void nflog_line(int out, const char *prefix, int family, const unsigned char *p, size_t len)
{
    char src[INET6_ADDRSTRLEN] = "?", dst[INET6_ADDRSTRLEN] = "?", proto[16] = "?";
    char ports[32] = "";
    unsigned l4 = 0;
    const unsigned char *th = NULL;
    size_t thlen = 0;
    if (family == AF_INET && len >= sizeof(struct iphdr)) {
        const struct iphdr *ip = (const struct iphdr *)p;
        inet_ntop(AF_INET, &ip->saddr, src, sizeof src);
        inet_ntop(AF_INET, &ip->daddr, dst, sizeof dst);
        l4 = ip->protocol;
        size_t hl = (size_t)ip->ihl * 4;
        if (hl <= len) {
            th = p + hl;
            thlen = len - hl;
        }
    } else if (family == AF_INET6 && len >= sizeof(struct ip6_hdr)) {
        const struct ip6_hdr *ip = (const struct ip6_hdr *)p;
        inet_ntop(AF_INET6, &ip->ip6_src, src, sizeof src);
        inet_ntop(AF_INET6, &ip->ip6_dst, dst, sizeof dst);
        l4 = ip->ip6_nxt;
        th = p + sizeof *ip;
        thlen = len - sizeof *ip;
    }
    switch (l4) {
    case 6:
        snprintf(proto, sizeof proto, "TCP");
        break;
    case 17:
        snprintf(proto, sizeof proto, "UDP");
        break;
    case 1:
        snprintf(proto, sizeof proto, "ICMP");
        break;
    case 58:
        snprintf(proto, sizeof proto, "ICMPv6");
        break;
    default:
        snprintf(proto, sizeof proto, "%u", l4);
        break;
    }
    if ((l4 == 6 || l4 == 17) && th && thlen >= 4)
        snprintf(ports, sizeof ports, " SPT=%u DPT=%u", (unsigned)(th[0] << 8 | th[1]),
                 (unsigned)(th[2] << 8 | th[3]));
    char when[TIME_RFC3339_MAX];
    char line[512];
    int n = snprintf(line, sizeof line, "%s %sSRC=%s DST=%s PROTO=%s%s\n",
                     time_rfc3339_now(when, true), prefix, src, dst, proto, ports);
    if (n > 0)
        fs_write_all(out, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void nflog_read(int fd, int out)
{
    char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0)
        return;
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
         nh = NLMSG_NEXT(nh, n)) {
        if (nh->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
            continue;
        struct nfgenmsg *g = NLMSG_DATA(nh);
        const char *prefix = NET_EGRESS_LOG_PREFIX;
        const unsigned char *payload = NULL;
        size_t plen = 0;
        size_t off = NLMSG_ALIGN(sizeof *g);
        size_t total = nh->nlmsg_len - NLMSG_HDRLEN;
        while (off + NLA_HDRLEN <= total) {
            struct nlattr *a = (struct nlattr *)((char *)g + off);
            if (a->nla_len < NLA_HDRLEN || off + a->nla_len > total)
                break;
            const void *d = (const char *)a + NLA_HDRLEN;
            size_t dl = a->nla_len - NLA_HDRLEN;
            switch (a->nla_type & NLA_TYPE_MASK) {
            case NFULA_PREFIX:
                if (dl && ((const char *)d)[dl - 1] == '\0')
                    prefix = d;
                break;
            case NFULA_PAYLOAD:
                payload = d;
                plen = dl;
                break;
            }
            off += NLA_ALIGN(a->nla_len);
        }
        if (payload)
            nflog_line(out, prefix, g->nfgen_family, payload, plen);
    }
}

static void child_fail(int report, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));
static void child_fail(int report, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n > 0)
        fs_write_all(report, msg, strnlen(msg, sizeof msg));
    _exit(1);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* stdin/out/err to /dev/null, every other descriptor but `keep` closed. */
static void close_except(int *keep, size_t n)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd < 3 && null >= 0; fd++)
        dup2(null, fd);
    qsort(keep, n, sizeof *keep, cmp_int);
    unsigned lo = 3;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)keep[i] > lo)
            syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
        if ((unsigned)keep[i] + 1 > lo)
            lo = (unsigned)keep[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0u, 0);
}

static void logger_child(pid_t target, pid_t parent, const struct net_egress *e,
                         const char *nft_helper, int log_fd, int report)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(1);
    int pidfd = (int)syscall(SYS_pidfd_open, target, 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)target);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (pidfd < 0 || nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
        child_fail(report, "enter the network namespace of %d: %s", (int)target, strerror(errno));
    close(nsfd);
    /* The socket first, so that no drop happens before someone listens. */
    int nl = nflog_open();
    if (nl < 0)
        child_fail(report, "NFLOG group %d: %s", NET_EGRESS_LOG_GROUP, strerror(errno));
    char *script = net_egress_script(e);
    /* hull-nft: a small dynamic program linked with libnftables (hull itself is static and
     * loads no nftables library). */
    char *argv[] = {(char *)nft_helper, NULL};
    hull_err *nft_err = NULL;
    if (net_run_tool_input(argv, script, &nft_err) < 0)
        child_fail(report, "%s", nft_err->msg);
    free(script);
    close(report); /* success: EOF with nothing said */
    /* Hold nothing of the caller's (a `run -d` caller waits for EOF on its stdout). */
    int keep[] = {nl, pidfd, log_fd};
    close_except(keep, 3);
    struct pollfd p[2] = {{.fd = nl, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if (p[0].revents & POLLIN)
            nflog_read(nl, log_fd);
        if (p[1].revents)
            _exit(0);
    }
}

int net_egress_apply(pid_t pid, const struct net_egress *e, const char *nft_helper, int log_fd,
                     pid_t *logger, hull_err **err)
{
    int rep[2];
    if (pipe2(rep, O_CLOEXEC) < 0)
        return hull_error(err, errno, "egress rules: pipe");
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        close(rep[0]);
        close(rep[1]);
        return hull_error(err, errno, "egress rules: fork");
    }
    if (child == 0) {
        close(rep[0]);
        logger_child(pid, parent, e, nft_helper, log_fd, rep[1]);
        _exit(0);
    }
    close(rep[1]);
    char msg[1024];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(rep[0], msg + len, sizeof msg - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof msg - 1)
            break;
    }
    close(rep[0]);
    msg[len] = '\0';
    if (len) {
        kill(child, SIGKILL);
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
            ;
        return hull_error(err, 0, "egress rules: %s", msg);
    }
    /* EOF without a word: either success or a child that died early. */
    int st;
    if (waitpid(child, &st, WNOHANG) == child)
        return hull_error(err, 0, "egress rules: the logger exited (status %d)", st);
    *logger = child;
    return 0;
}
