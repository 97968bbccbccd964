/*
 * Unit tests for common/atime.c (SPEC.md §3 time values): the accepted
 * forms, the rejected ones, formatting, independence from TZ, and instants
 * compared as numbers rather than strings.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "atime.h"

/* 2026-11-27T10:51:18.139Z and 2026-11-27T10:00:00Z in ms since epoch. */
#define T_FIXTURE	1795776678139LL
#define T_TEN		1795773600000LL

/* The value atime_parse leaves when it must not write *ms. */
#define UNTOUCHED	INT64_C(0x5a5a5a5a5a5a5a5a)

/* Parse s; the result must be accepted. */
static int64_t
parse_ok(const char *s)
{
	int64_t ms = UNTOUCHED;

	cr_assert_eq(atime_parse(s, &ms), 0, "\"%s\" should parse", s);
	return ms;
}

/* Parse s; the result must be rejected and *ms left alone. */
static void
parse_bad(const char *s)
{
	int64_t ms = UNTOUCHED;

	cr_assert_eq(atime_parse(s, &ms), -1, "\"%s\" should be rejected", s);
	cr_assert_eq(ms, UNTOUCHED, "\"%s\": *ms written on failure", s);
}

static void
use_moscow(void)
{
	cr_assert_eq(setenv("TZ", "Europe/Moscow", 1), 0);
	tzset();
}

/* ---- accepted forms ---- */

Test(atime, iso_z_with_millis)
{
	cr_assert_eq(parse_ok("2026-11-27T10:51:18.139Z"), T_FIXTURE);
}

Test(atime, iso_z_without_fraction)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00Z"), T_TEN);
}

Test(atime, iso_offset_plus_colon)
{
	cr_assert_eq(parse_ok("2026-11-27T13:00:00+03:00"), T_TEN);
}

Test(atime, iso_offset_minus_no_colon)
{
	/* 04:30 at -05:30 is 10:00 UTC. */
	cr_assert_eq(parse_ok("2026-11-27T04:30:00-0530"), T_TEN);
}

Test(atime, iso_offset_plus_zero)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00+0000"), T_TEN);
	cr_assert_eq(parse_ok("2026-11-27T10:00:00+00:00"), T_TEN);
	cr_assert_eq(parse_ok("2026-11-27T10:00:00-00:00"), T_TEN);
}

Test(atime, iso_offset_with_fraction)
{
	cr_assert_eq(parse_ok("2026-11-27T13:51:18.139+03:00"), T_FIXTURE);
}

Test(atime, offset_crosses_day_boundary)
{
	/* 2026-11-28T01:00+14:00 is 2026-11-27T11:00Z. */
	cr_assert_eq(parse_ok("2026-11-28T01:00:00+14:00"),
	    T_TEN + 3600000LL);
	/* 2026-11-26T23:00-11:00 is 2026-11-27T10:00Z. */
	cr_assert_eq(parse_ok("2026-11-26T23:00:00-11:00"), T_TEN);
}

Test(atime, fraction_one_digit)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.1Z"), T_TEN + 100);
}

Test(atime, fraction_two_digits)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.12Z"), T_TEN + 120);
}

Test(atime, fraction_three_digits)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.123Z"), T_TEN + 123);
}

Test(atime, fraction_six_digits_truncated_to_ms)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.123999Z"), T_TEN + 123);
}

Test(atime, fraction_nine_digits_truncated_to_ms)
{
	cr_assert_eq(parse_ok("2026-11-27T10:51:18.139999999Z"), T_FIXTURE);
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.000000001Z"), T_TEN);
}

Test(atime, fraction_leading_zeros)
{
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.005Z"), T_TEN + 5);
	cr_assert_eq(parse_ok("2026-11-27T10:00:00.05Z"), T_TEN + 50);
}

Test(atime, sqlite_form_is_utc)
{
	cr_assert_eq(parse_ok("2026-11-27 10:00:00"), T_TEN);
}

Test(atime, sqlite_form_with_fraction)
{
	cr_assert_eq(parse_ok("2026-11-27 10:51:18.139"), T_FIXTURE);
}

Test(atime, leap_day_2024_accepted)
{
	cr_assert_eq(parse_ok("2024-02-29T00:00:00Z"), 1709164800000LL);
}

Test(atime, leap_day_2000_accepted)
{
	/* Divisible by 400: a leap year. */
	cr_assert_eq(parse_ok("2000-02-29T12:00:00Z"), 951825600000LL);
}

Test(atime, last_moment_of_day_and_month)
{
	cr_assert_eq(parse_ok("2026-11-30T23:59:59.999Z"),
	    T_TEN + 3 * 86400000LL + 14 * 3600000LL - 1);
	cr_assert_eq(parse_ok("2026-12-31T23:59:59Z") -
	    parse_ok("2027-01-01T00:00:00Z"), -1000);
}

Test(atime, epoch_is_zero)
{
	cr_assert_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
	cr_assert_eq(parse_ok("1970-01-01 00:00:00"), 0);
	cr_assert_eq(parse_ok("1970-01-01T03:00:00+03:00"), 0);
}

/* ---- dates before 1970 ---- */

Test(atime, before_epoch_one_second)
{
	cr_assert_eq(parse_ok("1969-12-31T23:59:59Z"), -1000);
	cr_assert_eq(parse_ok("1969-12-31T23:59:59.999Z"), -1);
}

Test(atime, before_epoch_1900)
{
	cr_assert_eq(parse_ok("1900-01-01T00:00:00Z"), -2208988800000LL);
}

Test(atime, before_epoch_1601)
{
	cr_assert_eq(parse_ok("1601-01-01T00:00:00Z"), -11644473600000LL);
}

Test(atime, year_one)
{
	cr_assert_eq(parse_ok("0001-01-01T00:00:00Z"), -62135596800000LL);
}

Test(atime, year_9999)
{
	cr_assert_eq(parse_ok("9999-12-31T23:59:59.999Z"), 253402300799999LL);
}

Test(atime, bad_feb_29_1900_not_leap)
{
	/* Divisible by 100 but not 400. */
	parse_bad("1900-02-29T00:00:00Z");
}

/* ---- rejected forms ---- */

Test(atime, bad_iso_without_zone)
{
	parse_bad("2026-11-27T10:00:00");
	parse_bad("2026-11-27T10:00:00.139");
}

Test(atime, bad_month_13)
{
	parse_bad("2026-13-01T00:00:00Z");
}

Test(atime, bad_month_00)
{
	parse_bad("2026-00-10T00:00:00Z");
}

Test(atime, bad_day_00)
{
	parse_bad("2026-11-00T00:00:00Z");
}

Test(atime, bad_day_32)
{
	parse_bad("2026-01-32T00:00:00Z");
}

Test(atime, bad_feb_29_non_leap)
{
	parse_bad("2026-02-29T00:00:00Z");
	parse_bad("2023-02-29 00:00:00");
}

Test(atime, bad_feb_30_leap)
{
	parse_bad("2024-02-30T00:00:00Z");
}

Test(atime, bad_april_31)
{
	parse_bad("2026-04-31T00:00:00Z");
	parse_bad("2026-06-31T00:00:00Z");
	parse_bad("2026-09-31T00:00:00Z");
	parse_bad("2026-11-31T00:00:00Z");
}

Test(atime, bad_hour_24)
{
	parse_bad("2026-11-27T24:00:00Z");
	parse_bad("2026-11-27 24:00:00");
}

Test(atime, bad_minute_60)
{
	parse_bad("2026-11-27T10:60:00Z");
}

Test(atime, bad_second_60)
{
	parse_bad("2026-11-27T10:00:60Z");
}

Test(atime, bad_trailing_garbage)
{
	parse_bad("2026-11-27T10:00:00Zx");
	parse_bad("2026-11-27T10:00:00Z ");
	parse_bad("2026-11-27 10:00:00 ");
	parse_bad("2026-11-27T10:00:00+03:00:00");
	parse_bad("2026-11-27T10:00:00.139Z0");
}

Test(atime, bad_empty_string)
{
	parse_bad("");
}

Test(atime, bad_date_only)
{
	parse_bad("2026-11-27");
}

Test(atime, bad_truncated)
{
	parse_bad("2026-11-27T10:00");
	parse_bad("2026-11-27T10:00:0");
	parse_bad("2026-11-2");
}

Test(atime, bad_fraction_no_digits)
{
	parse_bad("2026-11-27T10:00:00.Z");
	parse_bad("2026-11-27 10:00:00.");
}

Test(atime, bad_fraction_ten_digits)
{
	parse_bad("2026-11-27T10:00:00.1234567890Z");
}

/* ISO 8601 lets an offset be the hours alone (SPEC §3: "an offset"). */
Test(atime, iso_offset_hours_only)
{
	cr_assert_eq(parse_ok("2026-11-27T13:00:00+03"), T_TEN);
	cr_assert_eq(parse_ok("2026-11-27T07:00:00-03"), T_TEN);
	parse_bad("2026-11-27T10:00:00+3");
	parse_bad("2026-11-27T10:00:00+030");
	parse_bad("2026-11-27T10:00:00+24");
}

Test(atime, bad_offset_one_digit_minutes)
{
	parse_bad("2026-11-27T10:00:00+03:0");
}

Test(atime, bad_offset_hour_24)
{
	parse_bad("2026-11-27T10:00:00+24:00");
}

Test(atime, bad_offset_minute_60)
{
	parse_bad("2026-11-27T10:00:00+03:60");
}

Test(atime, bad_offset_letters)
{
	parse_bad("2026-11-27T10:00:00+ab:cd");
	parse_bad("2026-11-27T10:00:00+");
	parse_bad("2026-11-27T10:00:00 +03:00");
}

Test(atime, bad_lowercase_t_and_z)
{
	parse_bad("2026-11-27t10:00:00Z");
	parse_bad("2026-11-27T10:00:00z");
}

Test(atime, bad_separators)
{
	parse_bad("2026/11/27T10:00:00Z");
	parse_bad("2026-11-27T10.00.00Z");
	parse_bad("20261127T100000Z");
}

Test(atime, bad_short_fields)
{
	parse_bad("2026-1-27T10:00:00Z");
	parse_bad("2026-11-7T10:00:00Z");
	parse_bad("2026-11-27T1:00:00Z");
	parse_bad("26-11-27T10:00:00Z");
}

Test(atime, bad_sign_in_year)
{
	parse_bad("-2026-11-27T10:00:00Z");
	parse_bad("+2026-11-27T10:00:00Z");
}

/* ---- formatting ---- */

Test(atime, format_fixture_value)
{
	char buf[ATIME_BUFSZ];

	atime_format(T_FIXTURE, buf);
	cr_assert_str_eq(buf, "2026-11-27T10:51:18.139Z");
}

Test(atime, format_round_trip)
{
	char	buf[ATIME_BUFSZ];
	int64_t	ms;

	ms = parse_ok("2026-11-27T10:51:18.139Z");
	atime_format(ms, buf);
	cr_assert_str_eq(buf, "2026-11-27T10:51:18.139Z");
	cr_assert_eq(parse_ok(buf), ms);
}

Test(atime, format_normalises_offset_to_utc)
{
	char buf[ATIME_BUFSZ];

	atime_format(parse_ok("2026-11-27T13:51:18.139+03:00"), buf);
	cr_assert_str_eq(buf, "2026-11-27T10:51:18.139Z");
	atime_format(parse_ok("2026-11-27 10:00:00"), buf);
	cr_assert_str_eq(buf, "2026-11-27T10:00:00.000Z");
}

Test(atime, format_epoch)
{
	char buf[ATIME_BUFSZ];

	atime_format(0, buf);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
}

Test(atime, format_before_epoch)
{
	char buf[ATIME_BUFSZ];

	atime_format(-1, buf);
	cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
	atime_format(-2208988800000LL, buf);
	cr_assert_str_eq(buf, "1900-01-01T00:00:00.000Z");
	atime_format(-62135596800000LL, buf);
	cr_assert_str_eq(buf, "0001-01-01T00:00:00.000Z");
}

Test(atime, format_leap_day)
{
	char buf[ATIME_BUFSZ];

	atime_format(1709164800000LL + 86399999LL, buf);
	cr_assert_str_eq(buf, "2024-02-29T23:59:59.999Z");
}

Test(atime, format_round_trip_many_days)
{
	char	buf[ATIME_BUFSZ];
	int64_t	ms;

	/* Every ~37 hours from 1899 to 2101: format, parse, same instant. */
	for (ms = -2240000000000LL; ms < 4110000000000LL;
	    ms += 133333333LL) {
		atime_format(ms, buf);
		cr_assert_eq(strlen(buf), 24, "%s", buf);
		cr_assert_eq(parse_ok(buf), ms, "%s", buf);
	}
}

Test(atime, format_extreme_values_fit_buffer)
{
	char buf[ATIME_BUFSZ];

	atime_format(INT64_MAX, buf);
	cr_assert_lt(strlen(buf), (size_t)ATIME_BUFSZ);
	cr_assert_eq(buf[strlen(buf) - 1], 'Z');
	atime_format(INT64_MIN, buf);
	cr_assert_lt(strlen(buf), (size_t)ATIME_BUFSZ);
	cr_assert_eq(buf[strlen(buf) - 1], 'Z');
}

/* ---- comparing instants ---- */

Test(atime, same_instant_three_forms)
{
	int64_t a = parse_ok("2026-11-27T13:00:00+03:00");
	int64_t b = parse_ok("2026-11-27T10:00:00Z");
	int64_t c = parse_ok("2026-11-27 10:00:00");

	cr_assert_eq(a, b);
	cr_assert_eq(b, c);
	cr_assert_eq(a, T_TEN);
}

Test(atime, order_differs_from_string_order)
{
	/* As strings "...T12:00:00+03:00" > "...T10:00:00Z"; as instants <. */
	int64_t a = parse_ok("2026-11-27T12:00:00+03:00");
	int64_t b = parse_ok("2026-11-27T10:00:00Z");

	cr_assert_lt(a, b);
	cr_assert_eq(b - a, 3600000LL);
}

Test(atime, sqlite_and_iso_millis_ordered)
{
	cr_assert_lt(parse_ok("2026-11-27 10:51:18"),
	    parse_ok("2026-11-27T10:51:18.139Z"));
	cr_assert_gt(parse_ok("2026-11-27 10:51:19"),
	    parse_ok("2026-11-27T10:51:18.999Z"));
}

/* ---- TZ must not matter ---- */

Test(atime, tz_moscow_parse_unchanged)
{
	use_moscow();
	cr_assert_eq(parse_ok("2026-11-27T10:51:18.139Z"), T_FIXTURE);
	cr_assert_eq(parse_ok("2026-11-27 10:00:00"), T_TEN);
	cr_assert_eq(parse_ok("2026-11-27T13:00:00+03:00"), T_TEN);
	cr_assert_eq(parse_ok("1969-12-31T23:59:59Z"), -1000);
	parse_bad("2026-11-27T10:00:00");
}

Test(atime, tz_moscow_format_unchanged)
{
	char buf[ATIME_BUFSZ];

	use_moscow();
	atime_format(T_FIXTURE, buf);
	cr_assert_str_eq(buf, "2026-11-27T10:51:18.139Z");
	atime_format(-1, buf);
	cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
}

Test(atime, tz_far_zone_parse_unchanged)
{
	cr_assert_eq(setenv("TZ", "Pacific/Kiritimati", 1), 0);
	tzset();
	cr_assert_eq(parse_ok("2026-11-27 10:00:00"), T_TEN);
	cr_assert_eq(setenv("TZ", "America/Los_Angeles", 1), 0);
	tzset();
	cr_assert_eq(parse_ok("2026-11-27 10:00:00"), T_TEN);
}

/* ---- the clock ---- */

Test(atime, now_is_the_real_clock)
{
	int64_t	now = atime_now_ms();
	int64_t	sys = (int64_t)time(NULL) * 1000;

	cr_assert_geq(now, sys - 2000);
	cr_assert_leq(now, sys + 2000);
}

/*
 * The hand-placed digits of atime_format against a reference built with
 * gmtime_r(3) + snprintf, over instants from year 0 to 9999 (before 1970
 * too), and parse(format(x)) == x.
 */
Test(atime, format_matches_gmtime_reference)
{
	const int64_t	lo = -62167219200000LL;	/* 0000-01-01 */
	const int64_t	hi = 253402300799999LL;	/* 9999-12-31T23:59:59.999 */
	uint64_t	x = 88172645463325252ULL;
	char		got[ATIME_BUFSZ], want[64];

	for (int i = 0; i < 20000; i++) {
		struct tm	tm;
		time_t		t;
		int64_t		ms, back, sec;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		ms = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
		if (i < 4)
			ms = i == 0 ? lo : i == 1 ? hi : i == 2 ? -1 : 0;
		sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
		t = (time_t)sec;
		cr_assert_not_null(gmtime_r(&t, &tm));
		snprintf(want, sizeof(want),
		    "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, (int)(ms - sec * 1000));
		atime_format(ms, got);
		cr_assert_str_eq(got, want, "ms %lld", (long long)ms);
		cr_assert_eq(atime_parse(got, &back), 0);
		cr_assert_eq(back, ms);
	}
}

/* atime_mono_ns: never goes back, and a 2 ms sleep shows as >= 2 ms. */
Test(atime, mono_ns_counts_a_sleep)
{
	struct timespec	 d = { 0, 2000000 };
	int64_t		 a, b;

	a = atime_mono_ns();
	while (nanosleep(&d, &d) == -1)
		continue;
	b = atime_mono_ns();
	cr_assert_geq(b - a, 2000000, "%lld ns", (long long)(b - a));
}
