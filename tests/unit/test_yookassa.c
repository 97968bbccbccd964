/*
 * Unit tests for common/yookassa.c (SPEC.md §11) and its settings
 * (SPEC.md §7): URL building, list and object parsing, and the client
 * against the mock API (tests/mock/yookassa.py, python3 on loopback):
 * pages and cursors, the retry rules (counted in the mock's request log,
 * waits caught by the sleep hook, never slept), 401, 404, malformed
 * answers, a hang past the timeout, the size cap, and http:// to a
 * host that is not loopback refused before any request.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "testutil.h"
#include "yookassa.h"

#define SHOP	"123456"
#define KEY	"test_secret_key_0123456789abcdefghijklmnop"
#define MOCK_DEFAULT "tests/mock/yookassa.py"

/* ------------------------------------------------------- URL building */

Test(yk_url, list_first_page_exact)
{
	char url[YK_URL_MAX];

	cr_assert_eq(yk_url_list(url, sizeof(url), "https://api.yookassa.ru/v3",
	    YK_PAYMENTS, tu_ms("2026-11-27T10:51:18.139Z"), NULL), 0);
	cr_assert_str_eq(url, "https://api.yookassa.ru/v3/payments?"
	    "status=succeeded&created_at.gte=2026-11-27T10:51:18.139Z"
	    "&limit=100");
}

Test(yk_url, list_cursor_percent_encoded)
{
	char url[YK_URL_MAX];

	cr_assert_eq(yk_url_list(url, sizeof(url), "http://127.0.0.1:1/v3",
	    YK_REFUNDS, tu_ms("2026-01-02T03:04:05Z"), "a+b/c=&d e"), 0);
	cr_assert_str_eq(url, "http://127.0.0.1:1/v3/refunds?status=succeeded"
	    "&created_at.gte=2026-01-02T03:04:05.000Z&limit=100"
	    "&cursor=a%2Bb%2Fc%3D%26d%20e");
}

Test(yk_url, object_id_encoded)
{
	char url[YK_URL_MAX];

	cr_assert_eq(yk_url_object(url, sizeof(url), "https://h/v3",
	    YK_PAYMENTS, "2f0-a.b_c:d"), 0);
	cr_assert_str_eq(url, "https://h/v3/payments/2f0-a.b_c%3Ad");
	cr_assert_eq(yk_url_object(url, sizeof(url), "https://h/v3",
	    YK_REFUNDS, "../x?y"), 0);
	cr_assert_str_eq(url, "https://h/v3/refunds/..%2Fx%3Fy");
}

Test(yk_url, too_long_refused)
{
	char url[64];

	cr_assert_eq(yk_url_list(url, sizeof(url), "https://api.yookassa.ru/v3",
	    YK_PAYMENTS, 0, "cursor"), -1);
}

/* ------------------------------------------------------------ parsing */

static int
parse_list(const char *json, struct yk_page *p, char *err)
{
	char *t = strdup(json);

	cr_assert_not_null(t);
	return yk_parse_list(t, strlen(t), p, err, YK_ERR_MAX);
}

Test(yk_parse, list_with_cursor)
{
	struct yk_page	p;
	char		err[YK_ERR_MAX];

	cr_assert_eq(parse_list("{\"type\":\"list\",\"items\":[{\"id\":\"a\"},"
	    "{\"id\":\"b\"}],\"next_cursor\":\"Mg==\"}", &p, err), 0, "%s",
	    err);
	cr_assert_eq(p.n, 2);
	cr_assert_str_eq(p.next_cursor, "Mg==");
	cr_assert_str_eq(cJSON_GetArrayItem(p.items, 1)->child->valuestring,
	    "b");
	yk_page_free(&p);
}

/*
 * Each item's own text, found in one walk of the page: a number in an
 * item is then read from that text alone (not the page from its start
 * for every item, quadratic over a 4 MB page).
 */
Test(yk_parse, items_carry_their_text)
{
	static const char *want[] = {
		"{\"id\":\"a\",\"metadata\":{\"telegram_id\":123}}",
		"{ \"id\" : \"b\", \"x\": [1, {\"y\": \"]}\"}],"
		    " \"metadata\": {\"telegram_id\": 4567} }",
		"{}",
	};
	struct yk_page	 p;
	char		 err[YK_ERR_MAX];
	const char	*tok;
	const cJSON	*it, *tg;
	size_t		 toklen, i = 0;

	cr_assert_eq(parse_list("\xEF\xBB\xBF{\"type\":\"list\", \"items\" :"
	    " [ {\"id\":\"a\",\"metadata\":{\"telegram_id\":123}} ,\n"
	    "{ \"id\" : \"b\", \"x\": [1, {\"y\": \"]}\"}], \"metadata\":"
	    " {\"telegram_id\": 4567} },{}]}", &p, err), 0, "%s", err);
	cr_assert_eq(p.n, 3);
	cJSON_ArrayForEach(it, p.items) {
		cr_assert_eq(p.spans[i].len, strlen(want[i]), "item %zu", i);
		cr_assert_eq(memcmp(p.spans[i].text, want[i], p.spans[i].len),
		    0, "item %zu: %.*s", i, (int)p.spans[i].len,
		    p.spans[i].text);
		tg = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "metadata"),
		    "telegram_id");
		if (tg != NULL) {
			cr_assert_eq(validate_number_text(p.spans[i].text,
			    p.spans[i].len, it, tg, &tok, &toklen), 0);
			cr_assert_eq(toklen, i == 0 ? 3 : 4);
			cr_assert_eq(memcmp(tok, i == 0 ? "123" : "4567",
			    toklen), 0);
		}
		i++;
	}
	yk_page_free(&p);
}

Test(yk_parse, last_page_without_cursor)
{
	struct yk_page	p;
	char		err[YK_ERR_MAX];

	cr_assert_eq(parse_list("{\"type\":\"list\",\"items\":[]}", &p, err),
	    0);
	cr_assert_eq(p.n, 0);
	cr_assert_str_eq(p.next_cursor, "");
	yk_page_free(&p);
	cr_assert_eq(parse_list("{\"type\":\"list\",\"items\":[],"
	    "\"next_cursor\":null}", &p, err), 0);
	cr_assert_str_eq(p.next_cursor, "");
	yk_page_free(&p);
}

Test(yk_parse, not_a_list_refused)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{not json",
		"{\"type\":\"error\",\"items\":[]}",
		"{\"items\":[]}",
		"{\"type\":\"list\"}",
		"{\"type\":\"list\",\"items\":{}}",
		"{\"type\":\"list\",\"items\":[1]}",
		"{\"type\":\"list\",\"items\":[],\"next_cursor\":5}",
		"{\"type\":\"list\",\"items\":[],\"next_cursor\":\"\"}",
		"{\"type\":\"list\",\"items\":[],\"next_cursor\":\"a b\"}",
		"{\"type\":\"list\",\"items\":[]} trailing",
		"{\"type\":\"list\",\"items\":[],\"n\":0123}",
	};
	struct yk_page	p;
	char		err[YK_ERR_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(parse_list(bad[i], &p, err), -1, "accepted %s",
		    bad[i]);
		cr_assert_null(p.root);
	}
}

Test(yk_parse, too_deep_refused)
{
	char		buf[256], err[YK_ERR_MAX];
	struct yk_page	p;
	int		n;

	n = snprintf(buf, sizeof(buf), "{\"type\":\"list\",\"items\":[{\"a\":");
	for (int i = 0; i < 40; i++)
		buf[n++] = '[';
	for (int i = 0; i < 40; i++)
		buf[n++] = ']';
	snprintf(buf + n, sizeof(buf) - (size_t)n, "}]}");
	cr_assert_eq(parse_list(buf, &p, err), -1);
}

Test(yk_parse, object_needs_an_id)
{
	struct yk_object	o;
	char			err[YK_ERR_MAX], *t;

	t = strdup("{\"id\":\"2f0-1\",\"status\":\"succeeded\"}");
	cr_assert_eq(yk_parse_object(t, strlen(t), &o, err, sizeof(err)), 0);
	cr_assert_str_eq(o.id, "2f0-1");
	yk_object_free(&o);
	t = strdup("{\"status\":\"succeeded\"}");
	cr_assert_eq(yk_parse_object(t, strlen(t), &o, err, sizeof(err)), -1);
	t = strdup("{\"id\":\"bad id\"}");
	cr_assert_eq(yk_parse_object(t, strlen(t), &o, err, sizeof(err)), -1);
}

/* --------------------------------------------------------- the mock */

struct mock {
	char	dir[64];
	char	data[128], faults[128], log[128], port_file[128];
	pid_t	pid;
	int	port;
	char	base[64];
};

static struct mock	M;
static int		waits[16], nwaits;

static void
record_wait(void *arg, int ms)
{
	(void)arg;
	if (nwaits < 16)
		waits[nwaits] = ms;
	nwaits++;
}

static void
write_file(const char *path, const char *text)
{
	char	tmp[160];
	FILE	*f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_not_null(f = fopen(tmp, "w"));
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rename(tmp, path), 0);
}

/* n payments (ids pay-000000...) a minute apart, ending now. */
static void
mock_data(int n)
{
	char	cmd[512];

	snprintf(cmd, sizeof(cmd), "python3 %s gen --payments %d --prefix pay "
	    ">%s.tmp && mv %s.tmp %s", getenv("AWARD_MOCK_YOOKASSA") ?
	    getenv("AWARD_MOCK_YOOKASSA") : MOCK_DEFAULT, n, M.data, M.data,
	    M.data);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* Requests the mock logged (one JSON line each). */
static int
mock_requests(void)
{
	FILE	*f;
	int	 n = 0, ch;

	if ((f = fopen(M.log, "r")) == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static void
mock_start(void)
{
	const char	*script = getenv("AWARD_MOCK_YOOKASSA");
	FILE		*f;

	if (script == NULL)
		script = MOCK_DEFAULT;
	cr_assert_eq(access(script, R_OK), 0, "mock not found: %s", script);
	snprintf(M.dir, sizeof(M.dir), "/tmp/award-yk.XXXXXX");
	cr_assert_not_null(mkdtemp(M.dir));
	snprintf(M.data, sizeof(M.data), "%s/data.json", M.dir);
	snprintf(M.faults, sizeof(M.faults), "%s/faults.json", M.dir);
	snprintf(M.log, sizeof(M.log), "%s/requests.log", M.dir);
	snprintf(M.port_file, sizeof(M.port_file), "%s/port", M.dir);
	write_file(M.data, "{\"payments\":[],\"refunds\":[]}");
	if ((M.pid = fork()) == 0) {
		execlp("python3", "python3", script, "serve", "--port-file",
		    M.port_file, "--data", M.data, "--faults", M.faults,
		    "--log", M.log, "--shop-id", SHOP, "--secret-key", KEY,
		    (char *)NULL);
		_exit(127);
	}
	cr_assert_gt(M.pid, 0);
	/* Started when the port file appears; a loaded box may take seconds. */
	for (int i = 0; i < 600; i++) {
		struct timespec ts = { 0, 50 * 1000000L };

		if ((f = fopen(M.port_file, "r")) != NULL) {
			cr_assert_eq(fscanf(f, "%d", &M.port), 1);
			fclose(f);
			break;
		}
		cr_assert_eq(waitpid(M.pid, NULL, WNOHANG), 0,
		    "the mock exited");
		nanosleep(&ts, NULL);
	}
	cr_assert_gt(M.port, 0, "the mock did not start");
	snprintf(M.base, sizeof(M.base), "http://127.0.0.1:%d/v3", M.port);
}

static void
mock_stop(void)
{
	char cmd[128];

	if (M.pid > 0) {
		kill(M.pid, SIGTERM);
		waitpid(M.pid, NULL, 0);
	}
	if (M.dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", M.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", M.dir);
	}
	memset(&M, 0, sizeof(M));
}

static struct award_config	C;

static struct yk_client *
client(void)
{
	struct yk_client	*c;
	char			 err[CONFIG_ERR_MAX];

	memset(&C, 0, sizeof(C));
	snprintf(C.yk_api, sizeof(C.yk_api), "%s", M.base);
	snprintf(C.yk_shop_id, sizeof(C.yk_shop_id), "%s", SHOP);
	snprintf(C.yk_secret_key, sizeof(C.yk_secret_key), "%s", KEY);
	C.yk_timeout_ms = 5000;
	cr_assert_not_null(c = yk_open(&C, err, sizeof(err)), "%s", err);
	yk_set_sleep(c, record_wait, NULL);
	nwaits = 0;
	return c;
}

static void
setup(void)
{
	log_set_level(getenv("AWARD_TEST_LOG") ? LOG_DEBUG : LOG__MAX);
	cr_assert_eq(yk_global_init(), 0);
	mock_start();
}

TestSuite(yk_client, .init = setup, .fini = mock_stop, .timeout = 60);

Test(yk_client, pages_follow_the_cursor)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX], cursor[YK_CURSOR_MAX + 1];
	int			 total = 0, pages = 0;

	mock_data(250);
	c = client();
	cursor[0] = '\0';
	do {
		cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, cursor, &p, err,
		    sizeof(err)), YK_OK, "%s", err);
		total += p.n;
		pages++;
		snprintf(cursor, sizeof(cursor), "%s", p.next_cursor);
		yk_page_free(&p);
	} while (cursor[0] != '\0' && pages < 10);
	cr_assert_eq(total, 250);
	cr_assert_eq(pages, 3);
	cr_assert_eq(mock_requests(), 3);
	cr_assert_eq(yk_requests(c), 3);
	yk_close(c);
}

Test(yk_client, since_filters_items)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	mock_data(30);	/* one a second, the last a second ago */
	c = client();
	cr_assert_eq(yk_list(c, YK_PAYMENTS, atime_now_ms() - 10500, NULL,
	    &p, err, sizeof(err)), YK_OK, "%s", err);
	/* 10 or 11 fit, depending on when gen ran: never all 30. */
	cr_assert(p.n >= 9 && p.n <= 11, "got %d", p.n);
	yk_page_free(&p);
	yk_close(c);
}

Test(yk_client, get_one_payment_and_404)
{
	struct yk_client	*c;
	struct yk_object	 o;
	char			 err[YK_ERR_MAX];

	mock_data(3);
	c = client();
	cr_assert_eq(yk_get(c, YK_PAYMENTS, "pay-000001", &o, err,
	    sizeof(err)), YK_OK, "%s", err);
	cr_assert_str_eq(o.id, "pay-000001");
	cr_assert_str_eq(cJSON_GetObjectItem(o.root, "status")->valuestring,
	    "succeeded");
	yk_object_free(&o);
	cr_assert_eq(yk_get(c, YK_PAYMENTS, "pay-999999", &o, err,
	    sizeof(err)), YK_NOT_FOUND);
	cr_assert_null(o.root);
	cr_assert_eq(yk_get(c, YK_REFUNDS, "pay-000001", &o, err,
	    sizeof(err)), YK_NOT_FOUND);
	cr_assert_eq(mock_requests(), 3, "404 is not retried");
	yk_close(c);
}

Test(yk_client, bad_credentials_are_auth_not_retried)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	c = client();
	snprintf(C.yk_secret_key, sizeof(C.yk_secret_key),
	    "wrong_secret_key_0123456789abcdefghijklmn");
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_AUTH);
	cr_assert_eq(mock_requests(), 1);
	cr_assert_null(strstr(err, "wrong_secret"), "key in error: %s", err);
	cr_assert_null(strstr(err, KEY), "key in error: %s", err);
	cr_assert_eq(nwaits, 0);
	yk_close(c);
}

Test(yk_client, server_errors_retried_with_backoff_then_ok)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	mock_data(5);
	write_file(M.faults, "[{\"path\":\"/payments\",\"status\":500,"
	    "\"count\":3}]");
	c = client();
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_OK, "%s", err);
	cr_assert_eq(p.n, 5);
	yk_page_free(&p);
	cr_assert_eq(mock_requests(), 4);
	cr_assert_eq(nwaits, 3);
	cr_assert_eq(waits[0], 1000);
	cr_assert_eq(waits[1], 2000);
	cr_assert_eq(waits[2], 4000);
	yk_close(c);
}

Test(yk_client, unavailable_after_four_requests)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	write_file(M.faults, "[{\"status\":503}]");
	c = client();
	cr_assert_eq(yk_list(c, YK_REFUNDS, 0, NULL, &p, err, sizeof(err)),
	    YK_UNAVAILABLE);
	cr_assert_eq(mock_requests(), YK_ATTEMPTS);
	cr_assert_eq(nwaits, YK_ATTEMPTS - 1, "no wait after the last");
	yk_close(c);
}

Test(yk_client, retry_after_honoured_and_capped)
{
	struct yk_client	*c;
	struct yk_object	 o;
	char			 err[YK_ERR_MAX];

	mock_data(1);
	write_file(M.faults, "[{\"status\":429,\"retry_after\":\"7\","
	    "\"count\":1},{\"status\":429,\"retry_after\":\"120\","
	    "\"count\":1},{\"status\":502,\"retry_after\":\"0\",\"count\":1}]");
	c = client();
	cr_assert_eq(yk_get(c, YK_PAYMENTS, "pay-000000", &o, err,
	    sizeof(err)), YK_OK, "%s", err);
	yk_object_free(&o);
	cr_assert_eq(mock_requests(), 4);
	cr_assert_eq(nwaits, 3);
	cr_assert_eq(waits[0], 7000);
	cr_assert_eq(waits[1], YK_RETRY_AFTER_MAX_S * 1000);
	cr_assert_eq(waits[2], 0);
	yk_close(c);
}

/* Retry-After as an HTTP-date: the wait until then, capped; past: none. */
Test(yk_client, retry_after_http_date)
{
	struct yk_client	*c;
	struct yk_object	 o;
	char			 err[YK_ERR_MAX], soon[64], faults[512];
	time_t			 t = time(NULL) + 12;
	struct tm		 tm;

	gmtime_r(&t, &tm);
	strftime(soon, sizeof(soon), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(faults, sizeof(faults), "[{\"status\":503,\"retry_after\":"
	    "\"%s\",\"count\":1},{\"status\":503,\"retry_after\":"
	    "\"Wed, 21 Oct 2015 07:28:00 GMT\",\"count\":1},"
	    "{\"status\":503,\"retry_after\":\"Fri, 31 Dec 2100 00:00:00 "
	    "GMT\",\"count\":1}]", soon);
	mock_data(1);
	write_file(M.faults, faults);
	c = client();
	cr_assert_eq(yk_get(c, YK_PAYMENTS, "pay-000000", &o, err,
	    sizeof(err)), YK_OK, "%s", err);
	yk_object_free(&o);
	cr_assert_eq(nwaits, 3);
	/* 12 s ahead when written; whole seconds, a slow machine's lag. */
	cr_assert(waits[0] >= 2000 && waits[0] <= 12000, "waited %d ms for "
	    "%s", waits[0], soon);
	cr_assert_eq(waits[1], 0, "a date past: no wait, got %d", waits[1]);
	cr_assert_eq(waits[2], YK_RETRY_AFTER_MAX_S * 1000);
	yk_close(c);
}

Test(yk_client, malformed_answer_not_retried)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	write_file(M.faults, "[{\"status\":200,\"body\":\"{\\\"type\\\":"
	    "\\\"list\\\",\\\"items\\\":[\"}]");
	c = client();
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_BAD_RESPONSE);
	cr_assert_eq(mock_requests(), 1);
	yk_close(c);
}

Test(yk_client, other_4xx_is_bad_response)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	write_file(M.faults, "[{\"status\":400}]");
	c = client();
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_BAD_RESPONSE);
	cr_assert_eq(mock_requests(), 1);
	yk_close(c);
}

Test(yk_client, hang_past_timeout_is_retried)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	mock_data(2);
	write_file(M.faults, "[{\"path\":\"/payments\",\"hang\":3,"
	    "\"count\":1}]");
	c = client();
	C.yk_timeout_ms = 500;
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_OK, "%s", err);
	cr_assert_eq(p.n, 2);
	yk_page_free(&p);
	cr_assert_eq(nwaits, 1);
	cr_assert_eq(waits[0], 1000);
	cr_assert_eq(yk_requests(c), 2);
	yk_close(c);
}

Test(yk_client, answer_over_the_cap_refused)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];
	char			*big;
	size_t			 n = YK_RESPONSE_MAX + 1024;

	cr_assert_not_null(big = malloc(n + 64));
	memcpy(big, "[{\"status\":200,\"body\":\"", 23);
	memset(big + 23, 'x', n);
	strcpy(big + 23 + n, "\"}]");
	write_file(M.faults, big);
	free(big);
	c = client();
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_BAD_RESPONSE);
	cr_assert_eq(yk_requests(c), 1);
	yk_close(c);
}

Test(yk_client, connection_refused_is_unavailable)
{
	struct yk_client	*c;
	struct yk_page		 p;
	char			 err[YK_ERR_MAX];

	c = client();
	mock_stop();
	cr_assert_eq(yk_list(c, YK_PAYMENTS, 0, NULL, &p, err, sizeof(err)),
	    YK_UNAVAILABLE);
	cr_assert_eq(yk_requests(c), YK_ATTEMPTS);
	cr_assert_eq(nwaits, YK_ATTEMPTS - 1);
	yk_close(c);
}

/* --------------------------------------------------------- opening */

Test(yk_open, plain_http_to_other_host_refused)
{
	struct award_config	 c;
	char			 err[CONFIG_ERR_MAX];

	memset(&c, 0, sizeof(c));
	strcpy(c.yk_shop_id, SHOP);
	strcpy(c.yk_secret_key, KEY);
	c.yk_timeout_ms = 1000;
	strcpy(c.yk_api, "http://192.0.2.1/v3");
	cr_assert_null(yk_open(&c, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "loopback"), "%s", err);
	cr_assert_null(strstr(err, KEY));
	strcpy(c.yk_api, "http://api.yookassa.ru/v3");
	cr_assert_null(yk_open(&c, err, sizeof(err)));
	strcpy(c.yk_api, "https://api.yookassa.ru/v3");
	yk_close(yk_open(&c, err, sizeof(err)));
}

Test(yk_open, not_configured_names_the_setting)
{
	struct award_config	 c;
	char			 err[CONFIG_ERR_MAX];

	memset(&c, 0, sizeof(c));
	strcpy(c.yk_api, CONFIG_YK_API_DEFAULT);
	strcpy(c.yk_secret_key, KEY);
	cr_assert_null(yk_open(&c, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "AWARD_YOOKASSA_SHOP_ID"), "%s", err);
	strcpy(c.yk_shop_id, SHOP);
	c.yk_secret_key[0] = '\0';
	cr_assert_null(yk_open(&c, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "AWARD_YOOKASSA_SECRET_KEY"), "%s",
	    err);
}
