/*
 * libFuzzer target for every parser of untrusted bytes in common/: the
 * YooKassa notification and /v1/awards validators, time, money and CIDR
 * parsing, and the responder's query string and Authorization parsing.
 * The first byte picks the parser. Not part of make test: run
 * `make fuzz` (clang, libFuzzer) for as long as you like.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "cidr.h"
#include "http.h"
#include "money.h"
#include "validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct award_req	 a;
	struct refund_req	 r;
	struct cidr_list	 l;
	struct request		 req;
	char			 err[160], q[64], *s;
	const char		*why;
	int64_t			 v;

	if (size < 1)
		return 0;
	/* A NUL-terminated copy for the string parsers. */
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 7) {
	case 0:
		(void)validate_webhook((const char *)data + 1, size - 1, &a, &r,
		    err, sizeof(err));
		break;
	case 1:
		(void)validate_award_body((const char *)data + 1, size - 1, &a,
		    err, sizeof(err));
		break;
	case 2:
		if (atime_parse(s, &v) == 0) {
			char buf[ATIME_BUFSZ];

			atime_format(v, buf);
		}
		break;
	case 3:
		(void)money_parse(s, &v);
		break;
	case 4:
		if (cidr_parse_list(s, &l, &why) == 0)
			(void)cidr_match(&l, "185.71.76.1");
		break;
	case 5:
		(void)http_query(s, "limit", q, sizeof(q));
		(void)http_query(s, "contest_id", q, sizeof(q));
		break;
	default:
		memset(&req, 0, sizeof(req));
		req.authorization = s;
		(void)http_auth(&req, "token", 1);
		(void)http_auth(&req, "token", 0);
		break;
	}
	free(s);
	return 0;
}
