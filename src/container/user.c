/* User and group lookup in an image's layers (see user.h). */
#include "container/user.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "linux/resolve.h"
#include "util/cleanup.h"

void user_ids_clear(struct user_ids *u)
{
    free(u->additional);
    u->additional = NULL;
    u->n_additional = 0;
}

/* The file as the merged root filesystem shows it: the topmost layer with an entry wins; a
 * whiteout (0:0 character device) hides lower ones. *text = NULL when absent. */
static int read_layered(char *const *layers, size_t n, const char *path, char **text,
                        hull_err **err)
{
    *text = NULL;
    for (size_t i = n; i-- > 0;) {
        cleanup_close int root = open(layers[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
            return hull_error(err, errno, "open layer `%s`", layers[i]);
        cleanup_err hull_err *e = NULL;
        cleanup_close int fd = resolve_open_in_root(root, path, O_RDONLY | O_NOFOLLOW, false, &e);
        if (fd < 0)
            continue;
        struct stat st;
        if (fstat(fd, &st) < 0)
            return hull_error(err, errno, "stat `%s`", path);
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0))
            return 0;
        if (!S_ISREG(st.st_mode))
            return 0;
        if (st.st_size > (4 << 20))
            return hull_error(err, 0, "read `%s` of the image", path);
        char *buf = malloc((size_t)st.st_size + 1);
        if (buf == NULL)
            return hull_error(err, ENOMEM, "read `%s`", path);
        ssize_t got = pread(fd, buf, (size_t)st.st_size, 0);
        if (got < 0) {
            free(buf);
            return hull_error(err, errno, "read `%s` of the image", path);
        }
        buf[got] = '\0';
        *text = buf;
        return 0;
    }
    return 0;
}

static bool parse_id(const char *s, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > 0xfffffffeUL)
        return false;
    *out = v;
    return true;
}

/* Field `idx` (0-based) of a colon-separated line, copied into buf. */
static const char *field(const char *line, int idx, char *buf, size_t size)
{
    const char *p = line;
    for (int i = 0; i < idx; i++) {
        p = strchr(p, ':');
        if (p == NULL)
            return NULL;
        p++;
    }
    size_t len = strcspn(p, ":\n");
    if (len >= size)
        len = size - 1;
    memcpy(buf, p, len);
    buf[len] = '\0';
    return buf;
}

/* Find the line whose field 0 (name) equals `name`, or whose field 2 (id) equals `id` when
 * name is NULL. */
static const char *find_line(const char *text, const char *name, unsigned long id)
{
    for (const char *line = text; line && *line;) {
        char f[256];
        if (*line != '#' && *line != '\n') {
            if (name && field(line, 0, f, sizeof f) && strcmp(f, name) == 0)
                return line;
            unsigned long v;
            if (!name && field(line, 2, f, sizeof f) && parse_id(f, &v) && v == id)
                return line;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return NULL;
}

static int add_supplementary(const char *group_text, const char *user, struct user_ids *u)
{
    for (const char *line = group_text; line && *line;) {
        char members[4096], gidbuf[32];
        unsigned long gid;
        if (field(line, 3, members, sizeof members) && field(line, 2, gidbuf, sizeof gidbuf) &&
            parse_id(gidbuf, &gid) && gid != u->gid) {
            for (char *tok, *save = NULL, *p = members; (tok = strtok_r(p, ",", &save)); p = NULL) {
                if (strcmp(tok, user) == 0) {
                    gid_t *n = realloc(u->additional, (u->n_additional + 1) * sizeof *n);
                    if (n == NULL)
                        abort();
                    u->additional = n;
                    u->additional[u->n_additional++] = (gid_t)gid;
                    break;
                }
            }
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return 0;
}

int user_resolve(char *const *layers, size_t n, const char *spec, struct user_ids *out,
                 hull_err **err)
{
    memset(out, 0, sizeof *out);
    if (spec == NULL || *spec == '\0')
        return 0;
    cleanup_free char *copy = strdup(spec);
    char *group = strchr(copy, ':');
    if (group)
        *group++ = '\0';
    const char *user = copy;
    cleanup_free char *passwd = NULL;
    cleanup_free char *groups = NULL;
    if (read_layered(layers, n, "/etc/passwd", &passwd, err) < 0 ||
        read_layered(layers, n, "/etc/group", &groups, err) < 0)
        return -1;

    unsigned long uid;
    char namebuf[256] = "";
    const char *line;
    if (parse_id(user, &uid)) {
        line = passwd ? find_line(passwd, NULL, uid) : NULL;
        out->uid = (uid_t)uid;
        out->gid = 0;
        if (line) {
            char g[32];
            unsigned long gid;
            if (field(line, 3, g, sizeof g) && parse_id(g, &gid))
                out->gid = (gid_t)gid;
            field(line, 0, namebuf, sizeof namebuf);
        }
    } else {
        line = passwd ? find_line(passwd, user, 0) : NULL;
        char f[32];
        unsigned long gid;
        if (line == NULL || !field(line, 2, f, sizeof f) || !parse_id(f, &uid) ||
            !field(line, 3, f, sizeof f) || !parse_id(f, &gid))
            return hull_error(err, 0,
                              "unable to find user `%s`: no matching entry in the "
                              "image's /etc/passwd",
                              user);
        out->uid = (uid_t)uid;
        out->gid = (gid_t)gid;
        snprintf(namebuf, sizeof namebuf, "%s", user);
    }
    if (group && *group) {
        unsigned long gid;
        if (parse_id(group, &gid)) {
            out->gid = (gid_t)gid;
        } else {
            const char *gl = groups ? find_line(groups, group, 0) : NULL;
            char f[32];
            if (gl == NULL || !field(gl, 2, f, sizeof f) || !parse_id(f, &gid))
                return hull_error(err, 0,
                                  "unable to find group `%s`: no matching entry in "
                                  "the image's /etc/group",
                                  group);
            out->gid = (gid_t)gid;
        }
    } else if (groups && namebuf[0]) {
        add_supplementary(groups, namebuf, out);
    }
    return 0;
}
