/*
 * The award engine (SPEC.md §4): one function for all three entry points
 * (webhook, the bot's /v1/awards, the retry run). It owns the ledger rules
 * and the payments record; queueing a failure is retryq.h's job, and job.h
 * joins the two the way each entry point needs.
 */
#ifndef AWARD_AWARD_H
#define AWARD_AWARD_H

#include <stdint.h>

#include "ctx.h"

#define AWARD_ID_MAX	128	/* order_id, plan_id, payment_id: SPEC §5 */

/*
 * SQL: the ledger row aliased A was not reversed by older code, which
 * wrote its REFUND rows with ids of its own (SPEC §3: their orders are
 * left as they are). Such a row of A's order, owner and contest means
 * the old code reversed that owner's award; reversing it again would
 * take the tickets twice. Every reversal (award.c, refund.c) and
 * reconciliation's look for a missing one (reconcile.c) use it.
 */
#define AWARD_SQL_NOT_REVERSED_BY_OLD_CODE(A)				\
	" NOT EXISTS (SELECT 1 FROM bot.ticket_ledger AS old"		\
	" WHERE old.order_id = " A ".order_id"				\
	" AND old.referrer_id = " A ".referrer_id"			\
	" AND old.contest_id = " A ".contest_id"				\
	" AND old.reason = 'REFUND'"					\
	" AND substr(old.id, 1, 7) <> 'REFUND:')"
#define AWARD_ERR_MAX	256

/* A validated award request (see validate.h). */
struct award_req {
	char	order_id[AWARD_ID_MAX + 1];
	int64_t	telegram_id;
	char	plan_id[AWARD_ID_MAX + 1];
	int64_t	order_ms;			/* the order time */
	char	payment_id[AWARD_ID_MAX + 1];	/* "" = not known */
	int64_t	amount_minor;			/* -1 = not known */
	char	currency[8];			/* "" = not known */
	int	verify;	/* 1: a notification the API has not confirmed yet
			 * (SPEC.md §11): queued for the retry run to verify,
			 * never applied as it is (job.c) */
};

enum award_result {
	AWARD_AWARDED,
	AWARD_DUPLICATE,
	AWARD_NOT_ELIGIBLE,
	AWARD_FAILED,	/* nothing written; saving it is job.h's (JOB_QUEUED) */
	AWARD__MAX
};

struct award_out {
	enum award_result result;
	int64_t		 tickets;		/* AWARDED: the buyer's */
	int64_t		 referrer_tickets;	/* AWARDED: 0 if none */
	int64_t		 referrer_id;		/* AWARDED: 0 if none */
	char		 contest_id[AWARD_ID_MAX * 2 + 1];
	const char	*reason;	/* NOT_ELIGIBLE: static text */
	int64_t		 reversed_rows;	/* "refunded": REFUND rows added now */
	/* FAILED by award_apply: the SQLite code met, before its rollback */
	int		 dbrc;
	char		 error[AWARD_ERR_MAX];	/* FAILED */
};

/*
 * "awarded", "duplicate", "not_eligible", "failed" as used in responses and
 * the queue ("unknown" for a value out of range). What the job layer did
 * with a failure ("queued", "unavailable") is job.h's job_outcome_name().
 */
const char *award_result_name(enum award_result r);

/*
 * Apply SPEC §4 rules 1-6 to req in one BEGIN IMMEDIATE transaction and
 * record the payment (when req->payment_id is set). Fills *out; returns
 * out->result: AWARDED, DUPLICATE, NOT_ELIGIBLE (reason "no_contest",
 * "no_tickets" or "refunded"), or FAILED with out->error, in which case
 * nothing was written. "refunded" means a payment of the order is
 * refunded in full (refund.h): the order's award rows, if any, are then
 * reversed in the same transaction, once (out->reversed_rows counts the
 * REFUND rows added now) -- also when the refunds were counted before
 * the payment's amount became known (SPEC §4 "Refunds").
 */
enum award_result award_apply(struct award_ctx *ctx,
	    const struct award_req *req, struct award_out *out);

/*
 * The same rules inside the caller's write transaction (or savepoint),
 * which must have been begun IMMEDIATE. On FAILED the caller rolls back
 * what was written; on any other result what was written is the outcome
 * and the caller commits it.
 */
enum award_result award_apply_txn(struct award_ctx *ctx,
	    const struct award_req *req, struct award_out *out);

/*
 * Upsert the payments row of req (no-op without payment_id) inside the
 * caller's transaction, and count into its refunded_minor the refunds
 * recorded before the payment was seen (refund.c), each once; those in
 * another currency are never counted (logged at warn), and those counted
 * while the payment's currency was unknown that turn out to be in another
 * are taken back. A payment recorded for another order is left as it is
 * (nothing written). The caller's transaction must be able to write the
 * service database. Returns 0 or -1.
 */
int	award_record_payment(struct award_ctx *ctx,
	    const struct award_req *req);

/* This module's statements (ctx->aw), a part of roles_writer (roles.h). */
extern const struct award_part award_part;

#endif
