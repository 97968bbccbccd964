/*
 * Verification on the request thread (webverify.h): one API request per
 * notification (VERIFY_REQUEST_ATTEMPTS), so a webhook waits at most one
 * AWARD_YOOKASSA_TIMEOUT_MS for the API; what cannot be confirmed now is
 * queued and verified by the retry run with the full retries of §11.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "verify.h"
#include "webverify.h"
#include "yookassa.h"

/*
 * The thread's API client for verification, one request per call
 * (verify.h: the request's wait is bounded by one API timeout). NULL,
 * logged, when it cannot be made.
 */
static struct yk_client *
thread_yk(const struct award_config *cfg, struct yk_client **ykp)
{
	char err[YK_ERR_MAX];

	if (*ykp == NULL) {
		if ((*ykp = yk_open(cfg, err, sizeof(err))) == NULL) {
			log_msg(LOG_ERROR, "cannot make the YooKassa API "
			    "client", LF_STR("error", err), LF_END);
			return NULL;
		}
		yk_set_attempts(*ykp, VERIFY_REQUEST_ATTEMPTS);
	}
	return *ykp;
}

/* What the logs say differently of a payment and of a refund. */
struct vkind {
	const char	*kind;		/* "payment", "refund" */
	const char	*id_field;	/* "payment_id", "refund_id" */
	const char	*later;		/* the API could not answer */
};

static const struct vkind payment_kind = { "payment", "payment_id",
	"cannot verify the notification now; queued for the retry run to "
	"verify" };
static const struct vkind refund_kind = { "refund", "refund_id",
	"cannot verify the refund now; queued for the retry run to verify" };

/*
 * A notification of k with id that the API did not confirm (r is not
 * CONFIRMED; why says why). NOT_CONFIRMED or TEST_SHOP: *res is 200
 * {"status":"ignored","reason":"not_confirmed" | "test_payment"}, logged
 * at warn with the client address; returns 1. Otherwise the API could
 * not answer: *verify is set, so the writer queues the job for the retry
 * run to verify; returns 0.
 */
static int
unconfirmed(struct request *req, const struct vkind *k, enum verify_result r,
    const char *id, const char *why, int *verify, struct response *res)
{
	cJSON *o;

	if (r == VERIFY_UNAVAILABLE) {
		log_msg(LOG_WARN, k->later,
		    LF_STR("request_id", req->request_id),
		    LF_STR(k->id_field, id), LF_STR("error", why), LF_END);
		*verify = 1;
		return 0;
	}
	log_msg(LOG_WARN, "notification not confirmed by the API; ignored",
	    LF_STR("request_id", req->request_id),
	    LF_STR("remote_addr", req->remote_addr), LF_STR("kind", k->kind),
	    LF_STR("id", id[0] ? id : NULL), LF_STR("error", why), LF_END);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "status", "ignored");
	cJSON_AddStringToObject(o, "reason", verify_result_name(r));
	http_json(res, 200, o);
	return 1;
}

int
webverify_award(const struct award_config *cfg, struct yk_client **ykp,
    struct request *req, struct award_req *ar, struct response *res)
{
	struct yk_client	*yk = thread_yk(cfg, ykp);
	struct award_req	 api;
	char			 why[AWARD_ERR_MAX] = "no API client";
	enum verify_result	 r = VERIFY_UNAVAILABLE;

	if (yk != NULL || ar->payment_id[0] == '\0')
		r = verify_payment(yk, ar->payment_id,
		    cfg->accept_test_payments, &api, why, sizeof(why));
	if (r != VERIFY_CONFIRMED)
		return unconfirmed(req, &payment_kind, r, ar->payment_id, why,
		    &ar->verify, res);
	if (strcmp(api.order_id, ar->order_id) != 0 ||
	    api.telegram_id != ar->telegram_id ||
	    strcmp(api.plan_id, ar->plan_id) != 0 ||
	    api.amount_minor != ar->amount_minor)
		log_msg(LOG_WARN, "notification differs from the API's copy; "
		    "the API's is applied",
		    LF_STR("request_id", req->request_id),
		    LF_STR("remote_addr", req->remote_addr),
		    LF_STR("payment_id", api.payment_id),
		    LF_STR("order_id", api.order_id),
		    LF_STR("notified_order_id", ar->order_id),
		    LF_INT("tg_id", api.telegram_id),
		    LF_INT("notified_tg_id", ar->telegram_id), LF_END);
	*ar = api;
	return 0;
}

int
webverify_refund(const struct award_config *cfg, struct yk_client **ykp,
    struct request *req, struct refund_req *rr, struct response *res)
{
	struct yk_client	*yk = thread_yk(cfg, ykp);
	struct refund_req	 api;
	char			 why[AWARD_ERR_MAX] = "no API client";
	enum verify_result	 r = VERIFY_UNAVAILABLE;

	if (yk != NULL)
		r = verify_refund(yk, rr->refund_id,
		    cfg->accept_test_payments, &api, why, sizeof(why));
	if (r != VERIFY_CONFIRMED)
		return unconfirmed(req, &refund_kind, r, rr->refund_id, why,
		    &rr->verify, res);
	if (strcmp(api.payment_id, rr->payment_id) != 0 ||
	    api.amount_minor != rr->amount_minor)
		log_msg(LOG_WARN, "refund notification differs from the "
		    "API's copy; the API's is applied",
		    LF_STR("request_id", req->request_id),
		    LF_STR("remote_addr", req->remote_addr),
		    LF_STR("refund_id", api.refund_id),
		    LF_STR("payment_id", api.payment_id),
		    LF_STR("notified_payment_id", rr->payment_id), LF_END);
	*rr = api;
	return 0;
}
