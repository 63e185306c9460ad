/* A DNS readiness probe (see dns_probe.h). */
#include "net/dns_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/time.h"

#define DNS_HEADER                 12
#define DNS_FLAG_RESPONSE          0x8000
#define DNS_FLAG_RECURSION_DESIRED 0x0100
#define DNS_RCODE_MASK             0x000f
#define DNS_TYPE_A                 1
#define DNS_CLASS_IN               1

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

size_t dns_query_build(uint16_t id, const char *name, uint8_t buf[DNS_QUERY_MAX])
{
    memset(buf, 0, DNS_HEADER);
    put16(buf, id);
    put16(buf + 2, DNS_FLAG_RECURSION_DESIRED);
    put16(buf + 4, 1); /* QDCOUNT */
    size_t at = DNS_HEADER;
    const char *label = name;
    for (;;) {
        size_t n = strcspn(label, ".");
        /* An empty label ends the name: only the root may be empty, and the name must not be. */
        if (n == 0 || n > 63 || at - DNS_HEADER + 1 + n + 1 > 255)
            return 0;
        buf[at++] = (uint8_t)n;
        memcpy(buf + at, label, n);
        at += n;
        if (label[n] == '\0')
            break;
        label += n + 1;
    }
    buf[at++] = 0;
    put16(buf + at, DNS_TYPE_A);
    put16(buf + at + 2, DNS_CLASS_IN);
    return at + 4;
}

bool dns_answer_positive(uint16_t id, const uint8_t *msg, size_t len)
{
    if (len < DNS_HEADER || get16(msg) != id)
        return false;
    uint16_t flags = get16(msg + 2);
    return (flags & DNS_FLAG_RESPONSE) && (flags & DNS_RCODE_MASK) == 0 && get16(msg + 6) > 0;
}

int dns_probe_open(struct dns_probe *p, uint32_t server, uint16_t port, const char *name,
                   hull_err **err)
{
    p->fd = -1;
    p->last_errno = 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    p->id = (uint16_t)(now.tv_nsec ^ getpid());
    p->len = dns_query_build(p->id, name, p->query);
    if (p->len == 0)
        return hull_error(err, EINVAL, "`%s` is no DNS name", name);
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (p->fd < 0)
        return hull_error(err, errno, "DNS probe socket");
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(server)};
    if (connect(p->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        dns_probe_close(p);
        return hull_error(err, e, "DNS probe: connect to port %u", (unsigned)port);
    }
    return 0;
}

int dns_probe_ask(struct dns_probe *p, int wait_ms)
{
    /* A refusal of an earlier query can still be pending on the socket: it fails this send
     * and is gone, so the query is sent once more. */
    ssize_t sent = send(p->fd, p->query, p->len, 0);
    if (sent < 0 && errno == ECONNREFUSED)
        sent = send(p->fd, p->query, p->len, 0);
    if (sent < 0) {
        p->last_errno = errno;
        return 0;
    }
    long long end = time_monotonic_ms() + wait_ms;
    for (;;) {
        long long left = end - time_monotonic_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        uint8_t msg[512];
        ssize_t got = recv(p->fd, msg, sizeof msg, 0);
        if (got < 0 && errno != EAGAIN && errno != EINTR) {
            /* ECONNREFUSED: nothing listens (the kernel's port unreachable). */
            p->last_errno = errno;
            return 0;
        }
        if (got > 0 && dns_answer_positive(p->id, msg, (size_t)got))
            return 1;
    }
}

void dns_probe_close(struct dns_probe *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}
