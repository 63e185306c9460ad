/* Unit tests of src/net/dns_probe.c: the hand-made A query (bytes, names it refuses), which
 * responses count as answered, and a probe against servers on 127.0.0.1: a closed port
 * (refused at once, ECONNREFUSED), a negative answer (waited past) and an answer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "net/dns_probe.h"

static void test_query_build(void)
{
    uint8_t q[DNS_QUERY_MAX];
    static const uint8_t want[] = {0x12, 0x34, 1,   0, 0,   1, 0, 0, 0, 0, 0, 0, /* header */
                                   2,    'a',  'b', 1, 'c', 0,                   /* ab.c */
                                   0,    1,    0,   1};                          /* A, IN */
    EXPECT(dns_query_build(0x1234, "ab.c", q) == sizeof want);
    EXPECT(memcmp(q, want, sizeof want) == 0);
    EXPECT(dns_query_build(1, "0123456789ab", q) == 12 + 1 + 12 + 1 + 4);
    char label[65];
    memset(label, 'x', 64);
    label[64] = '\0';
    EXPECT(dns_query_build(1, label, q) == 0);
    label[63] = '\0';
    EXPECT(dns_query_build(1, label, q) == 12 + 1 + 63 + 1 + 4);
    EXPECT(dns_query_build(1, "", q) == 0);
    EXPECT(dns_query_build(1, "a..b", q) == 0);
    EXPECT(dns_query_build(1, "a.", q) == 0);
    char longname[300];
    for (size_t i = 0; i < sizeof longname - 1; i++)
        longname[i] = i % 2 ? '.' : 'a';
    longname[sizeof longname - 1] = '\0';
    EXPECT(dns_query_build(1, longname, q) == 0);
}

/* A response to `query` with `rcode` and `answers` records in its header (no record data:
 * only the header counts). */
static size_t response(const uint8_t *query, size_t len, int rcode, int answers, uint8_t *out)
{
    memcpy(out, query, len);
    out[2] = 0x81; /* QR, RD */
    out[3] = (uint8_t)(0x80 | rcode);
    out[7] = (uint8_t)answers;
    return len;
}

static void test_answer_positive(void)
{
    uint8_t q[DNS_QUERY_MAX], r[DNS_QUERY_MAX];
    size_t n = dns_query_build(7, "web", q);
    EXPECT(dns_answer_positive(7, r, response(q, n, 0, 1, r)));
    EXPECT(!dns_answer_positive(8, r, response(q, n, 0, 1, r)));
    EXPECT(!dns_answer_positive(7, r, response(q, n, 3, 0, r))); /* NXDOMAIN */
    EXPECT(!dns_answer_positive(7, r, response(q, n, 0, 0, r))); /* no record */
    EXPECT(!dns_answer_positive(7, r, response(q, n, 2, 1, r))); /* SERVFAIL */
    EXPECT(!dns_answer_positive(7, q, n));                       /* a query, no response */
    EXPECT(!dns_answer_positive(7, r, 11));
}

static int udp_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_probe_refused(void)
{
    uint16_t port;
    close(udp_socket(&port));
    hull_err *err = NULL;
    struct dns_probe p;
    CHECK(dns_probe_open(&p, INADDR_LOOPBACK, port, "web", &err) == 0);
    EXPECT(dns_probe_ask(&p, 5000) == 0);
    EXPECT(p.last_errno == ECONNREFUSED);
    dns_probe_close(&p);
    CHECK_ERROR(dns_probe_open(&p, INADDR_LOOPBACK, port, "a..b", &err), &err, "no DNS name");
}

/* A server that answers its first query NXDOMAIN and the next with a record. */
static void serve_twice(int fd)
{
    for (int i = 0; i < 2; i++) {
        uint8_t q[512], r[512];
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &len);
        if (n <= 0)
            _exit(1);
        size_t rn = response(q, (size_t)n, i == 0 ? 3 : 0, i == 0 ? 0 : 1, r);
        sendto(fd, r, rn, 0, (struct sockaddr *)&from, len);
    }
    _exit(0);
}

static void test_probe_answered(void)
{
    uint16_t port;
    int fd = udp_socket(&port);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0)
        serve_twice(fd);
    close(fd);
    hull_err *err = NULL;
    struct dns_probe p;
    CHECK(dns_probe_open(&p, INADDR_LOOPBACK, port, "web", &err) == 0);
    EXPECT(dns_probe_ask(&p, 100) == 0); /* NXDOMAIN: not an answer */
    EXPECT(dns_probe_ask(&p, 10000) == 1);
    dns_probe_close(&p);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
    RUN(test_query_build);
    RUN(test_answer_positive);
    RUN(test_probe_refused);
    RUN(test_probe_answered);
    TEST_EXIT();
}
