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
 * award_payment.c: a payment belongs to one order. A request that names
 * a payment already recorded for another order (a bot's bug, a test
 * built from one sample, a forged notification) is still judged as its
 * own order, as SPEC.md §4 asks, but without that payment: it is not
 * recorded for this order, its refunds do not decide this order, and
 * nothing is written on the other order's row. Logged at warn for an
 * admin. 1 and *alt (req without its payment id, amount and currency)
 * when so, 0 when not, -1 on a database error.
 */
int	award_payment_judged_without(struct award_ctx *ctx,
	    const struct award_req *req, struct award_req *alt);

#endif
