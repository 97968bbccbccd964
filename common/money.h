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

/*
 * A payment is refunded in full when its amount is known and the refunds
 * counted for it reach it. Refund amounts are positive (validate.c), so
 * "refunded > 0" means one was counted: a 0.00 payment counts as refunded
 * in full once a refund of it is counted. The same rule as SQL over a
 * payments row (amount_minor NULL when unknown), for queries and triggers.
 */
#define MONEY_REFUNDED_FULL_SQL "(amount_minor IS NOT NULL AND refunded_minor > 0" \
	" AND refunded_minor >= amount_minor)"

/* The rule in C: amount_minor < 0 means not known. */
int	money_refunded_in_full(int64_t amount_minor, int64_t refunded_minor);

#endif
