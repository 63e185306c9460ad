/* Appending to the event log (see events.h). libc only. */
#include "monitor/events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* JSON string body of s into dst (no quotes); returns the length needed. */
static size_t json_escape(char *dst, size_t size, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        const char *rep = tmp;
        size_t len;
        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            len = 2;
        } else if (*p < 0x20) {
            len = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        } else {
            tmp[0] = (char)*p;
            len = 1;
        }
        if (n + len < size)
            memcpy(dst + n, rep, len);
        n += len;
    }
    if (size)
        dst[n < size ? n : size - 1] = '\0';
    return n;
}

int event_attr_append(char *buf, size_t size, const char *key, const char *value)
{
    size_t used = strlen(buf);
    char k[512], v[2048];
    if (json_escape(k, sizeof k, key) >= sizeof k || json_escape(v, sizeof v, value) >= sizeof v)
        return -1;
    int n = snprintf(buf + used, size - used, "%s\"%s\":\"%s\"", used ? "," : "", k, v);
    if (n < 0 || (size_t)n >= size - used) {
        buf[used] = '\0';
        return -1;
    }
    return 0;
}

/* Past the size cap: move the log aside, once, under the rotation lock. */
static void maybe_rotate(int rootfd, int logfd)
{
    struct stat st;
    if (fstat(logfd, &st) < 0 || st.st_size < EVENT_LOG_MAX_SIZE)
        return;
    int lock = openat(rootfd, EVENT_LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0)
        return;
    if (flock(lock, LOCK_EX | LOCK_NB) == 0) {
        /* Still the same, still too big (another writer may have rotated it meanwhile). */
        struct stat now;
        if (fstatat(rootfd, EVENT_LOG_NAME, &now, 0) == 0 && now.st_ino == st.st_ino &&
            now.st_size >= EVENT_LOG_MAX_SIZE)
            renameat(rootfd, EVENT_LOG_NAME, rootfd, EVENT_LOG_OLD_NAME);
    }
    close(lock);
}

int event_log_append(const char *data_root, const struct event *ev)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char id[1024], action[256], type[64], from[1024];
    json_escape(id, sizeof id, ev->id ? ev->id : "");
    json_escape(action, sizeof action, ev->action);
    json_escape(type, sizeof type, ev->type);
    json_escape(from, sizeof from, ev->from ? ev->from : "");
    const char *attrs = ev->attrs ? ev->attrs : "";
    char line[EVENT_LINE_MAX];
    char legacy[2600] = "";
    if (strcmp(ev->type, "container") == 0 || strcmp(ev->type, "image") == 0)
        snprintf(legacy, sizeof legacy, "\"status\":\"%s\",\"id\":\"%s\",%s%s%s", action, id,
                 ev->from ? "\"from\":\"" : "", ev->from ? from : "", ev->from ? "\"," : "");
    long long sec = (long long)ts.tv_sec;
    long long nano = sec * 1000000000LL + ts.tv_nsec;
    int n = snprintf(line, sizeof line,
                     "{%s\"Type\":\"%s\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\","
                     "\"Attributes\":{%s}},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
                     legacy, type, action, id, attrs, sec, nano);
    if (n < 0 || (size_t)n >= sizeof line) /* attributes too long: keep the event without them */
        n = snprintf(line, sizeof line,
                     "{%s\"Type\":\"%s\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\","
                     "\"Attributes\":{}},\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld}\n",
                     legacy, type, action, id, sec, nano);
    int rootfd = open(data_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return -1;
    int fd = openat(rootfd, EVENT_LOG_NAME, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        close(rootfd);
        errno = e;
        return -1;
    }
    /* One write: O_APPEND places it whole at the end, never between another writer's bytes. */
    ssize_t w = write(fd, line, (size_t)n);
    int e = errno;
    maybe_rotate(rootfd, fd);
    close(fd);
    close(rootfd);
    if (w != n) {
        errno = w < 0 ? e : EIO;
        return -1;
    }
    return 0;
}

int event_attrs_read(int dirfd, char *image, size_t image_size, char *attrs, size_t attrs_size)
{
    image[0] = attrs[0] = '\0';
    char buf[EVENT_LINE_MAX];
    int fd = openat(dirfd, EVENT_ATTRS_NAME, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    char *nl = strchr(buf, '\n');
    if (nl == NULL)
        return -1;
    *nl = '\0';
    snprintf(image, image_size, "%s", buf);
    snprintf(attrs, attrs_size, "%s", nl + 1);
    return 0;
}
