/*
 * SPEC.md §4 "Refunds", in one BEGIN IMMEDIATE transaction: the refund id's
 * primary key counts each refund once; reversing rows have deterministic ids
 * (REFUND:<row id>), so a full refund reverses each award row at most once
 * however often or concurrently it arrives. A refund for a payment not yet
 * seen is recorded 'pending'; award_record_payment() (award_payment.c) counts it
 * when the payment arrives. The transaction body writes something only
 * when its result is to be kept: FAILED rolls back, anything else commits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "db.h"
#include "money.h"
#include "refund.h"

enum rf_stmt {
	RF_PAYMENT,
	RF_INSERT,
	RF_ADD,
	RF_REVERSE,
	RF_AWARD_ROWS,
	RF__MAX
};

static const char *const rf_sql[RF__MAX] = {
	/* RF_PAYMENT */
	"SELECT order_id, amount_minor, refunded_minor, currency"
	" FROM main.payments WHERE payment_id = ?1",
	/*
	 * RF_INSERT: no change means this refund was recorded before. ?5 is
	 * 'counted' when the payment is known (RF_ADD follows), 'pending'
	 * when it is not (award_payment.c counts it when the payment arrives).
	 */
	"INSERT INTO main.refunds(refund_id, payment_id, amount_minor,"
	" created_at, currency, status) VALUES (?1, ?2, ?3, ?4, ?6, ?5)"
	" ON CONFLICT(refund_id) DO NOTHING",
	/* RF_ADD */
	"UPDATE main.payments SET refunded_minor = refunded_minor + ?2,"
	" updated_at = ?3 WHERE payment_id = ?1",
	/* RF_REVERSE: one REFUND row per award row, same owner and contest. */
	"INSERT INTO bot.ticket_ledger(id, contest_id, referrer_id,"
	" referred_id, order_id, delta, reason, created_at)"
	" SELECT 'REFUND:' || l.id, l.contest_id, l.referrer_id,"
	" l.referred_id, l.order_id, -l.delta, 'REFUND', ?2"
	" FROM bot.ticket_ledger AS l WHERE l.order_id = ?1"
	" AND l.reason IN ('SELF_PURCHASE', 'INVITEE_PAYMENT') AND"
	AWARD_SQL_NOT_REVERSED_BY_OLD_CODE("l")
	" ON CONFLICT(id) DO NOTHING",
	/* RF_AWARD_ROWS */
	"SELECT count(*) FROM bot.ticket_ledger WHERE order_id = ?1"
	" AND reason IN ('SELF_PURCHASE', 'INVITEE_PAYMENT')",
};

static const char *const result_names[REFUND__MAX] = {
	"reversed", "partial", "duplicate", "unknown_payment", "failed",
};

const char *
refund_result_name(enum refund_result r)
{
	return r < REFUND__MAX ? result_names[r] : "unknown";
}

const struct award_part refund_part = AWARD_PART(rf_sql, RF__MAX, rf);

/* One REFUND row per award row of the order not yet reversed; 0 or -1. */
static int
reverse(struct award_ctx *ctx, struct refund_out *out, const char *now)
{
	sqlite3_stmt *st = ctx->rf[RF_REVERSE];

	sqlite3_bind_text(st, 1, out->order_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	out->reversed_rows = sqlite3_changes(ctx->db);
	return 0;
}

/*
 * Record req in refunds with status; 1 when inserted now, 0 when this
 * refund id was recorded before, -1 on error.
 */
static int
record(struct award_ctx *ctx, const struct refund_req *req,
    const char *status, const char *now)
{
	sqlite3_stmt *st = ctx->rf[RF_INSERT];

	sqlite3_bind_text(st, 1, req->refund_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, req->payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, req->amount_minor);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
	db_bind_opt_text(st, 6, req->currency);
	if (db_step_done(st) != SQLITE_DONE)
		return -1;
	return sqlite3_changes(ctx->db) > 0;
}

/*
 * The body of the transaction. It obeys the rule the callers rely on:
 * FAILED (out->error set) means roll back; any other result means that
 * whatever it wrote is to be committed, and it writes nothing when there
 * is nothing to keep.
 */
static enum refund_result
apply_txn(struct award_ctx *ctx, const struct refund_req *req,
    struct refund_out *out, const char *now)
{
	sqlite3_stmt	*st;
	const char	*oid, *cur;
	char		 pcur[sizeof(req->currency)];
	int64_t		 amount, refunded, rows;
	int		 rc, amount_known;

	st = ctx->rf[RF_PAYMENT];
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		db_reset(st);
		/*
		 * Not seen yet: record it (once) for award_record_payment()
		 * to count when the payment arrives (SPEC §4 "Refunds").
		 */
		if (record(ctx, req, "pending", now) == -1)
			goto dberr;
		return REFUND_UNKNOWN_PAYMENT;
	}
	if (rc != SQLITE_ROW) {
		db_reset(st);
		goto dberr;
	}
	oid = (const char *)sqlite3_column_text(st, 0);
	snprintf(out->order_id, sizeof(out->order_id), "%s",
	    oid != NULL ? oid : "");
	amount_known = sqlite3_column_type(st, 1) != SQLITE_NULL;
	amount = sqlite3_column_int64(st, 1);
	refunded = sqlite3_column_int64(st, 2);
	cur = (const char *)sqlite3_column_text(st, 3);
	snprintf(pcur, sizeof(pcur), "%s", cur != NULL ? cur : "");
	db_reset(st);

	/*
	 * Another currency reverses nothing and is a failure (queued, SPEC
	 * §4 "Refunds"). Compared only when both currencies are known.
	 */
	if (pcur[0] != '\0' && req->currency[0] != '\0' &&
	    strcmp(pcur, req->currency) != 0) {
		snprintf(out->error, sizeof(out->error), "refund currency %s "
		    "differs from payment %s currency %s", req->currency,
		    req->payment_id, pcur);
		return REFUND_FAILED;
	}

	if ((rc = record(ctx, req, "counted", now)) == -1)
		goto dberr;
	if (rc == 0) {
		/*
		 * Counted before. With two files the service database
		 * commits first; if the process died before the bot
		 * database did, the reversal is missing: repair it now
		 * (REFUND:<row id> keeps this idempotent).
		 */
		if (money_refunded_in_full(amount_known ? amount : -1, refunded) &&
		    reverse(ctx, out, now) == -1)
			goto dberr;
		return REFUND_DUPLICATE;
	}

	st = ctx->rf[RF_ADD];
	sqlite3_bind_text(st, 1, req->payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, req->amount_minor);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
	if (db_step_done(st) != SQLITE_DONE)
		goto dberr;
	refunded += req->amount_minor;

	st = ctx->rf[RF_AWARD_ROWS];
	sqlite3_bind_text(st, 1, out->order_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_reset(st);
		goto dberr;
	}
	rows = sqlite3_column_int64(st, 0);
	db_reset(st);
	if (rows == 0)
		return REFUND_UNKNOWN_PAYMENT;	/* counted; no tickets */

	/*
	 * An amount not known yet: partial for now. When the payment's
	 * amount arrives, award.c reverses the rows if the refunds counted
	 * here reach it (SPEC §4: whichever becomes known last).
	 */
	if (!money_refunded_in_full(amount_known ? amount : -1, refunded))
		return REFUND_PARTIAL;

	if (reverse(ctx, out, now) == -1)
		goto dberr;
	return REFUND_REVERSED;
dberr:
	snprintf(out->error, sizeof(out->error), "%s",
	    sqlite3_errmsg(ctx->db));
	return REFUND_FAILED;
}

enum refund_result
refund_apply_txn(struct award_ctx *ctx, const struct refund_req *req,
    struct refund_out *out)
{
	char			 now[ATIME_BUFSZ];
	enum refund_result	 r;

	memset(out, 0, sizeof(*out));
	atime_format(award_ctx_now(ctx), now);
	r = apply_txn(ctx, req, out, now);
	if (r == REFUND_FAILED) {
		if (out->error[0] == '\0')
			snprintf(out->error, sizeof(out->error), "%s",
			    sqlite3_errmsg(ctx->db));
		out->reversed_rows = 0;
	}
	return out->result = r;
}

enum refund_result
refund_apply(struct award_ctx *ctx, const struct refund_req *req,
    struct refund_out *out)
{
	int rc;

	if ((rc = db_begin_immediate(ctx->db)) != SQLITE_OK) {
		memset(out, 0, sizeof(*out));
		out->dbrc = sqlite3_extended_errcode(ctx->db);
		snprintf(out->error, sizeof(out->error), "begin: %s",
		    sqlite3_errstr(rc));
		return out->result = REFUND_FAILED;
	}
	if (refund_apply_txn(ctx, req, out) == REFUND_FAILED) {
		out->dbrc = sqlite3_extended_errcode(ctx->db);
		db_rollback(ctx->db);
		return REFUND_FAILED;
	}
	if (db_commit(ctx->db) != SQLITE_OK) {
		out->dbrc = sqlite3_extended_errcode(ctx->db);
		snprintf(out->error, sizeof(out->error), "commit: %s",
		    sqlite3_errmsg(ctx->db));
		db_rollback(ctx->db);
		out->reversed_rows = 0;
		return out->result = REFUND_FAILED;
	}
	return out->result;
}
