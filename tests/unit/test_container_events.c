/* Unit tests for container/events.c (the event log writer) and container/events_read.c
 * (filters, reader, rotation). */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "monitor/events.h"
#include "container/events_read.h"
#include "util/fs.h"

static json_t *ev_json(const char *type, const char *action, const char *id, const char *attrs)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"Type\":\"%s\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\",\"Attributes\":{%s}},"
             "\"scope\":\"local\",\"time\":1,\"timeNano\":1000000001}",
             type, action, id, attrs);
    json_t *ev = json_loads(text, 0, NULL);
    CHECK(ev != NULL);
    return ev;
}

static bool matches(const char *const *filters, json_t *ev)
{
    struct event_filter *f = NULL;
    hull_err *err = NULL;
    for (; *filters; filters++)
        CHECK(event_filter_add(&f, *filters, &err) == 0);
    bool m = event_filter_match(f, ev);
    event_filter_free(f);
    return m;
}

static void test_attrs_escaped(void)
{
    char buf[256] = "";
    CHECK(event_attr_append(buf, sizeof buf, "name", "we\"b\n") == 0);
    CHECK(event_attr_append(buf, sizeof buf, "k\\", "v") == 0);
    CHECK(strcmp(buf, "\"name\":\"we\\\"b\\u000a\",\"k\\\\\":\"v\"") == 0);
    char small[16] = "";
    CHECK(event_attr_append(small, sizeof small, "name", "a-long-value") < 0);
    CHECK(small[0] == '\0');
}

static void test_filters(void)
{
    json_t *die =
        ev_json("container", "die", "abcdef0123",
                "\"name\":\"web\",\"image\":\"busybox\",\"app\":\"x\",\"exitCode\":\"1\"");
    json_t *hs = ev_json("container", "health_status: healthy", "abcdef0123", "\"name\":\"web\"");
    json_t *vol = ev_json("volume", "create", "data", "\"driver\":\"local\"");
    CHECK(matches((const char *[]){NULL}, die));
    CHECK(matches((const char *[]){"container=web", NULL}, die));
    CHECK(matches((const char *[]){"container=abc", NULL}, die));
    CHECK(!matches((const char *[]){"container=xyz", NULL}, die));
    CHECK(matches((const char *[]){"event=start", "event=die", NULL}, die));
    CHECK(!matches((const char *[]){"event=die", "type=volume", NULL}, die));
    CHECK(matches((const char *[]){"event=health_status", NULL}, hs));
    CHECK(!matches((const char *[]){"event=health", NULL}, hs));
    CHECK(matches((const char *[]){"image=busybox:latest", NULL}, die));
    CHECK(matches((const char *[]){"label=app", "label=app=x", NULL}, die));
    CHECK(!matches((const char *[]){"label=app", "label=app=y", NULL}, die));
    CHECK(matches((const char *[]){"volume=data", "type=volume", NULL}, vol));
    CHECK(!matches((const char *[]){"container=data", NULL}, vol));
    struct event_filter *f = NULL;
    hull_err *err = NULL;
    CHECK_ERROR(event_filter_add(&f, "nope=1", &err), &err, "invalid filter 'nope'");
    CHECK_ERROR(event_filter_add(&f, "type=thing", &err), &err, "invalid filter 'type=thing'");
    CHECK_ERROR(event_filter_add(&f, "container", &err), &err, "bad format of filter");
    event_filter_free(f);
    json_decref(die);
    json_decref(hs);
    json_decref(vol);
}

static void test_write_read_rotate(const char *root)
{
    char attrs[256] = "";
    event_attr_append(attrs, sizeof attrs, "name", "web");
    struct event ev = {"container", "start", "0123", "busybox", attrs};
    CHECK(event_log_append(root, &ev) == 0);
    struct event_reader *rd = NULL;
    hull_err *err = NULL;
    CHECK(event_reader_open(root, &rd, &err) == 0);
    json_t *got = event_reader_next(rd, 0);
    CHECK(got != NULL);
    CHECK(strcmp(json_string_value(json_object_get(got, "status")), "start") == 0);
    CHECK(strcmp(json_string_value(json_object_get(got, "from")), "busybox") == 0);
    CHECK(strcmp(json_string_value(json_object_get(
                     json_object_get(json_object_get(got, "Actor"), "Attributes"), "name")),
                 "web") == 0);
    CHECK(event_time_ns(got) / 1000000000LL ==
          (long long)json_integer_value(json_object_get(got, "time")));
    json_decref(got);
    CHECK(event_reader_next(rd, 0) == NULL);
    /* Past the cap the log moves to events.log.1 and a new one starts; the reader goes on. */
    long n = EVENT_LOG_MAX_SIZE / 100; /* lines are ~170 bytes: rotates once */
    for (long i = 0; i < n; i++)
        CHECK(event_log_append(root, &ev) == 0);
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", root, EVENT_LOG_OLD_NAME);
    CHECK(stat(path, &st) == 0 && st.st_size >= EVENT_LOG_MAX_SIZE);
    snprintf(path, sizeof path, "%s/%s", root, EVENT_LOG_NAME);
    CHECK(stat(path, &st) == 0 && st.st_size < EVENT_LOG_MAX_SIZE);
    long seen = 0;
    while ((got = event_reader_next(rd, 0)) != NULL) {
        seen++;
        json_decref(got);
    }
    CHECK(seen == n);
    event_reader_close(rd);
}

int main(void)
{
    test_attrs_escaped();
    test_filters();
    char root[] = "/tmp/hull-events-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    test_write_read_rotate(root);
    hull_err *err = NULL;
    CHECK(fs_remove_tree(root, &err) == 0);
    return 0;
}
