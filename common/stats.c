/*
 * The data of the admin and bot read views (stats.h). Every query is
 * indexed or reads a small totals table: the ledger totals are the folded
 * totals plus the rows past the watermark (a rowid range), the leaderboard
 * is the top of the owner totals' index plus those rows' owners, payments
 * by outcome come from trigger-kept totals (or the rows, before those are
 * filled). See schema.sql and totals_fold() for why that is exact under
 * concurrent writers. Nothing here writes: the upkeep of the totals is the
 * writer's (totals.c), so a view answers while another process holds the
 * write lock (SPEC.md §5). Not here: the JSON of the retry view and the
 * leaderboard, built from these rows (stats_json.c).
 */
#include <stdio.h>
#include <string.h>

#include "award.h"
#include "db.h"
#include "jsonw.h"
#include "stats.h"

enum st_stmt {
	ST_COUNTS,
	ST_OLDEST_PENDING,
	ST_QUEUE,
	ST_LEDGER,
	ST_LEDGER_24H,
	ST_LAST_RUN,
	ST_RUNS,
	ST_CONTEST_EXISTS,
	ST_TOP,
	ST_CURRENT_CONTEST,
	ST_USER_TICKETS,
	ST_HEALTH,
	ST_READY,
	ST_PAY_TOTALS,
	ST_PAY_SCAN,
	ST_QUEUE_TOTALS,
	ST_PAY_LATEST,
	ST_BACKUP,
	ST_ACKED,
	ST__MAX
};

/* The watermark, read in the statement's own snapshot. */
#define WMARK "(SELECT coalesce((SELECT last_rowid FROM"		\
	" main.ledger_totals_state WHERE id = 1), 0))"

/* Payments by outcome from the rows, as totals.c fills payment_totals. */
#define PAY_GROUPS "SELECT coalesce(outcome, ''), count(*),"		\
	" coalesce(sum(refunded_minor > 0 AND refunded_minor >= amount_minor),"\
	" 0) FROM main.payments GROUP BY 1"

static const char *const st_sql[ST__MAX] = {
	/* ST_COUNTS: before queue_totals is filled */
	"SELECT status, count(*) FROM main.failed_awards GROUP BY status",
	/* ST_OLDEST_PENDING: by created_at (a revived row keeps its id) */
	"SELECT award_ms(created_at) FROM main.failed_awards"
	" INDEXED BY failed_awards_age"
	" WHERE status = 'pending' ORDER BY created_at, id LIMIT 1",
	/* ST_QUEUE: newest first */
	"SELECT id, status, kind, telegram_id, order_id, plan_id,"
	" order_created_at, attempts, last_attempt_at, last_error,"
	" next_attempt_at, refund_id, payment_id, acked_at, acked_by,"
	" requeued_at, requeued_by, outcome FROM main.failed_awards"
	" INDEXED BY failed_awards_age"
	" WHERE status = ?1 ORDER BY created_at DESC, id DESC"
	" LIMIT ?2 OFFSET ?3",
	/* ST_LEDGER: folded totals plus the rows past the watermark */
	"SELECT reason, sum(n), sum(t) FROM ("
	" SELECT reason, rows AS n, tickets AS t FROM main.ledger_totals"
	" UNION ALL SELECT reason, count(*), coalesce(sum(delta), 0)"
	" FROM bot.ticket_ledger WHERE rowid > " WMARK " GROUP BY reason)"
	" GROUP BY reason ORDER BY reason",
	/* ST_LEDGER_24H: ?1 the first minute counted */
	"SELECT reason, sum(n) FROM ("
	" SELECT reason, rows AS n FROM main.ledger_minutes WHERE minute >= ?1"
	" UNION ALL SELECT reason, count(*) FROM bot.ticket_ledger"
	" WHERE rowid > " WMARK " AND award_ms(created_at) / 60000 >= ?1"
	" GROUP BY reason) GROUP BY reason",
	/* ST_LAST_RUN */
	"SELECT started_at, duration_ms, picked, awarded, duplicate,"
	" not_eligible, refunds, failed, dead, forced, stopped,"
	" award_ms(started_at), not_confirmed FROM main.retry_runs"
	" ORDER BY id DESC LIMIT 1",
	/* ST_RUNS */
	"SELECT coalesce((SELECT runs FROM main.retry_totals WHERE id = 1), 0)",
	/* ST_CONTEST_EXISTS */
	"SELECT 1 FROM bot.contests WHERE id = ?1",
	/*
	 * ST_TOP: the true top ?2 is among the top (?2 + |d|) of the folded
	 * totals and the owners d of rows past the watermark: at least ?2 of
	 * the former are not in d, and their totals are final.
	 */
	"WITH d(owner, t) AS MATERIALIZED (SELECT referrer_id, sum(delta)"
	" FROM bot.ticket_ledger WHERE rowid > " WMARK " AND +contest_id = ?1"
	" GROUP BY referrer_id),"
	" top(owner) AS (SELECT owner FROM main.ledger_owner_totals"
	" WHERE contest_id = ?1 ORDER BY tickets DESC, owner"
	" LIMIT ?2 + (SELECT count(*) FROM d)),"
	" cand(owner) AS (SELECT owner FROM top UNION SELECT owner FROM d)"
	" SELECT owner, t FROM (SELECT c.owner AS owner,"
	" coalesce((SELECT o.tickets FROM main.ledger_owner_totals o"
	" WHERE o.contest_id = ?1 AND o.owner = c.owner), 0) +"
	" coalesce((SELECT d.t FROM d WHERE d.owner = c.owner), 0) AS t"
	" FROM cand c) WHERE t > 0 ORDER BY t DESC, owner LIMIT ?2",
	/* ST_CURRENT_CONTEST: as award.c's rule 2 */
	"SELECT id, ends_at FROM bot.contests WHERE is_active = 1"
	" AND award_ms(starts_at) <= ?1 AND award_ms(ends_at) >= ?1"
	" ORDER BY award_ms(starts_at) DESC, id DESC LIMIT 1",
	/* ST_USER_TICKETS */
	"SELECT coalesce(sum(delta), 0) FROM bot.ticket_ledger"
	" WHERE contest_id = ?1 AND referrer_id = ?2",
	/* ST_HEALTH: one read of each database */
	"SELECT (SELECT count(*) FROM main.award_meta),"
	" (SELECT count(*) FROM (SELECT 1 FROM bot.plan_tickets LIMIT 1))",
	/* ST_READY: ?1 'payments' | 'failed_awards' */
	"SELECT coalesce((SELECT ready FROM main.totals_ready"
	" WHERE name = ?1), 0)",
	/* ST_PAY_TOTALS */
	"SELECT outcome, payments, refunded FROM main.payment_totals"
	" WHERE payments <> 0 ORDER BY outcome",
	/* ST_PAY_SCAN: before the totals are filled */
	PAY_GROUPS " ORDER BY 1",
	/* ST_QUEUE_TOTALS */
	"SELECT status, rows FROM main.queue_totals",
	/* ST_PAY_LATEST: in the order first seen */
	"SELECT payment_id, order_id, telegram_id, plan_id, amount_minor,"
	" currency, refunded_minor, outcome, created_at FROM main.payments"
	" ORDER BY rowid DESC LIMIT ?1",
	/* ST_BACKUP: the last backup's snapshot instant (deploy/award-backup) */
	"SELECT CAST(value AS INTEGER) FROM main.award_meta"
	" WHERE key = 'backup_snapshot_ms'",
	/* ST_ACKED: dead rows an admin acknowledged (few: by the index) */
	"SELECT count(*) FROM main.failed_awards"
	" WHERE status = 'dead' AND acked_at IS NOT NULL",
};

const struct award_part stats_part = AWARD_PART(st_sql, ST__MAX, st);

/* Copy text, truncated to fit (an admin view, not a key). */
static void
copy_text(char *dst, size_t dstsz, const char *s)
{
	snprintf(dst, dstsz, "%s", s != NULL ? s : "");
}

static const char *
col_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_column_text(st, i);
}

/* The group named name in g[*n], added when missing; the last is "other". */
static struct stats_group *
group(struct stats_group *g, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strncmp(g[i].name, name, STATS_NAME_MAX - 1) == 0)
			return &g[i];
	if (*n == STATS_GROUPS_MAX)
		return &g[STATS_GROUPS_MAX - 1];
	memset(&g[*n], 0, sizeof(g[*n]));
	copy_text(g[*n].name, sizeof(g[*n].name), *n == STATS_GROUPS_MAX - 1 ?
	    "other" : name);
	return &g[(*n)++];
}

int
stats_retry_stale(int64_t pending, const struct stats_run *run,
    int64_t now_ms)
{
	if (pending <= 0)
		return 0;
	if (!run->present || run->started_ms < 0)
		return 1;
	return now_ms - run->ended_ms > STATS_STALE_MS;
}

static int
summary_queue(struct award_ctx *ctx, struct stats_summary *s)
{
	sqlite3_stmt	*st;
	int		 rc, ready;

	if ((ready = db_flag(ctx->st[ST_READY], "failed_awards")) == -1)
		return -1;
	st = ctx->st[ready ? ST_QUEUE_TOTALS : ST_COUNTS];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char	*k = db_col_text(st, 0);
		int64_t		 n = sqlite3_column_int64(st, 1);

		if (strcmp(k, "pending") == 0)
			s->pending = n;
		else if (strcmp(k, "done") == 0)
			s->done = n;
		else if (strcmp(k, "dead") == 0)
			s->dead = n;
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = ctx->st[ST_ACKED];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		s->acked = sqlite3_column_int64(st, 0);
	db_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	st = ctx->st[ST_OLDEST_PENDING];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		s->oldest_pending_ms = sqlite3_column_int64(st, 0);
	db_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
summary_ledger(struct award_ctx *ctx, struct stats_summary *s)
{
	sqlite3_stmt	*st = ctx->st[ST_LEDGER];
	int		 rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stats_group *g = group(s->ledger, &s->nledger,
		    db_col_text(st, 0));

		g->rows += sqlite3_column_int64(st, 1);
		g->tickets += sqlite3_column_int64(st, 2);
	}
	db_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	st = ctx->st[ST_LEDGER_24H];
	sqlite3_bind_int64(st, 1, (s->now_ms - 24 * 3600 * 1000LL) / 60000);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		group(s->ledger, &s->nledger, db_col_text(st, 0))->rows_24h +=
		    sqlite3_column_int64(st, 1);
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
summary_payments(struct award_ctx *ctx, struct stats_summary *s)
{
	sqlite3_stmt	*st;
	int		 rc, ready;

	if ((ready = db_flag(ctx->st[ST_READY], "payments")) == -1)
		return -1;
	st = ctx->st[ready ? ST_PAY_TOTALS : ST_PAY_SCAN];
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char		*name = db_col_text(st, 0);
		struct stats_group	*g = group(s->payments, &s->npayments,
		    *name != '\0' ? name : "none");

		g->rows += sqlite3_column_int64(st, 1);
		g->tickets += sqlite3_column_int64(st, 2);
		s->payments_total += sqlite3_column_int64(st, 1);
	}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
summary_run(struct award_ctx *ctx, struct stats_summary *s)
{
	sqlite3_stmt	*st = ctx->st[ST_LAST_RUN];
	struct stats_run *r = &s->run;
	int		 rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->present = 1;
		copy_text(r->started_at, sizeof(r->started_at),
		    db_col_text(st, 0));
		r->duration_ms = sqlite3_column_int64(st, 1);
		r->picked = sqlite3_column_int64(st, 2);
		r->awarded = sqlite3_column_int64(st, 3);
		r->duplicate = sqlite3_column_int64(st, 4);
		r->not_eligible = sqlite3_column_int64(st, 5);
		r->refunds = sqlite3_column_int64(st, 6);
		r->failed = sqlite3_column_int64(st, 7);
		r->dead = sqlite3_column_int64(st, 8);
		r->forced = sqlite3_column_int(st, 9);
		r->stopped = sqlite3_column_type(st, 10) != SQLITE_NULL;
		r->not_confirmed = sqlite3_column_int64(st, 12);
		copy_text(r->stop_reason, sizeof(r->stop_reason),
		    db_col_text(st, 10));
		if (sqlite3_column_type(st, 11) == SQLITE_NULL)
			r->started_ms = r->ended_ms = -1;
		else {
			r->started_ms = sqlite3_column_int64(st, 11);
			r->ended_ms = r->started_ms + r->duration_ms;
		}
	}
	db_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	st = ctx->st[ST_RUNS];
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		s->runs_total = sqlite3_column_int64(st, 0);
	db_reset(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (r->present && r->ended_ms >= 0)
		s->last_run_age_s = s->now_ms > r->ended_ms ?
		    (s->now_ms - r->ended_ms) / 1000 : 0;
	s->retry_stale = stats_retry_stale(s->pending, r, s->now_ms);
	return 0;
}

static int
summary_contest(struct award_ctx *ctx, struct stats_summary *s)
{
	sqlite3_stmt	*st = ctx->st[ST_CURRENT_CONTEST];
	int		 rc;

	sqlite3_bind_int64(st, 1, s->now_ms);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		s->contest_running = 1;
		copy_text(s->contest_id, sizeof(s->contest_id),
		    db_col_text(st, 0));
		copy_text(s->contest_ends_at, sizeof(s->contest_ends_at),
		    db_col_text(st, 1));
	}
	db_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* When the last backup's snapshot was taken; -1 when none is recorded. */
static int
summary_backup(struct award_ctx *ctx, struct stats_summary *s)
{
	sqlite3_stmt	*st = ctx->st[ST_BACKUP];
	int		 rc;

	s->backup_ms = -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		s->backup_ms = sqlite3_column_int64(st, 0);
	db_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
stats_summary(struct award_ctx *ctx, struct stats_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->now_ms = award_ctx_now(ctx);
	s->oldest_pending_ms = -1;
	s->last_run_age_s = -1;
	if (summary_queue(ctx, s) == -1 || summary_ledger(ctx, s) == -1 ||
	    summary_payments(ctx, s) == -1 || summary_run(ctx, s) == -1 ||
	    summary_contest(ctx, s) == -1 || summary_backup(ctx, s) == -1)
		return -1;
	return 0;
}

int
stats_queue_rows(struct award_ctx *ctx, const char *status, int limit,
    int (*fn)(void *, const struct stats_queue_row *), void *arg)
{
	return stats_queue_page(ctx, status, 0, limit, fn, arg);
}

int
stats_queue_page(struct award_ctx *ctx, const char *status, int64_t offset,
    int limit, int (*fn)(void *, const struct stats_queue_row *), void *arg)
{
	sqlite3_stmt		*st = ctx->st[ST_QUEUE];
	struct stats_queue_row	 r;
	int			 rc;

	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int64(st, 3, offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = sqlite3_column_int64(st, 0);
		r.status = db_col_text(st, 1);
		r.kind = db_col_text(st, 2);
		r.has_tg = sqlite3_column_type(st, 3) != SQLITE_NULL;
		r.tg_id = sqlite3_column_int64(st, 3);
		r.order_id = col_or_null(st, 4);
		r.plan_id = col_or_null(st, 5);
		r.order_created_at = col_or_null(st, 6);
		r.attempts = sqlite3_column_int64(st, 7);
		r.last_attempt_at = col_or_null(st, 8);
		r.error = col_or_null(st, 9);
		r.next_attempt_at = col_or_null(st, 10);
		r.refund_id = col_or_null(st, 11);
		r.payment_id = col_or_null(st, 12);
		r.acked_at = col_or_null(st, 13);
		r.acked_by = col_or_null(st, 14);
		r.requeued_at = col_or_null(st, 15);
		r.requeued_by = col_or_null(st, 16);
		r.outcome = col_or_null(st, 17);
		if (fn(arg, &r) == -1) {
			rc = SQLITE_ABORT;
			break;
		}
	}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
stats_payments_latest(struct award_ctx *ctx, int limit,
    int (*fn)(void *, const struct stats_payment_row *), void *arg)
{
	sqlite3_stmt		 *st = ctx->st[ST_PAY_LATEST];
	struct stats_payment_row  r;
	int			  rc;

	sqlite3_bind_int(st, 1, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.payment_id = col_or_null(st, 0);
		r.order_id = col_or_null(st, 1);
		r.tg_id = sqlite3_column_int64(st, 2);
		r.plan_id = col_or_null(st, 3);
		r.has_amount = sqlite3_column_type(st, 4) != SQLITE_NULL;
		r.amount_minor = sqlite3_column_int64(st, 4);
		r.currency = col_or_null(st, 5);
		r.refunded_minor = sqlite3_column_int64(st, 6);
		r.outcome = col_or_null(st, 7);
		r.created_at = col_or_null(st, 8);
		if (fn(arg, &r) == -1) {
			rc = SQLITE_ABORT;
			break;
		}
	}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Whether contest id exists: OK, NO_CONTEST or ERROR. */
static enum stats_result
contest_exists(struct award_ctx *ctx, const char *id)
{
	sqlite3_stmt	*st = ctx->st[ST_CONTEST_EXISTS];
	int		 rc;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	db_reset(st);
	return rc == SQLITE_ROW ? STATS_OK : rc == SQLITE_DONE ?
	    STATS_NO_CONTEST : STATS_ERROR;
}

enum stats_result
stats_top(struct award_ctx *ctx, const char *contest_id, int limit,
    int (*fn)(void *, int64_t, int64_t), void *arg)
{
	sqlite3_stmt		*st = ctx->st[ST_TOP];
	enum stats_result	 found;
	int			 rc;

	if ((found = contest_exists(ctx, contest_id)) != STATS_OK)
		return found;
	sqlite3_bind_text(st, 1, contest_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(arg, sqlite3_column_int64(st, 0),
		    sqlite3_column_int64(st, 1)) == -1) {
			rc = SQLITE_ABORT;
			break;
		}
	db_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

enum stats_result
stats_user_tickets(struct award_ctx *ctx, int64_t telegram_id,
    const char *contest_id, cJSON **out)
{
	sqlite3_stmt		*st;
	char			 cid[AWARD_ID_MAX * 2 + 1];
	int64_t			 tickets;
	enum stats_result	 found;
	int			 rc;

	*out = NULL;
	if (contest_id == NULL) {
		st = ctx->st[ST_CURRENT_CONTEST];
		sqlite3_bind_int64(st, 1, award_ctx_now(ctx));
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && (size_t)snprintf(cid, sizeof(cid), "%s",
		    db_col_text(st, 0)) >= sizeof(cid))
			rc = SQLITE_TOOBIG;	/* longer than any id we take */
		db_reset(st);
		if (rc != SQLITE_ROW)
			return rc == SQLITE_DONE ? STATS_NO_CONTEST :
			    STATS_ERROR;
	} else {
		if ((found = contest_exists(ctx, contest_id)) != STATS_OK)
			return found;
		snprintf(cid, sizeof(cid), "%s", contest_id);
	}
	st = ctx->st[ST_USER_TICKETS];
	sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, telegram_id);
	rc = sqlite3_step(st);
	tickets = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	db_reset(st);
	if (rc != SQLITE_ROW)
		return STATS_ERROR;
	if ((*out = cJSON_CreateObject()) == NULL)
		return STATS_ERROR;
	jsonw_add_int(*out, "telegram_id", telegram_id);
	cJSON_AddStringToObject(*out, "contest_id", cid);
	jsonw_add_int(*out, "tickets", tickets);
	return STATS_OK;
}

int
stats_health(struct award_ctx *ctx)
{
	sqlite3_stmt	*st = ctx->st[ST_HEALTH];
	int		 rc;

	/* A file deleted under the service answers, but keeps nothing. */
	if (db_moved(ctx->db) != NULL)
		return -1;
	rc = sqlite3_step(st);
	db_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}
