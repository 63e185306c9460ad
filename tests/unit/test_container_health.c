/* Unit tests of health checks: Go durations (parse and print), docker's merge of --health-*
 * flags over the image's Healthcheck and its validation, the probe argv, docker's state
 * transitions, the monitor's schedule (src/container/health.c, src/monitor/health_sched.c). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "container/health.h"
#include "monitor/health_sched.h"
#include "util/cleanup.h"

#define MS  1000000LL
#define SEC 1000000000LL

static long long dur(const char *text)
{
    hull_err *err = NULL;
    long long ns = -42;
    if (health_parse_duration(text, &ns, &err) < 0) {
        fprintf(stderr, "parse `%s`: %s\n", text, err->msg);
        exit(1);
    }
    return ns;
}

static void test_parse_duration(void)
{
    CHECK(dur("0") == 0);
    CHECK(dur("0s") == 0);
    CHECK(dur("30s") == 30 * SEC);
    CHECK(dur("500ms") == 500 * MS);
    CHECK(dur("1m30s") == 90 * SEC);
    CHECK(dur("1h") == 3600 * SEC);
    CHECK(dur("1.5h") == 5400 * SEC);
    CHECK(dur("2h45m") == (2 * 3600 + 45 * 60) * SEC);
    CHECK(dur(".5s") == 500 * MS);
    CHECK(dur("1.s") == SEC);
    CHECK(dur("0.3s") == 300 * MS);
    CHECK(dur("100ns") == 100);
    CHECK(dur("7us") == 7000);
    CHECK(dur("7\xc2\xb5s") == 7000);
    CHECK(dur("7\xce\xbcs") == 7000);
    CHECK(dur("1s500ms") == 1500 * MS);
    CHECK(dur("+2s") == 2 * SEC);
    CHECK(dur("-2s") == -2 * SEC);
    CHECK(dur("2562047h") == 2562047LL * 3600 * SEC); /* near Go's maximum */
    hull_err *err = NULL;
    long long ns;
    CHECK_ERROR(health_parse_duration("", &ns, &err), &err, "invalid duration ``: empty");
    CHECK_ERROR(health_parse_duration("5", &ns, &err), &err, "missing unit");
    CHECK_ERROR(health_parse_duration("5x", &ns, &err), &err, "unknown unit");
    CHECK_ERROR(health_parse_duration("5 s", &ns, &err), &err, "unknown unit");
    CHECK_ERROR(health_parse_duration("abc", &ns, &err), &err, "expected a number");
    CHECK_ERROR(health_parse_duration(".s", &ns, &err), &err, "expected a number");
    CHECK_ERROR(health_parse_duration("-", &ns, &err), &err, "empty");
    CHECK_ERROR(health_parse_duration("3000000h", &ns, &err), &err, "out of range");
    CHECK_ERROR(health_parse_duration("99999999999999999999s", &ns, &err), &err, "out of range");
}

static void check_format(long long ns, const char *want)
{
    char buf[48];
    health_format_duration(ns, buf, sizeof buf);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "format %lld: got `%s`, want `%s`\n", ns, buf, want);
        exit(1);
    }
}

static void test_format_duration(void)
{
    check_format(0, "0s");
    check_format(30 * SEC, "30s");
    check_format(300 * MS, "300ms");
    check_format(1500 * MS, "1.5s");
    check_format(90 * SEC, "1m30s");
    check_format(60 * SEC, "1m0s");
    check_format(3600 * SEC, "1h0m0s");
    check_format(3723 * SEC + 500 * MS, "1h2m3.5s");
    check_format(1500, "1.5\xc2\xb5s");
    check_format(1, "1ns");
    check_format(1234567, "1.234567ms");
    check_format(-2 * SEC, "-2s");
    /* Round trip through the parser. */
    const char *texts[] = {"1m30s", "500ms", "2h0m0s", "1.25s", "999ns"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        check_format(dur(texts[i]), texts[i]);
}

static long long field(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static const char *test_at(json_t *o, size_t i)
{
    return json_string_value(json_array_get(json_object_get(o, "Test"), i));
}

static void test_merge(void)
{
    hull_err *err = NULL;
    json_t *out = NULL;
    const char *image_test[] = {"CMD", "/bin/check", "-q", NULL};
    struct health_config image = {image_test, 10 * SEC, 0, 60 * SEC, 0, 5};
    /* Nothing anywhere: no Healthcheck. */
    CHECK(health_config_merge(NULL, NULL, false, &out, &err) == 0 && out == NULL);
    /* The image's alone, zero fields omitted as docker's JSON does. */
    CHECK(health_config_merge(&image, NULL, false, &out, &err) == 0);
    CHECK(strcmp(test_at(out, 0), "CMD") == 0 && strcmp(test_at(out, 2), "-q") == 0);
    CHECK(field(out, "Interval") == 10 * SEC && field(out, "StartPeriod") == 60 * SEC);
    CHECK(json_object_get(out, "Timeout") == NULL && field(out, "Retries") == 5);
    CHECK(health_config_active(out));
    json_decref(out);
    /* Flags override field by field; what they leave unset comes from the image. */
    const char *shell[] = {"CMD-SHELL", "curl -f localhost", NULL};
    struct health_config flags = {shell, 0, 3 * SEC, 0, 0, 0};
    CHECK(health_config_merge(&image, &flags, false, &out, &err) == 0);
    CHECK(strcmp(test_at(out, 0), "CMD-SHELL") == 0);
    CHECK(field(out, "Interval") == 10 * SEC && field(out, "Timeout") == 3 * SEC);
    CHECK(field(out, "Retries") == 5);
    json_decref(out);
    /* Flags without a command keep the image's test. */
    struct health_config only_interval = {NULL, 200 * MS, 0, 0, 0, 0};
    CHECK(health_config_merge(&image, &only_interval, false, &out, &err) == 0);
    CHECK(strcmp(test_at(out, 1), "/bin/check") == 0 && field(out, "Interval") == 200 * MS);
    json_decref(out);
    /* ... and without an image test there is nothing to run. */
    CHECK(health_config_merge(NULL, &only_interval, false, &out, &err) == 0);
    CHECK(json_object_get(out, "Test") == NULL && !health_config_active(out));
    json_decref(out);
    /* --no-healthcheck: Test ["NONE"], not active. */
    CHECK(health_config_merge(&image, NULL, true, &out, &err) == 0);
    CHECK(strcmp(test_at(out, 0), "NONE") == 0 &&
          json_array_size(json_object_get(out, "Test")) == 1);
    CHECK(!health_config_active(out));
    json_decref(out);
    /* An image's ["NONE"] disables, and flags can bring a test back. */
    const char *none[] = {"NONE", NULL};
    struct health_config image_none = {none, 0, 0, 0, 0, 0};
    CHECK(health_config_merge(&image_none, NULL, false, &out, &err) == 0 &&
          !health_config_active(out));
    json_decref(out);
    CHECK(health_config_merge(&image_none, &flags, false, &out, &err) == 0 &&
          health_config_active(out));
    json_decref(out);
    /* docker's validation, on the merged values (image values included). */
    struct health_config tiny = {shell, 500000, 0, 0, 0, 0};
    CHECK_ERROR(health_config_merge(NULL, &tiny, false, &out, &err), &err,
                "Interval in Healthcheck cannot be less than 1ms");
    struct health_config image_tiny = {image_test, 0, 10, 0, 0, 0};
    CHECK_ERROR(health_config_merge(&image_tiny, NULL, false, &out, &err), &err,
                "Timeout in Healthcheck cannot be less than 1ms");
    struct health_config sp = {shell, 0, 0, 1, 0, 0};
    CHECK_ERROR(health_config_merge(NULL, &sp, false, &out, &err), &err, "StartPeriod in");
    struct health_config si = {shell, 0, 0, 0, 999999, 0};
    CHECK_ERROR(health_config_merge(NULL, &si, false, &out, &err), &err, "StartInterval in");
    struct health_config neg = {shell, 0, 0, 0, 0, -1};
    CHECK_ERROR(health_config_merge(NULL, &neg, false, &out, &err), &err,
                "Retries in Healthcheck cannot be negative");
    struct health_config one_ms = {shell, MS, MS, MS, MS, 1};
    CHECK(health_config_merge(NULL, &one_ms, false, &out, &err) == 0);
    json_decref(out);
}

static void test_probe_argv_and_timing(void)
{
    json_t *hc = json_pack("{s:[s,s]}", "Test", "CMD-SHELL", "echo hi; exit 1");
    cleanup_free char **argv = health_probe_argv(hc);
    CHECK(argv && strcmp(argv[0], "/bin/sh") == 0 && strcmp(argv[1], "-c") == 0 &&
          strcmp(argv[2], "echo hi; exit 1") == 0 && argv[3] == NULL);
    struct health_timing t;
    health_timing_from_json(hc, &t);
    CHECK(t.interval == 30 * SEC && t.timeout == 30 * SEC && t.start_period == 0 &&
          t.start_interval == 5 * SEC && t.retries == 3);
    json_decref(hc);
    hc = json_pack("{s:[s,s,s], s:I, s:I}", "Test", "CMD", "/bin/check", "--fast", "Interval",
                   (json_int_t)(2 * SEC), "Retries", (json_int_t)7);
    cleanup_free char **argv2 = health_probe_argv(hc);
    CHECK(strcmp(argv2[0], "/bin/check") == 0 && strcmp(argv2[1], "--fast") == 0 && !argv2[2]);
    health_timing_from_json(hc, &t);
    CHECK(t.interval == 2 * SEC && t.retries == 7);
    json_decref(hc);
    /* Not runnable: CMD without a program, CMD-SHELL without a command, unknown kinds. */
    const char *bad[] = {"{\"Test\":[\"CMD\"]}", "{\"Test\":[\"CMD-SHELL\"]}",
                         "{\"Test\":[\"SHELL\",\"x\"]}", "{\"Test\":[]}", "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hc = json_loads(bad[i], 0, NULL);
        CHECK(hc && !health_config_active(hc) && health_probe_argv(hc) == NULL);
        json_decref(hc);
    }
}

static void test_transitions(void)
{
    struct health_timing t = {.interval = SEC,
                              .timeout = SEC,
                              .start_period = 10 * SEC,
                              .start_interval = SEC,
                              .retries = 2};
    struct health_state s = {HEALTH_STARTING, 0};
    /* Failures inside the start period do not count while starting. */
    health_apply_result(&s, 1, 1 * SEC, &t);
    health_apply_result(&s, -1, 9 * SEC, &t);
    CHECK(s.status == HEALTH_STARTING && s.failing_streak == 0);
    /* A success ends it (healthy), and later failures count even inside the period. */
    health_apply_result(&s, 0, 9 * SEC, &t);
    CHECK(s.status == HEALTH_HEALTHY && s.failing_streak == 0);
    health_apply_result(&s, 1, 9 * SEC, &t);
    CHECK(s.status == HEALTH_HEALTHY && s.failing_streak == 1);
    health_apply_result(&s, 2, 9 * SEC, &t);
    CHECK(s.status == HEALTH_UNHEALTHY && s.failing_streak == 2);
    health_apply_result(&s, 1, 20 * SEC, &t);
    CHECK(s.status == HEALTH_UNHEALTHY && s.failing_streak == 3);
    health_apply_result(&s, 0, 21 * SEC, &t);
    CHECK(s.status == HEALTH_HEALTHY && s.failing_streak == 0);
    /* After the start period, failures while starting count: Retries of them -> unhealthy. */
    struct health_state s2 = {HEALTH_STARTING, 0};
    health_apply_result(&s2, 1, 10 * SEC, &t);
    CHECK(s2.status == HEALTH_STARTING && s2.failing_streak == 1);
    health_apply_result(&s2, 1, 11 * SEC, &t);
    CHECK(s2.status == HEALTH_UNHEALTHY && s2.failing_streak == 2);
    /* Without a start period the first failures count at once. */
    t.start_period = 0;
    struct health_state s3 = {HEALTH_STARTING, 0};
    health_apply_result(&s3, 1, 0, &t);
    CHECK(s3.failing_streak == 1 && s3.status == HEALTH_STARTING);
    CHECK(strcmp(health_status_name(HEALTH_UNHEALTHY), "unhealthy") == 0);
    CHECK(health_status_parse("healthy") == HEALTH_HEALTHY);
    CHECK(health_status_parse("bogus") == HEALTH_STARTING);
}

static void test_schedule(void)
{
    char dir[] = "/tmp/hull-health-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    char *argv[] = {"/bin/true", NULL};
    struct health_sched h;
    CHECK(health_sched_load(&h, dfd, argv) == 0); /* no file: no health check */
    CHECK(health_schedule_write(dfd, 30 * SEC, 60 * SEC, 5 * SEC) == 0);
    CHECK(health_sched_load(&h, dfd, argv) == 1);
    CHECK(h.interval_ns == 30 * SEC && h.start_period_ns == 60 * SEC &&
          h.start_interval_ns == 5 * SEC && h.timer_fd == -1 && h.probe == 0);
    /* StartInterval during the start period until a probe passes, Interval after. */
    h.started_ns = 1000 * SEC;
    CHECK(health_sched_next_delay(&h, 1000 * SEC) == 5 * SEC);
    CHECK(health_sched_next_delay(&h, 1059 * SEC) == 5 * SEC);
    CHECK(health_sched_next_delay(&h, 1060 * SEC) == 30 * SEC);
    h.succeeded = true;
    CHECK(health_sched_next_delay(&h, 1001 * SEC) == 30 * SEC);
    /* No start period: Interval from the start. */
    h.start_period_ns = 0;
    h.succeeded = false;
    CHECK(health_sched_next_delay(&h, 1000 * SEC) == 30 * SEC);
    /* A damaged file means no probes rather than a crash. */
    int fd = openat(dfd, HEALTH_SCHEDULE_NAME, O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && write(fd, "garbage\n", 8) == 8);
    close(fd);
    CHECK(health_sched_load(&h, dfd, argv) == 0);
    /* The timer and a real probe child: it is reaped, noted and the timer re-armed. */
    CHECK(health_schedule_write(dfd, 1 * MS, 0, 0) == 0);
    CHECK(health_sched_load(&h, dfd, argv) == 1);
    CHECK(health_sched_start(&h) == 0 && h.timer_fd >= 0);
    usleep(5000);
    health_sched_on_timer(&h);
    CHECK(h.probe > 0);
    int status;
    pid_t p = waitpid(h.probe, &status, 0);
    CHECK(health_sched_reaped(&h, p, status) && h.probe == 0 && h.succeeded);
    CHECK(!health_sched_reaped(&h, p, status)); /* not the probe any more */
    health_sched_stop(&h);
    CHECK(h.timer_fd == -1);
    unlinkat(dfd, HEALTH_SCHEDULE_NAME, 0);
    close(dfd);
    rmdir(dir);
}

static void test_parse_time(void)
{
    CHECK(health_parse_time_ns("1970-01-01T00:00:01.5Z") == 1500 * MS);
    CHECK(health_parse_time_ns("1970-01-01T00:00:02.000000123Z") == 2 * SEC + 123);
    CHECK(health_parse_time_ns("1970-01-01T00:01:00Z") == 60 * SEC);
    CHECK(health_parse_time_ns("garbage") == 0);
}

int main(void)
{
    test_parse_duration();
    test_format_duration();
    test_merge();
    test_probe_argv_and_timing();
    test_transitions();
    test_schedule();
    test_parse_time();
    puts("ok");
    return 0;
}
