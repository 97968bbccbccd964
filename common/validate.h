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
 * telegram_id: a JSON number that is an integer, or a string of decimal
 * digits, in 1..2^53-1. Returns 0 and sets *out, or -1.
 */
int	validate_telegram_id(const cJSON *v, int64_t *out);

/* The same for a string of decimal digits (a path segment, say). */
int	validate_telegram_id_str(const char *s, int64_t *out);

/*
 * Parse len bytes of body into a cJSON tree with nesting at most
 * VALIDATE_DEPTH_MAX. Returns the tree (caller deletes) or NULL.
 */
cJSON	*validate_parse(const char *body, size_t len);

enum webhook_kind {
	WEBHOOK_BAD,		/* 400, err says why */
	WEBHOOK_IGNORED,	/* another event: 200 ignored */
	WEBHOOK_PAYMENT,	/* payment.succeeded: *award filled */
	WEBHOOK_REFUND,		/* refund.succeeded: *refund filled */
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
 * Validate a POST /v1/awards body: order_id, telegram_id, plan_id,
 * created_at required; payment_id, amount optional (amount a decimal string
 * or {"value","currency"}). Returns 0, or -1 with err set.
 */
int	validate_award_body(const char *body, size_t len,
	    struct award_req *award, char *err, size_t errsz);

#endif
