/*
 * The retry run over failed_awards (job.h, job_retry_run(); SPEC.md §6,
 * §11): the due rows in groups of up to JOB_GROUP_MAX, each group verified
 * with the YooKassa API before its transaction begins, then run through the
 * award and refund rules with a savepoint per row, and the run recorded in
 * retry_runs. Not here: the responder's jobs and groups (job.c), the queue's
 * own SQL (retryq.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "verify.h"

static int
exec_rc(struct award_ctx *ctx, const char *sql)
{
	return sqlite3_exec(ctx->db, sql, NULL, NULL, NULL);
}

/* One row of a retry group, kept until its group commits. */
struct row {
	struct retryq_item	 it;
	const char		*outcome;	/* static text */
	char			 error[AWARD_ERR_MAX];
	int			 failed, dead, not_confirmed;
	int			 done_later;	/* marked done after the COMMIT */
	enum award_result	 award;
};

/*
 * A row's verification, made before its group's transaction begins
 * (SPEC.md §11: no API call inside a write transaction).
 */
struct checked {
	int64_t			 id;
	int			 no_api;	/* verify, but no API set up */
	enum verify_result	 r;
	struct award_req	 award;		/* CONFIRMED: the API's copy */
	struct refund_req	 refund;
	char			 error[AWARD_ERR_MAX];
};

static void
row_log(const struct row *r)
{
	const struct retryq_item *it = &r->it;

	log_msg(r->failed || r->not_confirmed ? LOG_WARN : LOG_INFO, "retry",
	    LF_INT("id", it->id),
	    LF_STR("kind", it->is_refund ? "refund" : "award"),
	    LF_STR("order_id", it->is_refund ? NULL : it->award.order_id),
	    LF_INT("tg_id", it->is_refund ? 0 : it->award.telegram_id),
	    LF_STR("refund_id", it->is_refund ? it->refund.refund_id : NULL),
	    LF_INT("attempt", it->attempts + (r->failed ? 1 : 0)),
	    LF_STR("outcome", r->failed ? (r->dead ? "dead" : "failed") :
	    r->outcome),
	    LF_STR("error", r->failed || r->not_confirmed ? r->error : NULL),
	    LF_END);
}

static void
row_count(const struct row *r, struct retry_run *run)
{
	run->picked++;
	if (r->failed) {
		if (r->dead)
			run->dead++;
		else
			run->failed++;
	} else if (r->not_confirmed)
		run->not_confirmed++;	/* picked, and none of the outcomes */
	else if (r->it.is_refund)
		run->refunds++;
	else if (r->award == AWARD_AWARDED)
		run->awarded++;
	else if (r->award == AWARD_DUPLICATE)
		run->duplicate++;
	else
		run->not_eligible++;
}

/*
 * The rules for one loaded row, in its savepoint; v is its verification
 * (NULL when none was made). Returns 0 with r filled (its failure or its
 * outcome marked in the queue), 1 for an outage (the savepoint rolled
 * back: the row is as it was; why in stop), 2 when the row needs a
 * verification that was not made (left as it was, for the next run), -1
 * when the transaction is unusable (why in stop).
 */
static int
retry_row(struct award_ctx *ctx, struct row *r, const struct checked *v,
    char *stop, size_t stopsz)
{
	struct award_out	 ao;
	struct refund_out	 ro;
	const char		*error = NULL;
	int			 failed, dbrc = SQLITE_OK;
	int			 verify = r->it.is_refund ?
				    r->it.refund.verify : r->it.award.verify;

	if (!r->it.bad && verify && v == NULL)
		return 2;	/* marked after its verification was made */
	if (!r->it.bad && verify && v != NULL && !v->no_api &&
	    v->r == VERIFY_CONFIRMED) {
		/* The API's copy, never the notification's (SPEC.md §11). */
		if (r->it.is_refund)
			r->it.refund = v->refund;
		else
			r->it.award = v->award;
		verify = 0;
	}
	if (r->it.bad) {
		failed = 1;
		error = "queued row has unreadable fields";
	} else if (verify && v != NULL && v->no_api) {
		failed = 1;
		error = "needs verification, but the YooKassa API is not "
		    "configured (AWARD_YOOKASSA_SHOP_ID, _SECRET_KEY)";
	} else if (verify && v != NULL) {
		/* Not confirmed: ends done, nothing applied. */
		failed = 0;
		r->not_confirmed = 1;
		r->outcome = "not_confirmed";
		snprintf(r->error, sizeof(r->error), "%s", v->error);
	} else if (r->it.is_refund) {
		failed = refund_apply_txn(ctx, &r->it.refund, &ro) ==
		    REFUND_FAILED;
		r->outcome = refund_result_name(ro.result);
		error = ro.error;
	} else {
		failed = award_apply_txn(ctx, &r->it.award, &ao) ==
		    AWARD_FAILED;
		r->award = ao.result;
		r->outcome = award_result_name(ao.result);
		error = ao.error;
	}
	/* The code of the statement that failed, if one did. */
	if (failed && !r->it.bad)
		dbrc = sqlite3_extended_errcode(ctx->db);
	if (sqlite3_get_autocommit(ctx->db)) {
		snprintf(stop, stopsz, "row %lld: %.180s", (long long)r->it.id,
		    error != NULL ? error : sqlite3_errmsg(ctx->db));
		return -1;
	}
	if (failed && (exec_rc(ctx, "ROLLBACK TO row") != SQLITE_OK ||
	    sqlite3_get_autocommit(ctx->db))) {
		snprintf(stop, stopsz, "rollback: %s", sqlite3_errmsg(ctx->db));
		return -1;
	}
	if (failed && db_is_outage(dbrc)) {
		snprintf(stop, stopsz, "row %lld: %.160s (outage: the run stops, "
		    "the attempt is not counted)", (long long)r->it.id, error);
		return 1;
	}
	r->failed = failed;
	if (failed) {
		snprintf(r->error, sizeof(r->error), "%s", error);
		enum retryq_mark_result mr;

		if ((mr = retryq_mark_failed(ctx, r->it.id, error)) ==
		    RETRYQ_MARK_ERROR)
			goto queue;
		r->dead = mr == RETRYQ_NOW_DEAD;
	} else if (!db_same_file(ctx->db))
		r->done_later = 1;	/* mark_done_later() */
	else if (retryq_mark_done(ctx, r->it.id, r->outcome) == -1)
		goto queue;
	return 0;
queue:
	snprintf(stop, stopsz, "cannot update failed_awards: %s",
	    sqlite3_errmsg(ctx->db));
	return -1;
}

/*
 * With two files, the rows of rows[0..n) that ran are marked done only
 * now, once their group's COMMIT returned, in a transaction of the
 * service database alone. SQLite's WAL gives no atomic commit across
 * files: the service database commits first, and a done row committed
 * with a group whose bot half was then lost (a full disk, an I/O error,
 * power) would never be run again, its tickets never written. Marked
 * here, such a row stays pending instead, and the next run finds its
 * work: duplicate for an award whose rows are in, its rows for one whose
 * rows are not, the reversal repaired for a refund (refund.c). 0, or -1
 * with why in stop (the rows stay pending).
 */
static int
mark_done_later(struct award_ctx *ctx, const struct row *rows, int n,
    char *stop, size_t stopsz)
{
	int k, rc;

	for (k = 0; k < n && !rows[k].done_later; k++)
		;
	if (k == n)
		return 0;
	/* Deferred: its first write locks the service database alone. */
	if ((rc = db_begin(ctx->db)) != SQLITE_OK) {
		snprintf(stop, stopsz, "begin: %s (outage: the run stops; "
		    "the group's rows stay pending)", sqlite3_errstr(rc));
		return -1;
	}
	for (; k < n; k++)
		if (rows[k].done_later &&
		    retryq_mark_done(ctx, rows[k].it.id, rows[k].outcome) == -1)
			break;
	if (k < n || db_commit(ctx->db) != SQLITE_OK) {
		snprintf(stop, stopsz, "marking done: %s (outage: the run "
		    "stops; the group's rows stay pending)",
		    sqlite3_errmsg(ctx->db));
		db_rollback(ctx->db);
		return -1;
	}
	return 0;
}

/*
 * Verify the rows ids[from..*to) that need it, before their group's
 * transaction begins, into v (at most JOB_GROUP_MAX, *nv of them). When
 * the API cannot be reached at a row, *to is cut to that row (the rows
 * before it still run) and the reason is written to stop: the run ends
 * after that group, as an outage (SPEC.md §6, §11). Returns 0, or -1 when
 * the queue cannot be read (why in stop).
 */
static int
prefetch(struct award_ctx *ctx, struct yk_client *yk, const int64_t *ids,
    int from, int *to, struct checked *v, int *nv, char *stop, size_t stopsz)
{
	struct retryq_item	 it;
	int			 rc, verify;

	*nv = 0;
	for (int k = from; k < *to; k++) {
		if ((rc = retryq_load(ctx, ids[k], &it)) == -1) {
			snprintf(stop, stopsz, "cannot read failed_awards: %s",
			    sqlite3_errmsg(ctx->db));
			return -1;
		}
		verify = it.is_refund ? it.refund.verify : it.award.verify;
		if (rc == 0 || it.bad || !verify)
			continue;
		struct checked *c = &v[(*nv)++];

		memset(c, 0, sizeof(*c));
		c->id = ids[k];
		if (yk == NULL) {
			c->no_api = 1;
			continue;
		}
		c->r = it.is_refund ? verify_refund(yk, it.refund.refund_id,
		    ctx->cfg->accept_test_payments, &c->refund, c->error,
		    sizeof(c->error)) : verify_payment(yk,
		    it.award.payment_id, ctx->cfg->accept_test_payments,
		    &c->award, c->error, sizeof(c->error));
		if (c->r == VERIFY_UNAVAILABLE) {
			snprintf(stop, stopsz, "api_unavailable: row %lld: "
			    "%.160s (the run stops, the attempt is not "
			    "counted)", (long long)ids[k], c->error);
			(*nv)--;
			*to = k;
			return 0;
		}
	}
	return 0;
}

static const struct checked *
checked_find(const struct checked *v, int nv, int64_t id)
{
	for (int k = 0; k < nv; k++)
		if (v[k].id == id)
			return &v[k];
	return NULL;
}

int
job_retry_run(struct award_ctx *ctx, int force, int limit,
    struct retry_run *run)
{
	return job_retry_run_verified(ctx, NULL, force, limit, run);
}

int
job_retry_run_verified(struct award_ctx *ctx, struct yk_client *yk,
    int force, int limit, struct retry_run *run)
{
	struct row	*rows = NULL;
	struct checked	*checks = NULL;
	char		 api_stop[AWARD_ERR_MAX] = "";
	int64_t		*ids = NULL, t0 = atime_now_ms();
	int		 n = 0, i = 0, g, rc, loaded, end, nv = 0;

	memset(run, 0, sizeof(*run));
	run->started_ms = award_ctx_now(ctx);
	run->forced = force;
	if ((rows = calloc(JOB_GROUP_MAX, sizeof(*rows))) == NULL ||
	    (checks = calloc(JOB_GROUP_MAX, sizeof(*checks))) == NULL) {
		snprintf(run->stopped, sizeof(run->stopped), "out of memory");
		goto out;
	}
	if (retryq_take_due(ctx, force, limit, run->started_ms, &ids,
	    &n) == -1) {
		snprintf(run->stopped, sizeof(run->stopped), "cannot read "
		    "failed_awards: %s", sqlite3_errmsg(ctx->db));
		goto out;
	}
	while (i < n && run->stopped[0] == '\0') {
		end = n - i > JOB_GROUP_MAX ? i + JOB_GROUP_MAX : n;
		if (prefetch(ctx, yk, ids, i, &end, checks, &nv,
		    api_stop, sizeof(api_stop)) == -1) {
			snprintf(run->stopped, sizeof(run->stopped), "%s",
			    api_stop);
			break;
		}
		if ((rc = db_begin_immediate(ctx->db)) != SQLITE_OK) {
			snprintf(run->stopped, sizeof(run->stopped), "begin: "
			    "%s (outage: the run stops, no attempt counted)",
			    sqlite3_errstr(rc));
			break;
		}
		for (g = 0; i < end; i++) {
			struct row *r = &rows[g];

			memset(r, 0, sizeof(*r));
			if (exec_rc(ctx, "SAVEPOINT row") != SQLITE_OK) {
				snprintf(run->stopped, sizeof(run->stopped),
				    "savepoint: %s", sqlite3_errmsg(ctx->db));
				goto abort;
			}
			if ((rc = retryq_load(ctx, ids[i], &r->it)) ==
			    RETRYQ_LOAD_ERROR) {
				snprintf(run->stopped, sizeof(run->stopped),
				    "cannot read failed_awards: %s",
				    sqlite3_errmsg(ctx->db));
				goto abort;
			}
			/* GONE: no longer pending (an admin, another path) */
			loaded = rc == RETRYQ_LOADED;
			if (loaded && (rc = retry_row(ctx, r,
			    checked_find(checks, nv, ids[i]), run->stopped,
			    sizeof(run->stopped))) == -1)
				goto abort;
			if (exec_rc(ctx, "RELEASE row") != SQLITE_OK) {
				snprintf(run->stopped, sizeof(run->stopped),
				    "release: %s", sqlite3_errmsg(ctx->db));
				goto abort;
			}
			if (loaded == 1 && rc == 1)
				break;	/* an outage at this row: it stays */
			if (loaded == 1 && rc != 2)
				g++;
		}
		if (db_commit(ctx->db) != SQLITE_OK) {
			snprintf(run->stopped, sizeof(run->stopped), "commit: %s "
			    "(outage: the run stops, this group is not counted)",
			    sqlite3_errmsg(ctx->db));
			goto abort;
		}
		if (mark_done_later(ctx, rows, g, run->stopped,
		    sizeof(run->stopped)) == -1)
			break;
		for (int k = 0; k < g; k++) {
			row_count(&rows[k], run);
			row_log(&rows[k]);
		}
		if (api_stop[0] != '\0' && run->stopped[0] == '\0')
			snprintf(run->stopped, sizeof(run->stopped), "%s",
			    api_stop);
	}
	goto out;
abort:
	db_rollback(ctx->db);
out:
	free(ids);
	free(rows);
	free(checks);
	run->duration_ms = atime_now_ms() - t0;
	rc = run->stopped[0] == '\0' ? 0 : -1;
	for (int tries = 1; retryq_record_run(ctx, run) == -1; tries++) {
		if (tries < DB_RECORD_TRIES &&
		    db_is_locked(sqlite3_errcode(ctx->db)))
			continue;
		log_msg(LOG_ERROR, "cannot record retry_runs",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		if (run->stopped[0] == '\0')
			snprintf(run->stopped, sizeof(run->stopped), "record: "
			    "%s", sqlite3_errmsg(ctx->db));
		rc = -1;
		break;
	}
	log_msg(rc == 0 ? LOG_INFO : LOG_ERROR, "retry run",
	    LF_INT("picked", run->picked), LF_INT("awarded", run->awarded),
	    LF_INT("duplicate", run->duplicate),
	    LF_INT("not_eligible", run->not_eligible),
	    LF_INT("refunds", run->refunds),
	    LF_INT("not_confirmed", run->not_confirmed),
	    LF_INT("failed", run->failed),
	    LF_INT("dead", run->dead), LF_INT("forced", force),
	    LF_INT("duration_ms", run->duration_ms),
	    LF_STR("stopped", run->stopped[0] ? run->stopped : NULL), LF_END);
	return rc;
}
