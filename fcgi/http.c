/*
 * The request/response plumbing over parsed FastCGI records (fcgi_rec.h;
 * FastCGI 1.0 §6.2: a responder writes CGI-style headers, then the body).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "http.h"
#include "log.h"

static const char *
param(const struct frec *fr, const char *name)
{
	return frec_param(fr, name);
}

void
http_request_init(struct request *r, const struct frec *fr, int fd,
    int send_timeout_ms)
{
	const char *p;

	memset(r, 0, sizeof(*r));
	r->fr = fr;
	r->fd = fd;
	r->send_timeout_ms = send_timeout_ms;
	r->method = (p = param(fr, "REQUEST_METHOD")) != NULL ? p : "";
	/* HEAD is GET without the body (RFC 9110 §9.3.2). */
	if (strcmp(r->method, "HEAD") == 0) {
		r->head = 1;
		r->method = "GET";
	}
	if ((p = param(fr, "DOCUMENT_URI")) == NULL &&
	    (p = param(fr, "SCRIPT_NAME")) == NULL)
		p = "";
	r->path = p;
	r->query = (p = param(fr, "QUERY_STRING")) != NULL ? p : "";
	r->remote_addr = param(fr, "REMOTE_ADDR");
	r->request_id = param(fr, "REQUEST_ID");
	r->authorization = param(fr, "HTTP_AUTHORIZATION");
	r->content_length = param(fr, "CONTENT_LENGTH");
	r->content_type = param(fr, "CONTENT_TYPE");
	r->origin = param(fr, "HTTP_ORIGIN");
	r->host = param(fr, "HTTP_HOST");
	r->scheme = param(fr, "REQUEST_SCHEME");
	r->server_port = param(fr, "SERVER_PORT");
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void
http_json(struct response *res, int status, cJSON *tree)
{
	char	*p = tree != NULL ? cJSON_PrintUnformatted(tree) : NULL;
	char	*s = p != NULL ? strdup(p) : NULL;

	/* cJSON's memory may be its own (memtune_json()); a body is malloc's. */
	cJSON_free(p);
	cJSON_Delete(tree);
	free(res->body);
	if (s == NULL) {
		res->status = 500;
		res->ctype = CTYPE_JSON;
		res->body = strdup("{\"error\":\"out of memory\"}");
		res->len = res->body != NULL ? strlen(res->body) : 0;
		return;
	}
	res->status = status;
	res->ctype = CTYPE_JSON;
	res->body = s;
	res->len = strlen(s);
}

void
http_error(struct response *res, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL)
		cJSON_AddStringToObject(o, "error", msg);
	http_json(res, status, o);
}

void
http_send(struct request *req, struct response *res)
{
	char	hdr[2048];
	int	n;

	n = snprintf(hdr, sizeof(hdr), "Status: %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Cache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "%s%s%s"
	    "%s%s%s"
	    "%s%s%s"
	    "%s%s"
	    "Content-Length: %zu\r\n\r\n",
	    res->status, reason(res->status),
	    res->ctype != NULL ? res->ctype : CTYPE_JSON,
	    res->allow != NULL ? "Allow: " : "",
	    res->allow != NULL ? res->allow : "",
	    res->allow != NULL ? "\r\n" : "",
	    res->location != NULL ? "Location: " : "",
	    res->location != NULL ? res->location : "",
	    res->location != NULL ? "\r\n" : "",
	    res->csp != NULL ? "Content-Security-Policy: " : "",
	    res->csp != NULL ? res->csp : "",
	    res->csp != NULL ? "\r\nX-Frame-Options: DENY\r\n"
	    "Referrer-Policy: same-origin\r\n" : "",
	    res->status == 401 && res->auth_bearer ?
	    "WWW-Authenticate: Bearer realm=\"award\"\r\n" : "",
	    res->status == 401 && res->auth_basic ?
	    "WWW-Authenticate: Basic realm=\"award\", charset=\"UTF-8\"\r\n" :
	    "", res->len);
	assert(n > 0 && (size_t)n < sizeof(hdr));
	if (frec_send_response(req->fd, req->fr->id, hdr, (size_t)n,
	    res->body, req->head ? 0 : res->len, req->send_timeout_ms) == -1) {
		req->send_failed = 1;
		log_msg(LOG_WARN, "response not delivered (client gone?)",
		    LF_STR("request_id", req->request_id),
		    LF_INT("status", res->status),
		    LF_STR("error", strerror(errno)), LF_END);
	}
	free(res->body);
	res->body = NULL;
}

/*
 * The body was read in the poll loop (conn.c), bounded by AWARD_MAX_BODY
 * there; max is checked again here for a route with a lower limit.
 */
static int
read_body(struct request *req, size_t max, char **body, size_t *len)
{
	const char	*b;
	char		*buf;
	size_t		 n;
	int		 rc;

	*body = NULL;
	*len = 0;
	if ((rc = frec_body(req->fr, &b, &n)) != 0)
		return rc;
	if (n > max)
		return 1;
	if ((buf = malloc(n + 1)) == NULL)
		return -1;
	memcpy(buf, b, n);
	buf[n] = '\0';
	*body = buf;
	*len = n;
	return 0;
}

int
http_read_body(struct request *req, size_t max, char **body, size_t *len)
{
	int rc = read_body(req, max, body, len);

	if (req->read_done != NULL)
		req->read_done(req->read_done_arg);
	return rc;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
http_query(const char *query, const char *name, char *buf, size_t bufsz)
{
	size_t		 nlen = strlen(name);
	const char	*p = query;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');

		if (end == NULL)
			end = p + strlen(p);
		if (strncmp(p, name, nlen) == 0 &&
		    (p[nlen] == '=' || p + nlen == end)) {
			size_t n = 0;

			for (p += nlen + (p[nlen] == '='); p < end; p++) {
				char c = *p;

				if (c == '+')
					c = ' ';
				else if (c == '%') {
					int hi, lo;

					if (end - p < 3 ||
					    (hi = hexval(p[1])) < 0 ||
					    (lo = hexval(p[2])) < 0)
						return -1;
					c = (char)(hi * 16 + lo);
					p += 2;
				}
				if (n + 1 >= bufsz || c == '\0')
					return -1;
				buf[n++] = c;
			}
			buf[n] = '\0';
			return 1;
		}
		p = *end == '&' ? end + 1 : NULL;
	}
	return 0;
}

/*
 * The host part of a Host header value (without its port) in *len, or -1
 * when the value is not a host name, an IPv4 address or a bracketed IPv6
 * address, optionally followed by ":digits".
 */
static int
host_part(const char *h, size_t *len)
{
	const char	*end, *port;
	size_t		 n;

	if (h[0] == '[') {
		if ((end = strchr(h, ']')) == NULL)
			return -1;
		n = (size_t)(end - h) + 1;
		for (size_t i = 1; i + 1 < n; i++)
			if (strchr("0123456789abcdefABCDEF:.", h[i]) == NULL)
				return -1;
		port = h + n;
	} else {
		port = strchr(h, ':');
		n = port != NULL ? (size_t)(port - h) : strlen(h);
		for (size_t i = 0; i < n; i++)
			if (strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-", h[i]) ==
			    NULL)
				return -1;
		if (port == NULL)
			port = h + n;
	}
	if (n == 0 || n > 255)
		return -1;
	if (*port == ':') {
		if (port[1] == '\0')
			return -1;
		for (port++; *port != '\0'; port++)
			if (*port < '0' || *port > '9')
				return -1;
	} else if (*port != '\0')
		return -1;
	*len = n;
	return 0;
}

/*
 * Why the client's Host header may name the host: the Origin header is
 * written by the browser, never by a page, and names the origin of the
 * page that made the request. A page on another site that posts a form
 * here sends its own origin with our Host, so the two never match. A
 * page can make the browser send a Host of its choosing only by DNS
 * rebinding (its own name resolving to this server): then Origin and Host
 * both name the attacker's site and would match — but the browser sends
 * Basic credentials only to the origin they were given for (ours, not the
 * attacker's name), so such a request carries none and fails
 * authentication; over HTTPS it also fails the TLS name check first.
 * nginx's $host or $server_name could not do better: $host is this same
 * header, lower-cased, and $server_name is "_" in the shipped config. The
 * scheme and the port are nginx's own ($scheme, $server_port), which no
 * client can write; the Host header's port is ignored, so behind a proxy
 * that maps another port onto nginx's the check fails closed.
 */
int
http_same_origin(const struct request *req)
{
	char		 want[512];
	const char	*s = req->scheme, *port = req->server_port;
	size_t		 hlen;
	int		 n, dflt;

	if (req->origin == NULL || s == NULL || req->host == NULL ||
	    port == NULL || host_part(req->host, &hlen) == -1)
		return 0;
	if (strcmp(s, "https") == 0)
		dflt = strcmp(port, "443") == 0;
	else if (strcmp(s, "http") == 0)
		dflt = strcmp(port, "80") == 0;
	else
		return 0;
	if (port[0] == '\0' || strspn(port, "0123456789") != strlen(port))
		return 0;
	n = snprintf(want, sizeof(want), "%s://%.*s%s%s", s, (int)hlen,
	    req->host, dflt ? "" : ":", dflt ? "" : port);
	if (n < 0 || (size_t)n >= sizeof(want))
		return 0;
	return strcasecmp(req->origin, want) == 0;
}

int
http_is_form(const struct request *req)
{
	static const char form[] = "application/x-www-form-urlencoded";
	const char *ct = req->content_type;

	return ct != NULL && strncasecmp(ct, form, sizeof(form) - 1) == 0 &&
	    (ct[sizeof(form) - 1] == '\0' || ct[sizeof(form) - 1] == ';' ||
	    ct[sizeof(form) - 1] == ' ');
}

void
http_see_other(struct response *res, const char *path)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL)
		cJSON_AddStringToObject(o, "location", path);
	http_json(res, 303, o);
	if (res->status == 303)
		res->location = path;
}

/* Constant-time comparison of a given secret with the configured one. */
static int
ct_equal(const char *given, size_t glen, const char *want)
{
	size_t		 wlen = strlen(want);
	unsigned char	 d = glen != wlen;

	for (size_t i = 0; i < wlen; i++)
		d |= (unsigned char)(i < glen ? given[i] : 0) ^
		    (unsigned char)want[i];
	return d == 0;
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 s into out (outsz); returns length or -1. */
static long
b64decode(const char *s, char *out, size_t outsz)
{
	size_t		n = 0;
	unsigned	acc = 0;
	int		bits = 0, v;

	for (; *s != '\0' && *s != '='; s++) {
		if ((v = b64val(*s)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outsz)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	while (*s == '=')
		s++;
	if (*s != '\0')
		return -1;
	out[n] = '\0';
	return (long)n;
}

enum auth_result
http_auth(const struct request *req, const char *token, int allow_basic)
{
	const char	*h = req->authorization;
	char		 dec[2 * CONFIG_TOKEN_MAX];
	const char	*pw;
	long		 n;

	if (token[0] == '\0')
		return AUTH_OFF;
	if (h == NULL)
		return AUTH_MISSING;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		h += 7;
		while (*h == ' ')
			h++;
		return ct_equal(h, strlen(h), token) ? AUTH_OK : AUTH_MISSING;
	}
	if (allow_basic && strncasecmp(h, "Basic ", 6) == 0) {
		h += 6;
		while (*h == ' ')
			h++;
		if ((n = b64decode(h, dec, sizeof(dec))) < 0 ||
		    (pw = memchr(dec, ':', (size_t)n)) == NULL)
			return AUTH_MISSING;
		pw++;
		return ct_equal(pw, (size_t)(dec + n - pw), token) ?
		    AUTH_OK : AUTH_MISSING;
	}
	return AUTH_MISSING;
}

/* A Basic name this long or longer is checked against the token too. */
#define ACTOR_TOKEN_PART	16

/* 1 when the n bytes at s hold the k bytes at t (k > 0). */
static int
holds(const char *s, size_t n, const char *t, size_t k)
{
	for (size_t i = 0; k > 0 && i + k <= n; i++)
		if (memcmp(s + i, t, k) == 0)
			return 1;
	return 0;
}

void
http_auth_actor(const struct request *req, char *buf, size_t bufsz)
{
	const char	*h = req->authorization;
	char		 dec[2 * CONFIG_TOKEN_MAX];
	const char	*colon;
	long		 n;
	size_t		 len, plen, i;

	if (bufsz == 0)
		return;
	snprintf(buf, bufsz, "token");
	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return;
	h += 6;
	while (*h == ' ')
		h++;
	if ((n = b64decode(h, dec, sizeof(dec))) < 0 ||
	    (colon = memchr(dec, ':', (size_t)n)) == NULL)
		return;
	len = (size_t)(colon - dec);
	/*
	 * No name, or one with the token in it (the password is the token:
	 * pasted into both fields, maybe with more around it or cut short):
	 * never recorded.
	 */
	plen = (size_t)n - len - 1;
	if (len == 0 || holds(dec, len, colon + 1, plen) ||
	    (len >= ACTOR_TOKEN_PART && holds(colon + 1, plen, dec, len))) {
		snprintf(buf, bufsz, "basic");
		return;
	}
	if (len >= bufsz)
		len = bufsz - 1;
	for (i = 0; i < len; i++)
		buf[i] = dec[i] >= 0x20 && dec[i] < 0x7f && dec[i] != '"' &&
		    dec[i] != '\\' ? dec[i] : '?';
	buf[len] = '\0';
}
