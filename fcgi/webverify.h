/*
 * Verification of webhook notifications on the request thread (SPEC.md
 * §11, AWARD_VERIFY_PAYMENTS): before a job reaches the writer, so never
 * inside a commit group's transaction, the object is fetched from the API
 * (common/verify.c) and its copy replaces the notification's fields. The
 * request thread's API client is *ykp, opened on first use (with one
 * attempt per call) and closed by its owner. Not here: the webhook's
 * parsing and answer for confirmed jobs (routes.c).
 */
#ifndef AWARD_WEBVERIFY_H
#define AWARD_WEBVERIFY_H

#include "award.h"
#include "config.h"
#include "http.h"
#include "refund.h"
#include "yookassa.h"

/*
 * Verify the payment of *ar. Returns 0 to go on with *ar the API's copy
 * (confirmed) or the notification's fields marked verify (the API could
 * not answer: the writer queues it for the retry run to verify); 1 when
 * *res is set to 200 {"status":"ignored","reason":"not_confirmed"}
 * (nothing to record; logged at warn with the client address).
 */
int	webverify_award(const struct award_config *cfg,
	    struct yk_client **ykp, struct request *req, struct award_req *ar,
	    struct response *res);

/* The same for the refund of *rr (GET /refunds/{id}). */
int	webverify_refund(const struct award_config *cfg,
	    struct yk_client **ykp, struct request *req,
	    struct refund_req *rr, struct response *res);

#endif
