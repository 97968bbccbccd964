/*
 * Running jobs through the award rules and saving their failures (job.h).
 * The group runner is the responder's group commit (SPEC.md §2): many
 * requests share one BEGIN IMMEDIATE ... COMMIT, so one fsync serves them
 * all, while each job's outcome stays its own: a job whose rules fail is
 * undone alone, in a savepoint of its own, and its failure saved. Those
 * savepoints cost a fifth of an award (38 000 instructions, callgrind), and
 * nearly every job succeeds, so a group first runs without them; when a
 * job fails it is rolled back whole and run again with them, and groups
 * keep them until one passes with no job failing. Nothing is answered
 * until the COMMIT that holds it has returned SQLITE_OK.
 * Not here: the retry run over failed_awards (retryrun.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atime.h"
#include "db.h"
#include "job.h"
#include "log.h"

/* The monotonic clock in seconds, for a group's timing. */
static double
mono_s(void)
{
	return (double)atime_mono_ns() / 1e9;
}

/*
 * A job's savepoint within a careful group (job_run_group). Prepared once:
 * parsing them for every job (sqlite3_exec) cost 9 500 instructions per
 * award more (callgrind, bench_award group FULL 3000 16).
 */
enum jb_stmt {
	JB_SAVEPOINT,
	JB_ROLLBACK_TO,
	JB_RELEASE,
	JB_LOCK_SERVICE,
	JB__MAX
};

static const char *const jb_sql[JB__MAX] = {
	"SAVEPOINT job",
	"ROLLBACK TO job",
	"RELEASE job",
	/*
	 * The service database's write lock alone, as a transaction's first
	 * step (a write that changes nothing still takes it). A transaction
	 * that reads first and then writes is refused at once, without the
	 * busy wait, when another connection holds that lock meanwhile: as
	 * another worker's group does while it waits for a locked bot file.
	 */
	"UPDATE main.award_meta SET value = value WHERE 0",
};

const struct award_part job_part = AWARD_PART(jb_sql, JB__MAX, jb);

/* Run one of the statements above: SQLITE_OK or an error code. */
static int
savepoint(struct award_ctx *ctx, enum jb_stmt which)
{
	int rc = db_step_done(ctx->jb[which]);

	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static const char *const outcome_names[JOB_OUTCOME__MAX] = {
	NULL, "queued", "unavailable",
};

const char *
job_outcome_name(enum job_outcome outcome, const char *done)
{
	if (outcome == JOB_DONE)
		return done;
	return outcome < JOB_OUTCOME__MAX ? outcome_names[outcome] : "unknown";
}

/*
 * Set j's outcome; one other than DONE leaves the rules' result FAILED
 * (job.h), whatever they had filled in or not.
 */
static void
set_outcome(struct job *j, enum job_outcome outcome)
{
	j->outcome = outcome;
	if (outcome == JOB_DONE)
		return;
	if (j->kind == JOB_REFUND)
		j->rout.result = REFUND_FAILED;
	else
		j->aout.result = AWARD_FAILED;
}

/* The log's outcome of an admin action on a row (JOB_REQUEUE, JOB_ACK). */
static const char *
row_action_word(const struct job *j)
{
	static const char *const words[2][RETRYQ_ERROR + 1] = {
		{ "requeued", "not_found", "is_done", "error" },
		{ "acknowledged", "not_found", "not_dead", "error" },
	};

	return j->requeue <= RETRYQ_ERROR ?
	    words[j->kind == JOB_ACK][j->requeue] : "error";
}

static void
job_log(const struct job *j)
{
	enum log_level lvl;

	lvl = j->outcome == JOB_UNAVAILABLE ? LOG_ERROR :
	    j->outcome == JOB_QUEUED ? LOG_WARN : LOG_INFO;
	switch (j->kind) {
	case JOB_AWARD:
		log_msg(lvl, "award",
		    LF_STR("request_id", j->request_id),
		    LF_STR("order_id", j->award.order_id),
		    LF_INT("tg_id", j->award.telegram_id),
		    LF_STR("plan_id", j->award.plan_id),
		    LF_STR("payment_id", j->award.payment_id),
		    LF_STR("outcome", job_outcome_name(j->outcome,
		    award_result_name(j->aout.result))),
		    LF_STR("reason", j->aout.reason),
		    LF_STR("contest_id", j->aout.contest_id),
		    LF_INT("tickets", j->aout.tickets),
		    LF_INT("referrer_id", j->aout.referrer_id),
		    LF_INT("referrer_tickets", j->aout.referrer_tickets),
		    LF_STR("error", j->aout.error[0] ? j->aout.error : NULL),
		    LF_END);
		break;
	case JOB_REFUND:
		log_msg(lvl, "refund",
		    LF_STR("request_id", j->request_id),
		    LF_STR("refund_id", j->refund.refund_id),
		    LF_STR("payment_id", j->refund.payment_id),
		    LF_STR("order_id", j->rout.order_id[0] ?
		    j->rout.order_id : NULL),
		    LF_INT("amount_minor", j->refund.amount_minor),
		    LF_STR("outcome", job_outcome_name(j->outcome,
		    refund_result_name(j->rout.result))),
		    LF_INT("reversed_rows", j->rout.reversed_rows),
		    LF_STR("error", j->rout.error[0] ? j->rout.error : NULL),
		    LF_END);
		break;
	default:
		log_msg(j->requeue == RETRYQ_ERROR ? LOG_ERROR : LOG_INFO,
		    j->kind == JOB_ACK ? "failed award ack by admin" :
		    "failed award requeue by admin",
		    LF_STR("request_id", j->request_id),
		    LF_INT("id", j->requeue_id),
		    LF_STR("by", j->actor != NULL ? j->actor : "token"),
		    LF_STR("outcome", row_action_word(j)), LF_END);
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
		return retryq_save_refund(ctx, &j->refund, j->rout.error,
		    j->outage);
	/* An unconfirmed notification's payment is not recorded: hints only. */
	if (!j->award.verify && award_record_payment(ctx, &j->award) == -1)
		return -1;
	return retryq_save_award(ctx, &j->award, j->aout.error, j->outage);
}

/*
 * Save j's failure in a transaction of its own whose first statement
 * writes the service database, so a locked bot database is never waited
 * for (SPEC.md §4, last paragraph). Sets the outcome: QUEUED, or
 * UNAVAILABLE when nothing could be saved.
 */
static void
save_failure_alone(struct award_ctx *ctx, struct job *j)
{
	int ok = 0;

	if (db_begin(ctx->db) == SQLITE_OK &&
	    savepoint(ctx, JB_LOCK_SERVICE) == SQLITE_OK &&
	    save_failure(ctx, j) == 0 && db_commit(ctx->db) == SQLITE_OK)
		ok = 1;
	else {
		log_msg(LOG_ERROR, "cannot save to failed_awards",
		    LF_STR("request_id", j->request_id),
		    LF_INT("code", sqlite3_extended_errcode(ctx->db)),
		    LF_STR("error", sqlite3_errmsg(ctx->db)), LF_END);
		db_rollback(ctx->db);
	}
	set_outcome(j, ok ? JOB_QUEUED : JOB_UNAVAILABLE);
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
	j->outcome = JOB_DONE;
	if (unverified(j)) {
		/* The API could not be reached: not the row's fault (§11). */
		j->outage = 1;
		save_failure_alone(ctx, j);
		job_log(j);
		return;
	}
	/* The code the failure met, kept before the apply's rollback. */
	switch (j->kind) {
	case JOB_AWARD:
		if (award_apply(ctx, &j->award, &j->aout) == AWARD_FAILED) {
			j->outage = db_is_outage(j->aout.dbrc);
			save_failure_alone(ctx, j);
		}
		break;
	case JOB_REFUND:
		if (refund_apply(ctx, &j->refund, &j->rout) ==
		    REFUND_FAILED) {
			j->outage = db_is_outage(j->rout.dbrc);
			save_failure_alone(ctx, j);
		}
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

enum job_outcome
job_award(struct award_ctx *ctx, const struct award_req *req,
    const char *request_id, struct award_out *out)
{
	struct job j = { .kind = JOB_AWARD, .request_id = request_id,
	    .award = *req };

	job_run(ctx, &j);
	*out = j.aout;
	return j.outcome;
}

enum job_outcome
job_refund(struct award_ctx *ctx, const struct refund_req *req,
    const char *request_id, struct refund_out *out)
{
	struct job j = { .kind = JOB_REFUND, .request_id = request_id,
	    .refund = *req };

	job_run(ctx, &j);
	*out = j.rout;
	return j.outcome;
}

int
job_queue_award(struct award_ctx *ctx, const struct award_req *req,
    const char *error)
{
	struct job j = { .kind = JOB_AWARD, .award = *req };

	snprintf(j.aout.error, sizeof(j.aout.error), "%s", error);
	save_failure_alone(ctx, &j);
	return j.outcome == JOB_QUEUED ? 0 : -1;
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
 * One job of a group. Careful: in a savepoint of its own, so that a job
 * whose rules fail is undone alone and its failure saved instead; returns
 * 0 when the group may go on (the job's outcome is in the transaction, or
 * it is marked to run alone after the COMMIT), -1 when the transaction is
 * gone or unusable. Not careful: no savepoint; returns 1 when the job
 * failed, and the group must be run again carefully.
 */
static int
group_step(struct award_ctx *ctx, struct job *j, int careful)
{
	int failed = 0;

	j->alone = 0;
	j->outage = 0;
	j->outcome = JOB_DONE;
	if (!careful)
		return unverified(j) || apply_in_txn(ctx, j);
	if (savepoint(ctx, JB_SAVEPOINT) != SQLITE_OK)
		return -1;
	if (unverified(j))
		failed = j->outage = 1;	/* the API, not the row (§11) */
	else if (apply_in_txn(ctx, j)) {
		/* The failed statement's code, before the rollback. */
		j->outage = db_is_outage(sqlite3_extended_errcode(ctx->db));
		failed = 1;
	}
	if (failed) {
		if (sqlite3_get_autocommit(ctx->db) ||
		    savepoint(ctx, JB_ROLLBACK_TO) != SQLITE_OK)
			return -1;
		if (j->kind == JOB_REQUEUE || j->kind == JOB_ACK ||
		    save_failure(ctx, j) == -1) {
			if (sqlite3_get_autocommit(ctx->db) ||
			    savepoint(ctx, JB_ROLLBACK_TO) != SQLITE_OK)
				return -1;
			j->alone = 1;
		} else
			set_outcome(j, JOB_QUEUED);
	}
	if (sqlite3_get_autocommit(ctx->db) ||
	    savepoint(ctx, JB_RELEASE) != SQLITE_OK)
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
		j->outage = db_is_outage(rc);
		if (!down)
			save_failure_alone(ctx, j);
		else
			set_outcome(j, JOB_UNAVAILABLE);
		down = j->outcome == JOB_UNAVAILABLE;
		job_log(j);
	}
}

/*
 * A database file was deleted or renamed under the writer: nothing of the
 * group may be written there and answered as saved, nor saved anywhere
 * else: every job is UNAVAILABLE (503) until the service is restarted on
 * the files as they are now.
 */
static void
group_moved(struct job **jobs, size_t n, const char *file)
{
	log_msg(LOG_ERROR, "database file deleted or renamed while open; "
	    "nothing is written until award-fcgi is restarted",
	    LF_STR("path", file), LF_INT("jobs", n), LF_END);
	for (size_t i = 0; i < n; i++) {
		struct job *j = jobs[i];

		if (j->kind == JOB_REQUEUE || j->kind == JOB_ACK) {
			j->requeue = RETRYQ_ERROR;
			job_log(j);
			continue;
		}
		if (j->kind == JOB_AWARD) {
			memset(&j->aout, 0, sizeof(j->aout));
			snprintf(j->aout.error, sizeof(j->aout.error),
			    "database file deleted or renamed: %s", file);
		} else {
			memset(&j->rout, 0, sizeof(j->rout));
			snprintf(j->rout.error, sizeof(j->rout.error),
			    "database file deleted or renamed: %s", file);
		}
		set_outcome(j, JOB_UNAVAILABLE);
		job_log(j);
	}
}

void
job_run_group(struct award_ctx *ctx, struct job **jobs, size_t n,
    struct job_group_stats *st)
{
	job_run_group_more(ctx, jobs, &n, n, NULL, NULL, st);
}

void
job_run_group_more(struct award_ctx *ctx, struct job **jobs, size_t *np,
    size_t max, job_more_fn more, void *arg, struct job_group_stats *st)
{
	struct job_group_stats	 dummy;
	double			 t0 = mono_s();
	const char		*moved;
	size_t			 i, n = *np;
	int			 rc, careful;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	st->jobs = n;
	careful = ctx->careful;
	if ((moved = db_moved(ctx->db)) != NULL) {
		group_moved(jobs, n, moved);
		st->fallback = n;
		st->seconds = mono_s() - t0;
		return;
	}
again:
	if ((rc = db_begin_immediate(ctx->db)) != SQLITE_OK) {
		group_cannot_begin(ctx, jobs, n, rc);
		st->fallback = n;
		st->seconds = mono_s() - t0;
		return;
	}
	for (i = 0; ; i++) {
		if (i == n) {
			size_t k;

			if (more == NULL || n >= max ||
			    (k = more(arg, jobs + n, max - n)) == 0)
				break;
			*np = n += k;
			st->jobs = n;
		}
		if ((rc = group_step(ctx, jobs[i], careful)) == -1)
			goto abort;
		if (rc == 1) {
			/* No savepoint undoes that job alone: all again. */
			log_msg(LOG_DEBUG, "group runs again with a savepoint "
			    "per job", LF_INT("jobs", n), LF_INT("at", i),
			    LF_END);
			db_rollback(ctx->db);
			careful = 1;
			goto again;
		}
	}
	if (db_commit(ctx->db) != SQLITE_OK)
		goto abort;
	st->committed = 1;
	st->seconds = mono_s() - t0;
	/* Careful while jobs fail; without savepoints once none did. */
	ctx->careful = 0;
	for (i = 0; i < n; i++)
		if (jobs[i]->alone || jobs[i]->outcome != JOB_DONE)
			ctx->careful = 1;
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
	ctx->careful = 1;
	st->seconds = mono_s() - t0;
	st->fallback = n;
	for (i = 0; i < n; i++)
		job_run(ctx, jobs[i]);
}
