/* The attach socket from hull's side, and the detach key sequence (see attach.h). */
#include "container/attach.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor/monitor_attach.h"

/* DIR/attach.sock through the directory fd: short whatever the data root is. */
static void socket_address(int dirfd, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", dirfd, ATTACH_SOCKET_NAME);
}

int attach_listen(int dirfd, hull_err **err)
{
    struct sockaddr_un sa;
    socket_address(dirfd, &sa);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return hull_error(err, errno, "attach socket");
    if (unlinkat(dirfd, ATTACH_SOCKET_NAME, 0) < 0 && errno != ENOENT) {
        int e = errno;
        close(fd);
        return hull_error(err, e, "remove the stale %s", ATTACH_SOCKET_NAME);
    }
    /* The container directory is 0700 already; 0600 says the same on the socket itself. */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        fchmodat(dirfd, ATTACH_SOCKET_NAME, 0600, 0) < 0 || listen(fd, ATTACH_MAX_CLIENTS) < 0) {
        int e = errno;
        close(fd);
        unlinkat(dirfd, ATTACH_SOCKET_NAME, 0);
        return hull_error(err, e, "listen on %s", ATTACH_SOCKET_NAME);
    }
    return fd;
}

int attach_connect_fd(int fd, int dirfd)
{
    struct sockaddr_un sa;
    socket_address(dirfd, &sa);
    return connect(fd, (struct sockaddr *)&sa, sizeof sa);
}

int attach_connect(int dirfd)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (attach_connect_fd(fd, dirfd) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* `ctrl-X` -> its control code, -1 when X is not one docker accepts. */
static int ctrl_code(const char *x)
{
    if (strlen(x) != 1)
        return -1;
    int c = tolower((unsigned char)x[0]);
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 1;
    static const char punct[] = "@[\\]^_"; /* 0, 27, 28, 29, 30, 31 */
    const char *p = strchr(punct, c);
    if (p == NULL)
        return -1;
    return p == punct ? 0 : 27 + (int)(p - punct) - 1;
}

int detach_keys_parse(const char *spec, unsigned char keys[DETACH_KEYS_MAX], size_t *n,
                      hull_err **err)
{
    *n = 0;
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char key[16];
        if (len == 0 || len >= sizeof key)
            return hull_error(err, 0,
                              "invalid detach keys `%s`: expected keys separated by commas, "
                              "each a character or ctrl-a..ctrl-z, ctrl-@, ctrl-[, ctrl-\\, "
                              "ctrl-], ctrl-^, ctrl-_",
                              spec);
        memcpy(key, p, len);
        key[len] = '\0';
        int code = -1;
        if (len == 1)
            code = (unsigned char)key[0];
        else if (strncasecmp(key, "ctrl-", 5) == 0)
            code = ctrl_code(key + 5);
        if (code < 0)
            return hull_error(err, 0,
                              "invalid detach keys `%s`: unknown key `%s` (a character, or ctrl- "
                              "and one of a-z @ [ \\ ] ^ _)",
                              spec, key);
        if (*n == DETACH_KEYS_MAX)
            return hull_error(err, 0, "invalid detach keys `%s`: more than %d keys", spec,
                              DETACH_KEYS_MAX);
        keys[(*n)++] = (unsigned char)code;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

size_t detach_filter(struct detach_matcher *m, const char *in, size_t len, char *out,
                     bool *detached)
{
    size_t o = 0;
    *detached = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)in[i];
        if (m->n == 0) {
            out[o++] = (char)b;
            continue;
        }
        if (b != m->keys[m->matched] && m->matched > 0) {
            /* The sequence broke: what was held back goes on, and b may start it anew. */
            memcpy(out + o, m->keys, m->matched);
            o += m->matched;
            m->matched = 0;
        }
        if (b == m->keys[m->matched]) {
            if (++m->matched == m->n) {
                m->matched = 0;
                *detached = true;
                return o;
            }
            continue;
        }
        out[o++] = (char)b;
    }
    return o;
}
