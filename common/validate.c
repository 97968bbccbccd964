/*
 * Validators for the two JSON inputs: YooKassa notifications and the bot's
 * /v1/awards body. kcgi's validator table is the model: one function per
 * field kind, all bounds checked before a value is copied. Not the JSON
 * text itself (strict parsing, a number's written form): validate_json.c.
 */
#include <stdio.h>
#include <string.h>

#include "atime.h"
#include "config.h"
#include "money.h"
#include "validate.h"

int
validate_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];

		if (n >= AWARD_ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == ':' || c == '-'))
			return 0;
	}
	return n > 0;
}

int
validate_text_id(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return 0;
	for (; s[n] != '\0'; n++)
		if (n >= VALIDATE_TEXT_ID_MAX ||
		    (unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return n > 0;
}

int
validate_telegram_id(const cJSON *v, const char *tok, size_t toklen,
    int64_t *out)
{
	int64_t n = 0;

	if (cJSON_IsString(v) && v->valuestring != NULL)
		return validate_telegram_id_str(v->valuestring, out);
	if (!cJSON_IsNumber(v) || tok == NULL)
		return -1;
	/*
	 * SPEC §5: plain digits, no sign, fraction, exponent or leading
	 * zero, judged on the text: the double cJSON keeps reads
	 * 123456789.00000000001 as 123456789.
	 */
	if (toklen < 1 || toklen > 16 || tok[0] == '0')
		return -1;
	for (size_t i = 0; i < toklen; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		n = n * 10 + (tok[i] - '0');
	}
	if (n < 1 || n > VALIDATE_TGID_MAX)
		return -1;
	*out = n;
	return 0;
}

int
validate_telegram_id_str(const char *s, int64_t *out)
{
	long long v;

	/*
	 * Digits only, as the number form (SPEC §5): no sign, no spaces, no
	 * leading zero ("0123" would be the same user as "123"), at most 16.
	 */
	if (s == NULL || *s == '\0' || *s == '0' ||
	    strspn(s, "0123456789") != strlen(s) ||
	    strlen(s) > 16 || config_parse_int(s, 1, VALIDATE_TGID_MAX,
	    &v) == -1)
		return -1;
	*out = v;
	return 0;
}

/* A parsed body: the text and the tree validate_parse() made of it. */
struct body {
	const char	*text;
	size_t		 len;
	const cJSON	*root;
};

static const char *
str_field(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Copy a validated id; the caller has checked validate_id(). */
static void
copy_id(char dst[AWARD_ID_MAX + 1], const char *src)
{
	size_t n = strlen(src);

	memcpy(dst, src, n + 1);
}

/*
 * An amount: {"value":"199.00","currency":"RUB"} (YooKassa) or a bare
 * decimal string. Absent is fine (amount -1); present and malformed is not.
 */
static int
parse_amount(const cJSON *v, int64_t *minor, char currency[8])
{
	const char *val, *cur;

	*minor = -1;
	currency[0] = '\0';
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		return money_parse(v->valuestring, minor);
	if (!cJSON_IsObject(v))
		return -1;
	if ((val = str_field(v, "value")) == NULL ||
	    money_parse(val, minor) == -1)
		return -1;
	if ((cur = str_field(v, "currency")) != NULL) {
		size_t n = strlen(cur);

		if (n < 1 || n > 7)
			return -1;
		for (size_t i = 0; i < n; i++)
			if (cur[i] < 'A' || cur[i] > 'Z')
				return -1;
		memcpy(currency, cur, n + 1);
	} else if (cJSON_GetObjectItemCaseSensitive(v, "currency") != NULL)
		return -1;
	return 0;
}

/*
 * The fields shared by both inputs. src holds order_id, telegram_id,
 * plan_id. Returns 0 or -1 with err set.
 */
static int
award_fields(const struct body *b, const cJSON *src, struct award_req *r,
    char *err, size_t errsz)
{
	const cJSON	*tg;
	const char	*order, *plan, *tok = NULL;
	size_t		 toklen = 0;

	if ((order = str_field(src, "order_id")) == NULL ||
	    !validate_id(order)) {
		snprintf(err, errsz, "order_id: missing or not 1-128 of "
		    "[A-Za-z0-9._:-]");
		return -1;
	}
	tg = cJSON_GetObjectItemCaseSensitive(src, "telegram_id");
	if (cJSON_IsNumber(tg))
		(void)validate_number_text(b->text, b->len, b->root, tg, &tok,
		    &toklen);
	if (validate_telegram_id(tg, tok, toklen, &r->telegram_id) == -1) {
		snprintf(err, errsz, "telegram_id: missing or not an integer "
		    "from 1 to 2^53-1 written as digits");
		return -1;
	}
	if ((plan = str_field(src, "plan_id")) == NULL || !validate_id(plan)) {
		snprintf(err, errsz, "plan_id: missing or not 1-128 of "
		    "[A-Za-z0-9._:-]");
		return -1;
	}
	copy_id(r->order_id, order);
	copy_id(r->plan_id, plan);
	return 0;
}

/* Time field: absent -> 0 (and *present 0); present must parse. */
static int
time_field(const cJSON *obj, const char *name, int *present, int64_t *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*present = v != NULL && !cJSON_IsNull(v);
	if (!*present)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= 64)
		return -1;
	return atime_parse(v->valuestring, ms);
}

/*
 * A "succeeded" event whose object says another status (or not a string)
 * contradicts itself: bad input, not tickets given or taken. An object
 * without a status is judged by its event. 0 or -1 (err set).
 */
static int
status_succeeded(const cJSON *obj, char *err, size_t errsz)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(obj, "status");

	if (st == NULL || (cJSON_IsString(st) &&
	    strcmp(st->valuestring, "succeeded") == 0))
		return 0;
	snprintf(err, errsz, "object.status: %.32s, not succeeded",
	    cJSON_IsString(st) ? st->valuestring : "not a string");
	return -1;
}

static enum webhook_kind
webhook_payment(const struct body *b, const cJSON *obj, struct award_req *r,
    char *err, size_t errsz)
{
	const cJSON	*meta;
	const char	*pid;
	int		 have_meta_t, have_obj_t;
	int64_t		 meta_t = 0, obj_t = 0;

	if (status_succeeded(obj, err, errsz) == -1)
		return WEBHOOK_BAD;
	meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (!cJSON_IsObject(meta)) {
		snprintf(err, errsz, "object.metadata: missing");
		return WEBHOOK_BAD;
	}
	if (award_fields(b, meta, r, err, errsz) == -1)
		return WEBHOOK_BAD;
	if (time_field(meta, "created_at", &have_meta_t, &meta_t) == -1) {
		snprintf(err, errsz, "metadata.created_at: not an ISO-8601 "
		    "time");
		return WEBHOOK_BAD;
	}
	/* Present but unparsable is bad input, used or not (SPEC.md §4). */
	if (time_field(obj, "created_at", &have_obj_t, &obj_t) == -1) {
		snprintf(err, errsz, "object.created_at: not an ISO-8601 "
		    "time");
		return WEBHOOK_BAD;
	}
	if (!have_meta_t && !have_obj_t) {
		snprintf(err, errsz, "created_at: missing");
		return WEBHOOK_BAD;
	}
	r->order_ms = have_meta_t ? meta_t : obj_t;

	pid = str_field(obj, "id");
	if (cJSON_GetObjectItemCaseSensitive(obj, "id") != NULL &&
	    (pid == NULL || !validate_id(pid))) {
		snprintf(err, errsz, "object.id: not a payment id");
		return WEBHOOK_BAD;
	}
	if (pid != NULL)
		copy_id(r->payment_id, pid);
	if (parse_amount(cJSON_GetObjectItemCaseSensitive(obj, "amount"),
	    &r->amount_minor, r->currency) == -1) {
		snprintf(err, errsz, "object.amount: not a decimal amount");
		return WEBHOOK_BAD;
	}
	return WEBHOOK_PAYMENT;
}

static enum webhook_kind
webhook_refund(const cJSON *obj, struct refund_req *r, char *err,
    size_t errsz)
{
	const char *rid, *pid;

	if (status_succeeded(obj, err, errsz) == -1)
		return WEBHOOK_BAD;
	if ((rid = str_field(obj, "id")) == NULL || !validate_id(rid)) {
		snprintf(err, errsz, "object.id: missing or not a refund id");
		return WEBHOOK_BAD;
	}
	if ((pid = str_field(obj, "payment_id")) == NULL || !validate_id(pid)) {
		snprintf(err, errsz, "object.payment_id: missing or not a "
		    "payment id");
		return WEBHOOK_BAD;
	}
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(obj,
	    "amount")) || parse_amount(cJSON_GetObjectItemCaseSensitive(obj,
	    "amount"), &r->amount_minor, r->currency) == -1 ||
	    r->amount_minor <= 0) {
		snprintf(err, errsz, "object.amount: missing or not a "
		    "positive decimal amount");
		return WEBHOOK_BAD;
	}
	copy_id(r->refund_id, rid);
	copy_id(r->payment_id, pid);
	return WEBHOOK_REFUND;
}

enum webhook_kind
validate_webhook(const char *body, size_t len, struct award_req *award,
    struct refund_req *refund, char *err, size_t errsz)
{
	return validate_webhook_test(body, len, 1, award, refund, err, errsz);
}

enum webhook_kind
validate_webhook_test(const char *body, size_t len, int accept_test,
    struct award_req *award, struct refund_req *refund, char *err,
    size_t errsz)
{
	cJSON			*root;
	const cJSON		*ev, *obj;
	struct body		 b;
	enum webhook_kind	 k;

	memset(award, 0, sizeof(*award));
	memset(refund, 0, sizeof(*refund));
	award->amount_minor = -1;
	if ((root = validate_parse(body, len)) == NULL) {
		snprintf(err, errsz, "body is not valid JSON");
		return WEBHOOK_BAD;
	}
	b.text = body;
	b.len = len;
	b.root = root;
	ev = cJSON_GetObjectItemCaseSensitive(root, "event");
	obj = cJSON_GetObjectItemCaseSensitive(root, "object");
	if (!cJSON_IsObject(root) || !cJSON_IsString(ev) ||
	    !cJSON_IsObject(obj)) {
		snprintf(err, errsz, "event (string) and object (object) "
		    "are required");
		k = WEBHOOK_BAD;
	} else if (!accept_test && cJSON_IsTrue(
	    cJSON_GetObjectItemCaseSensitive(obj, "test")) &&
	    (strcmp(ev->valuestring, "payment.succeeded") == 0 ||
	    strcmp(ev->valuestring, "refund.succeeded") == 0))
		k = WEBHOOK_TEST;
	else if (strcmp(ev->valuestring, "payment.succeeded") == 0)
		k = webhook_payment(&b, obj, award, err, errsz);
	else if (strcmp(ev->valuestring, "refund.succeeded") == 0)
		k = webhook_refund(obj, refund, err, errsz);
	else
		k = WEBHOOK_IGNORED;
	cJSON_Delete(root);
	return k;
}

int
validate_api_payment(const char *text, size_t len, const cJSON *root,
    const cJSON *obj, struct award_req *award, int *no_order_id, char *err,
    size_t errsz)
{
	struct body	 b = { text, len, root };
	const cJSON	*meta;

	memset(award, 0, sizeof(*award));
	award->amount_minor = -1;
	if (no_order_id != NULL) {
		meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
		*no_order_id = !cJSON_IsObject(meta) ||
		    cJSON_GetObjectItemCaseSensitive(meta, "order_id") == NULL;
	}
	if (!cJSON_IsObject(obj)) {
		snprintf(err, errsz, "not an object");
		return -1;
	}
	return webhook_payment(&b, obj, award, err, errsz) ==
	    WEBHOOK_PAYMENT ? 0 : -1;
}

int
validate_api_refund(const cJSON *obj, struct refund_req *refund, char *err,
    size_t errsz)
{
	memset(refund, 0, sizeof(*refund));
	if (!cJSON_IsObject(obj)) {
		snprintf(err, errsz, "not an object");
		return -1;
	}
	return webhook_refund(obj, refund, err, errsz) == WEBHOOK_REFUND ?
	    0 : -1;
}

int
validate_award_body(const char *body, size_t len, struct award_req *r,
    char *err, size_t errsz)
{
	cJSON		*root;
	struct body	 b;
	const char	*pid;
	int		 present, rc = -1;

	memset(r, 0, sizeof(*r));
	r->amount_minor = -1;
	if ((root = validate_parse(body, len)) == NULL ||
	    !cJSON_IsObject(root)) {
		snprintf(err, errsz, "body is not a JSON object");
		goto out;
	}
	b.text = body;
	b.len = len;
	b.root = root;
	if (award_fields(&b, root, r, err, errsz) == -1)
		goto out;
	if (time_field(root, "created_at", &present, &r->order_ms) == -1 ||
	    !present) {
		snprintf(err, errsz, "created_at: missing or not an ISO-8601 "
		    "time");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "payment_id") != NULL &&
	    !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(root,
	    "payment_id"))) {
		if ((pid = str_field(root, "payment_id")) == NULL ||
		    !validate_id(pid)) {
			snprintf(err, errsz, "payment_id: not 1-128 of "
			    "[A-Za-z0-9._:-]");
			goto out;
		}
		copy_id(r->payment_id, pid);
	}
	if (parse_amount(cJSON_GetObjectItemCaseSensitive(root, "amount"),
	    &r->amount_minor, r->currency) == -1) {
		snprintf(err, errsz, "amount: not a decimal amount");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}
