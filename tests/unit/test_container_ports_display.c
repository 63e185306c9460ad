/* Unit tests of the PORTS column of `hull ps` (src/container/ports_display.c): docker's
 * ranges for ports published on their own number and for exposed ports, one entry per other
 * mapping, order by container port, IPv6 in brackets. */
#include <stdlib.h>

#include "check.h"
#include "container/ports_display.h"

static void expect_display(const char *json, const char *want)
{
    json_error_t e;
    json_t *ports = json_loads(json, 0, &e);
    CHECK(ports != NULL);
    char *got = container_ports_display(ports);
    EXPECT_STREQ(got, want);
    free(got);
    json_decref(ports);
}

static void test_empty_and_single(void)
{
    expect_display("{}", "");
    expect_display("{\"80/tcp\": null}", "80/tcp");
    expect_display("{\"80/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8080\"}]}",
                   "0.0.0.0:8080->80/tcp");
    expect_display("{\"80/tcp\": [{\"HostIp\": \"\", \"HostPort\": \"8080\"}]}",
                   "0.0.0.0:8080->80/tcp");
}

static void test_ranges(void)
{
    /* -p 8000-8002:8000-8002: one range; exposed 7000-7001 and 9000/udp: ranges per proto */
    expect_display("{\"8002/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8002\"}],"
                   " \"8000/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8000\"}],"
                   " \"8001/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8001\"}]}",
                   "0.0.0.0:8000-8002->8000-8002/tcp");
    expect_display("{\"7001/tcp\": null, \"7000/tcp\": null, \"9000/udp\": null}",
                   "7000-7001/tcp, 9000/udp");
    /* a gap closes a range */
    expect_display("{\"1/tcp\": null, \"2/tcp\": null, \"4/tcp\": null}", "1-2/tcp, 4/tcp");
}

static void test_other_numbers_follow_one_by_one(void)
{
    expect_display("{\"90/udp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"9090\"}],"
                   " \"91/udp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"9091\"}],"
                   " \"7000/tcp\": null}",
                   "7000/tcp, 0.0.0.0:9090->90/udp, 0.0.0.0:9091->91/udp");
    expect_display("{\"80/tcp\": [{\"HostIp\": \"127.0.0.1\", \"HostPort\": \"53679\"},"
                   " {\"HostIp\": \"::1\", \"HostPort\": \"53680\"}]}",
                   "127.0.0.1:53679->80/tcp, [::1]:53680->80/tcp");
    expect_display("{\"443/tcp\": [{\"HostIp\": \"fd00::1\", \"HostPort\": \"443\"}]}",
                   "[fd00::1]:443->443/tcp");
}

int main(void)
{
    RUN(test_empty_and_single);
    RUN(test_ranges);
    RUN(test_other_numbers_follow_one_by_one);
    TEST_EXIT();
}
