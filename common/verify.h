/*
 * Verification against YooKassa's API (SPEC.md §11, AWARD_VERIFY_PAYMENTS):
 * a notification is only a hint; the object is fetched by its id and the
 * API's copy (status, amount, metadata) becomes the request. Shared by the
 * responder's request threads (before a job reaches the writer) and the
 * retry run (before a row's group begins), so that no API call is ever
 * made inside a write transaction. Not here: HTTP (yookassa.c), what is
 * done with the request (job.c), the answer to the client (fcgi/).
 */
#ifndef AWARD_VERIFY_H
#define AWARD_VERIFY_H

#include <stddef.h>

#include "award.h"
#include "refund.h"
#include "yookassa.h"

/*
 * Requests one verification may send from a request thread: one, no
 * retry, so a request waits at most AWARD_YOOKASSA_TIMEOUT_MS for the
 * API; what it cannot confirm now is queued and the retry run, with the
 * full retries of §11, verifies it.
 */
#define VERIFY_REQUEST_ATTEMPTS	1

enum verify_result {
	VERIFY_CONFIRMED,	/* *out is the API's copy, status succeeded */
	VERIFY_NOT_CONFIRMED,	/* unknown (404), not succeeded, or its copy
				 * is not a valid request: ignore it */
	VERIFY_UNAVAILABLE,	/* the API could not answer: queue, try later */
	VERIFY_TEST_SHOP,	/* the API's copy is a test shop's ("test":
				 * true) and AWARD_ACCEPT_TEST_PAYMENTS is 0:
				 * ignore it, as its notification would be */
	VERIFY__MAX
};

/* "confirmed", "not_confirmed", "unavailable", "test_payment". */
const char *verify_result_name(enum verify_result r);

/*
 * Fetch payment payment_id (GET /payments/{id}) with c and build the award
 * request from the API's copy, judged by the webhook's validators
 * (validate_api_payment). A copy with "test": true is TEST_SHOP unless
 * accept_test (AWARD_ACCEPT_TEST_PAYMENTS=1): the API's copy is judged as
 * its notification would be (SPEC.md §5), whatever the notification said.
 * CONFIRMED fills *out (verify 0); otherwise *out
 * is zeroed and err says why (never the key). A payment_id that is empty
 * or not an id is NOT_CONFIRMED without a request. Refused credentials
 * and answers that are not an object are UNAVAILABLE: the fault is ours
 * or the API's, not the notification's.
 */
enum verify_result verify_payment(struct yk_client *c, const char *payment_id,
	    int accept_test, struct award_req *out, char *err, size_t errsz);

/* The same for refund refund_id (GET /refunds/{id}). */
enum verify_result verify_refund(struct yk_client *c, const char *refund_id,
	    int accept_test, struct refund_req *out, char *err, size_t errsz);

#endif
