/*
 * Refunds (SPEC.md §4 "Refunds"): each refund counted once into its
 * payment's refunded amount; a payment refunded in full gets one reversing
 * REFUND row per award row of its order.
 */
#ifndef AWARD_REFUND_H
#define AWARD_REFUND_H

#include <stdint.h>

#include "award.h"

struct refund_req {
	char	refund_id[AWARD_ID_MAX + 1];
	char	payment_id[AWARD_ID_MAX + 1];
	int64_t	amount_minor;
	char	currency[8];
	int	verify;		/* 1: not confirmed by the API yet (award.h) */
};

enum refund_result {
	REFUND_REVERSED,
	REFUND_PARTIAL,
	REFUND_DUPLICATE,
	REFUND_UNKNOWN_PAYMENT,
	REFUND_FAILED,	/* nothing written; saving it is job.h's (JOB_QUEUED) */
	REFUND__MAX
};

struct refund_out {
	enum refund_result result;
	int64_t		 reversed_rows;		/* REVERSED: rows added now */
	char		 order_id[AWARD_ID_MAX + 1];
	/* FAILED by refund_apply: the SQLite code met, before its rollback */
	int		 dbrc;
	char		 error[AWARD_ERR_MAX];
};

/*
 * "reversed", "partial", "duplicate", "unknown_payment", "failed" ("unknown"
 * out of range); "queued" and "unavailable" are job.h's job_outcome_name().
 */
const char *refund_result_name(enum refund_result r);

/*
 * Apply req in one BEGIN IMMEDIATE transaction. Returns REVERSED (the
 * payment is now refunded in full; its award rows are reversed), PARTIAL,
 * DUPLICATE (this refund id was counted before), UNKNOWN_PAYMENT (payment
 * never seen: the refund is recorded once, 'pending', and counted when
 * the payment arrives, see award_record_payment(); or its order has no
 * award rows: the amount is still counted so the order is never awarded
 * later), or FAILED with out->error: nothing written. A refund whose
 * currency differs from its payment's (both known) is FAILED.
 */
enum refund_result refund_apply(struct award_ctx *ctx,
	    const struct refund_req *req, struct refund_out *out);

/*
 * The same inside the caller's write transaction (or savepoint), begun
 * IMMEDIATE: on FAILED the caller rolls back, on any other result it
 * commits what was written.
 */
enum refund_result refund_apply_txn(struct award_ctx *ctx,
	    const struct refund_req *req, struct refund_out *out);

/* This module's statements (ctx->rf), a part of roles_writer (roles.h). */
extern const struct award_part refund_part;

#endif
