/* Timestamps as docker and the OCI tools write them: RFC 3339 in UTC; the monotonic clock. */
#ifndef HULL_UTIL_TIME_H
#define HULL_UTIL_TIME_H

#include <stdbool.h>
#include <time.h>

#define TIME_RFC3339_MAX 40

/* "2026-12-06T01:06:11Z", or with `nanos` "2026-12-06T01:06:11.123456789Z", into out; returns
 * out. The date is computed here, not by gmtime_r or strftime: glibc reads the local time zone
 * file (/etc/localtime, seven system calls) on their first use, for a string in UTC. */
char *time_rfc3339(char out[TIME_RFC3339_MAX], const struct timespec *ts, bool nanos);
/* The same for now (CLOCK_REALTIME). */
char *time_rfc3339_now(char out[TIME_RFC3339_MAX], bool nanos);
/* CLOCK_MONOTONIC in milliseconds, for deadlines. */
long long time_monotonic_ms(void);

#endif
