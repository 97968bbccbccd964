/*
 * CIDR allow lists: parsing with inet_pton(3), matching by prefix bits.
 * IPv4-mapped IPv6 peers (::ffff:a.b.c.d) match IPv4 entries. Not a
 * resolver: names are never looked up.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>
#include <string.h>

#include "cidr.h"

static int
parse_one(const char *s, size_t n, struct cidr *c, const char **why)
{
	char		 buf[64], *slash, *end;
	unsigned	 maxp;
	long		 v;

	if (n == 0) {
		*why = "empty entry";
		return -1;
	}
	if (n >= sizeof(buf)) {
		*why = "entry too long";
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		maxp = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		maxp = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -1;
	}
	c->prefix = maxp;
	if (slash != NULL) {
		if (*slash < '0' || *slash > '9') {
			*why = "bad prefix length";
			return -1;
		}
		v = strtol(slash, &end, 10);
		if (*end != '\0' || v < 0 || v > (long)maxp) {
			*why = "bad prefix length";
			return -1;
		}
		c->prefix = (unsigned)v;
	}
	return 0;
}

int
cidr_parse_list(const char *list, struct cidr_list *out, const char **why)
{
	const char *p = list, *e;

	out->len = 0;
	for (;;) {
		size_t n;

		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (out->len >= CIDR_MAX) {
			*why = "too many entries";
			return -1;
		}
		if (parse_one(p, n, &out->item[out->len], why) == -1)
			return -1;
		out->len++;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	return 0;
}

static int
prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned	whole = bits / 8, rest = bits % 8;
	unsigned char	mask;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

int
cidr_match(const struct cidr_list *l, const char *addr)
{
	unsigned char	a4[4], a6[16];
	int		has4 = 0, has6 = 0;
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (addr == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, a4) == 1)
		has4 = 1;
	else if (inet_pton(AF_INET6, addr, a6) == 1) {
		has6 = 1;
		if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
			memcpy(a4, a6 + 12, 4);
			has4 = 1;
		}
	} else
		return 0;

	for (size_t i = 0; i < l->len; i++) {
		const struct cidr *c = &l->item[i];

		if (c->family == AF_INET && has4 &&
		    prefix_eq(a4, c->addr, c->prefix))
			return 1;
		if (c->family == AF_INET6 && has6 &&
		    prefix_eq(a6, c->addr, c->prefix))
			return 1;
	}
	return 0;
}
