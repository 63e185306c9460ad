/* Unit tests of `hull ps` selection (src/container/ps_filter.c): docker's --filter keys and
 * their messages, OR within a key and AND across keys (label: AND), -a, -n, status implying
 * -a, before/since. */
#include <string.h>

#include "check.h"
#include "container/ps_filter.h"
#include "util/cleanup.h"

#define ID_A                                                                                       \
    "aaaa1111"                                                                                     \
    "0000000000000000000000000000000000000000000000000000000a"
#define ID_B                                                                                       \
    "aaaa2222"                                                                                     \
    "0000000000000000000000000000000000000000000000000000000b"
#define ID_C                                                                                       \
    "cccc0000"                                                                                     \
    "0000000000000000000000000000000000000000000000000000000c"
#define ID_D                                                                                       \
    "dddd0000"                                                                                     \
    "0000000000000000000000000000000000000000000000000000000d"
#define ID_E                                                                                       \
    "eeee0000"                                                                                     \
    "0000000000000000000000000000000000000000000000000000000e"

#define IMG_BUSYBOX "sha256:b0b0"
#define IMG_ALPINE  "sha256:a1a1"

/* Five containers, newest first: web1 (running, healthy), web2 (paused), db (exited 3,
 * unhealthy when it stopped), job (exited 0), fresh (created). */
static struct container_ps_facts list[5];
static json_t *docs[5];

static void setup(void)
{
    docs[0] = json_pack("{s:{s:s, s:s}, s:[{s:s, s:s, s:s}]}", "Labels", "app", "web", "tier",
                        "front", "Mounts", "Name", "webdata", "Source", "/v/webdata/_data",
                        "Destination", "/data");
    docs[1] = json_pack("{s:{s:s}, s:[{s:s, s:s}]}", "Labels", "app", "web", "Mounts", "Source",
                        "/srv/www", "Destination", "/www");
    docs[2] = json_pack("{s:{s:s, s:s}, s:[{s:s}]}", "Labels", "app", "db", "empty", "", "Mounts",
                        "Destination", "/tmp");
    docs[3] = json_pack("{s:{}, s:[]}", "Labels", "Mounts");
    docs[4] = json_pack("{s:n, s:n}", "Labels", "Mounts");
    static const struct {
        const char *id, *name;
        enum container_state_kind state;
        int code;
        const char *health, *image;
    } c[5] = {
        {ID_A, "web1", CONTAINER_RUNNING, 0, "healthy", IMG_BUSYBOX},
        {ID_B, "web2", CONTAINER_PAUSED, 0, "none", IMG_BUSYBOX},
        {ID_C, "db", CONTAINER_EXITED, 3, "unhealthy", IMG_ALPINE},
        {ID_D, "job.1", CONTAINER_EXITED, 0, "none", IMG_BUSYBOX},
        {ID_E, "fresh", CONTAINER_CREATED, 0, "none", IMG_ALPINE},
    };
    for (int i = 0; i < 5; i++) {
        list[i] = (struct container_ps_facts){
            .id = c[i].id,
            .name = c[i].name,
            .state = c[i].state,
            .exit_code = c[i].code,
            .labels = json_object_get(docs[i], "Labels"),
            .mounts = json_object_get(docs[i], "Mounts"),
            .image_id = c[i].image,
        };
        snprintf(list[i].health, sizeof list[i].health, "%s", c[i].health);
    }
}

static char *fake_resolve(void *ctx, const char *ref)
{
    (void)ctx;
    if (strcmp(ref, "busybox") == 0 || strcmp(ref, "busybox:latest") == 0 ||
        strcmp(ref, "b0b") == 0)
        return strdup(IMG_BUSYBOX);
    if (strcmp(ref, "alpine:3") == 0)
        return strdup(IMG_ALPINE);
    return NULL;
}

/* Names shown for `filters` (NULL-terminated) with -a/-n, joined by spaces. */
static char *shown_opts(bool all, long last, const char *const *filters)
{
    cleanup_container_ps_filter container_ps_filter *f = container_ps_filter_new();
    for (const char *const *p = filters; *p; p++) {
        hull_err *err = NULL;
        if (container_ps_filter_add(f, *p, &err) < 0) {
            fprintf(stderr, "filter `%s`: %s\n", *p, err->msg);
            exit(1);
        }
    }
    container_ps_filter_resolve_images(f, fake_resolve, NULL);
    struct container_ps_options opt = {.all = all, .last = last};
    size_t out[5], n = 99;
    hull_err *err = NULL;
    if (container_ps_select(f, list, 5, &opt, out, &n, &err) < 0) {
        char *msg = strdup(err->msg);
        hull_err_free(err);
        return msg;
    }
    char buf[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len +=
            (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "", list[out[i]].name);
    return strdup(buf);
}

#define SHOWN(all, last, expect, ...)                                                              \
    do {                                                                                           \
        static const char *const fl_[] = {__VA_ARGS__, NULL};                                      \
        cleanup_free char *got_ = shown_opts(all, last, fl_);                                      \
        if (strcmp(got_, expect) != 0) {                                                           \
            fprintf(stderr, "%s:%d: shown `%s`, expected `%s`\n", __FILE__, __LINE__, got_,        \
                    expect);                                                                       \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void test_refused(void)
{
    cleanup_container_ps_filter container_ps_filter *f = container_ps_filter_new();
    hull_err *err = NULL;
    CHECK_ERROR(container_ps_filter_add(f, "foo=bar", &err), &err, "invalid filter 'foo'");
    CHECK_ERROR(container_ps_filter_add(f, "network=x", &err), &err, "invalid filter 'network'");
    CHECK_ERROR(container_ps_filter_add(f, "status", &err), &err,
                "bad format of filter 'status' (expected name=value)");
    CHECK_ERROR(container_ps_filter_add(f, "status=up", &err), &err, "invalid filter 'status=up'");
    CHECK_ERROR(container_ps_filter_add(f, "status=Running", &err), &err,
                "invalid filter 'status=Running'");
    CHECK_ERROR(container_ps_filter_add(f, "health=ok", &err), &err,
                "Unrecognised filter value for health: ok");
    CHECK_ERROR(container_ps_filter_add(f, "exited=x", &err), &err, "invalid filter 'exited=x'");
    CHECK_ERROR(container_ps_filter_add(f, "exited=", &err), &err, "invalid filter 'exited='");
    CHECK_ERROR(container_ps_filter_add(f, "exited=99999999999", &err), &err,
                "invalid filter 'exited=99999999999'");
    /* Nothing refused was kept; an empty argument adds nothing (docker's FilterOpt). */
    CHECK(container_ps_filter_add(f, "", &err) == 0);
    CHECK(!container_ps_filter_lists_all(f) && !container_ps_filter_has_ancestor(f));
    /* Keys are case-insensitive; keys and values trimmed. */
    CHECK(container_ps_filter_add(f, " Status = exited ", &err) == 0);
    CHECK(container_ps_filter_lists_all(f));
    CHECK(container_ps_filter_add(f, "ANCESTOR=busybox", &err) == 0);
    CHECK(container_ps_filter_has_ancestor(f));
    CHECK(container_ps_filter_add(f, "exited=-1", &err) == 0);
    CHECK(container_ps_filter_add(f, "exited=+3", &err) == 0);
}

static void test_selection_without_filters(void)
{
    SHOWN(false, -1, "web1 web2", "");
    SHOWN(true, -1, "web1 web2 db job.1 fresh", "");
    /* -n: the N newest, every state; 0 or less is no limit. */
    SHOWN(false, 1, "web1", "");
    SHOWN(false, 3, "web1 web2 db", "");
    SHOWN(false, 9, "web1 web2 db job.1 fresh", "");
    SHOWN(false, 0, "web1 web2", "");
    SHOWN(true, 2, "web1 web2", "");
}

static void test_status_and_exited(void)
{
    /* A status filter lists stopped containers without -a (docker sets All). */
    SHOWN(false, -1, "db job.1", "status=exited");
    SHOWN(false, -1, "db job.1 fresh", "status=exited", "status=created");
    SHOWN(false, -1, "web1", "status=running");
    SHOWN(false, -1, "web2", "status=paused");
    SHOWN(false, -1, "", "status=dead", "status=removing", "status=restarting");
    /* exited= does not: without -a it shows nothing (stopped ones are not listed). */
    SHOWN(false, -1, "", "exited=3");
    SHOWN(true, -1, "db", "exited=3");
    SHOWN(true, -1, "db job.1", "exited=3", "exited=0");
    /* Only exited containers have an exit code: the running/created ones with 0 do not match. */
    SHOWN(true, -1, "job.1", "exited=0");
    SHOWN(false, -1, "job.1", "exited=0", "status=exited");
    /* -n counts what passes the filters. */
    SHOWN(false, 1, "db", "status=exited");
    SHOWN(false, 1, "job.1", "exited=0");
}

static void test_id_and_name(void)
{
    SHOWN(true, -1, "web1 web2", "id=aaaa");
    SHOWN(true, -1, "web1", "id=aaaa1");
    SHOWN(true, -1, "web1 db", "id=aaaa1", "id=cc");
    SHOWN(true, -1, "", "id=0000");                     /* a prefix, not a substring */
    SHOWN(true, -1, "web1 web2 db job.1 fresh", "id="); /* empty prefix: everything */
    SHOWN(true, -1, "web1 web2", "name=web");
    SHOWN(true, -1, "web1 web2", "name=eb"); /* substring */
    SHOWN(true, -1, "web1", "name=^web1$");
    SHOWN(true, -1, "web1 web2", "name=^/web"); /* docker also matches "/name" */
    SHOWN(true, -1, "web1 fresh", "name=web1", "name=fresh");
    SHOWN(true, -1, "db job.1", "name=^(db|job)");
    SHOWN(true, -1, "job.1", "name=job.1");
    SHOWN(true, -1, "", "name=nothing");
    /* An expression that does not compile matches the name exactly. */
    SHOWN(true, -1, "", "name=web(");
    /* Different keys AND. */
    SHOWN(true, -1, "web2", "name=web", "id=aaaa2");
    SHOWN(true, -1, "", "name=db", "id=aaaa");
}

static void test_label_health_volume_ancestor(void)
{
    SHOWN(true, -1, "web1 web2 db", "label=app");
    SHOWN(true, -1, "web1 web2", "label=app=web");
    /* label: every value must hold (docker's MatchKVList). */
    SHOWN(true, -1, "web1", "label=app=web", "label=tier");
    SHOWN(true, -1, "", "label=app=web", "label=app=db");
    SHOWN(true, -1, "db", "label=empty=");
    SHOWN(true, -1, "db", "label=empty");
    SHOWN(true, -1, "", "label=tier=back");

    SHOWN(true, -1, "web1", "health=healthy");
    SHOWN(true, -1, "db", "health=unhealthy");
    SHOWN(true, -1, "web2 job.1 fresh", "health=none");
    SHOWN(true, -1, "web1 db", "health=healthy", "health=unhealthy");
    SHOWN(false, -1, "web1", "health=healthy", "health=unhealthy");
    SHOWN(true, -1, "", "health=starting");

    SHOWN(true, -1, "web1", "volume=webdata");      /* volume name */
    SHOWN(true, -1, "web1", "volume=/data");        /* destination */
    SHOWN(true, -1, "", "volume=/v/webdata/_data"); /* a volume's path is not its name */
    SHOWN(true, -1, "web2", "volume=/srv/www");     /* bind mount: the host path */
    SHOWN(true, -1, "db", "volume=/tmp");           /* tmpfs: the destination */
    SHOWN(true, -1, "web1 web2", "volume=/data", "volume=/www");
    SHOWN(true, -1, "", "volume=/dat");

    SHOWN(true, -1, "web1 web2 job.1", "ancestor=busybox");
    SHOWN(true, -1, "web1 web2 job.1", "ancestor=b0b");
    SHOWN(true, -1, "web1 web2 db job.1 fresh", "ancestor=busybox:latest", "ancestor=alpine:3");
    /* An image the store does not know matches nothing, even with a known one. */
    SHOWN(true, -1, "", "ancestor=nosuch");
    SHOWN(true, -1, "db fresh", "ancestor=nosuch", "ancestor=alpine:3");
    SHOWN(false, -1, "web1 web2", "ancestor=busybox");
    SHOWN(true, -1, "job.1", "ancestor=busybox", "status=exited");
}

static void test_before_since(void)
{
    /* before: created earlier than db; since: created later than db. */
    SHOWN(true, -1, "job.1 fresh", "before=db");
    SHOWN(true, -1, "web1 web2", "since=db");
    SHOWN(false, -1, "web1 web2", "since=/db");
    SHOWN(false, -1, "", "before=db");
    SHOWN(true, -1, "job.1", "before=" ID_C, "since=fresh");
    SHOWN(true, -1, "web2", "since=cccc", "before=aaaa1");
    SHOWN(true, -1, "job.1", "before=web1", "status=exited", "name=job");
    SHOWN(true, 1, "web2", "before=web1");
    SHOWN(true, -1, "no such container: nope", "before=nope");
    SHOWN(true, -1, "since=aaaa: the ID prefix names several containers", "since=aaaa");
}

int main(void)
{
    setup();
    test_refused();
    test_selection_without_filters();
    test_status_and_exited();
    test_id_and_name();
    test_label_health_volume_ancestor();
    test_before_since();
    for (int i = 0; i < 5; i++)
        json_decref(docs[i]);
    puts("ok");
    return 0;
}
