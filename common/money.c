#include <stddef.h>

#include "money.h"

int
money_parse(const char *s, int64_t *minor)
{
	int64_t		units = 0, frac = 0;
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
		for (n = 0; *p >= '0' && *p <= '9'; p++, n++)
			frac = frac * 10 + (*p - '0');
		if (n < 1 || n > 2)
			return -1;
		if (n == 1)
			frac *= 10;
	}
	if (*p != '\0')
		return -1;
	*minor = units * 100 + frac;
	return *minor > MONEY_MAX_MINOR ? -1 : 0;
}
