/*
 * Running jobs through the award rules and saving their failures (job.h).
 * The group runner is the responder's group commit (SPEC.md §2): many
 * requests share one BEGIN IMMEDIATE ... COMMIT, so one fsync serves them
 * all, while a savepoint per job keeps each job's outcome its own. Nothing
 * is answered until the COMMIT that holds it has returned SQLITE_OK.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atime.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "verify.h"

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
exec_rc(struct award_ctx *ctx, const char *sql)
{
	return sqlite3_exec(ctx->db, sql, NULL, NULL, NULL);
}

/*
 * A database that cannot be used just now (SPEC.md §6: busy, locked, I/O;
 * also full, unopenable, out of memory): not the fault of the row at hand.
 */
static int
is_outage(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CANTOPEN:
	case SQLITE_NOMEM:
	case SQLITE_PROTOCOL:
		return 1;
	default:
		return 0;
	}
}

static void
job_log(const struct job *j)
{
	enum log_level lvl;

	switch (j->kind) {
	case JOB_AWARD:
		lvl = j->aout.result == AWARD_UNAVAILABLE ? LOG_ERROR :
		    j->aout.result == AWARD_QUEUED ? LOG_WARN : LOG_INFO;
		log_msg(lvl, "award",
		    LF_STR("request_id", j->request_id),
		    LF_STR("order_id", j->award.order_id),
		    LF_INT("tg_id", j->award.telegram_id),
		    LF_STR("plan_id", j->award.plan_id),
		    LF_STR("payment_id", j->award.payment_id),
		    LF_STR("outcome", award_result_name(j->aout.result)),
		    LF_STR("reason", j->aout.reason),
		    LF_STR("contest_id", j->aout.contest_id),
		    LF_INT("tickets", j->aout.tickets),
		    LF_INT("referrer_id", j->aout.referrer_id),
		    LF_INT("referrer_tickets", j->aout.referrer_tickets),
		    LF_STR("error", j->aout.error[0] ? j->aout.error : NULL),
		    LF_END);
		break;
	case JOB_REFUND:
		lvl = j->rout.result == REFUND_UNAVAILABLE ? LOG_ERROR :
		    j->rout.result == REFUND_QUEUED ? LOG_WARN : LOG_INFO;
		log_msg(lvl, "refund",
		    LF_STR("request_id", j->request_id),
		    LF_STR("refund_id", j->refund.refund_id),
		    LF_STR("payment_id", j->refund.payment_id),
		    LF_STR("order_id", j->rout.order_id[0] ?
		    j->rout.order_id : NULL),
		    LF_INT("amount_minor", j->refund.amount_minor),
		    LF_STR("outcome", refund_result_name(j->rout.result)),
		    LF_INT("reversed_rows", j->rout.reversed_rows),
		    LF_STR("error", j->rout.error[0] ? j->rout.error : NULL),
		    LF_END);
		break;
	case JOB_ACK:
		log_msg(j->requeue == RETRYQ_ERROR ? LOG_ERROR : LOG_INFO,
		    "failed award acknowledged by admin",
		    LF_STR("request_id", j->request_id),
		    LF_INT("id", j->requeue_id),
		    LF_STR("by", j->actor != NULL ? j->actor : "token"),
		    LF_STR("outcome", j->requeue == RETRYQ_REQUEUED ?
		    "acknowledged" : j->requeue == RETRYQ_NOT_FOUND ?
		    "not_found" : j->requeue == RETRYQ_IS_DONE ? "not_dead" :
		    "error"), LF_END);
		break;
	default:
		log_msg(j->requeue == RETRYQ_ERROR ? LOG_ERROR : LOG_INFO,
		    "failed award requeue by admin",
		    LF_STR("request_id", j->request_id),
		    LF_INT("id", j->requeue_id),
		    LF_STR("by", j->actor != NULL ? j->actor : "token"),
		    LF_STR("outcome", j->requeue == RETRYQ_REQUEUED ?
		    "requeued" : j->requeue == RETRYQ_NOT_FOUND ?
		    "not_found" : j->requeue == RETRYQ_IS_DONE ? "is_done" :
		    "error"), LF_END);
		break;
	}
}

/*
 * Save j's failure inside the current transaction: for an award, the
 * payments row too, so that a refund can still find the payment. 0 or -1.
 */
static int
save_failure(struct award_ctx *ctx, struct job *j)
{
	if (j->kind == JOB_REFUND)
		return retryq_save_refund(ctx, &j->refund, j->rout.error);
	/* An unconfirmed notification's payment is not recorded: hints only. */
	if (!j->award.verify && award_record_payment(ctx, &j->award) == -1)
		return -1;
	return retryq_save_award(ctx, &j->award, j->aout.error);
}

/*
 * Save j's failure in a transaction of its own whose first statement
 * writes the service database, so a locked bot database is never waited
 * for (SPEC.md §4, last paragraph). Sets the result: QUEUED, or
 * UNAVAILABLE when nothing could be saved.
 */
static void
save_failure_alone(struct award_ctx *ctx, struct job *j)
{
	int ok = 0;

	if (db_begin(ctx->db) == SQLITE_OK && save_failure(ctx, j) == 0 &&
	    db_commit(ctx->db) == SQLITE_OK)
		ok = 1;
	else {
		log_msg(LOG_ERROR, "cannot save to failed_awards",
		    LF_STR("request_id", j->request_id),
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		db_rollback(ctx->db);
	}
	if (j->kind == JOB_REFUND)
		j->rout.result = ok ? REFUND_QUEUED : REFUND_UNAVAILABLE;
	else
		j->aout.result = ok ? AWARD_QUEUED : AWARD_UNAVAILABLE;
}

/*
 * A job the API has not confirmed (SPEC.md §11): not applied, only saved
 * for the retry run to verify. 1 when j is one (its error text set).
 */
static int
unverified(struct job *j)
{
	if (j->kind == JOB_AWARD && j->award.verify) {
		snprintf(j->aout.error, sizeof(j->aout.error), "%s",
		    JOB_UNVERIFIED_ERROR);
		return 1;
	}
	if (j->kind == JOB_REFUND && j->refund.verify) {
		snprintf(j->rout.error, sizeof(j->rout.error), "%s",
		    JOB_UNVERIFIED_ERROR);
		return 1;
	}
	return 0;
}

/* One job alone (job.h, job_award()); logs the outcome. */
static void
job_run(struct award_ctx *ctx, struct job *j)
{
	if (unverified(j)) {
		save_failure_alone(ctx, j);
		job_log(j);
		return;
	}
	switch (j->kind) {
	case JOB_AWARD:
		if (award_apply(ctx, &j->award, &j->aout) == AWARD_FAILED)
			save_failure_alone(ctx, j);
		break;
	case JOB_REFUND:
		if (refund_apply(ctx, &j->refund, &j->rout) == REFUND_FAILED)
			save_failure_alone(ctx, j);
		break;
	case JOB_ACK:
		j->requeue = retryq_ack(ctx, j->requeue_id, j->actor);
		break;
	default:
		j->requeue = retryq_requeue(ctx, j->requeue_id, j->actor);
		break;
	}
	job_log(j);
}

enum award_result
job_award(struct award_ctx *ctx, const struct award_req *req,
    const char *request_id, struct award_out *out)
{
	struct job j = { .kind = JOB_AWARD, .request_id = request_id,
	    .award = *req };

	job_run(ctx, &j);
	*out = j.aout;
	return out->result;
}

enum refund_result
job_refund(struct award_ctx *ctx, const struct refund_req *req,
    const char *request_id, struct refund_out *out)
{
	struct job j = { .kind = JOB_REFUND, .request_id = request_id,
	    .refund = *req };

	job_run(ctx, &j);
	*out = j.rout;
	return out->result;
}

int
job_queue_award(struct award_ctx *ctx, const struct award_req *req,
    const char *error)
{
	struct job j = { .kind = JOB_AWARD, .award = *req };

	snprintf(j.aout.error, sizeof(j.aout.error), "%s", error);
	save_failure_alone(ctx, &j);
	return j.aout.result == AWARD_QUEUED ? 0 : -1;
}

/* The rules of j inside the open transaction; 1 when they failed. */
static int
apply_in_txn(struct award_ctx *ctx, struct job *j)
{
	switch (j->kind) {
	case JOB_AWARD:
		return award_apply_txn(ctx, &j->award, &j->aout) ==
		    AWARD_FAILED;
	case JOB_REFUND:
		return refund_apply_txn(ctx, &j->refund, &j->rout) ==
		    REFUND_FAILED;
	case JOB_ACK:
		j->requeue = retryq_ack(ctx, j->requeue_id, j->actor);
		return j->requeue == RETRYQ_ERROR;
	default:
		j->requeue = retryq_requeue(ctx, j->requeue_id, j->actor);
		return j->requeue == RETRYQ_ERROR;
	}
}

/*
 * One job of a group, in its savepoint. Returns 0 when the group may go
 * on (the job's outcome is in the transaction, or it is marked to run
 * alone after the COMMIT), -1 when the transaction is gone or unusable.
 */
static int
group_step(struct award_ctx *ctx, struct job *j)
{
	j->alone = 0;
	if (exec_rc(ctx, "SAVEPOINT job") != SQLITE_OK)
		return -1;
	if (unverified(j) || apply_in_txn(ctx, j)) {
		if (sqlite3_get_autocommit(ctx->db) ||
		    exec_rc(ctx, "ROLLBACK TO job") != SQLITE_OK)
			return -1;
		if (j->kind == JOB_REQUEUE || j->kind == JOB_ACK ||
		    save_failure(ctx, j) == -1) {
			if (sqlite3_get_autocommit(ctx->db) ||
			    exec_rc(ctx, "ROLLBACK TO job") != SQLITE_OK)
				return -1;
			j->alone = 1;
		} else if (j->kind == JOB_REFUND)
			j->rout.result = REFUND_QUEUED;
		else
			j->aout.result = AWARD_QUEUED;
	}
	if (sqlite3_get_autocommit(ctx->db) ||
	    exec_rc(ctx, "RELEASE job") != SQLITE_OK)
		return -1;
	return 0;
}

/*
 * BEGIN IMMEDIATE waited the busy timeout and failed: the rules are not to
 * be run now. Each job's failure is saved alone in the service database
 * (a locked bot database still answers "queued"); once that fails too
 * (one file, locked), the service database cannot take anything, and the
 * rest are unavailable at once instead of each waiting the timeout again.
 */
static void
group_cannot_begin(struct award_ctx *ctx, struct job **jobs, size_t n, int rc)
{
	int down = 0;

	log_msg(LOG_WARN, "group cannot begin; saving its jobs alone",
	    LF_INT("jobs", n), LF_STR("error", sqlite3_errstr(rc)), LF_END);
	for (size_t i = 0; i < n; i++) {
		struct job *j = jobs[i];

		if (j->kind == JOB_REQUEUE || j->kind == JOB_ACK) {
			if (down) {
				j->requeue = RETRYQ_ERROR;
				job_log(j);
			} else
				job_run(ctx, j);
			down = j->requeue == RETRYQ_ERROR;
			continue;
		}
		if (j->kind == JOB_AWARD) {
			memset(&j->aout, 0, sizeof(j->aout));
			snprintf(j->aout.error, sizeof(j->aout.error),
			    "begin: %s", sqlite3_errstr(rc));
		} else {
			memset(&j->rout, 0, sizeof(j->rout));
			snprintf(j->rout.error, sizeof(j->rout.error),
			    "begin: %s", sqlite3_errstr(rc));
		}
		if (!down)
			save_failure_alone(ctx, j);
		else if (j->kind == JOB_AWARD)
			j->aout.result = AWARD_UNAVAILABLE;
		else
			j->rout.result = REFUND_UNAVAILABLE;
		down = j->kind == JOB_AWARD ?
		    j->aout.result == AWARD_UNAVAILABLE :
		    j->rout.result == REFUND_UNAVAILABLE;
		job_log(j);
	}
}

void
job_run_group(struct award_ctx *ctx, struct job **jobs, size_t n,
    struct job_group_stats *st)
{
	struct job_group_stats	 dummy;
	double			 t0 = mono_s();
	size_t			 i;
	int			 rc;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	st->jobs = n;
	if ((rc = db_begin_immediate(ctx->db)) != SQLITE_OK) {
		group_cannot_begin(ctx, jobs, n, rc);
		st->fallback = n;
		st->seconds = mono_s() - t0;
		return;
	}
	for (i = 0; i < n; i++)
		if (group_step(ctx, jobs[i]) == -1)
			goto abort;
	if (db_commit(ctx->db) != SQLITE_OK)
		goto abort;
	st->committed = 1;
	st->seconds = mono_s() - t0;
	for (i = 0; i < n; i++) {
		if (jobs[i]->alone) {
			st->fallback++;
			job_run(ctx, jobs[i]);
		} else
			job_log(jobs[i]);
	}
	return;
abort:
	/* Nothing of this group may be answered: each job again, alone. */
	log_msg(LOG_WARN, "group transaction failed; running its jobs alone",
	    LF_INT("jobs", n), LF_INT("at", i),
	    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
	db_rollback(ctx->db);
	st->seconds = mono_s() - t0;
	st->fallback = n;
	for (i = 0; i < n; i++)
		job_run(ctx, jobs[i]);
}

/* ------------------------------------------------------------ retry run */

/* One row of a retry group, kept until its group commits. */
struct row {
	struct retryq_item	 it;
	const char		*outcome;	/* static text */
	char			 error[AWARD_ERR_MAX];
	int			 failed, dead, not_confirmed;
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
	} else if (r->it.is_refund)
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
	if (failed && is_outage(dbrc)) {
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
	} else if (retryq_mark_done(ctx, r->it.id, r->outcome) == -1)
		goto queue;
	return 0;
queue:
	snprintf(stop, stopsz, "cannot update failed_awards: %s",
	    sqlite3_errmsg(ctx->db));
	return -1;
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
		    &c->refund, c->error, sizeof(c->error)) :
		    verify_payment(yk, it.award.payment_id, &c->award,
		    c->error, sizeof(c->error));
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
	if (retryq_record_run(ctx, run) == -1) {
		log_msg(LOG_ERROR, "cannot record retry_runs",
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		rc = -1;
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
