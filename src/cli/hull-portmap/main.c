/* hull-portmap: hull's CNI plugin for published ports (the portMappings capability), in place
 * of Debian's portmap in the conflists hull makes. CNI 1.0: ADD, DEL, CHECK, VERSION; the
 * config on standard input, the result or an error object on standard output. The rules are
 * src/net/portmap.c's; this program applies them with libnftables, one transaction per
 * command, sets route_localnet on the bridge for 127.0.0.1, and forgets the conntrack entries
 * of published UDP ports (as portmap does). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/portmap.h"
#include "oci/json_read.h"
#include "util/cleanup.h"

static const char usage[] =
    "Usage: CNI_COMMAND=ADD|DEL|CHECK|VERSION CNI_CONTAINERID=ID CNI_IFNAME=IF hull-portmap < "
    "CONFIG\n"
    "\n"
    "A CNI plugin (CNI 1.0) that publishes the portMappings capability's ports with nftables:\n"
    "kernel DNAT from the host's addresses to the container (table inet " NET_PORTMAP_TABLE "),\n"
    "hairpin and 127.0.0.1 by masquerade. Chain it after the bridge plugin in a conflist:\n"
    "  {\"type\": \"hull-portmap\", \"capabilities\": {\"portMappings\": true}}\n"
    "See docs/networking.md.\n";

/* CNI error codes (the spec's; 100 and up are the plugin's own). */
enum { CNI_INCOMPATIBLE = 1, CNI_ENV = 4, CNI_DECODE = 6, CNI_CONFIG = 7, CNI_NFT = 100 };

static int fail(const char *version, int code, const char *msg, const char *details)
{
    json_t *e = json_pack("{s:s, s:i, s:s, s:s}", "cniVersion", version, "code", code, "msg", msg,
                          "details", details ? details : "");
    json_dumpf(e, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(e);
    return 1;
}

/* One libnftables context for the whole run (its start-up, the caches and /etc/iproute2 reads,
 * is the dear part of a command). Both its buffers are emptied after every command, so one
 * command's output never shows up in the next one's. */
static struct nft_ctx *nft_open(void)
{
    struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    if (ctx) {
        nft_ctx_buffer_error(ctx);
        nft_ctx_buffer_output(ctx);
    }
    return ctx;
}

static void nft_closep(struct nft_ctx **ctx)
{
    if (*ctx)
        nft_ctx_free(*ctx);
}

/* Run `cmd`; with `listing`, its JSON output (with handles) is returned there. On failure the
 * first line of nft's error is in *why. */
static int nft(struct nft_ctx *ctx, const char *cmd, char **listing, char **why)
{
    nft_ctx_output_set_flags(ctx, listing ? NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE : 0);
    int rc = nft_run_cmd_from_buffer(ctx, cmd);
    const char *out = nft_ctx_get_output_buffer(ctx);
    const char *m = nft_ctx_get_error_buffer(ctx);
    if (rc != 0) {
        m = m ? m : "";
        *why = strndup(m, strcspn(m, "\n"));
    } else if (listing) {
        *listing = strdup(out ? out : "");
    }
    return rc == 0 ? 0 : -1;
}

/* The handles of the attachment's rules; none when the table is not there. */
static int find_rules(struct nft_ctx *ctx, const char *tag, long long **handles, size_t *n,
                      char **why)
{
    *handles = NULL;
    *n = 0;
    cleanup_free char *listing = NULL;
    if (nft(ctx, NET_PORTMAP_LIST, &listing, why) < 0) {
        if (strstr(*why, "No such file or directory") == NULL)
            return -1;
        free(*why);
        *why = NULL;
        return 0;
    }
    hull_err *e = NULL;
    if (net_portmap_handles(listing, tag, handles, n, &e) < 0) {
        *why = strdup(e->msg);
        hull_err_free(e);
        return -1;
    }
    return 0;
}

static int cmd_del(struct nft_ctx *ctx, const char *version, const char *tag)
{
    /* A rule deleted meanwhile (by a second DEL of the same attachment) fails the whole
     * transaction: the listing is taken again once. */
    for (int attempt = 0;; attempt++) {
        cleanup_free long long *handles = NULL;
        size_t n = 0;
        cleanup_free char *why = NULL;
        if (find_rules(ctx, tag, &handles, &n, &why) < 0)
            return fail(version, CNI_NFT, "list " NET_PORTMAP_TABLE " rules", why);
        if (n == 0)
            return 0;
        cleanup_free char *script = net_portmap_del_script(handles, n);
        if (nft(ctx, script, NULL, &why) == 0)
            return 0;
        if (attempt == 1)
            return fail(version, CNI_NFT, "delete " NET_PORTMAP_TABLE " rules", why);
    }
}

/* The rules, with the table when it is not there yet (a read, not a `create table` that fails:
 * an aborted transaction waits for an RCU grace period as a deletion does), or with the table
 * made anew when adding them alone fails (its chains were removed). */
static int add_rules(struct nft_ctx *ctx, const char *rules, char **why)
{
    bool exists = nft(ctx, "list chain inet " NET_PORTMAP_TABLE " postrouting", NULL, why) == 0;
    for (int repair = 0; repair < 2; repair++) {
        cleanup_free char *table = exists && !repair ? NULL : net_portmap_table_script(repair);
        cleanup_free char *script = NULL;
        if (asprintf(&script, "%s%s", table ? table : "", rules) < 0)
            abort();
        free(*why);
        *why = NULL;
        if (nft(ctx, script, NULL, why) == 0)
            return 0;
    }
    return -1;
}

static void set_route_localnet(const char *dev)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/sys/net/ipv4/conf/%.16s/route_localnet", dev);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    char c = 0;
    if (read(fd, &c, 1) != 1 || c != '1') {
        ssize_t w = pwrite(fd, "1", 1, 0);
        (void)w;
    }
    close(fd);
}

/* A UDP flow to a host port that started before the port was published (a client that keeps
 * sending: WireGuard, DNS, game servers) has a conntrack entry made without the DNAT, which
 * its packets keep alive: they would never reach the container. ADD deletes the entries of
 * the published UDP ports (libnetfilter_conntrack), whatever their addresses. */
struct ct_flush {
    struct nfct_handle *del;
    const uint16_t *ports; /* network byte order */
    size_t n;
};

static int ct_visit(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
    (void)type;
    const struct ct_flush *f = data;
    if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP)
        return NFCT_CB_CONTINUE;
    uint16_t dport = nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST);
    for (size_t i = 0; i < f->n; i++)
        if (f->ports[i] == dport) {
            nfct_query(f->del, NFCT_Q_DESTROY, ct); /* gone meanwhile: fine */
            break;
        }
    return NFCT_CB_CONTINUE;
}

static void forget_udp_flows(json_t *conf)
{
    uint16_t ports[64];
    size_t n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(json_object_get(conf, "runtimeConfig"), "portMappings"), i,
                       m)
    {
        const char *proto = json_string_value(json_object_get(m, "protocol"));
        if (proto && strcmp(proto, "udp") == 0 && n < sizeof ports / sizeof *ports)
            ports[n++] = htons((uint16_t)json_integer_value(json_object_get(m, "hostPort")));
    }
    if (n == 0)
        return;
    struct nfct_handle *dump = nfct_open(CONNTRACK, 0);
    struct ct_flush f = {.del = nfct_open(CONNTRACK, 0), .ports = ports, .n = n};
    if (dump && f.del) {
        nfct_callback_register(dump, NFCT_T_ALL, ct_visit, &f);
        for (uint32_t family = AF_INET;; family = AF_INET6) {
            nfct_query(dump, NFCT_Q_DUMP, &family);
            if (family == AF_INET6)
                break;
        }
    }
    if (dump)
        nfct_close(dump);
    if (f.del)
        nfct_close(f.del);
}

static size_t rule_count(const char *script)
{
    size_t n = 0;
    for (const char *p = script; (p = strstr(p, "add rule inet " NET_PORTMAP_TABLE " hostports "));
         p++)
        n++;
    return n;
}

int main(int argc, char **argv)
{
    const char *command = getenv("CNI_COMMAND");
    if (argc > 1 || command == NULL) {
        bool help = argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fputs(usage, help || argc == 1 ? stdout : stderr);
        return help || argc == 1 ? 0 : 1;
    }
    if (strcmp(command, "VERSION") == 0) {
        puts("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\","
             "\"1.0.0\"]}");
        return 0;
    }
    json_error_t je;
    cleanup_json json_t *conf = json_loadf(stdin, 0, &je);
    if (!json_is_object(conf))
        return fail("1.0.0", CNI_DECODE, "decode the network config on standard input",
                    conf ? "not a JSON object" : je.text);
    const char *version = json_string_value(json_object_get(conf, "cniVersion"));
    version = version ? version : "1.0.0";
    const char *id = getenv("CNI_CONTAINERID"), *ifname = getenv("CNI_IFNAME");
    if (id == NULL || *id == '\0' || ifname == NULL || *ifname == '\0')
        return fail(version, CNI_ENV, "CNI_CONTAINERID and CNI_IFNAME are required", NULL);
    cleanup_free char *tag = net_portmap_tag(id, ifname);
    __attribute__((cleanup(nft_closep))) struct nft_ctx *ctx = nft_open();
    if (ctx == NULL)
        return fail(version, CNI_NFT, "libnftables: no context", NULL);
    if (strcmp(command, "DEL") == 0)
        return cmd_del(ctx, version, tag);
    bool add = strcmp(command, "ADD") == 0;
    if (!add && strcmp(command, "CHECK") != 0)
        return fail(version, CNI_ENV, "CNI_COMMAND: not ADD, DEL, CHECK or VERSION", command);
    cleanup_free char *script = NULL, *dev = NULL, *why = NULL;
    hull_err *e = NULL;
    if (net_portmap_add_script(conf, tag, &script, &dev, &e) < 0) {
        int rc = fail(version, CNI_CONFIG, "network config", e->msg);
        hull_err_free(e);
        return rc;
    }
    if (add) {
        if (script && add_rules(ctx, script, &why) < 0)
            return fail(version, CNI_NFT, "add " NET_PORTMAP_TABLE " rules", why);
        if (dev)
            set_route_localnet(dev);
        if (script)
            forget_udp_flows(conf);
        /* The result is the previous one, unchanged. */
        json_t *prev = json_object_get(conf, "prevResult");
        cleanup_json json_t *res = json_is_object(prev) ? json_copy(prev) : json_object();
        json_object_set_new(res, "cniVersion", json_string(version));
        json_dumpf(res, stdout, JSON_COMPACT);
        putchar('\n');
        return 0;
    }
    cleanup_free long long *handles = NULL;
    size_t n = 0;
    if (find_rules(ctx, tag, &handles, &n, &why) < 0)
        return fail(version, CNI_NFT, "list " NET_PORTMAP_TABLE " rules", why);
    size_t want = script ? rule_count(script) : 0;
    if (n != want) {
        char details[96];
        snprintf(details, sizeof details, "%zu rules of this attachment, %zu expected", n, want);
        return fail(version, CNI_NFT, "CHECK: the published ports' rules differ", details);
    }
    return 0;
}
