/*
 * SPEC.md §4, rules 1-6, in one BEGIN IMMEDIATE transaction. The ledger's
 * deterministic primary keys make each row at most once; the read of rule 1
 * exists only for legacy rows with random ids and runs under the same write
 * lock, so it cannot race. Not here: queueing a failure (job.c, retryq.c),
 * refunds (refund.c), the payments row and the refunds recorded before it
 * (award_payment.c). The module's SQL is all here, indexed by award_stmts.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "award.h"
#include "award_stmts.h"
#include "db.h"
#include "log.h"
#include "money.h"

static const char *const aw_sql[AW__MAX] = {
	/* AW_PAYMENT_UPSERT: the first sighting fixes the order details. */
	"INSERT INTO main.payments(payment_id, order_id, telegram_id, plan_id,"
	" amount_minor, currency, order_created_at, created_at, updated_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)"
	" ON CONFLICT(payment_id) DO UPDATE SET"
	" amount_minor = coalesce(amount_minor, excluded.amount_minor),"
	" currency = coalesce(currency, excluded.currency),"
	" updated_at = excluded.updated_at",
	/*
	 * AW_PAYMENT_FRESH: a row of the payment, or of a refund of it,
	 * exists (award_apply_txn writes a fresh payment's row at the end).
	 */
	"SELECT 1 FROM main.payments WHERE payment_id = ?1 UNION ALL"
	" SELECT 1 FROM main.refunds WHERE payment_id = ?1 LIMIT 1",
	/* AW_PAYMENT_INSERT: a fresh payment, its outcome known. */
	"INSERT INTO main.payments(payment_id, order_id, telegram_id, plan_id,"
	" amount_minor, currency, order_created_at, created_at, updated_at,"
	" outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
	/* AW_REFUNDS_ANY: whether the payment has a refunds row at all. */
	"SELECT 1 FROM main.refunds WHERE payment_id = ?1 LIMIT 1",
	/*
	 * AW_REFUNDS_TAKE: the refunds recorded before this payment was
	 * seen (refund.c, 'pending'). Those in its currency (or where either
	 * currency is unknown) are counted now, the others never.
	 */
	"UPDATE main.refunds SET status = CASE WHEN currency IS NULL"
	" OR currency = coalesce((SELECT p.currency FROM main.payments AS p"
	" WHERE p.payment_id = ?1), currency) THEN 'counted'"
	" ELSE 'mismatch' END"
	" WHERE payment_id = ?1 AND status = 'pending'"
	" RETURNING refund_id, amount_minor, currency, status",
	/* AW_REFUNDS_ADD (?2 < 0 takes back what AW_REFUNDS_UNCOUNT undid) */
	"UPDATE main.payments SET refunded_minor = refunded_minor + ?2"
	" WHERE payment_id = ?1",
	/*
	 * AW_REFUNDS_UNCOUNT: refunds counted while the payment's currency
	 * was unknown (refund.c compares only known currencies) that turn
	 * out to be in another one: never counted after all.
	 */
	"UPDATE main.refunds SET status = 'mismatch'"
	" WHERE payment_id = ?1 AND status = 'counted'"
	" AND currency IS NOT NULL AND currency <> (SELECT p.currency"
	" FROM main.payments AS p WHERE p.payment_id = ?1)"
	" RETURNING refund_id, amount_minor, currency",
	/* AW_PAYMENT_OUTCOME: a payment that awarded stays "awarded". */
	"UPDATE main.payments SET updated_at = ?3, outcome ="
	" CASE WHEN outcome = 'awarded' THEN outcome ELSE ?2 END"
	" WHERE payment_id = ?1",
	/*
	 * AW_REFUNDED: any payment of this order refunded in full: its
	 * amount known and reached by refunds (one at least, for 0.00).
	 * NULL when none; 1 when this request's payment is one, else 0.
	 */
	"SELECT max(payment_id IS ?2) FROM main.payments"
	" WHERE (order_id = ?1 OR payment_id = ?2)"
	" AND " MONEY_REFUNDED_FULL_SQL,
	/*
	 * AW_REVERSE: one REFUND row per award row of the orders of the
	 * payments AW_REFUNDED finds, as refund.c writes them; REFUND:<row
	 * id> makes it at most once, whichever of amount and refunds came
	 * last.
	 */
	"INSERT INTO bot.ticket_ledger(id, contest_id, referrer_id,"
	" referred_id, order_id, delta, reason, created_at)"
	" SELECT 'REFUND:' || l.id, l.contest_id, l.referrer_id,"
	" l.referred_id, l.order_id, -l.delta, 'REFUND', ?3"
	" FROM bot.ticket_ledger AS l"
	" WHERE l.order_id IN (SELECT order_id FROM main.payments"
	" WHERE (order_id = ?1 OR payment_id = ?2) AND " MONEY_REFUNDED_FULL_SQL ")"
	" AND l.reason IN ('SELF_PURCHASE', 'INVITEE_PAYMENT') AND"
	AWARD_SQL_NOT_REVERSED_BY_OLD_CODE("l")
	" ON CONFLICT(id) DO NOTHING",
	/*
	 * AW_HAS_SELF: rule 1, also for legacy rows with random ids. An
	 * order of older code with only its referrer's row counts as
	 * awarded too (SPEC §3: their orders are already awarded); this
	 * code writes both rows of an order in one transaction. Not
	 * "IN (SELF_PURCHASE, INVITEE_PAYMENT)": SQLite built a table of
	 * the list at every run, 28 000 instructions an award (callgrind).
	 */
	"SELECT 1 FROM bot.ticket_ledger WHERE order_id = ?1"
	" AND reason <> 'REFUND' LIMIT 1",
	/*
	 * AW_CONTEST: rule 2, instants compared; find_contest() picks the
	 * latest start (then the greatest id) itself: an ORDER BY here
	 * sorted in a table of its own for every award, 27 000
	 * instructions of 260 000 (callgrind, bench_award group).
	 */
	"SELECT id, attribution_window_days, award_ms(starts_at)"
	" FROM bot.contests WHERE is_active = 1"
	" AND award_ms(starts_at) <= ?1 AND award_ms(ends_at) >= ?1",
	/* AW_CONTEST_UNREADABLE: an active contest with unreadable times */
	"SELECT id FROM bot.contests WHERE is_active = 1"
	" AND (award_ms(starts_at) IS NULL OR award_ms(ends_at) IS NULL)"
	" LIMIT 1",
	/* AW_PLAN: rule 3 */
	"SELECT tickets FROM bot.plan_tickets WHERE plan_id = ?1",
	/* AW_LEDGER_INSERT: rules 4-5; the primary key answers "duplicate". */
	"INSERT INTO bot.ticket_ledger(id, contest_id, referrer_id,"
	" referred_id, order_id, delta, reason, created_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	/* AW_REFERRAL */
	"SELECT referrer_id, bound_at FROM bot.user_referrals"
	" WHERE referred_id = ?1",
	/* AW_REF_QUALIFY: a row already qualified keeps its qualified_at. */
	"UPDATE bot.ref_events SET status = 'qualified', qualified_at ="
	" CASE WHEN status = 'qualified' AND qualified_at IS NOT NULL"
	" THEN qualified_at ELSE ?4 END"
	" WHERE contest_id = ?1 AND referrer_id = ?2 AND referred_id = ?3",
	/* AW_REF_INSERT */
	"INSERT INTO bot.ref_events(id, contest_id, referrer_id, referred_id,"
	" bound_at, status, qualified_at)"
	" VALUES (?1, ?2, ?3, ?4, ?5, 'qualified', ?6)"
	" ON CONFLICT(id) DO NOTHING",
	/* AW_PAYMENT_ORDER: the order a payment was first seen for. */
	"SELECT order_id FROM main.payments WHERE payment_id = ?1",
};

static const char *const result_names[AWARD__MAX] = {
	"awarded", "duplicate", "not_eligible", "failed",
};

const char *
award_result_name(enum award_result r)
{
	return r < AWARD__MAX ? result_names[r] : "unknown";
}

const struct award_part award_part = AWARD_PART(aw_sql, AW__MAX, aw);

/*
 * Run a one-row query: 1 and the row left on st (caller resets), 0 for no
 * row (reset done), -1 on error (reset done).
 */
static int
query_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Insert one ledger row; 0, 1 for "already there", -1 on error. */
static int
ledger_insert(struct award_ctx *ctx, const char *reason, const char *contest,
    int64_t owner, const struct award_req *req, int64_t delta,
    const char *now)
{
	sqlite3_stmt	*st = ctx->aw[AW_LEDGER_INSERT];
	char		 id[AWARD_ID_MAX + 32];
	int		 rc;

	snprintf(id, sizeof(id), "%s:%s", reason, req->order_id);
	/* The id is the idempotency key: never insert without it. */
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK) {
		db_reset(st);
		return -1;
	}
	sqlite3_bind_text(st, 2, contest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, owner);
	sqlite3_bind_int64(st, 4, req->telegram_id);
	sqlite3_bind_text(st, 5, req->order_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, delta);
	sqlite3_bind_text(st, 7, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_STATIC);
	rc = db_step_done(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return 1;
	return -1;
}

/*
 * Rule 5: find a qualifying referrer of the buyer. Returns 1 with *referrer
 * and bound (the referral's bound_at text, copied as it is: SPEC §4 step 5
 * creates ref_events "with the referral's own bound_at") set, 0 when none
 * qualifies, -1 on error with err set. A bound_at that cannot be read is an
 * error, not "not qualified": the award is queued, and fixing the referral
 * lets the retry pay the referrer too.
 */
static int
find_referrer(struct award_ctx *ctx, const struct award_req *req,
    int64_t window_days, int64_t *referrer, char *bound, size_t boundsz,
    char *err, size_t errsz)
{
	sqlite3_stmt	*st = ctx->aw[AW_REFERRAL];
	const char	*b;
	int64_t		 bound_ms = 0;
	int		 rc, ok;

	sqlite3_bind_int64(st, 1, req->telegram_id);
	if ((rc = query_row(st)) != 1)
		return rc;
	*referrer = sqlite3_column_int64(st, 0);
	b = (const char *)sqlite3_column_text(st, 1);
	ok = b != NULL && strlen(b) < boundsz && atime_parse(b, &bound_ms) == 0;
	if (ok)
		memcpy(bound, b, strlen(b) + 1);
	db_reset(st);
	if (*referrer == req->telegram_id)
		return 0;
	if (!ok) {
		snprintf(err, errsz, "user_referrals.bound_at of buyer %lld is "
		    "not an ISO-8601 time", (long long)req->telegram_id);
		return -1;
	}
	if (bound_ms > req->order_ms)
		return 0;
	if (window_days > 0 && window_days < INT64_MAX / 86400000LL &&
	    req->order_ms - bound_ms > window_days * 86400000LL)
		return 0;
	return 1;
}

/* Rule 5, ref_events: qualify the row, or create it qualified. */
static int
qualify_event(struct award_ctx *ctx, const char *contest, int64_t referrer,
    const struct award_req *req, const char *bound)
{
	sqlite3_stmt	*st;
	char		 ot[ATIME_BUFSZ], id[AWARD_ID_MAX * 2 + 64];

	atime_format(req->order_ms, ot);
	st = ctx->aw[AW_REF_QUALIFY];
	sqlite3_bind_text(st, 1, contest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, referrer);
	sqlite3_bind_int64(st, 3, req->telegram_id);
	sqlite3_bind_text(st, 4, ot, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(ctx->db) > 0)
		return 0;

	snprintf(id, sizeof(id), "%s:%lld:%lld", contest, (long long)referrer,
	    (long long)req->telegram_id);
	st = ctx->aw[AW_REF_INSERT];
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, contest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, referrer);
	sqlite3_bind_int64(st, 4, req->telegram_id);
	sqlite3_bind_text(st, 5, bound, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ot, -1, SQLITE_STATIC);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

static int
set_outcome(struct award_ctx *ctx, const struct award_req *req,
    const char *outcome, const char *now)
{
	sqlite3_stmt *st = ctx->aw[AW_PAYMENT_OUTCOME];

	if (req->payment_id[0] == '\0')
		return 0;
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/*
 * Rule 2 found no contest. When an active contest has times we cannot read,
 * the answer is not known: fail (and so queue) rather than lose the order
 * as not_eligible, and say which contest, so that fixing it lets the retry
 * award the order.
 */
static enum award_result
no_contest(struct award_ctx *ctx, struct award_out *out)
{
	sqlite3_stmt	*st = ctx->aw[AW_CONTEST_UNREADABLE];
	int		 rc = query_row(st);

	if (rc == -1)
		return AWARD_FAILED;
	if (rc == 1) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		snprintf(out->error, sizeof(out->error), "active contest "
		    "%.100s has starts_at or ends_at that is not an ISO-8601 "
		    "time", id != NULL ? id : "(null id)");
		db_reset(st);
		return AWARD_FAILED;
	}
	out->reason = "no_contest";
	return AWARD_NOT_ELIGIBLE;
}

/*
 * Rule 2: the active contest whose period holds order_ms; of several, the
 * latest start, then the greatest id. 1 with out->contest_id and *window
 * set, 0 for none, -1 on error. A matching contest whose id is NULL or too
 * long is an error (out->error set) whether or not it would win: the
 * award is queued until the bot's row is fixed, never given to another.
 */
static int
find_contest(struct award_ctx *ctx, int64_t order_ms, struct award_out *out,
    int64_t *window)
{
	sqlite3_stmt	*st = ctx->aw[AW_CONTEST];
	int64_t		 start, best = 0;
	int		 rc, found = 0;

	sqlite3_bind_int64(st, 1, order_ms);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (id == NULL || strlen(id) >= sizeof(out->contest_id)) {
			db_reset(st);
			snprintf(out->error, sizeof(out->error), "contest id "
			    "too long");
			return -1;
		}
		start = sqlite3_column_int64(st, 2);
		if (found && (start < best || (start == best &&
		    strcmp(id, out->contest_id) <= 0)))
			continue;
		found = 1;
		best = start;
		*window = sqlite3_column_int64(st, 1);
		memcpy(out->contest_id, id, strlen(id) + 1);
	}
	db_reset(st);
	return rc == SQLITE_DONE ? found : -1;
}

/*
 * A payment of req's order is refunded in full. Its award rows may still
 * stand: the refunds were counted while the payment's amount was unknown
 * (refund.c answered "partial"), or, with two files, a crash lost the bot
 * database's half of a reversal. Reverse them now, at most once (SPEC §4
 * "Refunds": whichever of the amount and the refunds becomes known last).
 * 0 or -1.
 */
static int
reverse_refunded(struct award_ctx *ctx, const struct award_req *req,
    struct award_out *out, const char *now)
{
	sqlite3_stmt *st = ctx->aw[AW_REVERSE];

	sqlite3_bind_text(st, 1, req->order_id, -1, SQLITE_STATIC);
	db_bind_opt_text(st, 2, req->payment_id);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	out->reversed_rows = sqlite3_changes(ctx->db);
	if (out->reversed_rows > 0)
		log_msg(LOG_WARN, "award rows reversed: a payment of the "
		    "order is refunded in full",
		    LF_STR("order_id", req->order_id),
		    LF_STR("payment_id", req->payment_id),
		    LF_INT("reversed_rows", out->reversed_rows), LF_END);
	return 0;
}

/*
 * 1 when req names a payment that has neither a payments row nor a refund
 * yet, 0 when not (or it names none), -1 on error. Such a payment's row is
 * written once, with its outcome, after the rules (award_apply_txn): an
 * insert now and an update of its outcome then cost 70 000 of 230 000
 * instructions per award, each through the totals' trigger (callgrind,
 * bench_award group). Nothing the rules read depends on that row: with no
 * refund it cannot be refunded in full.
 */
static int
payment_fresh(struct award_ctx *ctx, const struct award_req *req)
{
	sqlite3_stmt *st = ctx->aw[AW_PAYMENT_FRESH];
	int rc;

	if (req->payment_id[0] == '\0')
		return 0;
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	rc = query_row(st);
	if (rc == 1)
		db_reset(st);
	return rc == -1 ? -1 : !rc;
}

/* Not eligible, its order refunded in full: its award rows reversed. */
static enum award_result
refunded_out(struct award_ctx *ctx, const struct award_req *req,
    struct award_out *out, const char *now)
{
	if (reverse_refunded(ctx, req, out, now) == -1)
		return AWARD_FAILED;
	out->reason = "refunded";
	return AWARD_NOT_ELIGIBLE;
}

/*
 * The body of the transaction; returns the result, FAILED with error.
 * *fresh: the payments row is left to the caller (payment_fresh).
 */
static enum award_result
apply_txn(struct award_ctx *ctx, const struct award_req **reqp,
    struct award_req *alt, struct award_out *out, const char *now,
    int *fresh)
{
	const struct award_req *req = *reqp;
	sqlite3_stmt	*st;
	char		 bound[64];
	int64_t		 window = 0, referrer = 0;
	int		 rc, refunded;

	if ((*fresh = payment_fresh(ctx, req)) == -1)
		return AWARD_FAILED;
	if (!*fresh) {
		if ((rc = award_payment_judged_without(ctx, req, alt)) == -1)
			return AWARD_FAILED;
		if (rc == 1)
			*reqp = req = alt;
		if (award_record_payment(ctx, req) == -1)
			return AWARD_FAILED;
	}

	/*
	 * A payment refunded in full is never awarded (SPEC §4 Refunds):
	 * before rule 1 when it is this request's payment, or the request
	 * names none (the bot's later call for the order), so that either
	 * is not_eligible (refunded); after rule 1 when the request names
	 * another payment of the order, so that a second payment of an
	 * awarded order is a duplicate.
	 */
	st = ctx->aw[AW_REFUNDED];
	sqlite3_bind_text(st, 1, req->order_id, -1, SQLITE_STATIC);
	db_bind_opt_text(st, 2, req->payment_id);
	if ((rc = query_row(st)) == -1)
		return AWARD_FAILED;
	refunded = rc == 1 && sqlite3_column_type(st, 0) != SQLITE_NULL ?
	    1 + sqlite3_column_int(st, 0) : 0;
	if (rc == 1)
		db_reset(st);
	if (refunded == 2 || (refunded == 1 && req->payment_id[0] == '\0'))
		return refunded_out(ctx, req, out, now);

	/* Rule 1. */
	st = ctx->aw[AW_HAS_SELF];
	sqlite3_bind_text(st, 1, req->order_id, -1, SQLITE_STATIC);
	if ((rc = query_row(st)) == -1)
		return AWARD_FAILED;
	if (rc == 1) {
		db_reset(st);
		return AWARD_DUPLICATE;
	}
	if (refunded == 1)
		return refunded_out(ctx, req, out, now);

	/* Rule 2. */
	if ((rc = find_contest(ctx, req->order_ms, out, &window)) == -1)
		return AWARD_FAILED;
	if (rc == 0)
		return no_contest(ctx, out);

	/* Rule 3. */
	st = ctx->aw[AW_PLAN];
	sqlite3_bind_text(st, 1, req->plan_id, -1, SQLITE_STATIC);
	if ((rc = query_row(st)) == -1)
		return AWARD_FAILED;
	if (rc == 0) {
		snprintf(out->error, sizeof(out->error), "no plan_tickets row "
		    "for plan %s", req->plan_id);
		return AWARD_FAILED;
	}
	out->tickets = sqlite3_column_int64(st, 0);
	db_reset(st);
	if (out->tickets <= 0) {
		out->tickets = 0;
		out->reason = "no_tickets";
		return AWARD_NOT_ELIGIBLE;
	}

	/* Rule 4. */
	if ((rc = ledger_insert(ctx, "SELF_PURCHASE", out->contest_id,
	    req->telegram_id, req, out->tickets, now)) == -1)
		return AWARD_FAILED;
	if (rc == 1) {
		out->tickets = 0;
		return AWARD_DUPLICATE;
	}

	/* Rule 5. */
	if ((rc = find_referrer(ctx, req, window, &referrer, bound,
	    sizeof(bound), out->error, sizeof(out->error))) == -1)
		return AWARD_FAILED;
	if (rc == 1) {
		if ((rc = ledger_insert(ctx, "INVITEE_PAYMENT",
		    out->contest_id, referrer, req, out->tickets, now)) == -1)
			return AWARD_FAILED;
		if (rc == 0) {
			out->referrer_id = referrer;
			out->referrer_tickets = out->tickets;
		}
		if (qualify_event(ctx, out->contest_id, referrer, req,
		    bound) == -1)
			return AWARD_FAILED;
	}
	return AWARD_AWARDED;
}

enum award_result
award_apply_txn(struct award_ctx *ctx, const struct award_req *req,
    struct award_out *out)
{
	char			 now[ATIME_BUFSZ];
	enum award_result	 r;
	struct award_req	 alt;
	int			 fresh = 0, rc = 0;

	memset(out, 0, sizeof(*out));
	atime_format(award_ctx_now(ctx), now);
	/* req becomes &alt when its payment is another order's. */
	r = apply_txn(ctx, &req, &alt, out, now, &fresh);
	if (r != AWARD_FAILED)
		rc = fresh ? award_insert_payment(ctx, req,
		    award_result_name(r), now) : set_outcome(ctx, req,
		    award_result_name(r), now);
	if (rc == -1)
		r = AWARD_FAILED;
	if (r == AWARD_FAILED) {
		if (out->error[0] == '\0')
			snprintf(out->error, sizeof(out->error), "%s",
			    sqlite3_errmsg(ctx->db));
		out->tickets = out->referrer_tickets = out->referrer_id = 0;
		out->reversed_rows = 0;
	}
	return out->result = r;
}

enum award_result
award_apply(struct award_ctx *ctx, const struct award_req *req,
    struct award_out *out)
{
	int rc;

	if ((rc = db_begin_immediate(ctx->db)) != SQLITE_OK) {
		memset(out, 0, sizeof(*out));
		out->dbrc = sqlite3_extended_errcode(ctx->db);
		snprintf(out->error, sizeof(out->error), "begin: %s",
		    sqlite3_errstr(rc));
		return out->result = AWARD_FAILED;
	}
	if (award_apply_txn(ctx, req, out) == AWARD_FAILED) {
		out->dbrc = sqlite3_extended_errcode(ctx->db);
		db_rollback(ctx->db);
		return AWARD_FAILED;
	}
	if (db_commit(ctx->db) != SQLITE_OK) {
		out->dbrc = sqlite3_extended_errcode(ctx->db);
		snprintf(out->error, sizeof(out->error), "commit: %s",
		    sqlite3_errmsg(ctx->db));
		db_rollback(ctx->db);
		out->tickets = out->referrer_tickets = out->referrer_id = 0;
		out->reversed_rows = 0;
		return out->result = AWARD_FAILED;
	}
	return out->result;
}
