/*
 * Calendar arithmetic after Howard Hinnant's days_from_civil / civil_from_days
 * (proleptic Gregorian), so results never depend on TZ or timegm(3).
 */
#include <assert.h>
#include <stdio.h>
#include <time.h>

#include "atime.h"

#define MS_PER_DAY	86400000LL

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era;
	unsigned	yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Read exactly n digits at *p into *out and advance; -1 if any is not one. */
static int
digits(const char **p, int n, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
atime_parse(const char *s, int64_t *ms)
{
	const char	*p = s;
	unsigned	 y, mo, d, h, mi, sec, frac = 0, oh, om;
	int64_t		 off = 0, v;
	int		 iso, sign;

	if (digits(&p, 4, &y) || *p++ != '-' ||
	    digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (*p != 'T' && *p != ' ')
		return -1;
	iso = *p++ == 'T';
	if (digits(&p, 2, &h) || *p++ != ':' ||
	    digits(&p, 2, &mi) || *p++ != ':' ||
	    digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		int n = 0;

		p++;
		/* Keep milliseconds; further digits are read and dropped. */
		while (*p >= '0' && *p <= '9') {
			if (n < 3)
				frac = frac * 10 + (unsigned)(*p - '0');
			n++;
			p++;
		}
		if (n == 0 || n > 9)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		/* ±hh:mm, ±hhmm or ±hh (ISO 8601 allows the hours alone) */
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		om = 0;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &om))
				return -1;
		} else if (*p >= '0' && *p <= '9' && digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		off = sign * (int64_t)(oh * 60 + om) * 60000;
	} else if (iso) {
		return -1;	/* ISO form needs a zone; SPEC §3 */
	}
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return -1;

	v = days_from_civil(y, mo, d) * MS_PER_DAY +
	    (int64_t)(h * 3600 + mi * 60 + sec) * 1000 + frac;
	*ms = v - off;
	return 0;
}

/* Write v as exactly width decimal digits, zero-padded. */
static void
put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
atime_format(int64_t ms, char buf[ATIME_BUFSZ])
{
	int64_t		days, rem, y;
	unsigned	m, d;
	int		n;

	days = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	/*
	 * Years 0-9999, every time the service writes: digits placed by
	 * hand, since this runs several times per award and snprintf was a
	 * tenth of award_apply's instructions (callgrind).
	 */
	if (y >= 0 && y <= 9999) {
		put_digits(buf, (unsigned)y, 4);
		buf[4] = '-';
		put_digits(buf + 5, m, 2);
		buf[7] = '-';
		put_digits(buf + 8, d, 2);
		buf[10] = 'T';
		put_digits(buf + 11, (unsigned)(rem / 3600000), 2);
		buf[13] = ':';
		put_digits(buf + 14, (unsigned)(rem / 60000 % 60), 2);
		buf[16] = ':';
		put_digits(buf + 17, (unsigned)(rem / 1000 % 60), 2);
		buf[19] = '.';
		put_digits(buf + 20, (unsigned)(rem % 1000), 3);
		buf[23] = 'Z';
		buf[24] = '\0';
		return;
	}
	n = snprintf(buf, ATIME_BUFSZ, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ",
	    (long long)y, m, d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	/* An int64_t of ms spans at most a 9-digit year: 31 bytes with NUL. */
	assert(n > 0 && n < ATIME_BUFSZ);
	(void)n;
}

int64_t
atime_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
atime_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
