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

/* A socket's directory (borrowed or own fd) and its name there. */
struct attach_place {
    int dirfd;
    int own; /* dirfd when it is ours to close, else -1 */
    const char *name;
};

static void place_close(struct attach_place *p)
{
    if (p->own >= 0)
        close(p->own);
    p->own = -1;
}

static void place_of_dir(const container_record *r, struct attach_place *p)
{
    *p = (struct attach_place){.dirfd = r->dirfd, .own = -1, .name = ATTACH_SOCKET_NAME};
}

/* The store's attach directory (made when `make` and missing); -1 with errno. */
static int place_of_store(const container_store *cs, const container_record *r, bool make,
                          struct attach_place *p)
{
    int fd = open(cs->attach_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && make) {
        if (mkdir(cs->attach_dir, 0700) < 0 && errno != EEXIST)
            return -1;
        fd = open(cs->attach_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0)
        return -1;
    *p = (struct attach_place){.dirfd = fd, .own = fd, .name = r->id};
    return 0;
}

/* The socket through its directory's fd: short whatever the path is. */
static void socket_address(const struct attach_place *p, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s", p->dirfd, p->name);
}

int attach_listen(const container_store *cs, const container_record *r, hull_err **err)
{
    struct attach_place p;
    if (cs->attach_dir == NULL)
        place_of_dir(r, &p);
    else if (place_of_store(cs, r, true, &p) < 0)
        return hull_error(err, errno, "attach socket directory `%s`", cs->attach_dir);
    struct sockaddr_un sa;
    socket_address(&p, &sa);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        place_close(&p);
        return hull_error(err, errno, "attach socket");
    }
    if (unlinkat(p.dirfd, p.name, 0) < 0 && errno != ENOENT) {
        int e = errno;
        close(fd);
        place_close(&p);
        return hull_error(err, e, "remove the stale attach socket");
    }
    /* The directory is 0700 already; 0600 says the same on the socket itself. */
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || fchmodat(p.dirfd, p.name, 0600, 0) < 0 ||
        listen(fd, ATTACH_MAX_CLIENTS) < 0) {
        int e = errno;
        close(fd);
        unlinkat(p.dirfd, p.name, 0);
        place_close(&p);
        return hull_error(err, e, "listen on the attach socket");
    }
    place_close(&p);
    return fd;
}

int attach_connect_fd(int fd, const container_store *cs, const container_record *r)
{
    struct attach_place p;
    struct sockaddr_un sa;
    if (cs->attach_dir && place_of_store(cs, r, false, &p) == 0) {
        socket_address(&p, &sa);
        int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
        int e = errno;
        place_close(&p);
        if (rc == 0 || e != ENOENT)
            return errno = e, rc;
    }
    /* No store place, or no socket there: a run started by an older hull listens in DIR. */
    place_of_dir(r, &p);
    socket_address(&p, &sa);
    return connect(fd, (struct sockaddr *)&sa, sizeof sa);
}

int attach_connect(const container_store *cs, const container_record *r)
{
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (attach_connect_fd(fd, cs, r) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

void attach_remove(const container_store *cs, const container_record *r)
{
    struct attach_place p;
    if (cs->attach_dir == NULL)
        place_of_dir(r, &p);
    else if (place_of_store(cs, r, false, &p) < 0)
        return;
    unlinkat(p.dirfd, p.name, 0);
    place_close(&p);
}

const char *attach_monitor_dir(const container_store *cs)
{
    return cs->attach_dir ? cs->attach_dir : "-";
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
