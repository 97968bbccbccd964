/*
 * Unit tests for the responder's request parsers (fcgi/http.c): the query
 * string (http_query), the browser's Origin against the origin the request
 * reached (http_same_origin, RFC 6454 §6.1) and the Authorization header
 * (http_auth: Bearer, and Basic where allowed). Every input is hostile.
 * Requests are built from their string fields only: the transport under
 * struct request is not these parsers' business.
 */
#include <string.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "../../fcgi/http.h"
#include "memtune.h"

#define TOKEN	"adm-0123456789abcdef0123456789abcdef"

static int
query(const char *q, const char *name, char *buf, size_t bufsz)
{
	memset(buf, 'X', bufsz);
	return http_query(q, name, buf, bufsz);
}

Test(http, query_found_absent_and_decoded)
{
	char buf[32];

	cr_assert_eq(query("limit=5&q=a%20b+c", "limit", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "5");
	cr_assert_eq(query("limit=5&q=a%20b+c", "q", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "a b c");
	cr_assert_eq(query("limit=5", "q", buf, sizeof(buf)), 0);
	cr_assert_eq(query("", "q", buf, sizeof(buf)), 0);
	cr_assert_eq(query(NULL, "q", buf, sizeof(buf)), 0);
	cr_assert_eq(query("q=%C3%A9", "q", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "\xc3\xa9");
}

Test(http, query_name_is_whole_not_a_prefix)
{
	char buf[32];

	cr_assert_eq(query("limitx=9&xlimit=8", "limit", buf, sizeof(buf)), 0);
	cr_assert_eq(query("limitx=9&limit=7", "limit", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "7");
	/* A name without '=' is present with an empty value. */
	cr_assert_eq(query("a=1&flag", "flag", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(query("flag=&a=1", "flag", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "");
}

Test(http, query_malformed_percent_nul_and_too_long)
{
	char buf[8];

	cr_assert_eq(query("q=%", "q", buf, sizeof(buf)), -1);
	cr_assert_eq(query("q=%4", "q", buf, sizeof(buf)), -1);
	cr_assert_eq(query("q=%zz", "q", buf, sizeof(buf)), -1);
	cr_assert_eq(query("q=%4&x=1", "q", buf, sizeof(buf)), -1);
	cr_assert_eq(query("q=a%00b", "q", buf, sizeof(buf)), -1);
	/* 7 bytes and the NUL fit in 8; 8 bytes do not. */
	cr_assert_eq(query("q=1234567", "q", buf, sizeof(buf)), 1);
	cr_assert_str_eq(buf, "1234567");
	cr_assert_eq(query("q=12345678", "q", buf, sizeof(buf)), -1);
	cr_assert_eq(query("q=%31%32%33%34%35%36%37%38", "q", buf,
	    sizeof(buf)), -1);
}

static int
same(const char *origin, const char *scheme, const char *host,
    const char *port)
{
	struct request r = { .origin = origin, .scheme = scheme,
	    .host = host, .server_port = port };

	return http_same_origin(&r);
}

Test(http, same_origin_default_and_other_ports)
{
	cr_assert_eq(same("https://award.example", "https", "award.example",
	    "443"), 1);
	cr_assert_eq(same("https://award.example:8443", "https",
	    "award.example:8443", "8443"), 1);
	/* The port is the server's, not the one the client put in Host. */
	cr_assert_eq(same("https://award.example", "https",
	    "award.example:8443", "443"), 1);
	cr_assert_eq(same("http://127.0.0.1:8080", "http", "127.0.0.1",
	    "8080"), 1);
	cr_assert_eq(same("http://award.example", "http", "award.example",
	    "80"), 1);
	cr_assert_eq(same("https://[::1]:8443", "https", "[::1]:8443",
	    "8443"), 1);
	cr_assert_eq(same("HTTPS://Award.Example", "https", "award.example",
	    "443"), 1);
}

Test(http, same_origin_refuses_others_and_missing_parts)
{
	cr_assert_eq(same(NULL, "https", "award.example", "443"), 0);
	cr_assert_eq(same("null", "https", "award.example", "443"), 0);
	cr_assert_eq(same("https://evil.example", "https", "award.example",
	    "443"), 0);
	cr_assert_eq(same("http://award.example", "https", "award.example",
	    "443"), 0);
	cr_assert_eq(same("https://award.example:443", "https",
	    "award.example", "443"), 0);
	cr_assert_eq(same("https://award.example", "https", "award.example",
	    "8443"), 0);
	cr_assert_eq(same("https://award.example.evil", "https",
	    "award.example", "443"), 0);
	cr_assert_eq(same("https://award.example", NULL, "award.example",
	    "443"), 0);
	cr_assert_eq(same("https://award.example", "https", NULL, "443"), 0);
	cr_assert_eq(same("https://award.example", "https", "award.example",
	    NULL), 0);
	cr_assert_eq(same("ftp://award.example", "ftp", "award.example",
	    "21"), 0);
	cr_assert_eq(same("https://award.example:x", "https",
	    "award.example", "x"), 0);
	cr_assert_eq(same("https://a b", "https", "a b", "443"), 0);
	cr_assert_eq(same("https://a/b", "https", "a/b", "443"), 0);
}

static enum auth_result
auth(const char *header, const char *token, int basic)
{
	struct request r = { .authorization = header };

	return http_auth(&r, token, basic);
}

Test(http, auth_bearer)
{
	cr_assert_eq(auth("Bearer " TOKEN, TOKEN, 0), AUTH_OK);
	cr_assert_eq(auth("bearer   " TOKEN, TOKEN, 0), AUTH_OK);
	cr_assert_eq(auth("Bearer " TOKEN "x", TOKEN, 0), AUTH_MISSING);
	cr_assert_eq(auth("Bearer " "adm-0123456789abcdef0123456789abcdeF",
	    TOKEN, 0), AUTH_MISSING);
	cr_assert_eq(auth("Bearer ", TOKEN, 0), AUTH_MISSING);
	cr_assert_eq(auth("Token " TOKEN, TOKEN, 0), AUTH_MISSING);
	cr_assert_eq(auth(NULL, TOKEN, 0), AUTH_MISSING);
	/* No token configured: off, whatever the client sends. */
	cr_assert_eq(auth("Bearer " TOKEN, "", 0), AUTH_OFF);
	cr_assert_eq(auth(NULL, "", 1), AUTH_OFF);
}

/* base64("admin:" TOKEN), base64("admin" TOKEN) and base64(":" TOKEN). */
#define B64_USER_TOKEN	"YWRtaW46YWRtLTAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nzg5YWJjZGVm"
#define B64_NO_COLON	"YWRtaW5hZG0tMDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
#define B64_EMPTY_USER	"OmFkbS0wMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg=="

Test(http, auth_basic_only_where_allowed)
{
	cr_assert_eq(auth("Basic " B64_USER_TOKEN, TOKEN, 1), AUTH_OK);
	cr_assert_eq(auth("Basic " B64_EMPTY_USER, TOKEN, 1), AUTH_OK);
	cr_assert_eq(auth("Basic " B64_USER_TOKEN, TOKEN, 0), AUTH_MISSING);
	cr_assert_eq(auth("Basic " B64_NO_COLON, TOKEN, 1), AUTH_MISSING);
	cr_assert_eq(auth("Basic !!!notbase64", TOKEN, 1), AUTH_MISSING);
	cr_assert_eq(auth("Basic ", TOKEN, 1), AUTH_MISSING);
	cr_assert_eq(auth("Basic YWRtaW46", TOKEN, 1), AUTH_MISSING);
}

/*
 * With cJSON's memory from the caches (memtune_json(), as award-fcgi
 * runs), a JSON body is still malloc's own: http_send() frees it with
 * free(3), and so does this test. Freeing cJSON's printed text there
 * instead crashes (glibc: invalid pointer; ASan: not malloc'd).
 */
Test(http, json_body_is_malloc_s_with_cjson_hooks)
{
	struct response	 res;
	cJSON		*o;

	memtune_json();
	memset(&res, 0, sizeof(res));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "award", "awarded");
	cJSON_AddNumberToObject(o, "tickets", 3);
	http_json(&res, 200, o);
	cr_assert_eq(res.status, 200);
	cr_assert_str_eq(res.body, "{\"award\":\"awarded\",\"tickets\":3}");
	cr_assert_eq(res.len, strlen(res.body));
	free(res.body);
}
