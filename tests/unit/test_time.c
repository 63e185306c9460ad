/* Unit tests for util/time.c: RFC 3339 in UTC, whatever the local time zone. */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "util/time.h"

static void test_formats(void)
{
    char out[TIME_RFC3339_MAX];
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 0};
    EXPECT_STREQ(time_rfc3339(out, &ts, false), "1970-01-01T00:00:00Z");
    ts = (struct timespec){.tv_sec = 1796519171, .tv_nsec = 5};
    EXPECT_STREQ(time_rfc3339(out, &ts, false), "2026-12-06T01:06:11Z");
    EXPECT_STREQ(time_rfc3339(out, &ts, true), "2026-12-06T01:06:11.000000005Z");
    ts.tv_nsec = 999999999;
    EXPECT_STREQ(time_rfc3339(out, &ts, true), "2026-12-06T01:06:11.999999999Z");
    /* A leap day, and a year with five digits still fits. */
    ts = (struct timespec){.tv_sec = 951782400};
    EXPECT_STREQ(time_rfc3339(out, &ts, false), "2000-02-29T00:00:00Z");
    ts = (struct timespec){.tv_sec = 253402300800LL};
    EXPECT_STREQ(time_rfc3339(out, &ts, false), "10000-01-01T00:00:00Z");
}

/* The local zone has no say: UTC with a Z. */
static void test_zone_ignored(void)
{
    setenv("TZ", "Asia/Kolkata", 1);
    tzset();
    char out[TIME_RFC3339_MAX];
    struct timespec ts = {.tv_sec = 1796519171};
    EXPECT_STREQ(time_rfc3339(out, &ts, false), "2026-12-06T01:06:11Z");
    time_rfc3339_now(out, true);
    EXPECT(strlen(out) == 30 && out[10] == 'T' && out[19] == '.' && out[29] == 'Z');
}

/* Day by day (and at odd seconds) over 1600..2500, against the C library's gmtime_r. */
static void test_against_gmtime(void)
{
    char out[TIME_RFC3339_MAX], want[64];
    for (long long t = -11676096000LL; t < 16725225600LL; t += 86400 * 7 + 3601) {
        struct timespec ts = {.tv_sec = (time_t)t};
        time_t tt = (time_t)t;
        struct tm tm;
        CHECK(gmtime_r(&tt, &tm) != NULL);
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        time_rfc3339(out, &ts, false);
        if (strcmp(out, want) != 0) {
            EXPECT_STREQ(out, want);
            return;
        }
    }
}

int main(void)
{
    RUN(test_against_gmtime);
    RUN(test_formats);
    RUN(test_zone_ignored);
    TEST_EXIT();
}
