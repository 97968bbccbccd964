/*
 * The durable retry queue, failed_awards (SPEC.md §6), as storage: saving a
 * failure, the backoff, taking due rows, marking them, the admin re-queue,
 * the retry_runs record. Only done rows are ever deleted, by retention
 * (retain.c); dead rows never. It runs no award rules:
 * the retry run that does is retryrun.c's. The one-run-at-a-time lock is here
 * too, so the cron binary stays a thin main().
 */
#ifndef AWARD_RETRYQ_H
#define AWARD_RETRYQ_H

#include <stddef.h>
#include <stdint.h>

#include "award.h"
#include "ctx.h"
#include "refund.h"

#define RETRYQ_BASE_MS	300000LL	/* 5 min */
#define RETRYQ_CAP_MS	21600000LL	/* 6 h */
#define RETRYQ_LIMIT_DEFAULT 1000
#define RETRYQ_LIMIT_MAX	1000000	/* award-retry --limit */

/*
 * Delay after the n-th failed attempt (n >= 1): 5 min x 2^(n-1), at most
 * 6 h. The SQL in retryq.c computes the same; this is its reference.
 */
int64_t	retryq_backoff_ms(int n);

/*
 * Save a failed award (or refund) in failed_awards inside the caller's
 * transaction; job.c decides which transaction (SPEC.md §4, last
 * paragraph). A new order: pending, attempts 1, due in 5 min. An order
 * already queued and pending: attempts + 1 with the backoff, dead at the
 * maximum; with outage (the failure was a database outage, db_is_outage:
 * not the row's fault, SPEC.md §6) its attempts stay as they are. One
 * that was done or dead: pending again from attempt 1.
 * Returns 0, or -1 (the SQLite error is the connection's: sqlite3_errcode).
 */
int	retryq_save_award(struct award_ctx *ctx, const struct award_req *req,
	    const char *error, int outage);
int	retryq_save_refund(struct award_ctx *ctx,
	    const struct refund_req *req, const char *error, int outage);

/* One queued row, copied out of its statement (retryq_load). */
struct retryq_item {
	int64_t			id;
	int			is_refund;
	int			attempts;
	int			bad;	/* stored fields fail validation */
	struct award_req	award;
	struct refund_req	refund;
};

/*
 * The ids of the due pending rows (every pending row with force), oldest
 * due first, at most limit: 8 bytes a row, and no statement stays open
 * while awards run. Returns 0 with *ids (malloc'd, caller frees; NULL
 * when *n is 0) and *n, or -1.
 */
int	retryq_take_due(struct award_ctx *ctx, int force, int limit,
	    int64_t now_ms, int64_t **ids, int *n);

/* retryq_load(); the values are fixed (callers compared with 1, 0, -1). */
enum retryq_load_result {
	RETRYQ_LOAD_ERROR = -1,
	RETRYQ_GONE = 0,	/* not pending (an admin or another path) */
	RETRYQ_LOADED = 1
};

/*
 * Read row id if it is still pending: LOADED with *it filled, GONE when it
 * is not (an admin or another path changed it since), or LOAD_ERROR.
 */
enum retryq_load_result retryq_load(struct award_ctx *ctx, int64_t id, struct retryq_item *it);

/* Mark row id done with outcome; 0 or -1. */
int	retryq_mark_done(struct award_ctx *ctx, int64_t id,
	    const char *outcome);

/* retryq_mark_failed(); fixed values, as retryq_load_result. */
enum retryq_mark_result {
	RETRYQ_MARK_ERROR = -1,
	RETRYQ_STILL_PENDING = 0,
	RETRYQ_NOW_DEAD = 1
};

/*
 * Count a failed attempt of row id with the backoff (SPEC.md §6). Returns
 * NOW_DEAD when the row reached the maximum, STILL_PENDING, or MARK_ERROR.
 */
enum retryq_mark_result retryq_mark_failed(struct award_ctx *ctx, int64_t id,
	    const char *error);

struct retry_run {
	int64_t	started_ms;
	int64_t	duration_ms;
	int	forced;
	int	picked;
	int	awarded;
	int	duplicate;
	int	not_eligible;
	int	refunds;	/* refund rows that ended done */
	int	failed;		/* failed again, still pending */
	int	dead;		/* failed and reached the maximum */
	char	stopped[AWARD_ERR_MAX];	/* "" = ran to the end */
	int	not_confirmed;	/* done: the API did not confirm (§11) */
};

/* Add the retry_runs row of run; 0 or -1. */
int	retryq_record_run(struct award_ctx *ctx, const struct retry_run *run);

/* Who did an admin action: the Basic user name, or "token" (Bearer). */
#define RETRYQ_ACTOR_MAX	64

/* The outcome of an admin action on one row (requeue, acknowledge). */
enum retryq_requeue_result {
	RETRYQ_REQUEUED,	/* done: requeued, or acknowledged */
	RETRYQ_NOT_FOUND,
	RETRYQ_IS_DONE,		/* the row's status forbids it */
	RETRYQ_ERROR
};

/*
 * Admin: a pending or dead row back to pending, due now (its attempt count
 * is kept), recording who (NULL or "": "token") and when as the last
 * requeue, and clearing an acknowledgement. Returns REQUEUED, NOT_FOUND
 * (no such id), IS_DONE (the row is done and stays so) or ERROR (database).
 */
enum retryq_requeue_result retryq_requeue(struct award_ctx *ctx, int64_t id,
	    const char *who);

/*
 * Admin: acknowledge a dead row (SPEC.md §5 .../ack): it stays dead and
 * listed, but no longer counts as dead for the alerts. The first who and
 * when are kept when it is acknowledged again. Returns REQUEUED (it is
 * acknowledged), NOT_FOUND, IS_DONE (the row is not dead: 409) or ERROR.
 * A requeue, or a new failure of its order, clears the acknowledgement.
 */
enum retryq_requeue_result retryq_ack(struct award_ctx *ctx, int64_t id,
	    const char *who);

/*
 * Take the run lock: an exclusive flock(2) on the service database file
 * itself, opened read-only, so the lock creates no file (SPEC.md §6, one
 * run at a time). The file must exist (open the database first). Returns
 * the descriptor (keep it open for the run, and close it only after this
 * process's connections to the database are closed: closing any
 * descriptor of a file drops the process's fcntl locks on it, SQLite's
 * included), -2 when another run holds it, -1 with err set on any other
 * error.
 */
int	retryq_lock(const char *db_path, char *err, size_t errsz);

/* This module's statements (ctx->rq), a part of roles_writer (roles.h). */
extern const struct award_part retryq_part;

#endif
