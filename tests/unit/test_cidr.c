/*
 * Unit tests for common/cidr.c (SPEC.md §5 "Webhook source"): YooKassa's
 * default ranges, list syntax, prefix edges, and malformed entries.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "cidr.h"

static void
list_ok(const char *s, struct cidr_list *l)
{
	const char *why = NULL;

	cr_assert_eq(cidr_parse_list(s, l, &why), 0, "\"%s\": %s", s,
	    why ? why : "?");
}

static void
list_bad(const char *s)
{
	struct cidr_list	 l;
	const char		*why = NULL;

	cr_assert_eq(cidr_parse_list(s, &l, &why), -1,
	    "\"%s\" should be rejected", s);
	cr_assert_not_null(why, "\"%s\": no reason given", s);
	cr_assert_gt(strlen(why), 0);
}

/* ---- the default list ---- */

Test(cidr, yookassa_list_parses_seven_entries)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(l.len, 7);
	cr_assert_eq(l.item[0].family, AF_INET);
	cr_assert_eq(l.item[0].prefix, 27);
	cr_assert_eq(l.item[6].family, AF_INET6);
	cr_assert_eq(l.item[6].prefix, 32);
}

Test(cidr, yookassa_matches_listed_addresses)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "185.71.76.5"), 1);
	cr_assert_eq(cidr_match(&l, "185.71.76.0"), 1);
	cr_assert_eq(cidr_match(&l, "185.71.76.31"), 1);
	cr_assert_eq(cidr_match(&l, "185.71.77.31"), 1);
	cr_assert_eq(cidr_match(&l, "77.75.153.127"), 1);
	cr_assert_eq(cidr_match(&l, "77.75.156.11"), 1);
	cr_assert_eq(cidr_match(&l, "77.75.156.35"), 1);
	cr_assert_eq(cidr_match(&l, "77.75.154.128"), 1);
	cr_assert_eq(cidr_match(&l, "77.75.154.255"), 1);
	cr_assert_eq(cidr_match(&l, "2a02:5180::1"), 1);
	cr_assert_eq(cidr_match(&l, "2a02:5180:ffff:ffff::1"), 1);
}

Test(cidr, yookassa_matches_ipv4_mapped)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "::ffff:185.71.76.5"), 1);
	cr_assert_eq(cidr_match(&l, "::FFFF:77.75.156.11"), 1);
}

Test(cidr, outside_first_range_end)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "185.71.76.32"), 0);
	cr_assert_eq(cidr_match(&l, "185.71.75.255"), 0);
}

Test(cidr, outside_single_host)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "77.75.156.12"), 0);
	cr_assert_eq(cidr_match(&l, "77.75.156.10"), 0);
}

Test(cidr, outside_loopback)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "127.0.0.1"), 0);
	cr_assert_eq(cidr_match(&l, "::1"), 0);
	cr_assert_eq(cidr_match(&l, "::ffff:127.0.0.1"), 0);
}

Test(cidr, outside_ipv6_neighbour)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "2a02:5181::1"), 0);
	cr_assert_eq(cidr_match(&l, "2a02:517f:ffff:ffff::1"), 0);
}

Test(cidr, outside_ipv4_mapped)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "::ffff:185.71.76.32"), 0);
}

Test(cidr, bad_addr_null)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, NULL), 0);
}

Test(cidr, bad_addr_garbage)
{
	struct cidr_list l;

	list_ok(CIDR_YOOKASSA, &l);
	cr_assert_eq(cidr_match(&l, "garbage"), 0);
	cr_assert_eq(cidr_match(&l, ""), 0);
	cr_assert_eq(cidr_match(&l, "185.71.76.5 "), 0);
	cr_assert_eq(cidr_match(&l, "185.71.76.5/27"), 0);
	cr_assert_eq(cidr_match(&l, "185.71.76"), 0);
	cr_assert_eq(cidr_match(&l, "185.71.76.5:443"), 0);
}

/* ---- list syntax ---- */

Test(cidr, spaces_around_commas)
{
	struct cidr_list l;

	list_ok("  10.0.0.0/8 ,192.168.1.0/24 ,\t 2001:db8::/32  ", &l);
	cr_assert_eq(l.len, 3);
	cr_assert_eq(cidr_match(&l, "10.1.2.3"), 1);
	cr_assert_eq(cidr_match(&l, "192.168.1.77"), 1);
	cr_assert_eq(cidr_match(&l, "2001:db8::5"), 1);
	cr_assert_eq(cidr_match(&l, "192.168.2.1"), 0);
}

Test(cidr, no_spaces)
{
	struct cidr_list l;

	list_ok("10.0.0.0/8,192.168.1.0/24", &l);
	cr_assert_eq(l.len, 2);
	cr_assert_eq(cidr_match(&l, "192.168.1.1"), 1);
}

Test(cidr, single_entry)
{
	struct cidr_list l;

	list_ok("203.0.113.0/24", &l);
	cr_assert_eq(l.len, 1);
	cr_assert_eq(cidr_match(&l, "203.0.113.200"), 1);
	cr_assert_eq(cidr_match(&l, "203.0.114.1"), 0);
}

Test(cidr, prefix_zero_ipv4_matches_all_ipv4)
{
	struct cidr_list l;

	list_ok("0.0.0.0/0", &l);
	cr_assert_eq(l.item[0].prefix, 0);
	cr_assert_eq(cidr_match(&l, "1.2.3.4"), 1);
	cr_assert_eq(cidr_match(&l, "255.255.255.255"), 1);
	cr_assert_eq(cidr_match(&l, "::ffff:8.8.8.8"), 1);
	cr_assert_eq(cidr_match(&l, "2001:db8::1"), 0);
}

Test(cidr, prefix_zero_ipv6_matches_all_ipv6)
{
	struct cidr_list l;

	list_ok("::/0", &l);
	cr_assert_eq(cidr_match(&l, "2001:db8::1"), 1);
	cr_assert_eq(cidr_match(&l, "::1"), 1);
	cr_assert_eq(cidr_match(&l, "1.2.3.4"), 0);
}

Test(cidr, host_without_prefix_ipv4)
{
	struct cidr_list l;

	list_ok("198.51.100.7", &l);
	cr_assert_eq(l.item[0].family, AF_INET);
	cr_assert_eq(l.item[0].prefix, 32);
	cr_assert_eq(cidr_match(&l, "198.51.100.7"), 1);
	cr_assert_eq(cidr_match(&l, "198.51.100.6"), 0);
	cr_assert_eq(cidr_match(&l, "198.51.100.8"), 0);
}

Test(cidr, host_without_prefix_ipv6)
{
	struct cidr_list l;

	list_ok("2001:db8::7", &l);
	cr_assert_eq(l.item[0].family, AF_INET6);
	cr_assert_eq(l.item[0].prefix, 128);
	cr_assert_eq(cidr_match(&l, "2001:db8::7"), 1);
	cr_assert_eq(cidr_match(&l, "2001:0db8:0:0:0:0:0:7"), 1);
	cr_assert_eq(cidr_match(&l, "2001:db8::8"), 0);
}

Test(cidr, non_octet_prefix)
{
	struct cidr_list l;

	list_ok("10.0.0.0/9, 2001:db8:8000::/33", &l);
	cr_assert_eq(cidr_match(&l, "10.127.255.255"), 1);
	cr_assert_eq(cidr_match(&l, "10.128.0.0"), 0);
	cr_assert_eq(cidr_match(&l, "2001:db8:7fff::1"), 0);
	cr_assert_eq(cidr_match(&l, "2001:db8:8000::1"), 1);
	cr_assert_eq(cidr_match(&l, "2001:db8:ffff::1"), 1);
}

Test(cidr, host_bits_in_entry_ignored)
{
	struct cidr_list l;

	list_ok("185.71.76.17/27", &l);
	cr_assert_eq(cidr_match(&l, "185.71.76.0"), 1);
	cr_assert_eq(cidr_match(&l, "185.71.76.32"), 0);
}

Test(cidr, max_prefixes_accepted)
{
	struct cidr_list l;

	list_ok("1.2.3.4/32, ::1/128", &l);
	cr_assert_eq(l.item[0].prefix, 32);
	cr_assert_eq(l.item[1].prefix, 128);
	cr_assert_eq(cidr_match(&l, "::1"), 1);
}

Test(cidr, ipv6_entry_does_not_match_plain_ipv4)
{
	struct cidr_list l;

	list_ok("2a02:5180::/32", &l);
	cr_assert_eq(cidr_match(&l, "185.71.76.5"), 0);
}

Test(cidr, ipv4_entry_does_not_match_native_ipv6)
{
	struct cidr_list l;

	/* 0.0.0.0/8 holds 0.0.0.1, but "::1" is not an IPv4-mapped address. */
	list_ok("0.0.0.0/8", &l);
	cr_assert_eq(cidr_match(&l, "::1"), 0);
}

Test(cidr, list_of_max_entries)
{
	struct cidr_list	l;
	char			buf[CIDR_MAX * 16 + 16];
	size_t			n = 0;

	for (int i = 0; i < CIDR_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s10.0.%d.0/24", i ? "," : "", i);
	list_ok(buf, &l);
	cr_assert_eq(l.len, CIDR_MAX);
	cr_assert_eq(cidr_match(&l, "10.0.63.9"), 1);
}

/* ---- bad entries ---- */

Test(cidr, bad_too_many_entries)
{
	char	buf[(CIDR_MAX + 1) * 16 + 16];
	size_t	n = 0;

	for (int i = 0; i < CIDR_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "%s10.0.%d.0/24", i ? "," : "", i);
	list_bad(buf);
}

Test(cidr, bad_empty_list)
{
	list_bad("");
	list_bad("   ");
}

Test(cidr, bad_empty_entry)
{
	list_bad("1.2.3.4,,5.6.7.8");
	list_bad("1.2.3.4, ,5.6.7.8");
	list_bad("1.2.3.4,");
	list_bad(",1.2.3.4");
}

Test(cidr, bad_ipv4_prefix_33)
{
	list_bad("1.2.3.4/33");
}

Test(cidr, bad_ipv6_prefix_129)
{
	list_bad("::/129");
}

Test(cidr, bad_three_octets)
{
	list_bad("1.2.3");
}

Test(cidr, bad_prefix_missing)
{
	list_bad("1.2.3.4/");
}

Test(cidr, bad_prefix_not_a_number)
{
	list_bad("1.2.3.4/x");
	list_bad("1.2.3.4/2x");
	list_bad("1.2.3.4/-1");
	list_bad("1.2.3.4/+8");
	list_bad("1.2.3.4/ 8");
}

Test(cidr, bad_octet_out_of_range)
{
	list_bad("256.1.1.1");
}

Test(cidr, bad_hostname)
{
	list_bad("yookassa.ru");
}

Test(cidr, bad_entry_after_good_ones)
{
	list_bad("185.71.76.0/27, 185.71.77.0/27, nope");
}

Test(cidr, bad_entry_too_long)
{
	list_bad("1111111111111111111111111111111111111111111111111111111111111111"
	    "11111111.1.1.1");
}
