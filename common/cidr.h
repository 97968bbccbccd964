/*
 * Source-address allow lists (SPEC.md §5 "Webhook source"): comma-separated
 * IPv4 and IPv6 CIDRs, matched against the textual REMOTE_ADDR nginx passes.
 */
#ifndef AWARD_CIDR_H
#define AWARD_CIDR_H

#include <stddef.h>

#define CIDR_MAX 64	/* entries in one list */

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];
	unsigned	prefix;
};

struct cidr_list {
	struct cidr	item[CIDR_MAX];
	size_t		len;
};

/* The default list: YooKassa's published ranges. */
#define CIDR_YOOKASSA "185.71.76.0/27, 185.71.77.0/27, 77.75.153.0/25, " \
	"77.75.156.11/32, 77.75.156.35/32, 77.75.154.128/25, 2a02:5180::/32"

/*
 * Parse list into *out. Spaces around commas are allowed; an address without
 * "/n" is a single host. Returns 0, or -1 with *why set to a static
 * description of what is wrong with the first bad entry.
 */
int	cidr_parse_list(const char *list, struct cidr_list *out,
	    const char **why);

/*
 * 1 when addr (textual IPv4, IPv6, or IPv4-mapped IPv6) is inside one
 * entry, else 0 (also for NULL or unparsable addr).
 */
int	cidr_match(const struct cidr_list *l, const char *addr);

#endif
