/*
 * failed_awards, the durable queue that replaced the original design's
 * in-memory array. The backoff lives in SQL so that saving a failure is
 * one statement on the service database only: in a transaction whose first
 * statement it is, the bot database is never locked (SPEC §4, last
 * paragraph). Storage only: no award rules run here (job.c).
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
#include "retryq.h"

/* The delay after attempt n = A, as SQL over an attempts expression A. */
#define DELAY(A) "min(300000 << min((" A ") - 1, 10), 21600000)"
/*
 * New attempts for a queued row failing again from a fresh delivery; ?16
 * is 0 when the failure was an outage (SPEC.md §6: not the row's fault,
 * so a long lock cannot drive a valid award to dead), else 1.
 */
#define NEXT_A "CASE WHEN status = 'pending' THEN attempts + ?16 ELSE 1 END"
/*
 * A done or dead row brought back is queued anew, from now: its old
 * created_at would make the oldest pending row look months old.
 */
/*
 * A pending row's own value when the failure was an outage (?16 = 0): it
 * was no attempt, so it neither moves the last attempt nor puts the next
 * one off; else v.
 */
#define KEEP_ON_OUTAGE(col, v) \
	"CASE WHEN status = 'pending' AND ?16 = 0 THEN " col " ELSE " v " END"
#define NEXT_CREATED \
	"CASE WHEN status = 'pending' THEN created_at" \
	" ELSE excluded.created_at END"

enum rq_stmt {
	RQ_RECORD_AWARD,
	RQ_RECORD_REFUND,
	RQ_DUE,
	RQ_DUE_ALL,
	RQ_ROW,
	RQ_DONE,
	RQ_FAILED,
	RQ_REQUEUE,
	RQ_ACK,
	RQ_STATUS,
	RQ_RUN_INSERT,
	RQ__MAX
};

static const char *const rq_sql[RQ__MAX] = {
	/* RQ_RECORD_AWARD: ?13 now ms, ?14 max attempts */
	"INSERT INTO main.failed_awards(kind, status, attempts, last_error,"
	" order_id, telegram_id, plan_id, order_created_at, payment_id,"
	" amount_minor, currency, created_at, updated_at, last_attempt_at,"
	" next_attempt_at, next_attempt_ms, verify)"
	" VALUES ('award', CASE WHEN ?14 <= 1 THEN 'dead' ELSE 'pending' END,"
	" 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, award_iso(?13), award_iso(?13),"
	" award_iso(?13), award_iso(?13 + 300000), ?13 + 300000, ?15)"
	" ON CONFLICT(order_id) WHERE kind = 'award' DO UPDATE SET"
	" status = CASE WHEN (" NEXT_A ") >= ?14 THEN 'dead' ELSE 'pending'"
	" END,"
	" attempts = " NEXT_A ","
	" created_at = " NEXT_CREATED ","
	" last_error = excluded.last_error, outcome = NULL,"
	" acked_at = NULL, acked_by = NULL,"
	" telegram_id = excluded.telegram_id, plan_id = excluded.plan_id,"
	" order_created_at = excluded.order_created_at,"
	" payment_id = coalesce(excluded.payment_id, payment_id),"
	" amount_minor = coalesce(excluded.amount_minor, amount_minor),"
	" currency = coalesce(excluded.currency, currency),"
	" verify = max(verify, excluded.verify),"
	" updated_at = excluded.updated_at,"
	" last_attempt_at = " KEEP_ON_OUTAGE("last_attempt_at",
	    "excluded.last_attempt_at") ","
	" next_attempt_ms = " KEEP_ON_OUTAGE("next_attempt_ms",
	    "?13 + " DELAY(NEXT_A)) ","
	" next_attempt_at = " KEEP_ON_OUTAGE("next_attempt_at",
	    "award_iso(?13 + " DELAY(NEXT_A) ")")
	/*
	 * An unconfirmed notification (?15, a hint: SPEC.md §11) never
	 * rewrites the row of a confirmed one of the same order: the retry
	 * would then ask the API about the hint's payment, end the row
	 * not_confirmed, and the confirmed payment, its payments row
	 * recorded, would be known to reconciliation and never awarded.
	 */
	" WHERE excluded.verify = 0 OR failed_awards.verify = 1",
	/*
	 * RQ_RECORD_REFUND: ?13 now ms, ?14 max attempts. With the order,
	 * buyer and plan of the refunded payment when it is known, so that
	 * admins see which order a queued refund is about.
	 */
	"INSERT INTO main.failed_awards(kind, status, attempts, last_error,"
	" refund_id, payment_id, amount_minor, currency, created_at,"
	" updated_at, last_attempt_at, next_attempt_at, next_attempt_ms,"
	" verify, order_id, telegram_id, plan_id)"
	" SELECT 'refund', CASE WHEN ?14 <= 1 THEN 'dead' ELSE 'pending' END,"
	" 1, ?1, ?2, ?3, ?4, ?5, award_iso(?13), award_iso(?13),"
	" award_iso(?13), award_iso(?13 + 300000), ?13 + 300000, ?15,"
	" p.order_id, p.telegram_id, p.plan_id"
	" FROM (SELECT 1) LEFT JOIN main.payments AS p ON p.payment_id = ?3"
	" WHERE true"
	" ON CONFLICT(refund_id) WHERE kind = 'refund' DO UPDATE SET"
	" order_id = coalesce(excluded.order_id, order_id),"
	" telegram_id = coalesce(excluded.telegram_id, telegram_id),"
	" plan_id = coalesce(excluded.plan_id, plan_id),"
	" status = CASE WHEN (" NEXT_A ") >= ?14 THEN 'dead' ELSE 'pending'"
	" END,"
	" attempts = " NEXT_A ","
	" created_at = " NEXT_CREATED ","
	" last_error = excluded.last_error, outcome = NULL,"
	" acked_at = NULL, acked_by = NULL,"
	" verify = max(verify, excluded.verify),"
	" updated_at = excluded.updated_at,"
	" last_attempt_at = " KEEP_ON_OUTAGE("last_attempt_at",
	    "excluded.last_attempt_at") ","
	" next_attempt_ms = " KEEP_ON_OUTAGE("next_attempt_ms",
	    "?13 + " DELAY(NEXT_A)) ","
	" next_attempt_at = " KEEP_ON_OUTAGE("next_attempt_at",
	    "award_iso(?13 + " DELAY(NEXT_A) ")"),
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
	" order_created_at, payment_id, amount_minor, currency, refund_id,"
	" verify FROM main.failed_awards WHERE id = ?1 AND status = 'pending'",
	/* RQ_DONE */
	"UPDATE main.failed_awards SET status = 'done', outcome = ?2,"
	" last_attempt_at = award_iso(?3), updated_at = award_iso(?3),"
	" done_ms = ?3"
	" WHERE id = ?1",
	/* RQ_FAILED: attempt n = attempts + 1 just failed */
	"UPDATE main.failed_awards SET attempts = attempts + 1,"
	" last_error = ?2,"
	" status = CASE WHEN attempts + 1 >= ?4 THEN 'dead' ELSE 'pending' END,"
	" last_attempt_at = award_iso(?3), updated_at = award_iso(?3),"
	" next_attempt_ms = ?3 + " DELAY("attempts + 1") ","
	" next_attempt_at = award_iso(?3 + " DELAY("attempts + 1") ")"
	" WHERE id = ?1 RETURNING status",
	/*
	 * RQ_REQUEUE: ?3 who; clears an acknowledgement. A dead row is
	 * queued anew (its age restarts, as a revived one's); a pending
	 * one only falls due now.
	 */
	"UPDATE main.failed_awards SET status = 'pending',"
	" created_at = CASE WHEN status = 'dead' THEN award_iso(?2)"
	" ELSE created_at END,"
	" next_attempt_ms = ?2, next_attempt_at = award_iso(?2),"
	" updated_at = award_iso(?2), requeued_at = award_iso(?2),"
	" requeued_by = ?3, acked_at = NULL, acked_by = NULL"
	" WHERE id = ?1 AND status IN ('pending', 'dead')",
	/* RQ_ACK: ?3 who; the first who and when are kept */
	"UPDATE main.failed_awards SET"
	" acked_at = coalesce(acked_at, award_iso(?2)),"
	" acked_by = coalesce(acked_by, ?3)"
	" WHERE id = ?1 AND status = 'dead'",
	/* RQ_STATUS */
	"SELECT status FROM main.failed_awards WHERE id = ?1",
	/* RQ_RUN_INSERT */
	"INSERT INTO main.retry_runs(started_at, duration_ms, picked, awarded,"
	" duplicate, not_eligible, refunds, failed, dead, forced, stopped,"
	" not_confirmed)"
	" VALUES (award_iso(?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
};

int64_t
retryq_backoff_ms(int n)
{
	int64_t d = RETRYQ_BASE_MS << (n <= 1 ? 0 : n - 1 > 10 ? 10 : n - 1);

	return d > RETRYQ_CAP_MS ? RETRYQ_CAP_MS : d;
}

const struct award_part retryq_part = AWARD_PART(rq_sql, RQ__MAX, rq);

/*
 * The bindings a saved award and a saved refund share (?13 now, ?14 the
 * attempts allowed, ?15 verify), then the row written; 0 or -1.
 */
static int
save_row(struct award_ctx *ctx, sqlite3_stmt *st, int verify, int outage)
{
	sqlite3_bind_int64(st, 13, award_ctx_now(ctx));
	sqlite3_bind_int(st, 14, ctx->cfg->retry_max_attempts);
	sqlite3_bind_int(st, 15, verify != 0);
	sqlite3_bind_int(st, 16, outage ? 0 : 1);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

int
retryq_save_award(struct award_ctx *ctx, const struct award_req *req,
    const char *error, int outage)
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
	return save_row(ctx, st, req->verify, outage);
}

int
retryq_save_refund(struct award_ctx *ctx, const struct refund_req *req,
    const char *error, int outage)
{
	sqlite3_stmt *st = ctx->rq[RQ_RECORD_REFUND];

	sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, req->refund_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, req->payment_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, req->amount_minor);
	db_bind_opt_text(st, 5, req->currency);
	return save_row(ctx, st, req->verify, outage);
}

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
read_item(sqlite3_stmt *st, struct retryq_item *it)
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
		r->verify = sqlite3_column_int(st, 11) != 0;
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
	a->verify = sqlite3_column_int(st, 11) != 0;
	if (a->verify && a->payment_id[0] == '\0')
		it->bad = 1;	/* nothing to ask the API about */
	if (a->order_id[0] == '\0' || a->plan_id[0] == '\0')
		it->bad = 1;
}

int
retryq_take_due(struct award_ctx *ctx, int force, int limit, int64_t now,
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

enum retryq_load_result
retryq_load(struct award_ctx *ctx, int64_t id, struct retryq_item *it)
{
	sqlite3_stmt	*st = ctx->rq[RQ_ROW];
	int		 rc;

	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_item(st, it);
	db_reset(st);
	return rc == SQLITE_ROW ? RETRYQ_LOADED : rc == SQLITE_DONE ?
	    RETRYQ_GONE : RETRYQ_LOAD_ERROR;
}

int
retryq_mark_done(struct award_ctx *ctx, int64_t id, const char *outcome)
{
	sqlite3_stmt *st = ctx->rq[RQ_DONE];

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, outcome, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, award_ctx_now(ctx));
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

enum retryq_mark_result
retryq_mark_failed(struct award_ctx *ctx, int64_t id, const char *error)
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
	if (rc != SQLITE_DONE)
		return RETRYQ_MARK_ERROR;
	return dead ? RETRYQ_NOW_DEAD : RETRYQ_STILL_PENDING;
}

int
retryq_record_run(struct award_ctx *ctx, const struct retry_run *run)
{
	sqlite3_stmt *st = ctx->rq[RQ_RUN_INSERT];

	sqlite3_bind_int64(st, 1, run->started_ms);
	sqlite3_bind_int64(st, 2, run->duration_ms);
	sqlite3_bind_int(st, 3, run->picked);
	sqlite3_bind_int(st, 4, run->awarded);
	sqlite3_bind_int(st, 5, run->duplicate);
	sqlite3_bind_int(st, 6, run->not_eligible);
	sqlite3_bind_int(st, 7, run->refunds);
	sqlite3_bind_int(st, 8, run->failed);
	sqlite3_bind_int(st, 9, run->dead);
	sqlite3_bind_int(st, 10, run->forced);
	db_bind_opt_text(st, 11, run->stopped);
	sqlite3_bind_int(st, 12, run->not_confirmed);
	return db_step_done(st) == SQLITE_DONE ? 0 : -1;
}

/*
 * Run the admin statement k on row id by who; when it changed no row, tell
 * an unknown id (NOT_FOUND) from a row in another status (IS_DONE).
 */
static enum retryq_requeue_result
admin_update(struct award_ctx *ctx, enum rq_stmt k, int64_t id,
    const char *who)
{
	sqlite3_stmt			*st = ctx->rq[k];
	enum retryq_requeue_result	 r;
	int				 rc;

	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, award_ctx_now(ctx));
	sqlite3_bind_text(st, 3, who != NULL && *who != '\0' ? who : "token",
	    -1, SQLITE_STATIC);
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

enum retryq_requeue_result
retryq_requeue(struct award_ctx *ctx, int64_t id, const char *who)
{
	return admin_update(ctx, RQ_REQUEUE, id, who);
}

enum retryq_requeue_result
retryq_ack(struct award_ctx *ctx, int64_t id, const char *who)
{
	return admin_update(ctx, RQ_ACK, id, who);
}

int
retryq_lock(const char *db_path, char *err, size_t errsz)
{
	int fd;

	/*
	 * The database file itself, read-only: nothing is created, so no
	 * run (root's included) leaves a file that stops a later run by
	 * another user, and anyone who can read the
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
