/*
 * The checks on the YooKassa settings that callers make beyond the
 * loading of config.c: whether an API base URL may be used, and which
 * setting the reconciliation still lacks. Not the loading itself.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

/* 1 when host (as written in a URL, brackets for IPv6) is loopback. */
static int
host_is_loopback(const char *host, size_t n)
{
	char	 buf[64];
	int	 a, b, c, d;
	char	 tail;

	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, host, n);
	buf[n] = '\0';
	if (strcmp(buf, "localhost") == 0 || strcmp(buf, "[::1]") == 0)
		return 1;
	if (strspn(buf, "0123456789.") != n ||
	    sscanf(buf, "%d.%d.%d.%d%c", &a, &b, &c, &d, &tail) != 4)
		return 0;
	return a == 127 && b >= 0 && b <= 255 && c >= 0 && c <= 255 &&
	    d >= 0 && d <= 255;
}

int
config_api_url_ok(const char *url, const char **why)
{
	const char	*host, *end, *port;
	int		 https;

	if (strncmp(url, "https://", 8) == 0) {
		https = 1;
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		https = 0;
		host = url + 7;
	} else {
		*why = "not an https:// URL";
		return -1;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' ||
		    *p == '#' || *p == '@' || *p == '%') {
			*why = "spaces, control characters, user info, query "
			    "or fragment";
			return -1;
		}
	if (*host == '[') {
		if ((end = strchr(host, ']')) == NULL) {
			*why = "bad host";
			return -1;
		}
		end++;
	} else
		end = host + strcspn(host, ":/");
	if (end == host) {
		*why = "no host";
		return -1;
	}
	port = end;
	if (*port == ':') {
		size_t	d = strspn(port + 1, "0123456789");
		long	n = 0;

		/* At most 5 digits: no overflow; 1-65535. */
		for (size_t i = 0; i < d && d <= 5; i++)
			n = n * 10 + (port[1 + i] - '0');
		if (n < 1 || n > 65535 || (port[1 + d] != '\0' &&
		    port[1 + d] != '/')) {
			*why = "bad port (1-65535)";
			return -1;
		}
	} else if (*port != '\0' && *port != '/') {
		*why = "bad host";
		return -1;
	}
	if (url[strlen(url) - 1] == '/') {
		*why = "ends in '/' (write the base without it)";
		return -1;
	}
	if (!https && !host_is_loopback(host, (size_t)(end - host))) {
		*why = "plain http:// only to a loopback host (use https://)";
		return -1;
	}
	return 0;
}

const char *
config_yookassa_missing(const struct award_config *c)
{
	if (c->yk_shop_id[0] == '\0')
		return "AWARD_YOOKASSA_SHOP_ID";
	if (c->yk_secret_key[0] == '\0')
		return "AWARD_YOOKASSA_SECRET_KEY (or _FILE)";
	return NULL;
}
