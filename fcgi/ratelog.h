/*
 * A log line that may repeat (accept failing with EMFILE, a flood of bad
 * records or stalled connections) is written at most RATELOG_BURST times
 * per interval; the next one written carries the count of those left out
 * since. Issue 18 finding 1 logged "accept failed" at 17 MiB/s. Not
 * thread-safe: one struct per thread that logs.
 */
#ifndef AWARD_RATELOG_H
#define AWARD_RATELOG_H

#include <stdint.h>

#define RATELOG_BURST	5	/* lines per interval */

struct ratelog {
	int64_t		 window_end;	/* the interval ends */
	int		 written;	/* lines in this interval */
	long long	 suppressed;	/* left out since the last line */
};

/*
 * 1 when the line should be written now (then *suppressed is how many
 * were left out before it); 0 when it is left out and counted. now_ms is
 * CLOCK_MONOTONIC in ms; r starts zeroed.
 */
int	ratelog_due(struct ratelog *r, int64_t now_ms, int interval_ms,
	    long long *suppressed);

#endif
