/*
 * The durable retry queue, failed_awards (SPEC.md §6): recording a failure,
 * the backoff, taking due rows, one retry run, and the admin re-queue.
 * Rows are never deleted. The one-run-at-a-time lock is here too, so the
 * cron binary stays a thin main().
 */
#ifndef AWARD_RETRYQ_H
#define AWARD_RETRYQ_H

#include <stddef.h>
#include <stdint.h>

#include "award.h"
#include "refund.h"

#define RETRYQ_BASE_MS	300000LL	/* 5 min */
#define RETRYQ_CAP_MS	21600000LL	/* 6 h */
#define RETRYQ_LIMIT_DEFAULT 1000

/*
 * Delay after the n-th failed attempt (n >= 1): 5 min x 2^(n-1), at most
 * 6 h. The SQL in retryq.c computes the same; this is its reference.
 */
int64_t	retryq_backoff_ms(int n);

/*
 * Save a failed award (or refund) in failed_awards, in a transaction that
 * touches only the service database (and, for awards, the payments row so
 * a refund can still find the payment). A new order: pending, attempts 1,
 * due in 5 min. An order already queued and pending: attempts + 1 with the
 * backoff, dead at the maximum. One that was done or dead: pending again
 * from attempt 1. Returns 0, or -1 when nothing could be saved.
 */
int	retryq_record_award(struct award_ctx *ctx, const struct award_req *req,
	    const char *error);
int	retryq_record_refund(struct award_ctx *ctx,
	    const struct refund_req *req, const char *error);

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
};

/*
 * One retry run: take the due pending rows (every pending row with force),
 * oldest due first, at most limit; run award_apply / refund_apply on each in
 * its own transaction; mark each done (outcome kept) or failed with the
 * backoff. Adds a retry_runs row. Returns 0 when the run completed
 * (whatever the awards did), -1 on a database error of the queue itself.
 */
int	retryq_run(struct award_ctx *ctx, int force, int limit,
	    struct retry_run *run);

enum retryq_requeue_result {
	RETRYQ_REQUEUED,
	RETRYQ_NOT_FOUND,
	RETRYQ_IS_DONE,
	RETRYQ_ERROR
};

/*
 * Admin: a pending or dead row back to pending, due now (its attempt count
 * is kept). Returns REQUEUED, NOT_FOUND (no such id), IS_DONE (the row is
 * done and stays so) or ERROR (database).
 */
enum retryq_requeue_result retryq_requeue(struct award_ctx *ctx, int64_t id);

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

/*
 * Prepare this module's statements on ctx->db (called once per connection
 * by award_ctx_open()): 0, or -1 with a message in err. unprepare
 * finalizes them; it is a no-op when nothing was prepared.
 */
int	retryq_prepare(struct award_ctx *ctx, char *err, size_t errsz);
void	retryq_unprepare(struct award_ctx *ctx);

#endif
