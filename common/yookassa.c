/*
 * The YooKassa API client (yookassa.h, SPEC.md §11) on libcurl's easy
 * interface: one handle per client, reused between calls so that the TLS
 * connection is kept. What comes back is hostile until validate_parse()
 * and the shape checks here have passed: the size is capped while it is
 * read, the depth while it is parsed. The secret key is handed to libcurl
 * and nowhere else: not in a URL, an error or a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "atime.h"
#include "log.h"
#include "validate.h"
#include "yookassa.h"

#ifndef AWARD_VERSION
#define AWARD_VERSION "unknown"
#endif

struct yk_client {
	const struct award_config	*cfg;
	CURL				*curl;
	int				 plain_http;
	int64_t				 requests;
	yk_sleep_fn			 sleep_fn;
	void				*sleep_arg;
	int				 attempts;	/* per call */
};

/* What one HTTP request brought back. */
struct answer {
	char	*buf;
	size_t	 len, cap;
	int	 too_big;
	long	 retry_after_s;		/* -1: none */
};

static const char *const result_names[YK__MAX] = {
	"ok", "not_found", "auth", "unavailable", "bad_response",
};

static const char *const kind_paths[YK_KIND__MAX] = {
	"payments", "refunds",
};

const char *
yk_result_name(enum yk_result r)
{
	return (unsigned)r < YK__MAX ? result_names[r] : "unknown";
}

void
yk_page_free(struct yk_page *p)
{
	if (p == NULL)
		return;
	cJSON_Delete(p->root);
	free(p->text);
	free(p->spans);
	memset(p, 0, sizeof(*p));
}

void
yk_object_free(struct yk_object *o)
{
	if (o == NULL)
		return;
	cJSON_Delete(o->root);
	free(o->text);
	memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------- parsing */

int
yk_parse_list(char *text, size_t len, struct yk_page *p, char *err,
    size_t errsz)
{
	const cJSON	*type, *items, *cur, *it;
	size_t		 n;

	memset(p, 0, sizeof(*p));
	if ((p->root = validate_parse(text, len)) == NULL ||
	    !cJSON_IsObject(p->root)) {
		snprintf(err, errsz, "answer is not a JSON object");
		goto bad;
	}
	type = cJSON_GetObjectItemCaseSensitive(p->root, "type");
	if (!cJSON_IsString(type) || strcmp(type->valuestring, "list") != 0) {
		snprintf(err, errsz, "answer is not a list (type)");
		goto bad;
	}
	items = cJSON_GetObjectItemCaseSensitive(p->root, "items");
	if (!cJSON_IsArray(items)) {
		snprintf(err, errsz, "list without an items array");
		goto bad;
	}
	cJSON_ArrayForEach(it, items) {
		if (!cJSON_IsObject(it)) {
			snprintf(err, errsz, "list item %d is not an object",
			    p->n);
			goto bad;
		}
		p->n++;
	}
	cur = cJSON_GetObjectItemCaseSensitive(p->root, "next_cursor");
	if (cur != NULL && !cJSON_IsNull(cur)) {
		if (!cJSON_IsString(cur) || (n = strlen(cur->valuestring)) ==
		    0 || n > YK_CURSOR_MAX) {
			snprintf(err, errsz, "next_cursor is not a string of "
			    "1 to %d bytes", YK_CURSOR_MAX);
			goto bad;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)cur->valuestring[i] <= ' ' ||
			    (unsigned char)cur->valuestring[i] >= 0x7f) {
				snprintf(err, errsz, "next_cursor has a byte "
				    "outside printable ASCII");
				goto bad;
			}
		memcpy(p->next_cursor, cur->valuestring, n + 1);
	}
	if ((p->spans = validate_element_spans(text, len, p->root, items,
	    (size_t)p->n)) == NULL) {
		snprintf(err, errsz, "list items not found in its text");
		goto bad;
	}
	p->items = items;
	p->text = text;
	p->len = len;
	return 0;
bad:
	cJSON_Delete(p->root);
	free(text);
	memset(p, 0, sizeof(*p));
	return -1;
}

int
yk_parse_object(char *text, size_t len, struct yk_object *o, char *err,
    size_t errsz)
{
	const cJSON *id;

	memset(o, 0, sizeof(*o));
	if ((o->root = validate_parse(text, len)) == NULL ||
	    !cJSON_IsObject(o->root)) {
		snprintf(err, errsz, "answer is not a JSON object");
		goto bad;
	}
	id = cJSON_GetObjectItemCaseSensitive(o->root, "id");
	if (!cJSON_IsString(id) || !validate_id(id->valuestring)) {
		snprintf(err, errsz, "object without a valid id");
		goto bad;
	}
	o->id = id->valuestring;
	o->text = text;
	o->len = len;
	return 0;
bad:
	cJSON_Delete(o->root);
	free(text);
	memset(o, 0, sizeof(*o));
	return -1;
}

/* ---------------------------------------------------------------- URLs */

/* Append s percent-encoded (RFC 3986 unreserved kept) at buf[*at]. */
static int
put_enc(char *buf, size_t bufsz, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			if (*at + 1 >= bufsz)
				return -1;
			buf[(*at)++] = (char)ch;
		} else {
			if (*at + 3 >= bufsz)
				return -1;
			buf[(*at)++] = '%';
			buf[(*at)++] = hex[ch >> 4];
			buf[(*at)++] = hex[ch & 15];
		}
	}
	buf[*at] = '\0';
	return 0;
}

static int
put_raw(char *buf, size_t bufsz, size_t *at, const char *s)
{
	size_t n = strlen(s);

	if (*at + n >= bufsz)
		return -1;
	memcpy(buf + *at, s, n + 1);
	*at += n;
	return 0;
}

int
yk_url_list(char *buf, size_t bufsz, const char *base, enum yk_kind kind,
    int64_t since_ms, const char *cursor)
{
	char	t[ATIME_BUFSZ];
	size_t	at = 0;

	if (bufsz == 0 || (unsigned)kind >= YK_KIND__MAX)
		return -1;
	buf[0] = '\0';
	/*
	 * T as SPEC.md §11 writes it, YYYY-MM-DDTHH:MM:SS.mmmZ: ':' may
	 * stand in a query (RFC 3986 §3.4), and an encoded one is not the
	 * same text to every server.
	 */
	atime_format(since_ms, t);
	if (put_raw(buf, bufsz, &at, base) == -1 ||
	    put_raw(buf, bufsz, &at, "/") == -1 ||
	    put_raw(buf, bufsz, &at, kind_paths[kind]) == -1 ||
	    put_raw(buf, bufsz, &at, "?status=succeeded&created_at.gte=") ==
	    -1 || put_raw(buf, bufsz, &at, t) == -1 ||
	    put_raw(buf, bufsz, &at, "&limit=") == -1)
		return -1;
	{
		char lim[16];

		snprintf(lim, sizeof(lim), "%d", YK_PAGE_LIMIT);
		if (put_raw(buf, bufsz, &at, lim) == -1)
			return -1;
	}
	if (cursor != NULL && *cursor != '\0' &&
	    (put_raw(buf, bufsz, &at, "&cursor=") == -1 ||
	    put_enc(buf, bufsz, &at, cursor) == -1))
		return -1;
	return 0;
}

int
yk_url_object(char *buf, size_t bufsz, const char *base, enum yk_kind kind,
    const char *id)
{
	size_t at = 0;

	if (bufsz == 0 || (unsigned)kind >= YK_KIND__MAX || id == NULL ||
	    *id == '\0')
		return -1;
	buf[0] = '\0';
	if (put_raw(buf, bufsz, &at, base) == -1 ||
	    put_raw(buf, bufsz, &at, "/") == -1 ||
	    put_raw(buf, bufsz, &at, kind_paths[kind]) == -1 ||
	    put_raw(buf, bufsz, &at, "/") == -1 ||
	    put_enc(buf, bufsz, &at, id) == -1)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- HTTP */

int
yk_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer	*a = arg;
	size_t		 n = size * nmemb;
	char		*nb;

	if (n > YK_RESPONSE_MAX - a->len) {
		a->too_big = 1;
		return 0;	/* ends the transfer: CURLE_WRITE_ERROR */
	}
	if (a->len + n + 1 > a->cap) {
		size_t cap = a->cap ? a->cap : 16384;

		while (cap < a->len + n + 1)
			cap *= 2;
		if ((nb = realloc(a->buf, cap)) == NULL)
			return 0;
		a->buf = nb;
		a->cap = cap;
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return n;
}

/* Retry-After as delta-seconds or as an HTTP-date. */
static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct answer	*a = arg;
	size_t		 n = size * nmemb, k = strlen("retry-after:"), i, len;
	long		 v = 0;
	char		 date[64];
	time_t		 t;

	if (n <= k || strncasecmp(data, "retry-after:", k) != 0)
		return n;
	for (i = k; i < n && (data[i] == ' ' || data[i] == '\t'); i++)
		continue;
	if (i < n && data[i] >= '0' && data[i] <= '9') {
		for (; i < n && data[i] >= '0' && data[i] <= '9'; i++)
			if ((v = v * 10 + (data[i] - '0')) > 86400)
				v = 86400;
		a->retry_after_s = v;
		return n;
	}
	/* Or an HTTP-date (RFC 9110 §10.2.3): the wait until then. */
	for (len = n - i; len > 0 && (data[i + len - 1] == '\r' ||
	    data[i + len - 1] == '\n' || data[i + len - 1] == ' '); len--)
		continue;
	if (len == 0 || len >= sizeof(date))
		return n;
	memcpy(date, data + i, len);
	date[len] = '\0';
	if ((t = curl_getdate(date, NULL)) == -1)
		return n;
	t -= time(NULL);
	a->retry_after_s = t < 0 ? 0 : t > 86400 ? 86400 : (long)t;
	return n;
}

struct yk_client *
yk_open(const struct award_config *cfg, char *err, size_t errsz)
{
	struct yk_client	*c;
	const char		*why, *missing;

	if ((missing = config_yookassa_missing(cfg)) != NULL) {
		snprintf(err, errsz, "YooKassa's API is not configured: %s "
		    "is not set", missing);
		return NULL;
	}
	if (config_api_url_ok(cfg->yk_api, &why) == -1) {
		snprintf(err, errsz, "AWARD_YOOKASSA_API: %s", why);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->plain_http = strncmp(cfg->yk_api, "http://", 7) == 0;
	if ((c->curl = curl_easy_init()) == NULL) {
		snprintf(err, errsz, "libcurl: cannot make a handle");
		free(c);
		return NULL;
	}
	c->attempts = YK_ATTEMPTS;
	return c;
}

void
yk_close(struct yk_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void
yk_set_attempts(struct yk_client *c, int n)
{
	c->attempts = n < 1 ? 1 : n > YK_ATTEMPTS ? YK_ATTEMPTS : n;
}

int64_t
yk_requests(const struct yk_client *c)
{
	return c->requests;
}

void
yk_set_sleep(struct yk_client *c, yk_sleep_fn fn, void *arg)
{
	c->sleep_fn = fn;
	c->sleep_arg = arg;
}

static void
wait_ms(struct yk_client *c, int ms)
{
	struct timespec ts;

	if (c->sleep_fn != NULL) {
		c->sleep_fn(c->sleep_arg, ms);
		return;
	}
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * One GET of url. Returns CURLE_OK with *status set, or the curl error
 * with a message (no credentials in it: libcurl's error buffer names
 * the host and what failed).
 */
static CURLcode
get_once(struct yk_client *c, const char *url, struct answer *a,
    long *status, char *err, size_t errsz)
{
	char		 ebuf[CURL_ERROR_SIZE];
	CURL		*h = c->curl;
	CURLcode	 rc;

	free(a->buf);
	memset(a, 0, sizeof(*a));
	a->retry_after_s = -1;
	*status = 0;
	ebuf[0] = '\0';
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->plain_http ? "http" :
	    "https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->cfg->yk_shop_id);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->cfg->yk_secret_key);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->cfg->yk_timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)c->cfg->yk_timeout_ms);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE, (long)YK_RESPONSE_MAX);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_USERAGENT, "award/" AWARD_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	c->requests++;
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	else
		snprintf(err, errsz, "%s", a->too_big ? "answer larger than "
		    "the cap" : ebuf[0] ? ebuf : curl_easy_strerror(rc));
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	return rc;
}

/*
 * GET url with the retries of SPEC.md §11: a connection error, a timeout,
 * 429 or 5xx is tried again, YK_ATTEMPTS requests in all, waiting
 * Retry-After (at most YK_RETRY_AFTER_MAX_S) or 1 s, 2 s, 4 s. On YK_OK
 * the body is handed over in *body / *len (caller frees).
 */
static enum yk_result
get(struct yk_client *c, const char *url, char **body, size_t *len,
    char *err, size_t errsz)
{
	struct answer	 a = { 0 };
	enum yk_result	 r = YK_UNAVAILABLE;
	long		 status = 0;
	CURLcode	 rc;
	int		 wait;

	*body = NULL;
	*len = 0;
	for (int attempt = 1; attempt <= c->attempts; attempt++) {
		rc = get_once(c, url, &a, &status, err, errsz);
		if (rc == CURLE_OK && status >= 200 && status < 300) {
			r = YK_OK;
			break;
		}
		if (rc == CURLE_OK && status == 404) {
			snprintf(err, errsz, "404: not found");
			r = YK_NOT_FOUND;
			break;
		}
		if (rc == CURLE_OK && (status == 401 || status == 403)) {
			snprintf(err, errsz, "%ld: YooKassa refused the "
			    "credentials (shop id %s)", status,
			    c->cfg->yk_shop_id);
			r = YK_AUTH;
			break;
		}
		if (a.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(err, errsz, "answer larger than %d bytes",
			    YK_RESPONSE_MAX);
			r = YK_BAD_RESPONSE;
			break;
		}
		if (rc == CURLE_OK && status != 429 && status < 500) {
			snprintf(err, errsz, "unexpected HTTP status %ld",
			    status);
			r = YK_BAD_RESPONSE;
			break;
		}
		if (rc == CURLE_OK)
			snprintf(err, errsz, "HTTP status %ld", status);
		if (rc == CURLE_UNSUPPORTED_PROTOCOL ||
		    rc == CURLE_URL_MALFORMAT) {
			r = YK_BAD_RESPONSE;
			break;
		}
		r = YK_UNAVAILABLE;
		if (attempt == c->attempts)
			break;
		wait = 1000 << (attempt - 1);
		if (a.retry_after_s >= 0)
			wait = (int)(a.retry_after_s > YK_RETRY_AFTER_MAX_S ?
			    YK_RETRY_AFTER_MAX_S : a.retry_after_s) * 1000;
		log_msg(LOG_WARN, "YooKassa API: trying again",
		    LF_INT("attempt", attempt), LF_INT("wait_ms", wait),
		    LF_STR("error", err), LF_END);
		wait_ms(c, wait);
	}
	if (r == YK_OK) {
		if (a.buf == NULL) {
			snprintf(err, errsz, "empty answer");
			return YK_BAD_RESPONSE;
		}
		*body = a.buf;
		*len = a.len;
		return YK_OK;
	}
	if (r == YK_UNAVAILABLE) {
		char why[YK_ERR_MAX];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errsz, "after %d requests: %s", c->attempts,
		    why);
	}
	free(a.buf);
	return r;
}

enum yk_result
yk_list(struct yk_client *c, enum yk_kind kind, int64_t since_ms,
    const char *cursor, struct yk_page *page, char *err, size_t errsz)
{
	char		 url[YK_URL_MAX];
	char		*body;
	size_t		 len;
	enum yk_result	 r;

	memset(page, 0, sizeof(*page));
	if (yk_url_list(url, sizeof(url), c->cfg->yk_api, kind, since_ms,
	    cursor) == -1) {
		snprintf(err, errsz, "list URL too long");
		return YK_BAD_RESPONSE;
	}
	if ((r = get(c, url, &body, &len, err, errsz)) != YK_OK)
		return r;
	if (yk_parse_list(body, len, page, err, errsz) == -1)
		return YK_BAD_RESPONSE;
	return YK_OK;
}

enum yk_result
yk_get(struct yk_client *c, enum yk_kind kind, const char *id,
    struct yk_object *obj, char *err, size_t errsz)
{
	char		 url[YK_URL_MAX];
	char		*body;
	size_t		 len;
	enum yk_result	 r;

	memset(obj, 0, sizeof(*obj));
	if (!validate_id(id) || yk_url_object(url, sizeof(url),
	    c->cfg->yk_api, kind, id) == -1) {
		snprintf(err, errsz, "not an object id");
		return YK_BAD_RESPONSE;
	}
	if ((r = get(c, url, &body, &len, err, errsz)) != YK_OK)
		return r;
	if (yk_parse_object(body, len, obj, err, errsz) == -1)
		return YK_BAD_RESPONSE;
	if (strcmp(obj->id, id) != 0) {
		snprintf(err, errsz, "answer is another object than asked");
		yk_object_free(obj);
		return YK_BAD_RESPONSE;
	}
	return YK_OK;
}
