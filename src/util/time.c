/* RFC 3339 timestamps (time.h). */
#include "util/time.h"

#include <stdio.h>

/* Days since 1970-01-01 to a proleptic Gregorian date: the day count is shifted to start on
 * 0000-03-01, so that the leap day ends each 4/100/400-year cycle (an era is 400 years,
 * 146097 days) and months run March..February with lengths 153 days per 5 months. */
static void civil_from_days(long long days, long long *year, unsigned *month, unsigned *day)
{
    days += 719468; /* 0000-03-01 to 1970-01-01 */
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);                       /* [0, 146096] */
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    unsigned mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (long long)yoe + era * 400 + (*month <= 2);
}

char *time_rfc3339(char out[TIME_RFC3339_MAX], const struct timespec *ts, bool nanos)
{
    long long secs = (long long)ts->tv_sec;
    long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    unsigned rem = (unsigned)(secs - days * 86400);
    long long year;
    unsigned month, day;
    civil_from_days(days, &year, &month, &day);
    /* Every field is in range already; the clamps tell the compiler the widths. */
    int y = year > 99999 ? 99999 : year < -9999 ? -9999 : (int)year;
    unsigned mo = month % 100u, d = day % 100u, h = rem / 3600 % 100u, mi = rem / 60 % 60,
             s = rem % 60;
    if (nanos)
        snprintf(out, TIME_RFC3339_MAX, "%04d-%02u-%02uT%02u:%02u:%02u.%09luZ", y, mo, d, h, mi, s,
                 (unsigned long)ts->tv_nsec % 1000000000ul);
    else
        snprintf(out, TIME_RFC3339_MAX, "%04d-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, s);
    return out;
}

char *time_rfc3339_now(char out[TIME_RFC3339_MAX], bool nanos)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return time_rfc3339(out, &ts, nanos);
}

long long time_monotonic_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
