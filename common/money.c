/*
 * Decimal money strings to integer kopecks, digit by digit with bounds
 * checked before each step: no floating point, no locale, no strtod.
 */
#include <stddef.h>

#include "money.h"

int
money_parse(const char *s, int64_t *minor)
{
	int64_t		units = 0, frac = 0, v;
	const char	*p = s;
	int		n;

	if (s == NULL)
		return -1;
	for (n = 0; *p >= '0' && *p <= '9'; p++, n++) {
		units = units * 10 + (*p - '0');
		if (units > MONEY_MAX_MINOR / 100)
			return -1;
	}
	if (n == 0)
		return -1;
	if (*p == '.') {
		p++;
		for (n = 0; *p >= '0' && *p <= '9'; p++, n++) {
			if (n == 2)
				return -1;	/* finer than a kopeck */
			frac = frac * 10 + (*p - '0');
		}
		if (n < 1)
			return -1;
		if (n == 1)
			frac *= 10;
	}
	if (*p != '\0')
		return -1;
	v = units * 100 + frac;
	if (v > MONEY_MAX_MINOR)
		return -1;
	*minor = v;
	return 0;
}

int
money_refunded_in_full(int64_t amount_minor, int64_t refunded_minor)
{
	return amount_minor >= 0 && refunded_minor > 0 &&
	    refunded_minor >= amount_minor;
}
