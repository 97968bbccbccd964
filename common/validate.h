/*
 * Untrusted JSON to validated requests (SPEC.md §5 field limits). Every
 * field passes one validator here before any handler sees it; bodies are
 * parsed with a bounded depth. Not the place for business rules.
 */
#ifndef AWARD_VALIDATE_H
#define AWARD_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "award.h"
#include "refund.h"

#define VALIDATE_DEPTH_MAX	32
#define VALIDATE_TGID_MAX	9007199254740991LL	/* 2^53 - 1 */

/* 1 when s is 1-128 characters of [A-Za-z0-9._:-]. */
int	validate_id(const char *s);

/*
 * 1 when s is an id the service only looks up, never writes: any text of
 * 1-VALIDATE_TEXT_ID_MAX bytes without control characters. A contest id
 * is the bot's (SPEC.md §3 sets no character class), and an order id of
 * older code's ledger rows may be anything. Always bound as a parameter,
 * escaped where it is shown.
 */
#define VALIDATE_TEXT_ID_MAX	255
int	validate_text_id(const char *s);

/*
 * telegram_id (SPEC.md §5): in 1..2^53-1, a JSON number written as plain
 * digits (no sign, fraction, exponent or leading zero) or a string of
 * decimal digits. For a number, tok and toklen are its text as
 * validate_number_text() finds it (tok NULL: refused), since the tree
 * keeps only a double. Returns 0 and sets *out, or -1.
 */
int	validate_telegram_id(const cJSON *v, const char *tok, size_t toklen,
	    int64_t *out);

/*
 * Find how number v of root, the tree validate_parse() made of body[0..len),
 * is written there: *tok (pointing into body) and *toklen. Linear in len,
 * bounded in depth by VALIDATE_DEPTH_MAX. Returns 0, or -1 with *tok NULL
 * when v is not a number of that tree.
 */
int	validate_number_text(const char *body, size_t len, const cJSON *root,
	    const cJSON *v, const char **tok, size_t *toklen);

/* The text of one JSON value within a body. */
struct validate_span {
	const char	*text;
	size_t		 len;
};

/*
 * The text of each of the n elements of array (a node of root, as for
 * validate_number_text()), found in one walk: a malloc'd array, the i-th
 * span for the i-th element, or NULL. A look into an element's text then
 * walks that element alone (validate_number_text(span.text, span.len,
 * element, ...)), not the body from its start each time, which over a
 * list page would be quadratic.
 */
struct validate_span *validate_element_spans(const char *body, size_t len,
	    const cJSON *root, const cJSON *array, size_t n);

/* The same for a string of decimal digits (a path segment, say). */
int	validate_telegram_id_str(const char *s, int64_t *out);

/*
 * Parse len bytes of body into a cJSON tree with nesting at most
 * VALIDATE_DEPTH_MAX and numbers of JSON's grammar only (cJSON alone takes
 * 0123 and 1.). Returns the tree (caller deletes) or NULL.
 */
cJSON	*validate_parse(const char *body, size_t len);

enum webhook_kind {
	WEBHOOK_BAD,		/* 400, err says why */
	WEBHOOK_IGNORED,	/* another event: 200 ignored */
	WEBHOOK_PAYMENT,	/* payment.succeeded: *award filled */
	WEBHOOK_REFUND,		/* refund.succeeded: *refund filled */
	WEBHOOK_TEST,		/* from a test shop, not accepted: 200 ignored */
	WEBHOOK__MAX
};

/*
 * Validate a YooKassa notification. For WEBHOOK_BAD, err holds a short
 * message safe to return to the client.
 */
enum webhook_kind validate_webhook(const char *body, size_t len,
	    struct award_req *award, struct refund_req *refund, char *err,
	    size_t errsz);

/*
 * validate_webhook() with the test-shop rule of SPEC.md §5: unless
 * accept_test (AWARD_ACCEPT_TEST_PAYMENTS=1), a payment.succeeded or
 * refund.succeeded whose object.test is true is WEBHOOK_TEST, before its
 * metadata is looked at (nothing is recorded for it). validate_webhook()
 * is this with accept_test = 1.
 */
enum webhook_kind validate_webhook_test(const char *body, size_t len,
	    int accept_test, struct award_req *award,
	    struct refund_req *refund, char *err, size_t errsz);

/*
 * A payment or refund object as YooKassa's API returns it (a list item
 * or GET /payments/{id}): the "object" of the matching notification,
 * judged by the same rules (SPEC.md §5, §11). text[0..len) is the answer
 * that validate_parse() made root of, and obj is inside root (for how
 * numbers are written). Fills *award / *refund; returns 0, or -1 with a
 * short reason in err. *no_order_id (may be NULL) is set to 1 when a
 * payment's metadata has no order_id at all (not the bot's payment).
 */
int	validate_api_payment(const char *text, size_t len, const cJSON *root,
	    const cJSON *obj, struct award_req *award, int *no_order_id,
	    char *err, size_t errsz);
int	validate_api_refund(const cJSON *obj, struct refund_req *refund,
	    char *err, size_t errsz);

/*
 * Validate a POST /v1/awards body: order_id, telegram_id, plan_id,
 * created_at required; payment_id, amount optional (amount a decimal string
 * or {"value","currency"}). Returns 0, or -1 with err set.
 */
int	validate_award_body(const char *body, size_t len,
	    struct award_req *award, char *err, size_t errsz);

#endif
