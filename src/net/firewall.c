/* A network's host rules (see firewall.h). */
#include "net/firewall.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/network.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define COMMENT "hull network"

static int run_tool(char *const argv[], const char *input, bool quiet_missing, hull_err **err)
{
    int errpipe[2], in[2] = {-1, -1};
    if (pipe2(errpipe, O_CLOEXEC) < 0)
        return hull_error(err, errno, "pipe");
    if (input && pipe2(in, O_CLOEXEC) < 0) {
        int e = errno;
        close(errpipe[0]);
        close(errpipe[1]);
        return hull_error(err, e, "pipe");
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(errpipe[0]);
        close(errpipe[1]);
        if (input) {
            close(in[0]);
            close(in[1]);
        }
        return hull_error(err, e, "fork");
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(input ? in[0] : null, 0);
        dup2(null, 1);
        dup2(errpipe[1], 2);
        char *env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        execvpe(argv[0], argv, env);
        dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(errpipe[1]);
    if (input) {
        /* The tools given input read all of it before they say anything: no deadlock. */
        close(in[0]);
        fs_write_all(in[1], input, strlen(input));
        close(in[1]);
    }
    char buf[512];
    size_t used = 0;
    ssize_t n;
    while ((n = read(errpipe[0], buf + used, sizeof buf - 1 - used)) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0)
            used += (size_t)n;
    close(errpipe[0]);
    buf[used] = '\0';
    while (used && buf[used - 1] == '\n')
        buf[--used] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (quiet_missing &&
        (strstr(buf, "Cannot find device") || strstr(buf, "does a matching") ||
         strstr(buf, "No chain") || strstr(buf, "does not exist") || strstr(buf, "Bad rule")))
        return 0;
    if (argv[1] == NULL)
        return hull_error(err, 0, "%s: %s", argv[0], *buf ? buf : "failed");
    return hull_error(err, 0, "%s %s: %s", argv[0], argv[1], *buf ? buf : "failed");
}

int net_run_tool(char *const argv[], bool quiet_missing, hull_err **err)
{
    return run_tool(argv, NULL, quiet_missing, err);
}

int net_run_tool_input(char *const argv[], const char *input, hull_err **err)
{
    return run_tool(argv, input, false, err);
}

static const char *meta_str(json_t *conf, const char *key)
{
    return json_string_value(json_object_get(net_network_meta(conf), key));
}

/* BIN -w [-t TABLE] OP CHAIN RULE...: BIN is iptables, or ip6tables for the IPv6 half of a
 * dual-stack network. */
static int ipt_bin(const char *bin, const char *table, const char *op, const char *chain,
                   const char *const *rule, hull_err **err)
{
    const char *argv[24] = {bin, "-w", "-t", table, op, chain};
    size_t n = 6;
    for (; rule && *rule && n < 23; rule++)
        argv[n++] = *rule;
    argv[n] = NULL;
    return net_run_tool((char *const *)argv, strcmp(op, "-D") == 0 || strcmp(op, "-X") == 0, err);
}

/* A chain of ours and the jump to it from `from` (at the top: isolation must come before any
 * ACCEPT of other software). Both idempotent. */
static int ensure_chain(const char *bin, const char *table, const char *chain, const char *from,
                        bool first, hull_err **err)
{
    cleanup_err hull_err *e = NULL;
    ipt_bin(bin, table, "-N", chain, NULL, &e); /* exists already: fine */
    if (from == NULL)
        return 0;
    const char *jump[] = {"-j", chain, NULL};
    cleanup_err hull_err *c = NULL;
    if (ipt_bin(bin, table, "-C", from, jump, &c) == 0)
        return 0;
    if (first) {
        const char *at_top[] = {"1", "-j", chain, NULL};
        return ipt_bin(bin, table, "-I", from, at_top, err);
    }
    return ipt_bin(bin, table, "-A", from, jump, err);
}

struct rules {
    const char *masq[14];
    const char *iso1[12];
    const char *iso2[10];
    const char *in[10];
    const char *out[10];
    const char *internal[12];
};

static void rules_of(json_t *conf, bool v6, struct rules *r)
{
    const char *br = meta_str(conf, "bridge");
    const char *sub = meta_str(conf, v6 ? "subnet6" : "subnet");
    *r = (struct rules){
        .masq = {"-s", sub, "!", "-o", br, "-m", "comment", "--comment", COMMENT, "-j",
                 "MASQUERADE", NULL},
        .iso1 = {"-i", br, "!", "-o", br, "-m", "comment", "--comment", COMMENT, NULL},
        .iso2 = {"-o", br, "-m", "comment", "--comment", COMMENT, "-j", "DROP", NULL},
        .in = {"-i", br, "-m", "comment", "--comment", COMMENT, "-j", "ACCEPT", NULL},
        .out = {"-o", br, "-m", "comment", "--comment", COMMENT, "-j", "ACCEPT", NULL},
        .internal = {"-i", br, "!", "-o", br, "-m", "comment", "--comment", COMMENT, NULL},
    };
}

/* iso1 and internal end in a jump/verdict added here (the arrays leave room). */
static const char **with_target(const char **rule, const char *target, const char *buf[16])
{
    size_t n = 0;
    for (; rule[n]; n++)
        buf[n] = rule[n];
    buf[n++] = "-j";
    buf[n++] = target;
    buf[n] = NULL;
    return buf;
}

static int family_up(const char *bin, json_t *conf, hull_err **err)
{
    json_t *m = net_network_meta(conf);
    bool internal = json_is_true(json_object_get(m, "internal"));
    bool isolate = json_is_true(json_object_get(m, "isolate"));
    struct rules r;
    rules_of(conf, strcmp(bin, "ip6tables") == 0, &r);
    const char *buf[16];
    {
        cleanup_close int lock = net_host_chains_lock(err);
        if (lock < 0 || ensure_chain(bin, "filter", "HULL-ISOLATION-1", "FORWARD", true, err) < 0 ||
            ensure_chain(bin, "filter", "HULL-ISOLATION-2", NULL, false, err) < 0 ||
            ensure_chain(bin, "filter", "HULL-FORWARD", "FORWARD", false, err) < 0)
            return hull_error_prefix(err, "firewall");
    }
    if (internal) {
        if (ipt_bin(bin, "filter", "-A", "HULL-ISOLATION-1", with_target(r.internal, "DROP", buf),
                    err) < 0)
            return hull_error_prefix(err, "firewall");
    } else if (ipt_bin(bin, "nat", "-A", "POSTROUTING", r.masq, err) < 0) {
        return hull_error_prefix(err, "outbound NAT");
    }
    if (isolate && (ipt_bin(bin, "filter", "-A", "HULL-ISOLATION-1",
                            with_target(r.iso1, "HULL-ISOLATION-2", buf), err) < 0 ||
                    ipt_bin(bin, "filter", "-I", "HULL-ISOLATION-2", r.iso2, err) < 0))
        return hull_error_prefix(err, "isolation");
    if (ipt_bin(bin, "filter", "-A", "HULL-FORWARD", r.in, err) < 0 ||
        ipt_bin(bin, "filter", "-A", "HULL-FORWARD", r.out, err) < 0)
        return hull_error_prefix(err, "firewall");
    return 0;
}

static void family_down(const char *bin, json_t *conf)
{
    struct rules r;
    rules_of(conf, strcmp(bin, "ip6tables") == 0, &r);
    const char *buf[16];
    cleanup_err hull_err *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL, *e6 = NULL;
    ipt_bin(bin, "nat", "-D", "POSTROUTING", r.masq, &e1);
    ipt_bin(bin, "filter", "-D", "HULL-ISOLATION-1", with_target(r.iso1, "HULL-ISOLATION-2", buf),
            &e2);
    ipt_bin(bin, "filter", "-D", "HULL-ISOLATION-2", r.iso2, &e3);
    ipt_bin(bin, "filter", "-D", "HULL-ISOLATION-1", with_target(r.internal, "DROP", buf), &e4);
    ipt_bin(bin, "filter", "-D", "HULL-FORWARD", r.in, &e5);
    ipt_bin(bin, "filter", "-D", "HULL-FORWARD", r.out, &e6);
}

/* The IPv6 half of a dual-stack network gets the same rules from ip6tables. */
int net_firewall_network_up(json_t *conf, hull_err **err)
{
    if (family_up("iptables", conf, err) < 0)
        return -1;
    if (meta_str(conf, "subnet6") && family_up("ip6tables", conf, err) < 0)
        return hull_error_prefix(err, "IPv6");
    return 0;
}

void net_firewall_network_down(json_t *conf)
{
    family_down("iptables", conf);
    if (meta_str(conf, "subnet6"))
        family_down("ip6tables", conf);
}
