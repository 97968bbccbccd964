/*
 * Unit tests for common/money.c (SPEC.md §3 "Money is exact"): YooKassa's
 * decimal strings to integer kopecks, and every malformed form rejected.
 */
#include <stdint.h>

#include <criterion/criterion.h>

#include "money.h"

#define UNTOUCHED INT64_C(-777)

static int64_t
money_ok(const char *s)
{
	int64_t v = UNTOUCHED;

	cr_assert_eq(money_parse(s, &v), 0, "\"%s\" should parse", s);
	return v;
}

static void
money_bad(const char *s)
{
	int64_t v = UNTOUCHED;

	cr_assert_eq(money_parse(s, &v), -1, "\"%s\" should be rejected "
	    "(got %lld)", s ? s : "(null)", (long long)v);
}

/* ---- accepted ---- */

Test(money, two_decimals)
{
	cr_assert_eq(money_ok("199.00"), 19900);
}

Test(money, integer_only)
{
	cr_assert_eq(money_ok("1"), 100);
	cr_assert_eq(money_ok("1990"), 199000);
}

Test(money, one_decimal)
{
	cr_assert_eq(money_ok("0.5"), 50);
	cr_assert_eq(money_ok("12.3"), 1230);
}

Test(money, kopecks_kept_exactly)
{
	/* 10.01 is not exact in binary floating point. */
	cr_assert_eq(money_ok("10.01"), 1001);
	cr_assert_eq(money_ok("0.29"), 29);
	cr_assert_eq(money_ok("192.03"), 19203);
	cr_assert_eq(money_ok("0.01"), 1);
}

Test(money, zero)
{
	cr_assert_eq(money_ok("0"), 0);
	cr_assert_eq(money_ok("0.00"), 0);
}

Test(money, largest_accepted)
{
	cr_assert_eq(money_ok("1000000000000.00"), MONEY_MAX_MINOR);
	cr_assert_eq(money_ok("999999999999.99"), MONEY_MAX_MINOR - 1);
}

/* ---- rejected ---- */

Test(money, bad_empty)
{
	money_bad("");
}

Test(money, bad_null)
{
	money_bad(NULL);
}

Test(money, bad_negative)
{
	money_bad("-1");
	money_bad("-0.50");
}

Test(money, bad_plus_sign)
{
	money_bad("+1");
}

Test(money, bad_trailing_dot)
{
	money_bad("1.");
}

Test(money, bad_leading_dot)
{
	money_bad(".5");
}

Test(money, bad_three_decimals)
{
	money_bad("1.234");
	money_bad("199.000");
}

Test(money, bad_comma_separator)
{
	money_bad("1,00");
}

Test(money, bad_leading_space)
{
	money_bad(" 1");
}

Test(money, bad_trailing_space)
{
	money_bad("1 ");
	money_bad("1.00\n");
}

Test(money, bad_exponent)
{
	money_bad("1e2");
	money_bad("1.0e2");
}

Test(money, bad_letters)
{
	money_bad("abc");
	money_bad("1.0a");
	money_bad("0x10");
}

Test(money, bad_two_dots)
{
	money_bad("1.0.0");
}

Test(money, bad_overflow_just_above_max)
{
	money_bad("1000000000000.01");
	money_bad("1000000000001");
}

Test(money, bad_overflow_int64)
{
	money_bad("9223372036854775807");
	money_bad("92233720368547758070");
	money_bad("99999999999999999999999999999999999999.00");
}

Test(money, bad_value_leaves_output_untouched)
{
	int64_t v;

	/* Rejected early (syntax) and late (the final range check). */
	v = UNTOUCHED;
	cr_assert_eq(money_parse("1.234", &v), -1);
	cr_assert_eq(v, UNTOUCHED);
	v = UNTOUCHED;
	cr_assert_eq(money_parse("1000000000000.01", &v), -1);
	cr_assert_eq(v, UNTOUCHED, "*minor set to %lld on failure",
	    (long long)v);
}

Test(money, bad_long_fraction)
{
	/* Many fraction digits must be rejected, not accumulated into an
	 * overflowing integer first (signed overflow is undefined). */
	money_bad("1.99999999999999999999999999999999999999");
}
