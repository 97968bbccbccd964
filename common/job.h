/*
 * Running the award rules (award.c, refund.c) and saving what fails in the
 * retry queue (retryq.c): the one layer above both, so that neither rule
 * module knows the queue and the queue knows neither's logic. Three ways
 * in, one set of rules:
 *   job_award(), job_refund()  one job in transactions of its own (what
 *                    a group falls back to for each of its jobs);
 *   job_run_group()  many jobs in one transaction, each undone alone if
 *                    it fails, one COMMIT (the responder's writer, §2);
 *   job_retry_run()  the retry run over failed_awards, in groups too
 *                    (SPEC.md §6; retryrun.c, the rest in job.c).
 * Not here: threads and queues of waiting requests (fcgi/writer.c).
 */
#ifndef AWARD_JOB_H
#define AWARD_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "award.h"
#include "ctx.h"
#include "refund.h"
#include "retryq.h"

struct yk_client;

#define JOB_GROUP_MAX	256	/* jobs in one commit group */
/* last_error of a row saved unconfirmed (award.h's verify). */
#define JOB_UNVERIFIED_ERROR \
	"not verified: the YooKassa API could not be reached"


enum job_kind {
	JOB_AWARD,	/* webhook payment.succeeded, POST /v1/awards */
	JOB_REFUND,	/* webhook refund.succeeded */
	JOB_REQUEUE,	/* POST /v1/admin/failed-awards/{id}/retry */
	JOB_ACK,	/* POST /v1/admin/failed-awards/{id}/ack */
	JOB__MAX
};

/*
 * What the job layer did with an award or a refund (SPEC.md §3): DONE,
 * the rules ran and their result (aout.result, rout.result) is committed;
 * QUEUED, the rules failed or the job waits to be verified, and the
 * failure is committed in failed_awards instead; UNAVAILABLE, nothing
 * could be saved. The rules' result is theirs alone: it is FAILED unless
 * the outcome is DONE.
 */
enum job_outcome {
	JOB_DONE,
	JOB_QUEUED,
	JOB_UNAVAILABLE,
	JOB_OUTCOME__MAX
};

/*
 * One write. The caller fills kind, the input of that kind and
 * request_id (may be NULL); the run fills the output: outcome and, for
 * JOB_AWARD, aout (AWARDED, DUPLICATE or NOT_ELIGIBLE when DONE), for
 * JOB_REFUND, rout (REVERSED, PARTIAL, DUPLICATE or UNKNOWN_PAYMENT when
 * DONE), or requeue (JOB_REQUEUE and JOB_ACK, on row requeue_id by actor,
 * NULL meaning "token"; their outcome is always DONE). Every result is
 * durably committed before it is filled in, except UNAVAILABLE /
 * RETRYQ_ERROR, which mean nothing was saved.
 */
struct job {
	enum job_kind			 kind;
	const char			*request_id;
	struct award_req		 award;
	struct award_out		 aout;
	struct refund_req		 refund;
	struct refund_out		 rout;
	enum job_outcome		 outcome;
	int64_t				 requeue_id;
	const char			*actor;
	enum retryq_requeue_result	 requeue;
	int				 alone;	/* internal: rerun alone */
	int				 outage; /* internal: it failed on a
						  * database outage */
};

/* What one group did, for the writer's metrics. */
struct job_group_stats {
	size_t	jobs;		/* jobs in the group */
	size_t	fallback;	/* of them, run again alone */
	int	committed;	/* 1 when the group's COMMIT succeeded */
	double	seconds;	/* BEGIN to the end of COMMIT */
};

/*
 * The name of outcome as responses, logs and counters say it (SPEC.md
 * §3): done, the rules' own name (award_result_name(),
 * refund_result_name()); otherwise "queued" or "unavailable".
 */
const char *job_outcome_name(enum job_outcome outcome, const char *done);

/*
 * Run one award or refund alone: the rules in a BEGIN IMMEDIATE
 * transaction; on failure the failure saved in a transaction that writes
 * only the service database (SPEC.md §4, last paragraph), or UNAVAILABLE
 * when even that fails. Fills *out (its result valid when DONE), logs the
 * outcome and returns it.
 */
enum job_outcome job_award(struct award_ctx *ctx, const struct award_req *req,
	    const char *request_id, struct award_out *out);
enum job_outcome job_refund(struct award_ctx *ctx,
	    const struct refund_req *req, const char *request_id,
	    struct refund_out *out);

/*
 * Save a failure of req with error text in failed_awards, alone (the
 * service database only), as job_award() does when the rules fail. 0 or
 * -1.
 */
int	job_queue_award(struct award_ctx *ctx, const struct award_req *req,
	    const char *error);

/*
 * Run jobs[0..n) (n <= JOB_GROUP_MAX) in one BEGIN IMMEDIATE transaction
 * and COMMIT once. A job whose rules fail is rolled back alone, to a
 * SAVEPOINT of its own, and its failed_awards row is written in the same
 * transaction, so the others still commit. (The savepoints are taken only
 * once a job has failed: a group runs without them first, and is rolled
 * back and run again with them when one of its jobs fails; ctx remembers
 * to keep them until a group passes with no job failing.) When SQLite ends the
 * transaction itself (SQLITE_FULL, IOERR, NOMEM, BUSY: autocommit is back
 * on) or COMMIT fails, no job of the group may be answered as committed:
 * each runs again alone (as job_award() runs one); the ledger's keys make
 * that safe. When BEGIN cannot take the write lock, each job's failure is
 * saved alone in the service database (a locked bot database still
 * answers "queued"). Logs every outcome once it is final. Fills *st when
 * not NULL.
 */
void	job_run_group(struct award_ctx *ctx, struct job **jobs, size_t n,
	    struct job_group_stats *st);

/*
 * Jobs that arrived while a group ran: more(arg, jobs, max) puts up to
 * max of them at jobs[0..) and returns how many.
 */
typedef size_t (*job_more_fn)(void *arg, struct job **jobs, size_t max);

/*
 * job_run_group() on jobs[0..*n), taking in more jobs before the COMMIT:
 * once the last job ran, more() is asked for up to max - *n further jobs
 * (appended to jobs, *n grows), again until it gives none or the group
 * holds max. A job that arrives while the group's rules run then commits
 * with it instead of waiting for the next group's whole turn.
 */
void	job_run_group_more(struct award_ctx *ctx, struct job **jobs,
	    size_t *n, size_t max, job_more_fn more, void *arg,
	    struct job_group_stats *st);

/*
 * The retry run (SPEC.md §6): the due pending rows (every pending row with
 * force), oldest due first, at most limit, through the same rules, in
 * transactions of up to JOB_GROUP_MAX rows with a savepoint each. A row
 * that succeeds (awarded, duplicate, not_eligible; a refund that did not
 * fail) ends done with its outcome; one that fails is counted as an
 * attempt, with the backoff, dead at AWARD_RETRY_MAX_ATTEMPTS. A busy,
 * locked, full or I/O error on a database is an outage, not the row's
 * fault: the run stops at that row, the rows from it on are left as they
 * were (no attempt counted), and the run reports it. Adds a retry_runs
 * row with the reason. Returns 0 when the run completed, -1 on an outage
 * or a database error of the queue itself (run->stopped says why).
 */
int	job_retry_run(struct award_ctx *ctx, int force, int limit,
	    struct retry_run *run);

/*
 * job_retry_run() that also verifies (SPEC.md §11): a row saved from a
 * notification the API had not confirmed is fetched with yk before its
 * group's transaction begins and applied from the API's copy; one the API
 * does not confirm ends done with outcome "not_confirmed"; an API that
 * cannot be reached stops the run after the rows before it, no attempt
 * counted, run->stopped beginning "api_unavailable". yk NULL (the API not
 * configured): such a row fails as an attempt, saying so.
 */
int	job_retry_run_verified(struct award_ctx *ctx, struct yk_client *yk,
	    int force, int limit, struct retry_run *run);

/* This module's statements (ctx->jb), a part of roles_writer (roles.h). */
extern const struct award_part job_part;

#endif
