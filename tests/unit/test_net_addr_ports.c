/* Unit tests of src/net: addresses and CIDR blocks, address pools (addr.c), -p parsing
 * (ports.c, IPv6 host addresses), IPv4/IPv6 egress allow-lists (egress.c), the CNI result cache
 * (cni_cache.c) and a conflist chain run against fake plugins (cni_list.c, cni_exec.c): prevResult
 * threading, runtimeConfig by capability, DEL in reverse, and a plugin's error message; the
 * rules of hull-portmap (portmap.c): dual-stack DNAT, tags, finding an attachment's rules. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "net/addr.h"
#include "net/cni_cache.h"
#include "net/cni_list.h"
#include "net/egress.h"
#include "net/portmap.h"
#include "net/ports.h"
#include "util/fs.h"

static void test_cidr(void)
{
    hull_err *err = NULL;
    struct net_cidr c, d;
    char buf[20];
    CHECK(net_cidr_parse("10.1.2.3/24", &c, &err) == 0);
    net_cidr_format(&c, buf);
    CHECK(strcmp(buf, "10.1.2.0/24") == 0);
    CHECK(net_cidr_parse("10.1.0.0/16", &d, &err) == 0 && net_cidr_overlap(&c, &d));
    CHECK(net_cidr_parse("10.2.0.0/16", &d, &err) == 0 && !net_cidr_overlap(&c, &d));
    uint32_t ip;
    CHECK(net_ip_parse("10.1.2.200", &ip, &err) == 0 && net_cidr_contains(&c, ip));
    CHECK_ERROR(net_cidr_parse("10.1.2.0/33", &c, &err), &err, "not an IPv4 CIDR");
    CHECK_ERROR(net_cidr_parse("10.1.2.0", &c, &err), &err, "not an IPv4 CIDR");
    CHECK_ERROR(net_ip_parse("300.1.1.1", &ip, &err), &err, "not an IPv4 address");
}

static void test_cidr6(void)
{
    hull_err *err = NULL;
    struct net_cidr6 c, d;
    char buf[50];
    CHECK(net_cidr6_parse("fd00:1:2::/64", &c, false, &err) == 0 && c.prefix == 64);
    net_cidr6_format(&c, buf);
    CHECK(strcmp(buf, "fd00:1:2::/64") == 0);
    CHECK(net_cidr6_parse("fd00:1::/32", &d, false, &err) == 0 && net_cidr6_overlap(&c, &d) &&
          net_cidr6_overlap(&d, &c));
    CHECK(net_cidr6_parse("fd00:1:3::/64", &d, false, &err) == 0 && !net_cidr6_overlap(&c, &d));
    CHECK(net_cidr6_parse("fd00::/64", &d, false, &err) == 0 && !net_cidr6_overlap(&c, &d));
    unsigned char ip[16];
    CHECK(net_ip6_parse("fd00:1:2::ffff", ip, &err) == 0 && net_cidr6_contains(&c, ip));
    CHECK(net_ip6_parse("fd00:1:3::1", ip, &err) == 0 && !net_cidr6_contains(&c, ip));
    CHECK_ERROR(net_cidr6_parse("fd00:1:2::1/64", &c, false, &err), &err,
                "host bits set (did you mean fd00:1:2::/64?)");
    CHECK(net_cidr6_parse("fd00:1:2::1/64", &c, true, &err) == 0);
    CHECK_ERROR(net_cidr6_parse("fd00::/129", &c, false, &err), &err, "not an IPv6 CIDR");
    CHECK_ERROR(net_cidr6_parse("10.0.0.0/8", &c, false, &err), &err, "not an IPv6 CIDR");
    CHECK_ERROR(net_cidr6_parse("fd00::", &c, false, &err), &err, "not an IPv6 CIDR");
    CHECK_ERROR(net_ip6_parse("fd00::g", ip, &err), &err, "not an IPv6 address");
    /* The host's IPv6 routes parse (whatever they are here). */
    struct net_cidr6 *routes = NULL;
    char **devs = NULL;
    size_t n = 0;
    CHECK(net_host_routes6(&routes, &devs, &n, &err) == 0 && devs != NULL && devs[n] == NULL);
    for (size_t i = 0; i < n; i++)
        free(devs[i]);
    free(devs);
    free(routes);
}

static void test_pool(void)
{
    hull_err *err = NULL;
    struct net_pool pool = {{0xac1c0000u, 16}, 24}; /* 172.28.0.0/16 in /24s */
    struct net_cidr taken[2], out;
    char buf[20];
    CHECK(net_cidr_parse("172.28.0.0/24", &taken[0], &err) == 0);
    CHECK(net_cidr_parse("172.28.1.128/25", &taken[1], &err) == 0);
    CHECK(net_pool_allocate(&pool, 1, taken, 2, &out, &err) == 0);
    net_cidr_format(&out, buf);
    CHECK(strcmp(buf, "172.28.2.0/24") == 0);
    CHECK(net_cidr_parse("172.28.0.0/16", &taken[0], &err) == 0);
    CHECK_ERROR(net_pool_allocate(&pool, 1, taken, 1, &out, &err), &err, "fully subnetted");
}

static void test_ports(void)
{
    hull_err *err = NULL;
    struct net_port *p = NULL;
    size_t n = 0;
    CHECK(net_port_parse("8080:80", &p, &n, &err) == 0 && n == 1);
    CHECK(p[0].host_port == 8080 && p[0].container_port == 80 && !strcmp(p[0].proto, "tcp"));
    CHECK(net_port_parse("127.0.0.1::53/udp", &p, &n, &err) == 0 && n == 2);
    CHECK(!strcmp(p[1].host_ip, "127.0.0.1") && p[1].host_port == 0 && !strcmp(p[1].proto, "udp"));
    CHECK(net_port_parse("9000-9001:80-81", &p, &n, &err) == 0 && n == 4);
    CHECK(p[3].host_port == 9001 && p[3].container_port == 81);
    CHECK(net_port_parse("443", &p, &n, &err) == 0 && n == 5 && p[4].host_port == 0);
    CHECK_ERROR(net_port_parse("80/sctp", &p, &n, &err), &err, "invalid protocol");
    CHECK_ERROR(net_port_parse("1:2:3:4", &p, &n, &err), &err, "expected [IP:][HOST:]");
    CHECK_ERROR(net_port_parse("9000-9002:80-81", &p, &n, &err), &err, "differ in size");
    CHECK_ERROR(net_port_parse("x:80", &p, &n, &err), &err, "invalid host port");
    CHECK_ERROR(net_port_parse("1.2.3:80:80", &p, &n, &err), &err, "not an IPv4 address");
    /* IPv6 host addresses, in brackets; ::1 cannot be published by kernel DNAT. */
    CHECK(net_port_parse("[fd00:1::1]:8080:80", &p, &n, &err) == 0 && n == 6);
    CHECK(!strcmp(p[5].host_ip, "fd00:1::1") && p[5].host_port == 8080 &&
          p[5].container_port == 80);
    CHECK(net_port_check_dnat(&p[5], &err) == 0);
    CHECK(net_port_parse("[::1]::53/udp", &p, &n, &err) == 0 && n == 7);
    CHECK(!strcmp(p[6].host_ip, "::1") && p[6].host_port == 0 && !strcmp(p[6].proto, "udp"));
    CHECK_ERROR(net_port_check_dnat(&p[6], &err), &err, "cannot take connections to ::1");
    CHECK(net_port_check_dnat(&p[0], &err) == 0);
    CHECK_ERROR(net_port_parse("[fd00::1]80", &p, &n, &err), &err, "expected [IPV6]:");
    CHECK_ERROR(net_port_parse("[fd00::1]:80", &p, &n, &err), &err, "expected [IPV6]:");
    CHECK_ERROR(net_port_parse("[fd00::g]:80:80", &p, &n, &err), &err, "not an IPv6 address");
    free(p);
}

static void test_egress6(void)
{
    hull_err *err = NULL;
    char out[NET_EGRESS_CIDR_MAX];
    CHECK(net_egress_cidr_normalize_any("10.0.0.0/8", out, &err) == 0 &&
          !strcmp(out, "10.0.0.0/8"));
    CHECK(net_egress_cidr_normalize_any("10.1.2.3", out, &err) == 0 && !strcmp(out, "10.1.2.3/32"));
    CHECK(net_egress_cidr_normalize_any("fd00:1::5", out, &err) == 0 &&
          !strcmp(out, "fd00:1::5/128"));
    CHECK(net_egress_cidr_normalize_any("fd00:1::/48", out, &err) == 0 &&
          !strcmp(out, "fd00:1::/48"));
    CHECK_ERROR(net_egress_cidr_normalize_any("fd00:1::5/64", out, &err), &err,
                "host bits set (did you mean fd00:1::/64?)");
    CHECK_ERROR(net_egress_cidr_normalize_any("fd00::g", out, &err), &err, "--egress-allow");
    char *cidrs[] = {"10.0.0.0/8", "fd00:1::/48", "fd00:2::1/128", NULL};
    char *res[] = {"10.0.0.1", "fd00:1::1", NULL};
    unsigned ports[] = {443};
    struct net_egress e = {.cidrs = cidrs, .ports = ports, .n_ports = 1, .resolvers = res};
    char *script = net_egress_script(&e);
    CHECK(strstr(script, "ip daddr { 10.0.0.0/8 } tcp dport { 443 } accept") != NULL);
    CHECK(strstr(script, "ip6 daddr { fd00:1::/48, fd00:2::1/128 } tcp dport { 443 } accept"));
    CHECK(strstr(script, "ip6 daddr fd00:1::1 meta l4proto { tcp, udp } th dport 53 accept"));
    CHECK(strstr(script, "ip daddr 10.0.0.1 meta l4proto") != NULL);
    CHECK(strstr(script, "nd-neighbor-solicit") != NULL);
    CHECK(strstr(script, "meta nfproto ipv6 drop") == NULL);
    free(script);
}

/* A fake plugin: records its command, name and the prevResult/runtimeConfig it saw, prints a
 * result naming itself (or fails with an error object when its config says so). */
static void write_plugin(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fprintf(f,
            "#!/bin/sh\n"
            "conf=$(cat)\n"
            "echo \"$CNI_COMMAND %s $CNI_IFNAME $conf\" >> %s/log\n"
            "case \"$conf\" in *'\"fail\": true'*|*'\"fail\":true'*)\n"
            "  echo '{\"cniVersion\":\"1.0.0\",\"code\":7,\"msg\":\"bad thing\","
            "\"details\":\"more\"}'; exit 1;; esac\n"
            "[ \"$CNI_COMMAND\" = ADD ] && echo '{\"cniVersion\":\"1.0.0\",\"ips\":"
            "[{\"address\":\"10.0.0.2/24\"}],\"by\":\"%s\"}'\n"
            "exit 0\n",
            name, dir, name);
    fclose(f);
    chmod(path, 0755);
}

static void test_chain(void)
{
    char dir[] = "/tmp/hull-cni-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_plugin(dir, "one");
    write_plugin(dir, "two");
    hull_err *err = NULL;
    json_t *list =
        json_pack("{s:s, s:s, s:[{s:s}, {s:s, s:{s:b}}]}", "cniVersion", "1.0.0", "name", "t",
                  "plugins", "type", "one", "type", "two", "capabilities", "portMappings", 1);
    json_t *caps = json_pack("{s:[i], s:i}", "portMappings", 80, "bandwidth", 1);
    struct net_cni_runtime rt = {.container_id = "c1", .netns = "", .ifname = "eth0", .path = dir};
    json_t *res = NULL;
    CHECK(net_cni_list_add(list, &rt, caps, &res, &err) == 0);
    CHECK(strcmp(json_string_value(json_object_get(res, "by")), "two") == 0);
    CHECK(net_cni_list_del(list, &rt, caps, res, &err) == 0);
    char logp[600];
    snprintf(logp, sizeof logp, "%s/log", dir);
    char *log = NULL;
    size_t len;
    CHECK(fs_read_file(logp, 0, &log, &len, &err) == 0);
    /* ADD one, ADD two (with one's result and only its declared capability), DEL two, DEL one */
    char *lines[4] = {log};
    for (int i = 1; i < 4; i++) {
        char *nl = strchr(lines[i - 1], '\n');
        CHECK(nl != NULL);
        *nl = '\0';
        lines[i] = nl + 1;
    }
    char *l1 = lines[0], *l2 = lines[1], *l3 = lines[2], *l4 = lines[3];
    CHECK(strncmp(l1, "ADD one eth0 ", 13) == 0 && strstr(l1, "prevResult") == NULL &&
          strstr(l1, "runtimeConfig") == NULL);
    CHECK(strncmp(l2, "ADD two eth0 ", 13) == 0 && strstr(l2, "\"by\":\"one\"") &&
          strstr(l2, "\"runtimeConfig\":{\"portMappings\":[80]}") && !strstr(l2, "bandwidth"));
    CHECK(strncmp(l3, "DEL two", 7) == 0 && strncmp(l4, "DEL one", 7) == 0);
    CHECK(strstr(l3, "\"name\":\"t\"") && strstr(l3, "\"by\":\"two\""));
    free(log);
    /* A failing plugin: its message, and the ones before it deleted again. */
    json_object_set_new(json_array_get(json_object_get(list, "plugins"), 1), "fail", json_true());
    json_decref(res);
    unlink(logp);
    CHECK_ERROR(net_cni_list_add(list, &rt, caps, &res, &err), &err,
                "network t: plugin two: ADD: bad thing: more");
    CHECK(fs_read_file(logp, 0, &log, &len, &err) == 0);
    CHECK(strstr(log, "DEL one") != NULL);
    free(log);
    /* A missing plugin names the path searched. */
    json_object_set_new(json_array_get(json_object_get(list, "plugins"), 0), "type",
                        json_string("nosuch"));
    CHECK_ERROR(net_cni_list_add(list, &rt, caps, &res, &err), &err,
                "CNI plugin `nosuch` not found");
    json_decref(list);
    json_decref(caps);
    fs_remove_tree(dir, &err);
}

static void test_cache(void)
{
    char dir[] = "/tmp/hull-cni-cache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    hull_err *err = NULL;
    for (int i = 2; i >= 1; i--) {
        json_t *e =
            json_pack("{s:s, s:s, s:s, s:{s:i}}", "networkName", i == 1 ? "a" : "b", "containerId",
                      "cid", "ifName", i == 1 ? "eth0" : "eth1", "hull", "seq", i);
        CHECK(net_cni_cache_write(fd, i == 1 ? "a" : "b", "cid", i == 1 ? "eth0" : "eth1", e,
                                  &err) == 0);
        json_decref(e);
    }
    json_t *list = NULL;
    CHECK(net_cni_cache_list(fd, "cid", &list, &err) == 0 && json_array_size(list) == 2);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(list, 0), "networkName")), "a"));
    json_decref(list);
    CHECK(net_cni_cache_list(fd, "other", &list, &err) == 0 && json_array_size(list) == 0);
    json_decref(list);
    json_t *one = NULL;
    CHECK(net_cni_cache_read(fd, "b", "cid", "eth1", &one, &err) == 0 && one != NULL);
    json_decref(one);
    CHECK(net_cni_cache_remove(fd, "b", "cid", "eth1", &err) == 0);
    CHECK(net_cni_cache_read(fd, "b", "cid", "eth1", &one, &err) == 0 && one == NULL);
    close(fd);
    fs_remove_tree(dir, &err);
}

static void test_portmap(void)
{
    hull_err *err = NULL;
    char *tag = net_portmap_tag("c0ffee", "eth1");
    EXPECT_STREQ(tag, "c0ffee eth1");
    free(tag);
    /* Quotes would end the comment: a digest instead, the same for the same attachment. */
    char *t1 = net_portmap_tag("evil\" id", "eth0"), *t2 = net_portmap_tag("evil\" id", "eth0");
    EXPECT(strncmp(t1, "sha256:", 7) == 0 && strcmp(t1, t2) == 0);
    free(t1);
    free(t2);
    json_t *conf = json_loads(
        "{\"runtimeConfig\": {\"portMappings\": [{\"hostPort\": 8080, \"containerPort\": 80,"
        " \"protocol\": \"tcp\", \"hostIP\": \"\"}, {\"hostPort\": 53, \"containerPort\": 5353,"
        " \"protocol\": \"udp\", \"hostIP\": \"fd00::1\"}]},"
        " \"prevResult\": {\"interfaces\": [{\"name\": \"nope0\"}, {\"name\": \"eth0\","
        " \"sandbox\": \"/proc/1/ns/net\"}], \"ips\": [{\"address\": \"10.9.8.7/24\", "
        "\"interface\": 1},"
        " {\"address\": \"fd00:1::5/64\", \"interface\": 1}, {\"address\": \"10.1.1.1/16\","
        " \"interface\": 0}]}}",
        0, NULL);
    char *script = NULL, *dev = NULL;
    CHECK(net_portmap_add_script(conf, "T", &script, &dev, &err) == 0 && script != NULL);
    EXPECT(strstr(script, "ip saddr { 10.9.8.0/24, 127.0.0.0/8 } tcp dport 8080 meta mark set") !=
           NULL);
    EXPECT(strstr(script,
                  "meta nfproto ipv4 tcp dport 8080 dnat ip to 10.9.8.7:80 comment \"T\"") != NULL);
    EXPECT(strstr(script, "ip6 saddr fd00:1::/64 tcp dport 8080") != NULL);
    EXPECT(strstr(script, "dnat ip6 to [fd00:1::5]:80") != NULL);
    /* fd00::1 is an IPv6 host address: no IPv4 rule for port 53. */
    EXPECT(strstr(script, "ip6 daddr fd00::1 meta nfproto ipv6 udp dport 53 dnat ip6 to "
                          "[fd00:1::5]:5353") != NULL);
    EXPECT(strstr(script, "udp dport 53 dnat ip to") == NULL);
    /* The host-side interface of the result (not in the container) gets route_localnet. */
    EXPECT_STREQ(dev, "nope0");
    EXPECT(strstr(script, "10.1.1.1") == NULL); /* not the container's */
    EXPECT(strstr(script, "table") == NULL);    /* the rules alone: the table is another script */
    free(script);
    free(dev);
    char *table = net_portmap_table_script(false);
    EXPECT(strncmp(table, "create table inet hull_portmap\n", 31) == 0 && !strstr(table, "flush"));
    free(table);
    table = net_portmap_table_script(true);
    EXPECT(strncmp(table, "add table", 9) == 0 && strstr(table, "flush chain") != NULL);
    free(table);
    /* No mappings, nothing to do; a bad one is named. */
    json_object_set_new(json_object_get(conf, "runtimeConfig"), "portMappings", json_array());
    CHECK(net_portmap_add_script(conf, "T", &script, &dev, &err) == 0 && script == NULL);
    json_array_append_new(
        json_object_get(json_object_get(conf, "runtimeConfig"), "portMappings"),
        json_pack("{s:i, s:i, s:s}", "hostPort", 1, "containerPort", 2, "protocol", "icmp"));
    CHECK(net_portmap_add_script(conf, "T", &script, &dev, &err) < 0);
    EXPECT(strstr(err->msg, "portMappings[0].protocol") != NULL);
    hull_err_free(err);
    err = NULL;
    json_decref(conf);
    /* DEL: the handles of the rules with the attachment's comment. */
    long long *h = NULL;
    size_t n = 0;
    CHECK(net_portmap_handles("{\"nftables\": [{\"metainfo\": {}}, {\"rule\": {\"handle\": 4, "
                              "\"comment\": \"T\"}}, {\"rule\": {\"handle\": 5, \"comment\": "
                              "\"U\"}}, {\"rule\": {\"handle\": 9, \"comment\": \"T\"}}]}",
                              "T", &h, &n, &err) == 0);
    CHECK(n == 2 && h[0] == 4 && h[1] == 9);
    char *del = net_portmap_del_script(h, n);
    EXPECT_STREQ(del, "delete rule inet hull_portmap hostports handle 4\n"
                      "delete rule inet hull_portmap hostports handle 9\n");
    free(del);
    free(h);
    CHECK(net_portmap_handles("nope", "T", &h, &n, &err) < 0);
    hull_err_free(err);
}

int main(void)
{
    test_cidr();
    test_cidr6();
    test_pool();
    test_ports();
    test_egress6();
    test_chain();
    test_cache();
    test_portmap();
    return 0;
}
