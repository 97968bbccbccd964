/*
 * Exact money (SPEC.md §3): YooKassa's decimal strings ("199.00", "1",
 * "0.5") to integer minor units (kopecks), with no floating point.
 */
#ifndef AWARD_MONEY_H
#define AWARD_MONEY_H

#include <stdint.h>

/* The largest amount accepted, in minor units: far above any real payment. */
#define MONEY_MAX_MINOR 100000000000000LL	/* 10^14 kopecks */

/*
 * Parse s: one or more digits, optionally '.' and one or two digits.
 * Returns 0 and sets *minor, or -1 for an empty, signed, malformed,
 * over-precise or too large value.
 */
int	money_parse(const char *s, int64_t *minor);

#endif
