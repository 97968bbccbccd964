/*
 * The payments row of an award request and the refunds that arrived
 * before it (SPEC.md §4 "Refunds"): award_record_payment() upserts the
 * row, counts the refunds kept 'pending' by refund.c into refunded_minor
 * once, and takes back those that turn out to be in another currency. Its
 * statements are award.c's (ctx->aw). Not the award rules (award.c), nor
 * a refund arriving after its payment (refund.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "award.h"
#include "award_stmts.h"
#include "db.h"
#include "log.h"
#include "retryq.h"

/* refunded_minor += delta for payment_id; 0 or -1. */
static int
add_refunded(struct award_ctx *ctx, const char *payment_id, int64_t delta)
{
	sqlite3_stmt *st = ctx->aw[AW_REFUNDS_ADD];

	if (delta == 0)
		return 0;
	sqlite3_bind_text(st, 1, payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, delta);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/*
 * Move refunds of payment_id in or out of its refunded_minor, each once.
 * take: the refunds recorded before the payment was seen, each leaving
 * 'pending' here in the transaction that first records the payment (SPEC
 * §4 "Refunds": a payment refunded in full is never awarded); one in
 * another currency is never counted, but marked 'mismatch' and logged at
 * warn, and queued as a failed refund (failed_awards, kind refund), the
 * way refund.c fails one that arrives after its payment (SPEC §4
 * "Refunds"). Not take: the payment's currency became known after
 * refunds were counted without it to compare (refund.c compares known
 * currencies only); those in another currency leave the count, marked
 * 'mismatch', logged at warn and queued the same way, so that they never
 * make the payment refunded in full. 0 or -1.
 */
static int
move_refunds(struct award_ctx *ctx, const struct award_req *req, int take)
{
	const char	*payment_id = req->payment_id;
	sqlite3_stmt	*st = ctx->aw[take ? AW_REFUNDS_TAKE :
			    AW_REFUNDS_UNCOUNT];
	/*
	 * The refunds in another currency, copied as they come (the row goes
	 * at the next step) and queued once the statement is done. As many
	 * as there are: a bound here failed the payment's every delivery
	 * with nothing saved (a 503 each time), since saving its failure
	 * records the payment through here too.
	 */
	struct refund_req *mm = NULL, *grown;
	size_t		 nmm = 0, cap = 0;
	char		 why[AWARD_ID_MAX + 96];
	int64_t		 sum = 0, amount;
	int		 rc, bad = 0;

	sqlite3_bind_text(st, 1, payment_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *rid = db_col_text(st, 0), *cur = db_col_text(st, 2);
		int counts = take && strcmp(db_col_text(st, 3), "counted") == 0;

		amount = sqlite3_column_int64(st, 1);
		if (counts)
			log_msg(LOG_INFO, "refund recorded before its payment "
			    "counted", LF_STR("refund_id", rid),
			    LF_STR("payment_id", payment_id),
			    LF_INT("amount_minor", amount), LF_END);
		else
			log_msg(LOG_WARN, take ? "refund in another currency "
			    "than its payment: not counted" : "refund in "
			    "another currency than its payment: no longer "
			    "counted", LF_STR("refund_id", rid),
			    LF_STR("payment_id", payment_id),
			    LF_STR("currency", cur),
			    LF_INT("amount_minor", amount), LF_END);
		if (!counts) {
			if (nmm == cap) {
				cap = cap == 0 ? 8 : 2 * cap;
				if ((grown = realloc(mm, cap * sizeof(*mm))) ==
				    NULL) {
					bad = 1;
					break;
				}
				mm = grown;
			}
			if (strlen(rid) >= sizeof(mm[0].refund_id) ||
			    strlen(cur) >= sizeof(mm[0].currency))
				bad = 1;
			else {
				memset(&mm[nmm], 0, sizeof(mm[nmm]));
				memcpy(mm[nmm].refund_id, rid, strlen(rid) + 1);
				memcpy(mm[nmm].payment_id, payment_id,
				    strlen(payment_id) + 1);
				memcpy(mm[nmm].currency, cur, strlen(cur) + 1);
				mm[nmm++].amount_minor = amount;
			}
		}
		if (take && !counts)
			continue;
		if (amount < 0 || amount > INT64_MAX - sum)
			bad = 1;
		else
			sum += amount;
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		bad = 1;
	for (size_t i = 0; i < nmm && !bad; i++) {
		snprintf(why, sizeof(why), "refund currency %s differs from "
		    "payment %s currency %s", mm[i].currency, payment_id,
		    req->currency);
		if (retryq_save_refund(ctx, &mm[i], why, 0) == -1)
			bad = 1;
	}
	free(mm);
	if (bad)
		return -1;
	return add_refunded(ctx, payment_id, take ? sum : -sum);
}

/*
 * Bind ?1-?8 of AW_PAYMENT_UPSERT or AW_PAYMENT_INSERT: the order's
 * details from req, its time formatted into ot, and now.
 */
static void
bind_payment(sqlite3_stmt *st, const struct award_req *req,
    char ot[ATIME_BUFSZ], const char *now)
{
	atime_format(req->order_ms, ot);
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, req->order_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, req->telegram_id);
	sqlite3_bind_text(st, 4, req->plan_id, -1, SQLITE_STATIC);
	if (req->amount_minor >= 0)
		sqlite3_bind_int64(st, 5, req->amount_minor);
	db_bind_opt_text(st, 6, req->currency);
	sqlite3_bind_text(st, 7, ot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
}

int
award_insert_payment(struct award_ctx *ctx, const struct award_req *req,
    const char *outcome, const char *now)
{
	sqlite3_stmt	*st = ctx->aw[AW_PAYMENT_INSERT];
	char		 ot[ATIME_BUFSZ];

	bind_payment(st, req, ot, now);
	sqlite3_bind_text(st, 9, outcome, -1, SQLITE_STATIC);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/*
 * 1 when req's payment is recorded for another order (its order id into
 * other, othersz bytes), 0 when it is not (no payment id, no row, or
 * this order's), -1 on a database error.
 */
static int
other_order(struct award_ctx *ctx, const struct award_req *req, char *other,
    size_t othersz)
{
	sqlite3_stmt	*st = ctx->aw[AW_PAYMENT_ORDER];
	const char	*o;
	int		 rc;

	if (req->payment_id[0] == '\0')
		return 0;
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	o = (const char *)sqlite3_column_text(st, 0);
	rc = o != NULL && strcmp(o, req->order_id) != 0;
	if (rc)
		snprintf(other, othersz, "%s", o);
	db_reset(st);
	return rc;
}

int
award_payment_judged_without(struct award_ctx *ctx,
    const struct award_req *req, struct award_req *alt)
{
	char	other[AWARD_ID_MAX + 1];
	int	rc;

	if ((rc = other_order(ctx, req, other, sizeof(other))) != 1)
		return rc;
	log_msg(LOG_WARN, "payment is recorded for another order; this "
	    "order is judged without it", LF_STR("payment_id",
	    req->payment_id), LF_STR("order_id", req->order_id),
	    LF_STR("recorded_order_id", other), LF_END);
	*alt = *req;
	alt->payment_id[0] = '\0';
	alt->amount_minor = -1;
	alt->currency[0] = '\0';
	return 1;
}

int
award_record_payment(struct award_ctx *ctx, const struct award_req *req)
{
	sqlite3_stmt	*st = ctx->aw[AW_PAYMENT_UPSERT];
	char		 ot[ATIME_BUFSZ], now[ATIME_BUFSZ];
	char		 other[AWARD_ID_MAX + 1];
	int		 rc;

	if (req->payment_id[0] == '\0')
		return 0;
	/*
	 * Another order's payment (award.c, same_order): its row is not
	 * this request's to fill, nor its refunds to judge by this
	 * request's currency. Nothing is written.
	 */
	if ((rc = other_order(ctx, req, other, sizeof(other))) != 0)
		return rc == 1 ? 0 : -1;
	atime_format(award_ctx_now(ctx), now);
	bind_payment(st, req, ot, now);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	/*
	 * Nearly every payment has no refund yet, and the UPDATEs of
	 * move_refunds() (each RETURNING into a table of its own) would
	 * change nothing: 68 000 of 340 000 instructions per award
	 * (callgrind, bench_award group FULL 3000 16).
	 */
	st = ctx->aw[AW_REFUNDS_ANY];
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -1;
	if (move_refunds(ctx, req, 1) == -1)
		return -1;
	/* Only a request that brings a currency can make it known. */
	return req->currency[0] != '\0' ? move_refunds(ctx, req, 0) : 0;
}
