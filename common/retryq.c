/*
 * failed_awards, the durable queue that replaced the original design's
 * in-memory array. The backoff lives in SQL so that recording a failure is
 * one statement on the service database only: the first statement of its
 * transaction is a write on "main", so the bot database is never locked by
 * it (SPEC §4, last paragraph).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atime.h"
#include "db.h"
#include "log.h"
#include "retryq.h"

/* The delay after attempt n = A, as SQL over an attempts expression A. */
#define DELAY(A) "min(300000 << min((" A ") - 1, 10), 21600000)"
/* New attempts for a queued row failing again from a fresh delivery. */
#define NEXT_A "CASE WHEN status = 'pending' THEN attempts + 1 ELSE 1 END"

enum rq_stmt {
	RQ_RECORD_AWARD,
	RQ_RECORD_REFUND,
	RQ_DUE,
	RQ_DUE_ALL,
	RQ_ROW,
	RQ_DONE,
	RQ_FAILED,
	RQ_REQUEUE,
	RQ_STATUS,
	RQ_RUN_INSERT,
	RQ__MAX
};

static const char *const rq_sql[RQ__MAX] = {
	/* RQ_RECORD_AWARD: ?13 now ms, ?14 max attempts */
	"INSERT INTO main.failed_awards(kind, status, attempts, last_error,"
	" order_id, telegram_id, plan_id, order_created_at, payment_id,"
	" amount_minor, currency, created_at, updated_at, last_attempt_at,"
	" next_attempt_at, next_attempt_ms)"
	" VALUES ('award', CASE WHEN ?14 <= 1 THEN 'dead' ELSE 'pending' END,"
	" 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, award_iso(?13), award_iso(?13),"
	" award_iso(?13), award_iso(?13 + 300000), ?13 + 300000)"
	" ON CONFLICT(order_id) WHERE kind = 'award' DO UPDATE SET"
	" status = CASE WHEN (" NEXT_A ") >= ?14 THEN 'dead' ELSE 'pending'"
	" END,"
	" attempts = " NEXT_A ","
	" last_error = excluded.last_error, outcome = NULL,"
	" telegram_id = excluded.telegram_id, plan_id = excluded.plan_id,"
	" order_created_at = excluded.order_created_at,"
	" payment_id = coalesce(excluded.payment_id, payment_id),"
	" amount_minor = coalesce(excluded.amount_minor, amount_minor),"
	" currency = coalesce(excluded.currency, currency),"
	" updated_at = excluded.updated_at,"
	" last_attempt_at = excluded.last_attempt_at,"
	" next_attempt_ms = ?13 + " DELAY(NEXT_A) ","
	" next_attempt_at = award_iso(?13 + " DELAY(NEXT_A) ")",
	/* RQ_RECORD_REFUND: ?13 now ms, ?14 max attempts */
	"INSERT INTO main.failed_awards(kind, status, attempts, last_error,"
	" refund_id, payment_id, amount_minor, currency, created_at,"
	" updated_at, last_attempt_at, next_attempt_at, next_attempt_ms)"
	" VALUES ('refund', CASE WHEN ?14 <= 1 THEN 'dead' ELSE 'pending' END,"
	" 1, ?1, ?2, ?3, ?4, ?5, award_iso(?13), award_iso(?13),"
	" award_iso(?13), award_iso(?13 + 300000), ?13 + 300000)"
	" ON CONFLICT(refund_id) WHERE kind = 'refund' DO UPDATE SET"
	" status = CASE WHEN (" NEXT_A ") >= ?14 THEN 'dead' ELSE 'pending'"
	" END,"
	" attempts = " NEXT_A ","
	" last_error = excluded.last_error, outcome = NULL,"
	" updated_at = excluded.updated_at,"
	" last_attempt_at = excluded.last_attempt_at,"
	" next_attempt_ms = ?13 + " DELAY(NEXT_A) ","
	" next_attempt_at = award_iso(?13 + " DELAY(NEXT_A) ")",
	/*
	 * RQ_DUE: the partial index makes a run cost the due rows, not the
	 * table; INDEXED BY turns a missing index into a prepare error
	 * instead of a silent scan.
	 */
	"SELECT id FROM main.failed_awards INDEXED BY failed_awards_due"
	" WHERE status = 'pending'"
	" AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT ?2",
	/* RQ_DUE_ALL: --force */
	"SELECT id FROM main.failed_awards INDEXED BY failed_awards_due"
	" WHERE status = 'pending' ORDER BY next_attempt_ms, id LIMIT ?2",
	/* RQ_ROW: one due row, read when its turn comes */
	"SELECT id, kind, attempts, order_id, telegram_id, plan_id,"
	" order_created_at, payment_id, amount_minor, currency, refund_id"
	" FROM main.failed_awards WHERE id = ?1 AND status = 'pending'",
	/* RQ_DONE */
	"UPDATE main.failed_awards SET status = 'done', outcome = ?2,"
	" last_attempt_at = award_iso(?3), updated_at = award_iso(?3)"
	" WHERE id = ?1",
	/* RQ_FAILED: attempt n = attempts + 1 just failed */
	"UPDATE main.failed_awards SET attempts = attempts + 1,"
	" last_error = ?2,"
	" status = CASE WHEN attempts + 1 >= ?4 THEN 'dead' ELSE 'pending' END,"
	" last_attempt_at = award_iso(?3), updated_at = award_iso(?3),"
	" next_attempt_ms = ?3 + " DELAY("attempts + 1") ","
	" next_attempt_at = award_iso(?3 + " DELAY("attempts + 1") ")"
	" WHERE id = ?1 RETURNING status",
	/* RQ_REQUEUE */
	"UPDATE main.failed_awards SET status = 'pending',"
	" next_attempt_ms = ?2, next_attempt_at = award_iso(?2),"
	" updated_at = award_iso(?2)"
	" WHERE id = ?1 AND status IN ('pending', 'dead')",
	/* RQ_STATUS */
	"SELECT status FROM main.failed_awards WHERE id = ?1",
	/* RQ_RUN_INSERT */
	"INSERT INTO main.retry_runs(started_at, duration_ms, picked, awarded,"
	" duplicate, not_eligible, refunds, failed, dead, forced)"
	" VALUES (award_iso(?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
};

int64_t
retryq_backoff_ms(int n)
{
	int64_t d = RETRYQ_BASE_MS << (n <= 1 ? 0 : n - 1 > 10 ? 10 : n - 1);

	return d > RETRYQ_CAP_MS ? RETRYQ_CAP_MS : d;
}

int
retryq_prepare(struct award_ctx *ctx, char *err, size_t errsz)
{
	ctx->rq = db_stmts_new(ctx->db, rq_sql, RQ__MAX, err, errsz);
	return ctx->rq != NULL ? 0 : -1;
}

void
retryq_unprepare(struct award_ctx *ctx)
{
	db_stmts_free(ctx->rq, RQ__MAX);
	ctx->rq = NULL;
}

/* BEGIN (deferred: the first write locks only "main"), work, COMMIT. */
static int
record(struct award_ctx *ctx, sqlite3_stmt *st, const struct award_req *pay)
{
	int rc;

	if (db_begin(ctx->db) != SQLITE_OK) {
		db_reset(st);
		return -1;
	}
	if (pay != NULL && award_record_payment(ctx, pay) == -1) {
		db_reset(st);
		goto fail;
	}
	if ((rc = db_step_done(st)) != SQLITE_DONE)
		goto fail;
	if (db_commit(ctx->db) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	log_msg(LOG_ERROR, "cannot save to failed_awards",
	    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
	db_rollback(ctx->db);
	return -1;
}

int
retryq_record_award(struct award_ctx *ctx, const struct award_req *req,
    const char *error)
{
	sqlite3_stmt	*st = ctx->rq[RQ_RECORD_AWARD];
	char		 ot[ATIME_BUFSZ];

	atime_format(req->order_ms, ot);
	sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, req->order_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, req->telegram_id);
	sqlite3_bind_text(st, 4, req->plan_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ot, -1, SQLITE_STATIC);
	db_bind_opt_text(st, 6, req->payment_id);
	if (req->amount_minor >= 0)
		sqlite3_bind_int64(st, 7, req->amount_minor);
	db_bind_opt_text(st, 8, req->currency);
	sqlite3_bind_int64(st, 13, award_ctx_now(ctx));
	sqlite3_bind_int(st, 14, ctx->cfg->retry_max_attempts);
	return record(ctx, st, req);
}

int
retryq_record_refund(struct award_ctx *ctx, const struct refund_req *req,
    const char *error)
{
	sqlite3_stmt *st = ctx->rq[RQ_RECORD_REFUND];

	sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, req->refund_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, req->payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, req->amount_minor);
	db_bind_opt_text(st, 5, req->currency);
	sqlite3_bind_int64(st, 13, award_ctx_now(ctx));
	sqlite3_bind_int(st, 14, ctx->cfg->retry_max_attempts);
	return record(ctx, st, NULL);
}

/* One queued row, copied out of the statement. */
struct item {
	int64_t			id;
	int			is_refund;
	int			attempts;
	int			bad;	/* stored fields fail validation */
	struct award_req	award;
	struct refund_req	refund;
};

static void
copy_col(sqlite3_stmt *st, int col, char *dst, size_t dstsz, int *bad)
{
	const char *s = (const char *)sqlite3_column_text(st, col);

	if (s == NULL) {
		dst[0] = '\0';
		return;
	}
	if (strlen(s) >= dstsz) {
		*bad = 1;
		dst[0] = '\0';
		return;
	}
	memcpy(dst, s, strlen(s) + 1);
}

static void
read_item(sqlite3_stmt *st, struct item *it)
{
	char ot[64];

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(st, 0);
	it->is_refund = strcmp(db_col_text(st, 1), "refund") == 0;
	it->attempts = sqlite3_column_int(st, 2);
	if (it->is_refund) {
		struct refund_req *r = &it->refund;

		copy_col(st, 7, r->payment_id, sizeof(r->payment_id),
		    &it->bad);
		r->amount_minor = sqlite3_column_int64(st, 8);
		copy_col(st, 9, r->currency, sizeof(r->currency), &it->bad);
		copy_col(st, 10, r->refund_id, sizeof(r->refund_id),
		    &it->bad);
		if (r->refund_id[0] == '\0' || r->payment_id[0] == '\0')
			it->bad = 1;
		return;
	}
	struct award_req *a = &it->award;

	copy_col(st, 3, a->order_id, sizeof(a->order_id), &it->bad);
	a->telegram_id = sqlite3_column_int64(st, 4);
	copy_col(st, 5, a->plan_id, sizeof(a->plan_id), &it->bad);
	copy_col(st, 6, ot, sizeof(ot), &it->bad);
	if (atime_parse(ot, &a->order_ms) == -1)
		it->bad = 1;
	copy_col(st, 7, a->payment_id, sizeof(a->payment_id), &it->bad);
	a->amount_minor = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 8);
	copy_col(st, 9, a->currency, sizeof(a->currency), &it->bad);
	if (a->order_id[0] == '\0' || a->plan_id[0] == '\0')
		it->bad = 1;
}

/*
 * The ids of the due rows, oldest due first: 8 bytes a row however large
 * --limit is, and no statement stays open while awards run.
 */
static int
take_due(struct award_ctx *ctx, int force, int limit, int64_t now,
    int64_t **out, int *n)
{
	sqlite3_stmt	*st = ctx->rq[force ? RQ_DUE_ALL : RQ_DUE];
	int64_t		*ids = NULL, *tmp;
	int		 cap = 0, rc;

	*out = NULL;
	*n = 0;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((tmp = reallocarray(ids, (size_t)cap,
			    sizeof(*ids))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			ids = tmp;
		}
		ids[(*n)++] = sqlite3_column_int64(st, 0);
	}
	db_reset(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		*n = 0;
		return -1;
	}
	*out = ids;
	return 0;
}

/*
 * Read row id if it is still pending: 1 with *it filled, 0 when it is not
 * (an admin or another path changed it since), -1 on error.
 */
static int
load_item(struct award_ctx *ctx, int64_t id, struct item *it)
{
	sqlite3_stmt	*st = ctx->rq[RQ_ROW];
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_item(st, it);
	db_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
mark_done(struct award_ctx *ctx, int64_t id, const char *outcome)
{
	sqlite3_stmt *st = ctx->rq[RQ_DONE];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, award_ctx_now(ctx));
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/* Returns 1 when the row is now dead, 0 when still pending, -1 on error. */
static int
mark_failed(struct award_ctx *ctx, int64_t id, const char *error)
{
	sqlite3_stmt	*st = ctx->rq[RQ_FAILED];
	int		 rc, dead = 0;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, award_ctx_now(ctx));
	sqlite3_bind_int(st, 4, ctx->cfg->retry_max_attempts);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dead = strcmp(db_col_text(st, 0), "dead") == 0;
		rc = sqlite3_step(st);
	}
	db_reset(st);
	return rc == SQLITE_DONE ? dead : -1;
}

/* Process one row; -1 only when the queue itself cannot be written. */
static int
process(struct award_ctx *ctx, const struct item *it, struct retry_run *run)
{
	struct award_out	 ao;
	struct refund_out	 ro;
	const char		*outcome, *error = NULL;
	int			 failed, dead = 0;

	if (it->bad) {
		failed = 1;
		error = "queued row has unreadable fields";
		outcome = "failed";
	} else if (it->is_refund) {
		failed = refund_apply(ctx, &it->refund, &ro) == REFUND_FAILED;
		outcome = refund_result_name(ro.result);
		error = ro.error;
	} else {
		failed = award_apply(ctx, &it->award, &ao) == AWARD_FAILED;
		outcome = award_result_name(ao.result);
		error = ao.error;
	}
	if (failed) {
		if ((dead = mark_failed(ctx, it->id, error)) == -1)
			return -1;
		if (dead)
			run->dead++;
		else
			run->failed++;
	} else {
		if (mark_done(ctx, it->id, outcome) == -1)
			return -1;
		if (it->is_refund)
			run->refunds++;
		else if (ao.result == AWARD_AWARDED)
			run->awarded++;
		else if (ao.result == AWARD_DUPLICATE)
			run->duplicate++;
		else
			run->not_eligible++;
	}
	log_msg(failed ? LOG_WARN : LOG_INFO, "retry",
	    LF_INT("id", it->id),
	    LF_STR("kind", it->is_refund ? "refund" : "award"),
	    LF_STR("order_id", it->is_refund ? NULL : it->award.order_id),
	    LF_INT("tg_id", it->is_refund ? 0 : it->award.telegram_id),
	    LF_STR("refund_id", it->is_refund ? it->refund.refund_id : NULL),
	    LF_INT("attempt", it->attempts + (failed ? 1 : 0)),
	    LF_STR("outcome", failed ? (dead ? "dead" : "failed") : outcome),
	    LF_STR("error", failed ? error : NULL), LF_END);
	return 0;
}

int
retryq_run(struct award_ctx *ctx, int force, int limit, struct retry_run *run)
{
	sqlite3_stmt	*st;
	struct item	 it;
	int64_t		*ids = NULL, t0 = atime_now_ms();
	int		 n = 0, rc = -1, r;

	memset(run, 0, sizeof(*run));
	run->started_ms = award_ctx_now(ctx);
	run->forced = force;
	if (take_due(ctx, force, limit, run->started_ms, &ids, &n) == -1) {
		log_msg(LOG_ERROR, "cannot read failed_awards",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if ((r = load_item(ctx, ids[i], &it)) == 0)
			continue;
		if (r == -1 || process(ctx, &it, run) == -1) {
			log_msg(LOG_ERROR, "cannot update failed_awards",
			    LF_INT("id", ids[i]),
			    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
			goto out;
		}
		run->picked++;
	}
	rc = 0;
out:
	free(ids);
	run->duration_ms = atime_now_ms() - t0;
	st = ctx->rq[RQ_RUN_INSERT];
	sqlite3_bind_int64(st, 1, run->started_ms);
	sqlite3_bind_int64(st, 2, run->duration_ms);
	sqlite3_bind_int(st, 3, run->picked);
	sqlite3_bind_int(st, 4, run->awarded);
	sqlite3_bind_int(st, 5, run->duplicate);
	sqlite3_bind_int(st, 6, run->not_eligible);
	sqlite3_bind_int(st, 7, run->refunds);
	sqlite3_bind_int(st, 8, run->failed);
	sqlite3_bind_int(st, 9, run->dead);
	sqlite3_bind_int(st, 10, force);
	if (db_step_done(st) != SQLITE_DONE) {
		log_msg(LOG_ERROR, "cannot record retry_runs",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		rc = -1;
	}
	log_msg(rc == 0 ? LOG_INFO : LOG_ERROR, "retry run",
	    LF_INT("picked", run->picked), LF_INT("awarded", run->awarded),
	    LF_INT("duplicate", run->duplicate),
	    LF_INT("not_eligible", run->not_eligible),
	    LF_INT("refunds", run->refunds), LF_INT("failed", run->failed),
	    LF_INT("dead", run->dead), LF_INT("forced", force),
	    LF_INT("duration_ms", run->duration_ms), LF_END);
	return rc;
}

enum retryq_requeue_result
retryq_requeue(struct award_ctx *ctx, int64_t id)
{
	sqlite3_stmt			*st = ctx->rq[RQ_REQUEUE];
	enum retryq_requeue_result	 r;
	int				 rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, award_ctx_now(ctx));
	if (db_step_done(st) != SQLITE_DONE)
		return RETRYQ_ERROR;
	if (sqlite3_changes(ctx->db) > 0)
		return RETRYQ_REQUEUED;
	st = ctx->rq[RQ_STATUS];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	r = rc == SQLITE_ROW ? RETRYQ_IS_DONE : rc == SQLITE_DONE ?
	    RETRYQ_NOT_FOUND : RETRYQ_ERROR;
	db_reset(st);
	return r;
}

int
retryq_lock(const char *db_path, char *err, size_t errsz)
{
	int fd;

	/*
	 * The database file itself, read-only: nothing is created, so no
	 * run (root's included) leaves a file that stops a later run by
	 * another user (issue 10 trap 2), and anyone who can read the
	 * database can take the lock. flock(2) locks are apart from
	 * SQLite's fcntl(2) locks on the same file.
	 */
	if ((fd = open(db_path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errsz, "retry lock: open %s: %s", db_path,
		    strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;

		close(fd);
		if (saved == EWOULDBLOCK)
			return -2;
		snprintf(err, errsz, "retry lock: flock %s: %s", db_path,
		    strerror(saved));
		return -1;
	}
	return fd;
}
