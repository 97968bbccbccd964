/*
 * Instants for SPEC.md §3: milliseconds since the Unix epoch, UTC, as a
 * signed 64-bit integer. Parsing accepts ISO-8601 with "Z" or a numeric
 * offset (with or without fractions) and SQLite's "YYYY-MM-DD HH:MM:SS"
 * (taken as UTC); formatting writes "YYYY-MM-DDTHH:MM:SS.mmmZ". Nothing here
 * reads TZ or the C library's time zone machinery.
 */
#ifndef AWARD_ATIME_H
#define AWARD_ATIME_H

#include <stdint.h>

#define ATIME_BUFSZ 32	/* "YYYY-MM-DDTHH:MM:SS.mmmZ" and NUL, with room */

/*
 * Parse NUL-terminated s into *ms. Returns 0, or -1 when s is not one of the
 * accepted forms or names no real date (month 13, 31 April, hour 24...).
 */
int	atime_parse(const char *s, int64_t *ms);

/* Write ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (ATIME_BUFSZ bytes). */
void	atime_format(int64_t ms, char buf[ATIME_BUFSZ]);

/* The current instant from CLOCK_REALTIME. */
int64_t	atime_now_ms(void);

/*
 * CLOCK_MONOTONIC in nanoseconds: for measuring intervals and deadlines,
 * never an instant to record.
 */
int64_t	atime_mono_ns(void);

#endif
