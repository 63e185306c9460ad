/* RFC 3339 timestamps (time.h). */
#include "util/time.h"

#include <stdio.h>

char *time_rfc3339(char out[TIME_RFC3339_MAX], const struct timespec *ts, bool nanos)
{
    struct tm tm;
    time_t secs = ts->tv_sec;
    gmtime_r(&secs, &tm);
    int n = snprintf(out, TIME_RFC3339_MAX, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (n > 0 && n < TIME_RFC3339_MAX - 12) {
        if (nanos)
            snprintf(out + n, (size_t)(TIME_RFC3339_MAX - n), ".%09ldZ", (long)ts->tv_nsec);
        else
            snprintf(out + n, (size_t)(TIME_RFC3339_MAX - n), "Z");
    }
    return out;
}

char *time_rfc3339_now(char out[TIME_RFC3339_MAX], bool nanos)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return time_rfc3339(out, &ts, nanos);
}
