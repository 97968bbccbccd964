/*
 * Verify then build the request (verify.h): one GET by id, the status
 * checked, the copy judged by the same validators as a notification's
 * object. The caller chooses the retry budget of its client.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "validate.h"
#include "verify.h"

static const char *const names[VERIFY__MAX] = {
	"confirmed", "not_confirmed", "unavailable", "test_payment",
};

const char *
verify_result_name(enum verify_result r)
{
	return (unsigned)r < VERIFY__MAX ? names[r] : "unknown";
}

/*
 * GET kind/id into *o: CONFIRMED when the answer is that object and its
 * status is "succeeded" (o filled, caller frees), else the result with
 * err set and o empty. UNAVAILABLE only when the API cannot be used at
 * all (no answer, 429, 5xx, credentials refused): the retry run stops
 * there. An API that answered about this id but not with it (404, another
 * 4xx, a body that is not the object, another object) has not confirmed
 * it: taking that for an outage stopped every retry run at the same row,
 * so one odd notification held the whole queue. A real payment judged so
 * is still found by reconciliation, which asks the lists.
 */
static enum verify_result
fetch(struct yk_client *c, enum yk_kind kind, const char *id, int accept_test,
    struct yk_object *o, char *err, size_t errsz)
{
	const cJSON	*st;
	char		 why[YK_ERR_MAX];

	memset(o, 0, sizeof(*o));
	if (id == NULL || !validate_id(id)) {
		snprintf(err, errsz, "no id to ask the API about");
		return VERIFY_NOT_CONFIRMED;
	}
	switch (yk_get(c, kind, id, o, why, sizeof(why))) {
	case YK_OK:
		break;
	case YK_NOT_FOUND:
		snprintf(err, errsz, "the API does not know %s", id);
		return VERIFY_NOT_CONFIRMED;
	case YK_BAD_RESPONSE:
		snprintf(err, errsz, "the API did not answer %s with it: %s",
		    id, why);
		return VERIFY_NOT_CONFIRMED;
	default:
		snprintf(err, errsz, "YooKassa API: %s", why);
		return VERIFY_UNAVAILABLE;
	}
	if (o->id == NULL || strcmp(o->id, id) != 0) {
		snprintf(err, errsz, "the API answered another object for %s",
		    id);
		yk_object_free(o);
		return VERIFY_NOT_CONFIRMED;
	}
	st = cJSON_GetObjectItemCaseSensitive(o->root, "status");
	if (!cJSON_IsString(st) || strcmp(st->valuestring,
	    "succeeded") != 0) {
		snprintf(err, errsz, "status at the API is %.32s, not "
		    "succeeded", cJSON_IsString(st) ? st->valuestring :
		    "missing");
		yk_object_free(o);
		return VERIFY_NOT_CONFIRMED;
	}
	if (!accept_test &&
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o->root, "test"))) {
		snprintf(err, errsz, "the API's copy of %s is a test shop's "
		    "(AWARD_ACCEPT_TEST_PAYMENTS is 0)", id);
		yk_object_free(o);
		return VERIFY_TEST_SHOP;
	}
	return VERIFY_CONFIRMED;
}

enum verify_result
verify_payment(struct yk_client *c, const char *payment_id, int accept_test,
    struct award_req *out, char *err, size_t errsz)
{
	struct yk_object	 o;
	enum verify_result	 r;
	char			 why[160] = "";

	memset(out, 0, sizeof(*out));
	if ((r = fetch(c, YK_PAYMENTS, payment_id, accept_test, &o, err,
	    errsz)) != VERIFY_CONFIRMED)
		return r;
	if (validate_api_payment(o.text, o.len, o.root, o.root, out, NULL,
	    why, sizeof(why)) == -1 || strcmp(out->payment_id,
	    payment_id) != 0) {
		snprintf(err, errsz, "the API's copy is not a valid payment: "
		    "%s", why);
		memset(out, 0, sizeof(*out));
		r = VERIFY_NOT_CONFIRMED;
	}
	yk_object_free(&o);
	return r;
}

enum verify_result
verify_refund(struct yk_client *c, const char *refund_id, int accept_test,
    struct refund_req *out, char *err, size_t errsz)
{
	struct yk_object	 o;
	enum verify_result	 r;
	char			 why[160] = "";

	memset(out, 0, sizeof(*out));
	if ((r = fetch(c, YK_REFUNDS, refund_id, accept_test, &o, err,
	    errsz)) != VERIFY_CONFIRMED)
		return r;
	if (validate_api_refund(o.root, out, why, sizeof(why)) == -1 ||
	    strcmp(out->refund_id, refund_id) != 0) {
		snprintf(err, errsz, "the API's copy is not a valid refund: "
		    "%s", why);
		memset(out, 0, sizeof(*out));
		r = VERIFY_NOT_CONFIRMED;
	}
	yk_object_free(&o);
	return r;
}
