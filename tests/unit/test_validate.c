/*
 * Unit tests for common/validate.c (SPEC.md §5 field limits, §4 input):
 * the field validators, the bounded JSON parse, YooKassa notifications (the
 * real fixtures in tests/fixtures, copied from shared/fixtures, or those
 * of $AWARD_FIXTURES, read at test time from the repository root) and the
 * bot's /v1/awards body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <cjson/cJSON.h>

#include "validate.h"

/* metadata.created_at and object.created_at of payment.succeeded.json. */
#define T_META		1795776677000LL	/* 2026-11-27T10:51:17.000Z */
#define T_OBJECT	1795776678139LL	/* 2026-11-27T10:51:18.139Z */

#define PAYMENT_ID	"30c1e1a6-000f-5000-8000-1c1b1b2c3d4e"
#define REFUND_ID	"30c2a0f1-0015-5000-a000-3f4a5b6c7d8e"

/* ---- helpers ---- */

/* Read fixture name (e.g. "payment.succeeded.json"); caller frees. */
static char *
fixture(const char *name)
{
	const char	*dir = getenv("AWARD_FIXTURES");
	char		 path[4096];
	FILE		*f;
	char		*buf;
	long		 n;

	if (dir == NULL || *dir == '\0')
		dir = "tests/fixtures";
	cr_assert_lt(snprintf(path, sizeof(path), "%s/%s", dir, name),
	    (int)sizeof(path));
	f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open fixture %s (run from the repo "
	    "root or set AWARD_FIXTURES)", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_gt(n, 0);
	cr_assert_eq(fseek(f, 0, SEEK_SET), 0);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A fixture as a cJSON tree to edit; caller deletes. */
static cJSON *
fixture_json(const char *name)
{
	char	*text = fixture(name);
	cJSON	*root = cJSON_Parse(text);

	free(text);
	cr_assert_not_null(root, "fixture %s is not JSON", name);
	return root;
}

static cJSON *
path_obj(cJSON *root, const char *a, const char *b)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(root, a);

	if (b != NULL)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	cr_assert_not_null(v, "no %s.%s in fixture", a, b ? b : "");
	return v;
}

static enum webhook_kind
webhook_text(const char *body, struct award_req *a, struct refund_req *r,
    char err[256])
{
	err[0] = '\0';
	return validate_webhook(body, strlen(body), a, r, err, 256);
}

/* Validate a tree (deleting it) as a webhook body. */
static enum webhook_kind
webhook_json(cJSON *root, struct award_req *a, struct refund_req *r,
    char err[256])
{
	char			*text = cJSON_PrintUnformatted(root);
	enum webhook_kind	 k;

	cr_assert_not_null(text);
	cJSON_Delete(root);
	k = webhook_text(text, a, r, err);
	free(text);
	return k;
}

static void
webhook_bad_text(const char *body)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256];

	cr_assert_eq(webhook_text(body, &a, &r, err), WEBHOOK_BAD,
	    "accepted: %.80s", body);
	cr_assert_neq(err[0], '\0', "no error message for: %.80s", body);
}

/* The tree must be rejected with a message; deletes root. */
static void
webhook_bad_json(cJSON *root)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256];

	cr_assert_eq(webhook_json(root, &a, &r, err), WEBHOOK_BAD);
	cr_assert_neq(err[0], '\0', "no error message");
}

static int
award_body(const char *body, struct award_req *a, char err[256])
{
	err[0] = '\0';
	return validate_award_body(body, strlen(body), a, err, 256);
}

/* The body must be rejected with a message that names field. */
static void
award_body_bad(const char *body, const char *field)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(body, &a, err), -1, "accepted: %.80s", body);
	cr_assert_neq(err[0], '\0', "no error message for: %.80s", body);
	if (field != NULL)
		cr_assert_not_null(strstr(err, field), "\"%s\" does not name "
		    "%s", err, field);
}

/*
 * telegram_id given as the JSON number text: parsed as a whole body, its
 * token found as the validators find it. Text that is not JSON is -1.
 */
static int
tgid_number(const char *text, int64_t *out)
{
	cJSON		*v = validate_parse(text, strlen(text));
	const char	*tok = NULL;
	size_t		 toklen = 0;
	int		 rc;

	if (v == NULL)
		return -1;
	cr_assert(cJSON_IsNumber(v), "%s is not a number", text);
	cr_assert_eq(validate_number_text(text, strlen(text), v, v, &tok,
	    &toklen), 0, "no token for %s", text);
	rc = validate_telegram_id(v, tok, toklen, out);
	cJSON_Delete(v);
	return rc;
}

static int
tgid_string(const char *s, int64_t *out)
{
	cJSON	*v = cJSON_CreateString(s);
	int	 rc;

	cr_assert_not_null(v);
	rc = validate_telegram_id(v, NULL, 0, out);
	cJSON_Delete(v);
	return rc;
}

/* n nested arrays: "[[...]]". Caller frees. */
static char *
nested_arrays(int n)
{
	char *s = malloc((size_t)n * 2 + 1);

	cr_assert_not_null(s);
	for (int i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	s[2 * n] = '\0';
	return s;
}

/* max bytes of 'x' pass valid, max + 1 do not. */
static void
length_edge(int (*valid)(const char *), size_t max)
{
	char s[512];

	cr_assert(max + 2 <= sizeof(s));
	memset(s, 'x', max + 1);
	s[max] = '\0';
	cr_assert_eq(valid(s), 1, "%zu bytes refused", max);
	s[max] = 'x';
	s[max + 1] = '\0';
	cr_assert_eq(valid(s), 0, "%zu bytes accepted", max + 1);
}

/* ---- validate_text_id: the bot's ids, any text but controls ---- */

Test(validate, contest_id_any_text)
{
	cr_assert_eq(validate_text_id("c1"), 1);
	cr_assert_eq(validate_text_id("Зима 2026 #1 / финал"), 1);
	cr_assert_eq(validate_text_id("a\"b'c<d>&"), 1);
}

Test(validate, contest_id_255_bytes_not_256)
{
	length_edge(validate_text_id, 255);
}

Test(validate, bad_contest_id_control_or_empty)
{
	cr_assert_eq(validate_text_id(""), 0);
	cr_assert_eq(validate_text_id(NULL), 0);
	cr_assert_eq(validate_text_id("a\nb"), 0);
	cr_assert_eq(validate_text_id("a\x01"), 0);
	cr_assert_eq(validate_text_id("a\x7f"), 0);
	cr_assert_eq(validate_text_id("\t"), 0);
}

/* ---- validate_id ---- */

Test(validate, id_simple)
{
	cr_assert_eq(validate_id("ord_2026_11_27_000123"), 1);
	cr_assert_eq(validate_id("a"), 1);
	cr_assert_eq(validate_id(PAYMENT_ID), 1);
}

Test(validate, id_every_allowed_class)
{
	cr_assert_eq(validate_id("ABCXYZabcxyz0189._:-"), 1);
}

Test(validate, id_128_chars_not_129)
{
	length_edge(validate_id, 128);
}

Test(validate, bad_id_empty)
{
	cr_assert_eq(validate_id(""), 0);
}

Test(validate, bad_id_null)
{
	cr_assert_eq(validate_id(NULL), 0);
}

Test(validate, bad_id_space)
{
	cr_assert_eq(validate_id("ord 1"), 0);
	cr_assert_eq(validate_id(" ord1"), 0);
	cr_assert_eq(validate_id("ord1 "), 0);
}

Test(validate, bad_id_slash)
{
	cr_assert_eq(validate_id("ord/1"), 0);
	cr_assert_eq(validate_id("../etc"), 0);
}

Test(validate, bad_id_unicode)
{
	cr_assert_eq(validate_id("заказ1"), 0);
	cr_assert_eq(validate_id("ord\xc3\xa9"), 0);
}

Test(validate, bad_id_punctuation)
{
	cr_assert_eq(validate_id("ord'1"), 0);
	cr_assert_eq(validate_id("ord\"1"), 0);
	cr_assert_eq(validate_id("ord;1"), 0);
	cr_assert_eq(validate_id("ord%1"), 0);
	cr_assert_eq(validate_id("ord\n"), 0);
	cr_assert_eq(validate_id("ord\t1"), 0);
	cr_assert_eq(validate_id("ord+1"), 0);
}

/* ---- validate_telegram_id ---- */

Test(validate, telegram_id_number_one)
{
	int64_t v = 0;

	cr_assert_eq(tgid_number("1", &v), 0);
	cr_assert_eq(v, 1);
}

Test(validate, telegram_id_number_max)
{
	int64_t v = 0;

	cr_assert_eq(tgid_number("9007199254740991", &v), 0);
	cr_assert_eq(v, VALIDATE_TGID_MAX);
}

Test(validate, telegram_id_number_typical)
{
	int64_t v = 0;

	cr_assert_eq(tgid_number("123456789", &v), 0);
	cr_assert_eq(v, 123456789);
}

Test(validate, bad_telegram_id_zero)
{
	int64_t v = 77;

	cr_assert_eq(tgid_number("0", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_negative)
{
	int64_t v = 77;

	cr_assert_eq(tgid_number("-1", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_2_pow_53)
{
	int64_t v = 77;

	cr_assert_eq(tgid_number("9007199254740992", &v), -1);
	cr_assert_eq(tgid_number("1e300", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_fraction)
{
	int64_t v = 77;

	cr_assert_eq(tgid_number("1.5", &v), -1);
	cr_assert_eq(tgid_number("123456789.0001", &v), -1);
	cr_assert_eq(v, 77);
}

/* SPEC §5: a number is plain digits; cJSON alone rounds these. */
Test(validate, bad_telegram_id_number_not_plain_digits)
{
	static const char *const cases[] = {
		"123456789.00000000001", "9007199254740990.5", "1e2", "1E2",
		"1.0", "-5", "-0", "0", "0123", "00", "1.", "123456789e0",
		"1.23456789e8", "12345678901234567", "9007199254740992",
		"99999999999999999999999999999", "1e400",
	};
	int64_t v = 77;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(tgid_number(cases[i], &v), -1, "%s accepted",
		    cases[i]);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_number_without_token)
{
	cJSON	*n = cJSON_CreateNumber(42);
	int64_t	 v = 77;

	cr_assert_eq(validate_telegram_id(n, NULL, 0, &v), -1);
	cr_assert_eq(validate_telegram_id(n, "4.2", 3, &v), -1);
	cr_assert_eq(v, 77);
	cJSON_Delete(n);
}

Test(validate, telegram_id_string)
{
	int64_t v = 0;

	cr_assert_eq(tgid_string("123456789", &v), 0);
	cr_assert_eq(v, 123456789);
}

Test(validate, telegram_id_string_max)
{
	int64_t v = 0;

	cr_assert_eq(tgid_string("9007199254740991", &v), 0);
	cr_assert_eq(v, VALIDATE_TGID_MAX);
}

Test(validate, bad_telegram_id_string_zero)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("0", &v), -1);
	cr_assert_eq(v, 77);
}

/* SPEC §5: "0123" is 400 as a number, and as a string too. */
Test(validate, bad_telegram_id_string_leading_zero)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("0123", &v), -1);
	cr_assert_eq(tgid_string("0000000000000123", &v), -1);
	cr_assert_eq(tgid_string("00", &v), -1);
	cr_assert_eq(v, 77);
	cr_assert_eq(tgid_string("10", &v), 0);
	cr_assert_eq(v, 10);
}

Test(validate, bad_telegram_id_string_empty)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_string_letters)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("12a", &v), -1);
	cr_assert_eq(tgid_string("abc", &v), -1);
	cr_assert_eq(tgid_string("1e5", &v), -1);
	cr_assert_eq(tgid_string("1.0", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_string_negative)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("-5", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_string_space)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string(" 1", &v), -1);
	cr_assert_eq(tgid_string("1 ", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_string_plus)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("+1", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_string_2_pow_53)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("9007199254740992", &v), -1);
	cr_assert_eq(tgid_string("9999999999999999", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_string_17_digits)
{
	int64_t v = 77;

	cr_assert_eq(tgid_string("12345678901234567", &v), -1);
	cr_assert_eq(tgid_string("00000000000000001", &v), -1);
	cr_assert_eq(tgid_string("99999999999999999999999999", &v), -1);
	cr_assert_eq(v, 77);
}

Test(validate, bad_telegram_id_other_types)
{
	int64_t	 v = 77;
	cJSON	*items[] = {
		cJSON_CreateNull(), cJSON_CreateTrue(), cJSON_CreateFalse(),
		cJSON_CreateArray(), cJSON_CreateObject(),
	};

	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
		cr_assert_not_null(items[i]);
		cr_assert_eq(validate_telegram_id(items[i], "1", 1, &v), -1,
		    "type %zu accepted", i);
		cJSON_Delete(items[i]);
	}
	cr_assert_eq(validate_telegram_id(NULL, "1", 1, &v), -1);
	cr_assert_eq(v, 77);
}

/* ---- validate_parse ---- */

Test(validate, parse_depth_at_limit)
{
	char	*s = nested_arrays(VALIDATE_DEPTH_MAX);
	cJSON	*root = validate_parse(s, strlen(s));

	cr_assert_not_null(root, "depth %d rejected", VALIDATE_DEPTH_MAX);
	cr_assert(cJSON_IsArray(root));
	cJSON_Delete(root);
	free(s);
}

Test(validate, bad_parse_depth_over_limit)
{
	char *s = nested_arrays(VALIDATE_DEPTH_MAX + 1);

	cr_assert_null(validate_parse(s, strlen(s)));
	free(s);
}

Test(validate, bad_parse_depth_far_over_limit)
{
	char *s = nested_arrays(100000);

	cr_assert_null(validate_parse(s, strlen(s)));
	free(s);
}

Test(validate, bad_parse_depth_objects)
{
	char	 buf[VALIDATE_DEPTH_MAX * 8 + 16];
	size_t	 n = 0;
	cJSON	*ok;

	for (int i = 0; i < VALIDATE_DEPTH_MAX + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"a\":");
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "1");
	for (int i = 0; i < VALIDATE_DEPTH_MAX + 1; i++)
		buf[n++] = '}';
	buf[n] = '\0';
	cr_assert_null(validate_parse(buf, n));
	/* One level less is fine. */
	ok = validate_parse(buf + 5, n - 6);
	cr_assert_not_null(ok);
	cJSON_Delete(ok);
}

Test(validate, parse_brackets_in_strings_not_counted)
{
	char	buf[256];
	cJSON	*root;

	snprintf(buf, sizeof(buf), "{\"a\":\"%s\",\"b\":\"\\\"[[[[\"}",
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
	root = validate_parse(buf, strlen(buf));
	cr_assert_not_null(root);
	cr_assert_str_eq(cJSON_GetObjectItem(root, "b")->valuestring,
	    "\"[[[[");
	cJSON_Delete(root);
}

Test(validate, bad_parse_truncated)
{
	const char *cases[] = {
		"{\"a\":", "{\"a\":1", "{\"a\":\"x", "[1,2", "{", "\"abc",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_null(validate_parse(cases[i], strlen(cases[i])),
		    "accepted: %s", cases[i]);
}

/* Between tokens JSON's white space is space, tab, LF and CR only. */
Test(validate, parse_control_bytes_between_tokens)
{
	const char	 nul[] = "{\"a\":\x00 1}";
	cJSON		*root;

	cr_assert_null(validate_parse("{\"a\":\x01 1}", 9));
	cr_assert_null(validate_parse("{\x0b\"a\":1}", 8));
	cr_assert_null(validate_parse("\x0c{\"a\":1}", 8));
	cr_assert_null(validate_parse(nul, sizeof(nul) - 1));
	root = validate_parse("\t{\r\n\"a\" :\t1 }\n", 14);
	cr_assert_not_null(root);
	cJSON_Delete(root);
}

Test(validate, bad_parse_length_respected)
{
	/* The first 6 bytes of a valid document are a truncated one. */
	const char *s = "{\"a\":1}";

	cr_assert_null(validate_parse(s, 6));
}

Test(validate, bad_parse_empty)
{
	cr_assert_null(validate_parse("", 0));
	cr_assert_null(validate_parse(NULL, 0));
	cr_assert_null(validate_parse("   ", 3));
}

Test(validate, bad_parse_trailing_garbage)
{
	const char *cases[] = {
		"{\"a\":1} x", "{\"a\":1}{\"b\":2}", "[1]]", "{\"a\":1},",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *root = validate_parse(cases[i], strlen(cases[i]));

		cr_assert_null(root, "accepted: %s", cases[i]);
	}
}

Test(validate, parse_trailing_whitespace_ok)
{
	const char	*s = "{\"a\":1}\r\n  ";
	cJSON		*root = validate_parse(s, strlen(s));

	cr_assert_not_null(root);
	cr_assert_eq(cJSON_GetObjectItem(root, "a")->valueint, 1);
	cJSON_Delete(root);
}

/* ---- validate_webhook: the fixtures ---- */

Test(validate, webhook_payment_succeeded_fixture)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256], *body = fixture("payment.succeeded.json");

	cr_assert_eq(validate_webhook(body, strlen(body), &a, &r, err,
	    sizeof(err)), WEBHOOK_PAYMENT, "%s", err);
	free(body);
	cr_assert_str_eq(a.order_id, "ord_2026_11_27_000123");
	cr_assert_eq(a.telegram_id, 123456789);
	cr_assert_str_eq(a.plan_id, "plan_1m");
	cr_assert_str_eq(a.payment_id, PAYMENT_ID);
	cr_assert_eq(a.amount_minor, 19900);
	cr_assert_str_eq(a.currency, "RUB");
}

Test(validate, webhook_order_time_is_metadata_created_at)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256], *body = fixture("payment.succeeded.json");

	cr_assert_eq(webhook_text(body, &a, &r, err), WEBHOOK_PAYMENT, "%s",
	    err);
	free(body);
	cr_assert_eq(a.order_ms, T_META, "got %lld, the object's created_at "
	    "is %lld", (long long)a.order_ms, T_OBJECT);
}

Test(validate, webhook_order_time_falls_back_to_object_created_at)
{
	struct award_req	 a;
	struct refund_req	 r;
	char			 err[256];
	cJSON			*root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "created_at");
	cr_assert_eq(webhook_json(root, &a, &r, err), WEBHOOK_PAYMENT, "%s",
	    err);
	cr_assert_eq(a.order_ms, T_OBJECT);
	cr_assert_str_eq(a.order_id, "ord_2026_11_27_000123");
}

Test(validate, webhook_metadata_created_at_with_offset)
{
	struct award_req	 a;
	struct refund_req	 r;
	char			 err[256];
	cJSON			*root = fixture_json("payment.succeeded.json");
	cJSON			*meta = path_obj(root, "object", "metadata");

	cJSON_ReplaceItemInObjectCaseSensitive(meta, "created_at",
	    cJSON_CreateString("2026-11-27T13:51:17+03:00"));
	cr_assert_eq(webhook_json(root, &a, &r, err), WEBHOOK_PAYMENT, "%s",
	    err);
	cr_assert_eq(a.order_ms, T_META);
}

Test(validate, bad_webhook_metadata_created_at_unparsable)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	/* Present but bad is bad input, even though the object's is fine. */
	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "created_at", cJSON_CreateString("yesterday"));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_metadata_created_at_without_zone)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "created_at",
	    cJSON_CreateString("2026-11-27T10:51:17"));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_metadata_created_at_not_string)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "created_at", cJSON_CreateNumber(1795776677));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_object_created_at_unparsable_alone)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "created_at");
	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object", NULL),
	    "created_at", cJSON_CreateString("2026-02-30T00:00:00Z"));
	webhook_bad_json(root);
}

/* Present but unparsable is bad input even when metadata's is used. */
Test(validate, bad_webhook_object_created_at_unparsable_beside_metadata)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object", NULL),
	    "created_at", cJSON_CreateString("garbage"));
	webhook_bad_json(root);
}

/* A succeeded event whose object says otherwise contradicts itself. */
Test(validate, bad_webhook_object_status_not_succeeded)
{
	static const char *const names[] = {
		"payment.succeeded.json", "refund.succeeded.json",
	};
	struct award_req	a;
	struct refund_req	r;
	char			err[256];

	for (size_t i = 0; i < 2; i++) {
		cJSON *root = fixture_json(names[i]);

		cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root,
		    "object", NULL), "status", cJSON_CreateString("canceled"));
		webhook_bad_json(root);
		root = fixture_json(names[i]);
		cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root,
		    "object", NULL), "status", cJSON_CreateNumber(1));
		webhook_bad_json(root);
		/* Without a status, the event decides. */
		root = fixture_json(names[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root,
		    "object", NULL), "status");
		cr_assert_eq(webhook_json(root, &a, &r, err), i == 0 ?
		    WEBHOOK_PAYMENT : WEBHOOK_REFUND, "%s: %s", names[i], err);
	}
}

Test(validate, bad_webhook_both_created_at_absent)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "created_at");
	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    NULL), "created_at");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_order_id_missing)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "order_id");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_order_id_malformed)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "order_id", cJSON_CreateString("ord 1; drop"));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_telegram_id_missing)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "telegram_id");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_telegram_id_zero)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "telegram_id", cJSON_CreateString("0"));
	webhook_bad_json(root);
}

Test(validate, webhook_telegram_id_as_number)
{
	struct award_req	 a;
	struct refund_req	 r;
	char			 err[256];
	cJSON			*root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "telegram_id", cJSON_CreateNumber(42));
	cr_assert_eq(webhook_json(root, &a, &r, err), WEBHOOK_PAYMENT, "%s",
	    err);
	cr_assert_eq(a.telegram_id, 42);
}

Test(validate, bad_webhook_plan_id_missing)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "plan_id");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_plan_id_not_string)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "plan_id", cJSON_CreateNumber(1));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_metadata_missing)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    NULL), "metadata");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_payment_amount_three_decimals)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "amount"), "value", cJSON_CreateString("1.234"));
	webhook_bad_json(root);
}

Test(validate, webhook_payment_canceled_ignored)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256], *body = fixture("payment.canceled.json");

	cr_assert_eq(webhook_text(body, &a, &r, err), WEBHOOK_IGNORED, "%s",
	    err);
	free(body);
}

Test(validate, webhook_payment_waiting_for_capture_ignored)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256];
	char			*body = fixture("payment.waiting_for_capture.json");

	cr_assert_eq(webhook_text(body, &a, &r, err), WEBHOOK_IGNORED, "%s",
	    err);
	free(body);
}

Test(validate, webhook_unknown_event_ignored)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256];

	cr_assert_eq(webhook_text("{\"type\":\"notification\",\"event\":"
	    "\"deal.closed\",\"object\":{}}", &a, &r, err), WEBHOOK_IGNORED);
}

Test(validate, webhook_refund_succeeded_fixture)
{
	struct award_req	a;
	struct refund_req	r;
	char			err[256], *body = fixture("refund.succeeded.json");

	cr_assert_eq(webhook_text(body, &a, &r, err), WEBHOOK_REFUND, "%s",
	    err);
	free(body);
	cr_assert_str_eq(r.refund_id, REFUND_ID);
	cr_assert_str_eq(r.payment_id, PAYMENT_ID);
	cr_assert_eq(r.amount_minor, 19900);
	cr_assert_str_eq(r.currency, "RUB");
}

Test(validate, webhook_refund_partial_amount)
{
	struct award_req	 a;
	struct refund_req	 r;
	char			 err[256];
	cJSON			*root = fixture_json("refund.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "amount"), "value", cJSON_CreateString("50.5"));
	cr_assert_eq(webhook_json(root, &a, &r, err), WEBHOOK_REFUND, "%s",
	    err);
	cr_assert_eq(r.amount_minor, 5050);
}

Test(validate, bad_webhook_refund_amount_three_decimals)
{
	cJSON *root = fixture_json("refund.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "amount"), "value", cJSON_CreateString("1.234"));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_refund_amount_missing)
{
	cJSON *root = fixture_json("refund.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    NULL), "amount");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_refund_amount_zero)
{
	cJSON *root = fixture_json("refund.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "amount"), "value", cJSON_CreateString("0.00"));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_refund_payment_id_missing)
{
	cJSON *root = fixture_json("refund.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    NULL), "payment_id");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_refund_id_missing)
{
	cJSON *root = fixture_json("refund.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(path_obj(root, "object",
	    NULL), "id");
	webhook_bad_json(root);
}

/* ---- validate_webhook: the envelope ---- */

Test(validate, bad_webhook_not_json)
{
	webhook_bad_text("this is not json");
	webhook_bad_text("");
}

Test(validate, bad_webhook_json_array)
{
	webhook_bad_text("[{\"event\":\"payment.succeeded\",\"object\":{}}]");
}

Test(validate, bad_webhook_event_missing)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(root, "event");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_event_number)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(root, "event",
	    cJSON_CreateNumber(1));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_object_string)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(root, "object",
	    cJSON_CreateString("{}"));
	webhook_bad_json(root);
}

Test(validate, bad_webhook_object_missing)
{
	cJSON *root = fixture_json("payment.succeeded.json");

	cJSON_DeleteItemFromObjectCaseSensitive(root, "object");
	webhook_bad_json(root);
}

Test(validate, bad_webhook_truncated_fixture)
{
	char *body = fixture("payment.succeeded.json");

	body[strlen(body) / 2] = '\0';
	webhook_bad_text(body);
	free(body);
}

Test(validate, bad_webhook_fixture_with_trailing_garbage)
{
	char	*body = fixture("payment.succeeded.json");
	size_t	 n = strlen(body);
	char	*more = malloc(n + 8);

	cr_assert_not_null(more);
	memcpy(more, body, n);
	memcpy(more + n, "garbage", 8);
	free(body);
	webhook_bad_text(more);
	free(more);
}

/*
 * The fixture with metadata.telegram_id written as raw (JSON text as it
 * stands, valid or not).
 */
static enum webhook_kind
webhook_tgid_raw(const char *raw, struct award_req *a, char err[256])
{
	struct refund_req	 r;
	cJSON			*root = fixture_json("payment.succeeded.json");

	cJSON_ReplaceItemInObjectCaseSensitive(path_obj(root, "object",
	    "metadata"), "telegram_id", cJSON_CreateRaw(raw));
	return webhook_json(root, a, &r, err);
}

Test(validate, bad_webhook_telegram_id_number_not_plain_digits)
{
	static const char *const cases[] = {
		"123456789.00000000001", "9007199254740990.5", "0123", "1e2",
		"1.0", "-5", "1E+2", "00", "1.", "9007199254740992",
	};
	struct award_req	a;
	char			err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(webhook_tgid_raw(cases[i], &a, err), WEBHOOK_BAD,
		    "telegram_id %s accepted as %lld", cases[i],
		    (long long)a.telegram_id);
		cr_assert_neq(err[0], '\0');
	}
	webhook_tgid_raw("1e2", &a, err);
	cr_assert_not_null(strstr(err, "telegram_id"), "error: %s", err);
}

Test(validate, webhook_telegram_id_plain_digits_and_string_pass)
{
	static const struct {
		const char	*raw;
		int64_t		 want;
	} cases[] = {
		{ "123456789", 123456789 }, { "\"123456789\"", 123456789 },
		{ "9007199254740991", VALIDATE_TGID_MAX }, { "7", 7 },
	};
	struct award_req	a;
	char			err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(webhook_tgid_raw(cases[i].raw, &a, err),
		    WEBHOOK_PAYMENT, "%s: %s", cases[i].raw, err);
		cr_assert_eq(a.telegram_id, cases[i].want, "%s", cases[i].raw);
	}
}

/* cJSON takes the first of two equal keys: the text checked is that one. */
Test(validate, webhook_telegram_id_duplicate_key_first_one_checked)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(webhook_tgid_raw("5,\"telegram_id\":1.5", &a, err),
	    WEBHOOK_PAYMENT, "%s", err);
	cr_assert_eq(a.telegram_id, 5);
	cr_assert_eq(webhook_tgid_raw("1.5,\"telegram_id\":5", &a, err),
	    WEBHOOK_BAD);
}

/* ---- validate_award_body ---- */

#define GOOD_BODY "{\"order_id\":\"ord_1\",\"telegram_id\":123456789," \
	"\"plan_id\":\"plan_1m\",\"created_at\":\"2026-11-27T10:51:17.000Z\""

Test(validate, award_body_minimal)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(GOOD_BODY "}", &a, err), 0, "%s", err);
	cr_assert_str_eq(a.order_id, "ord_1");
	cr_assert_eq(a.telegram_id, 123456789);
	cr_assert_str_eq(a.plan_id, "plan_1m");
	cr_assert_eq(a.order_ms, T_META);
	cr_assert_str_eq(a.payment_id, "");
	cr_assert_eq(a.amount_minor, -1);
	cr_assert_str_eq(a.currency, "");
}

Test(validate, award_body_telegram_id_string)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body("{\"order_id\":\"o\",\"telegram_id\":"
	    "\"987654321\",\"plan_id\":\"p\",\"created_at\":"
	    "\"2026-11-27 10:51:17\"}", &a, err), 0, "%s", err);
	cr_assert_eq(a.telegram_id, 987654321);
	cr_assert_eq(a.order_ms, T_META);
}

Test(validate, award_body_with_payment_id)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(GOOD_BODY ",\"payment_id\":\"" PAYMENT_ID
	    "\"}", &a, err), 0, "%s", err);
	cr_assert_str_eq(a.payment_id, PAYMENT_ID);
}

Test(validate, award_body_payment_id_null_is_absent)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(GOOD_BODY ",\"payment_id\":null}", &a, err),
	    0, "%s", err);
	cr_assert_str_eq(a.payment_id, "");
}

Test(validate, award_body_amount_string)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(GOOD_BODY ",\"amount\":\"199.00\"}", &a,
	    err), 0, "%s", err);
	cr_assert_eq(a.amount_minor, 19900);
	cr_assert_str_eq(a.currency, "");
}

Test(validate, award_body_amount_object)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(GOOD_BODY ",\"amount\":{\"value\":\"199.00\","
	    "\"currency\":\"RUB\"}}", &a, err), 0, "%s", err);
	cr_assert_eq(a.amount_minor, 19900);
	cr_assert_str_eq(a.currency, "RUB");
}

Test(validate, award_body_extra_fields_tolerated)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body(GOOD_BODY ",\"source\":\"bot\",\"x\":[1,2]}",
	    &a, err), 0, "%s", err);
	cr_assert_str_eq(a.order_id, "ord_1");
}

Test(validate, bad_award_body_created_at_missing)
{
	award_body_bad("{\"order_id\":\"o\",\"telegram_id\":1,"
	    "\"plan_id\":\"p\"}", "created_at");
}

Test(validate, bad_award_body_created_at_null)
{
	award_body_bad("{\"order_id\":\"o\",\"telegram_id\":1,"
	    "\"plan_id\":\"p\",\"created_at\":null}", "created_at");
}

Test(validate, bad_award_body_created_at_unparsable)
{
	award_body_bad("{\"order_id\":\"o\",\"telegram_id\":1,"
	    "\"plan_id\":\"p\",\"created_at\":\"2026-13-01T00:00:00Z\"}",
	    "created_at");
}

Test(validate, bad_award_body_order_id_missing)
{
	award_body_bad("{\"telegram_id\":1,\"plan_id\":\"p\","
	    "\"created_at\":\"2026-11-27T10:00:00Z\"}", "order_id");
}

Test(validate, bad_award_body_order_id_too_long)
{
	char	body[512], id[130];

	memset(id, 'o', 129);
	id[129] = '\0';
	snprintf(body, sizeof(body), "{\"order_id\":\"%s\",\"telegram_id\":1,"
	    "\"plan_id\":\"p\",\"created_at\":\"2026-11-27T10:00:00Z\"}", id);
	award_body_bad(body, "order_id");
}

Test(validate, bad_award_body_telegram_id_negative)
{
	award_body_bad("{\"order_id\":\"o\",\"telegram_id\":-1,"
	    "\"plan_id\":\"p\",\"created_at\":\"2026-11-27T10:00:00Z\"}",
	    "telegram_id");
}

Test(validate, bad_award_body_telegram_id_missing)
{
	award_body_bad("{\"order_id\":\"o\",\"plan_id\":\"p\","
	    "\"created_at\":\"2026-11-27T10:00:00Z\"}", "telegram_id");
}

Test(validate, bad_award_body_plan_id_slash)
{
	award_body_bad("{\"order_id\":\"o\",\"telegram_id\":1,"
	    "\"plan_id\":\"plan/1\",\"created_at\":\"2026-11-27T10:00:00Z\"}",
	    "plan_id");
}

Test(validate, bad_award_body_payment_id_empty)
{
	award_body_bad(GOOD_BODY ",\"payment_id\":\"\"}", "payment_id");
}

Test(validate, bad_award_body_payment_id_number)
{
	award_body_bad(GOOD_BODY ",\"payment_id\":5}", "payment_id");
}

Test(validate, bad_award_body_amount_number)
{
	award_body_bad(GOOD_BODY ",\"amount\":199}", "amount");
}

Test(validate, bad_award_body_amount_three_decimals)
{
	award_body_bad(GOOD_BODY ",\"amount\":\"1.234\"}", "amount");
}

Test(validate, bad_award_body_amount_value_number)
{
	award_body_bad(GOOD_BODY ",\"amount\":{\"value\":199,"
	    "\"currency\":\"RUB\"}}", "amount");
}

Test(validate, bad_award_body_amount_object_empty)
{
	award_body_bad(GOOD_BODY ",\"amount\":{}}", "amount");
}

Test(validate, bad_award_body_amount_currency_lowercase)
{
	award_body_bad(GOOD_BODY ",\"amount\":{\"value\":\"1.00\","
	    "\"currency\":\"rub\"}}", "amount");
}

Test(validate, bad_award_body_not_object)
{
	award_body_bad("[1,2,3]", NULL);
	award_body_bad("null", NULL);
	award_body_bad("\"ord_1\"", NULL);
}

Test(validate, bad_award_body_not_json)
{
	award_body_bad("order_id=ord_1", NULL);
	award_body_bad("", NULL);
	award_body_bad(GOOD_BODY, NULL);	/* no closing brace */
}

/* cJSON ends strings at NUL: "abc\u0000zzz" would pass as order "abc". */
Test(validate, bad_webhook_nul_escape_in_order_id)
{
	static const char body[] = "{\"event\":\"payment.succeeded\","
	    "\"object\":{\"created_at\":\"2026-11-27T10:51:18.139Z\","
	    "\"metadata\":{\"order_id\":\"abc\\u0000zzz\","
	    "\"telegram_id\":\"1\",\"plan_id\":\"p\"}}}";
	struct award_req	a;
	struct refund_req	r;
	char			err[160];

	cr_assert_eq(validate_webhook(body, strlen(body), &a, &r, err,
	    sizeof(err)), WEBHOOK_BAD);
}

Test(validate, escaped_backslash_before_u0000_text_is_fine)
{
	/* "\\u0000" is a backslash and the text u0000, not a NUL. */
	static const char body[] = "{\"note\":\"a\\\\u0000b\"}";
	cJSON *root = validate_parse(body, strlen(body));

	cr_assert_not_null(root);
	cJSON_Delete(root);
}

/* A raw control byte (here NUL) inside a string is not JSON. */
Test(validate, bad_parse_raw_nul_in_string)
{
	static const char body[] = "{\"order_id\":\"abc\0evil\"}";
	static const char tab[] = "{\"a\":\"x\ty\"}";

	cr_assert_null(validate_parse(body, sizeof(body) - 1));
	cr_assert_null(validate_parse(tab, sizeof(tab) - 1));
}

/* ---- telegram_id as written (SPEC §5), through /v1/awards bodies ---- */

static int
award_body_tgid(const char *raw, struct award_req *a, char err[256])
{
	char body[1024];

	snprintf(body, sizeof(body), "{\"order_id\":\"o\",\"telegram_id\":%s,"
	    "\"plan_id\":\"p\",\"created_at\":\"2026-11-27T10:51:17Z\"}", raw);
	return award_body(body, a, err);
}

Test(validate, bad_award_body_telegram_id_number_not_plain_digits)
{
	static const char *const cases[] = {
		"123456789.00000000001", "9007199254740990.5", "0123", "1e2",
		"1.0", "-5", "-0", "1e-0", "0.0", "9007199254740992",
	};
	struct award_req	a;
	char			err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_assert_eq(award_body_tgid(cases[i], &a, err), -1,
		    "telegram_id %s accepted as %lld", cases[i],
		    (long long)a.telegram_id);
}

Test(validate, award_body_telegram_id_plain_digits_and_string_pass)
{
	struct award_req	a;
	char			err[256];

	cr_assert_eq(award_body_tgid("123456789", &a, err), 0, "%s", err);
	cr_assert_eq(a.telegram_id, 123456789);
	cr_assert_eq(award_body_tgid("\"123456789\"", &a, err), 0, "%s", err);
	cr_assert_eq(a.telegram_id, 123456789);
	cr_assert_eq(award_body_tgid("9007199254740991", &a, err), 0, "%s",
	    err);
	cr_assert_eq(a.telegram_id, VALIDATE_TGID_MAX);
}

/* The walk finds the value cJSON found, whatever comes before it. */
Test(validate, award_body_telegram_id_found_past_decoys)
{
	static const char *const bad[] = {
		/* an escaped key is the same key to cJSON */
		"{\"order_id\":\"o\",\"telegram\\u005fid\":1.5,\"plan_id\":\"p\","
		"\"created_at\":\"2026-11-27T10:51:17Z\"}",
		/* a string holding a fake member, brackets and escapes */
		"{\"x\":\"\\\"telegram_id\\\":1,[{\",\"order_id\":\"o\","
		"\"telegram_id\":2.5,\"plan_id\":\"p\","
		"\"created_at\":\"2026-11-27T10:51:17Z\"}",
		/* nested containers, literals and numbers before it */
		"{\"n\":[[[{\"telegram_id\":1}]],true,false,null,-1.5e3,{}],"
		"\"order_id\":\"o\",\"telegram_id\":1e2,\"plan_id\":\"p\","
		"\"created_at\":\"2026-11-27T10:51:17Z\"}",
		/* a UTF-8 byte order mark and JSON's white space */
		"\xEF\xBB\xBF{\"order_id\":\"o\",\t\"telegram_id\"\r:\n"
		"7.0\t,\"plan_id\":\"p\",\"created_at\":\"2026-11-27T10:51:17Z\"}",
	};
	static const char *const good[] = {
		"{\"n\":[[[{\"telegram_id\":1.5}]],true,false,null,-1.5e3,{}],"
		"\"order_id\":\"o\",\"telegram_id\":42,\"plan_id\":\"p\","
		"\"created_at\":\"2026-11-27T10:51:17Z\"}",
		"\xEF\xBB\xBF{\"order_id\":\"o\",\t\"telegram_id\"\r:\n"
		"42\t,\"plan_id\":\"p\",\"created_at\":\"2026-11-27T10:51:17Z\"}",
		"{\"order_id\":\"o\",\"telegram\\u005fid\":42,\"plan_id\":\"p\","
		"\"created_at\":\"2026-11-27T10:51:17Z\"}",
	};
	struct award_req	a;
	char			err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(award_body(bad[i], &a, err), -1, "case %zu "
		    "accepted as %lld", i, (long long)a.telegram_id);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(award_body(good[i], &a, err), 0, "case %zu: %s",
		    i, err);
		cr_assert_eq(a.telegram_id, 42, "case %zu", i);
	}
}

/* ---- JSON number grammar (RFC 8259 §6) in validate_parse ---- */

Test(validate, bad_parse_number_not_json)
{
	static const char *const cases[] = {
		"0123", "{\"a\":0123}", "[1,00]", "{\"a\":1.}", "[-01]",
		"[1.e5]", "[1e]", "[1e+]", "[-]", "[01.5]", "{\"a\":{\"b\":-00}}",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *root = validate_parse(cases[i], strlen(cases[i]));

		cr_assert_null(root, "%s parsed", cases[i]);
	}
}

Test(validate, parse_json_numbers_still_accepted)
{
	static const char *const cases[] = {
		"0", "-0", "[0.5,-0.5,1E+2,1e-2,-1.5e3,10,9007199254740991]",
		"{\"a\":\"0123 1. 00\"}", "[0, 1 ,2]",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *root = validate_parse(cases[i], strlen(cases[i]));

		cr_assert_not_null(root, "%s refused", cases[i]);
		cJSON_Delete(root);
	}
}

Test(validate, number_text_of_nested_value)
{
	static const char	 body[] = "{\"a\":[1,{\"b\":2.50e1}],\"c\":3}";
	cJSON			*root = validate_parse(body, strlen(body));
	const cJSON		*b;
	const char		*tok;
	size_t			 n;

	cr_assert_not_null(root);
	b = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(
	    cJSON_GetObjectItemCaseSensitive(root, "a"), 1), "b");
	cr_assert_eq(validate_number_text(body, strlen(body), root, b, &tok,
	    &n), 0);
	cr_assert_eq(n, 6);
	cr_assert_eq(memcmp(tok, "2.50e1", 6), 0);
	/* Not a number of this tree. */
	cr_assert_eq(validate_number_text(body, strlen(body), root,
	    cJSON_GetObjectItemCaseSensitive(root, "a"), &tok, &n), -1);
	cr_assert_null(tok);
	cJSON_Delete(root);
}
