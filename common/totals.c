/*
 * The totals' upkeep (totals.h): the fold of the ledger past the watermark
 * and the one-time fill of the trigger-kept totals. Every change here is a
 * write transaction of the service database; the reads are stats.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "totals.h"

enum tt_stmt {
	TT_LOOK,
	TT_GAP,
	TT_READY,
	TT_FOLD_LOCK,
	TT_FOLD_CLEAR_REASON,
	TT_FOLD_CLEAR_OWNER,
	TT_FOLD_CLEAR_MINUTE,
	TT_FOLD_REASON,
	TT_FOLD_OWNER,
	TT_FOLD_MINUTE,
	TT_FOLD_PRUNE,
	TT_FOLD_SET,
	TT_READY_LOCK,
	TT_PAY_CLEAR,
	TT_PAY_FILL,
	TT_QUEUE_CLEAR,
	TT_QUEUE_FILL,
	TT_READY_SET,
	TT__MAX
};

/* The watermark, read in the statement's own snapshot. */
#define WMARK "(SELECT coalesce((SELECT last_rowid FROM"		\
	" main.ledger_totals_state WHERE id = 1), 0))"

static const char *const tt_sql[TT__MAX] = {
	/*
	 * TT_LOOK: whether the trigger-kept totals are filled (in the order
	 * of fills[]), the watermark and the ledger's largest rowid. One
	 * statement, one read transaction (it was three): the writer looks
	 * while it has no job (writer.c).
	 */
	"SELECT coalesce((SELECT ready FROM main.totals_ready"
	" WHERE name = 'payments'), 0),"
	" coalesce((SELECT ready FROM main.totals_ready"
	" WHERE name = 'failed_awards'), 0),"
	" " WMARK ", coalesce((SELECT max(rowid) FROM bot.ticket_ledger), 0)",
	/* TT_GAP: the watermark and the ledger's largest rowid */
	"SELECT " WMARK ", coalesce((SELECT max(rowid) FROM"
	" bot.ticket_ledger), 0)",
	/* TT_READY: ?1 'payments' | 'failed_awards' */
	"SELECT coalesce((SELECT ready FROM main.totals_ready"
	" WHERE name = ?1), 0)",
	/* TT_FOLD_LOCK: a write first, to take the lock (fold_chunk) */
	"INSERT INTO main.ledger_totals_state(id, last_rowid) VALUES (1, 0)"
	" ON CONFLICT(id) DO UPDATE SET last_rowid = last_rowid",
	/* TT_FOLD_CLEAR_* */
	"DELETE FROM main.ledger_totals",
	"DELETE FROM main.ledger_owner_totals",
	"DELETE FROM main.ledger_minutes",
	/* TT_FOLD_REASON: rows (?1, ?2] */
	"INSERT INTO main.ledger_totals(reason, rows, tickets)"
	" SELECT reason, count(*), coalesce(sum(delta), 0)"
	" FROM bot.ticket_ledger WHERE rowid > ?1 AND rowid <= ?2"
	" GROUP BY reason ON CONFLICT(reason) DO UPDATE SET"
	" rows = rows + excluded.rows, tickets = tickets + excluded.tickets",
	/* TT_FOLD_OWNER */
	"INSERT INTO main.ledger_owner_totals(contest_id, owner, tickets)"
	" SELECT contest_id, referrer_id, coalesce(sum(delta), 0)"
	" FROM bot.ticket_ledger WHERE rowid > ?1 AND rowid <= ?2"
	" GROUP BY contest_id, referrer_id ON CONFLICT(contest_id, owner)"
	" DO UPDATE SET tickets = tickets + excluded.tickets",
	/* TT_FOLD_MINUTE: ?3 the first minute kept */
	"INSERT INTO main.ledger_minutes(minute, reason, rows, tickets)"
	" SELECT m, reason, count(*), coalesce(sum(delta), 0) FROM"
	" (SELECT award_ms(created_at) / 60000 AS m, reason, delta"
	" FROM bot.ticket_ledger WHERE rowid > ?1 AND rowid <= ?2)"
	" WHERE m >= ?3 GROUP BY m, reason ON CONFLICT(minute, reason)"
	" DO UPDATE SET rows = rows + excluded.rows,"
	" tickets = tickets + excluded.tickets",
	/* TT_FOLD_PRUNE */
	"DELETE FROM main.ledger_minutes WHERE minute < ?1",
	/* TT_FOLD_SET */
	"UPDATE main.ledger_totals_state SET last_rowid = ?1 WHERE id = 1",
	/* TT_READY_LOCK: a write first, to take the lock (fill) */
	"INSERT INTO main.totals_ready(name, ready) VALUES (?1, 0)"
	" ON CONFLICT(name) DO UPDATE SET ready = ready",
	/* TT_PAY_CLEAR */
	"DELETE FROM main.payment_totals",
	/* TT_PAY_FILL */
	"INSERT INTO main.payment_totals(outcome, payments, refunded)"
	" SELECT coalesce(outcome, ''), count(*),"
	" coalesce(sum(refunded_minor > 0 AND refunded_minor >= amount_minor),"
	" 0) FROM main.payments GROUP BY 1",
	/* TT_QUEUE_CLEAR */
	"DELETE FROM main.queue_totals",
	/* TT_QUEUE_FILL */
	"INSERT INTO main.queue_totals(status, rows)"
	" SELECT status, count(*) FROM main.failed_awards GROUP BY status",
	/* TT_READY_SET */
	"UPDATE main.totals_ready SET ready = 1 WHERE name = ?1",
};

/* Minutes of ledger_minutes kept: 25 hours, an hour more than shown. */
#define MINUTES_KEPT	(25 * 60)

/* The trigger-kept totals: the table counted, its clear and fill. */
static const struct {
	const char	*name;
	enum tt_stmt	 clear, fill;
} fills[] = {
	{ "payments", TT_PAY_CLEAR, TT_PAY_FILL },
	{ "failed_awards", TT_QUEUE_CLEAR, TT_QUEUE_FILL },
};

const struct award_part totals_part = AWARD_PART(tt_sql, TT__MAX, tt);

/* Roll back; BUSY when the database was busy or locked, else ERROR. */
static enum totals_result
rollback(struct award_ctx *ctx)
{
	int e = sqlite3_errcode(ctx->db) & 0xff;

	db_rollback(ctx->db);
	return e == SQLITE_BUSY || e == SQLITE_LOCKED ? TOTALS_BUSY :
	    TOTALS_ERROR;
}

/* The watermark and the ledger's largest rowid: 0, or -1. */
static int
gap(struct award_ctx *ctx, int64_t *w, int64_t *max)
{
	sqlite3_stmt	*st = ctx->tt[TT_GAP];
	int		 rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*w = sqlite3_column_int64(st, 0);
		*max = sqlite3_column_int64(st, 1);
	}
	db_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Fold at most chunk rows past the watermark in one transaction. */
static enum totals_result
fold_chunk(struct award_ctx *ctx, int64_t now, int64_t chunk)
{
	sqlite3_stmt	*st;
	int64_t		 w, max, hi;

	if (db_begin(ctx->db) != SQLITE_OK)
		return TOTALS_ERROR;
	if (db_step_done(ctx->tt[TT_FOLD_LOCK]) != SQLITE_DONE ||
	    gap(ctx, &w, &max) == -1)
		goto fail;
	if (max < w) {
		log_msg(LOG_WARN, "ledger rowids below the totals' watermark; "
		    "counting again from zero", LF_INT("watermark", w),
		    LF_INT("max_rowid", max), LF_END);
		if (db_step_done(ctx->tt[TT_FOLD_CLEAR_REASON]) !=
		    SQLITE_DONE || db_step_done(ctx->tt[TT_FOLD_CLEAR_OWNER]) !=
		    SQLITE_DONE || db_step_done(ctx->tt[TT_FOLD_CLEAR_MINUTE]) !=
		    SQLITE_DONE)
			goto fail;
		w = 0;
	}
	hi = max - w > chunk ? w + chunk : max;
	for (int i = TT_FOLD_REASON; i <= TT_FOLD_MINUTE; i++) {
		st = ctx->tt[i];
		sqlite3_bind_int64(st, 1, w);
		sqlite3_bind_int64(st, 2, hi);
		if (i == TT_FOLD_MINUTE)
			sqlite3_bind_int64(st, 3, now / 60000 - MINUTES_KEPT);
		if (db_step_done(st) != SQLITE_DONE)
			goto fail;
	}
	st = ctx->tt[TT_FOLD_PRUNE];
	sqlite3_bind_int64(st, 1, now / 60000 - MINUTES_KEPT);
	if (db_step_done(st) != SQLITE_DONE)
		goto fail;
	st = ctx->tt[TT_FOLD_SET];
	sqlite3_bind_int64(st, 1, hi);
	if (db_step_done(st) != SQLITE_DONE)
		goto fail;
	if (db_commit(ctx->db) != SQLITE_OK)
		goto fail;
	return hi < max ? TOTALS_MORE : TOTALS_DONE;
fail:
	return rollback(ctx);
}

int
totals_fold(struct award_ctx *ctx)
{
	int64_t			now = award_ctx_now(ctx);
	enum totals_result	rc;

	while ((rc = fold_chunk(ctx, now, TOTALS_FOLD_CHUNK)) == TOTALS_MORE)
		;
	return rc == TOTALS_DONE ? 0 : -1;
}

/*
 * Fill the trigger-kept totals of fills[i] once, under the lock, from the
 * rows. The triggers count every change made after they were created; the
 * fill replaces whatever they counted before it with the count of the
 * rows, in the transaction that marks the table ready.
 */
static enum totals_result
fill(struct award_ctx *ctx, size_t i)
{
	const char	*name = fills[i].name;
	int		 r;

	if (db_begin(ctx->db) != SQLITE_OK)
		return TOTALS_ERROR;
	sqlite3_bind_text(ctx->tt[TT_READY_LOCK], 1, name, -1, SQLITE_STATIC);
	if (db_step_done(ctx->tt[TT_READY_LOCK]) != SQLITE_DONE ||
	    (r = db_flag(ctx->tt[TT_READY], name)) == -1)
		goto fail;
	sqlite3_bind_text(ctx->tt[TT_READY_SET], 1, name, -1, SQLITE_STATIC);
	if (!r && (db_step_done(ctx->tt[fills[i].clear]) != SQLITE_DONE ||
	    db_step_done(ctx->tt[fills[i].fill]) != SQLITE_DONE ||
	    db_step_done(ctx->tt[TT_READY_SET]) != SQLITE_DONE))
		goto fail;
	db_reset(ctx->tt[TT_READY_SET]);
	if (db_commit(ctx->db) != SQLITE_OK)
		goto fail;
	return TOTALS_MORE;
fail:
	db_reset(ctx->tt[TT_READY_SET]);
	return rollback(ctx);
}

/* totals_step() with the busy handler as the caller set it. */
static enum totals_result
step(struct award_ctx *ctx, long long min_gap, int64_t chunk)
{
	sqlite3_stmt	*st = ctx->tt[TT_LOOK];
	const size_t	 n = sizeof(fills) / sizeof(fills[0]);
	int64_t		 w = 0, max = 0;
	int		 ready[sizeof(fills) / sizeof(fills[0])] = { 0 }, rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (size_t i = 0; i < n; i++)
			ready[i] = sqlite3_column_int(st, (int)i) != 0;
		w = sqlite3_column_int64(st, (int)n);
		max = sqlite3_column_int64(st, (int)n + 1);
	}
	db_reset(st);
	if (rc != SQLITE_ROW)
		return TOTALS_ERROR;
	for (size_t i = 0; i < n; i++)
		if (!ready[i])
			return fill(ctx, i);
	if (max >= w && max - w <= min_gap)
		return TOTALS_DONE;
	return fold_chunk(ctx, award_ctx_now(ctx), chunk);
}

enum totals_result
totals_step(struct award_ctx *ctx, long long min_gap, int nowait)
{
	enum totals_result rc;

	if (nowait)
		db_wait(ctx->db, ctx->cfg, 0);
	rc = step(ctx, min_gap, TOTALS_STEP_CHUNK);
	if (nowait)
		db_wait(ctx->db, ctx->cfg, 1);
	return rc;
}

int
totals_sync(struct award_ctx *ctx)
{
	enum totals_result rc;

	while ((rc = step(ctx, 0, TOTALS_FOLD_CHUNK)) == TOTALS_MORE)
		;
	return rc == TOTALS_DONE ? 0 : -1;
}
