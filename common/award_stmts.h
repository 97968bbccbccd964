/*
 * Within the award module only (award.c, award_payment.c): the indices
 * of the statements of award_part (ctx.h), prepared into ctx->aw from the
 * SQL table of award.c. Not for callers of the module: they include
 * award.h.
 */
#ifndef AWARD_AWARD_STMTS_H
#define AWARD_AWARD_STMTS_H

enum aw_stmt {
	AW_PAYMENT_UPSERT,
	AW_PAYMENT_FRESH,
	AW_PAYMENT_INSERT,
	AW_REFUNDS_ANY,
	AW_REFUNDS_TAKE,
	AW_REFUNDS_ADD,
	AW_REFUNDS_UNCOUNT,
	AW_PAYMENT_OUTCOME,
	AW_REFUNDED,
	AW_REVERSE,
	AW_HAS_SELF,
	AW_CONTEST,
	AW_CONTEST_UNREADABLE,
	AW_PLAN,
	AW_LEDGER_INSERT,
	AW_REFERRAL,
	AW_REF_QUALIFY,
	AW_REF_INSERT,
	AW_PAYMENT_ORDER,
	AW__MAX
};

struct award_ctx;
struct award_req;

/*
 * award_payment.c: insert the payments row of a payment seen for the
 * first time, with its outcome, in one statement (award.c's fast path:
 * no row and no refund of it yet, checked under the same write lock).
 * 0 or -1.
 */
int	award_insert_payment(struct award_ctx *ctx,
	    const struct award_req *req, const char *outcome,
	    const char *now);

/*
 * award_payment.c: 1 when req's payment is recorded for another order
 * (its order id copied into other, othersz bytes), 0 when it is not (no
 * payment id, no row, or this order's), -1 on a database error.
 */
int	award_payment_other_order(struct award_ctx *ctx,
	    const struct award_req *req, char *other, size_t othersz);

#endif
