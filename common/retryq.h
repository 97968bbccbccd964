/*
 * The durable retry queue, failed_awards (SPEC.md §6), as storage: saving a
 * failure, the backoff, taking due rows, marking them, the admin re-queue,
 * the retry_runs record. Rows are never deleted. It runs no award rules:
 * the retry run that does is job.c's. The one-run-at-a-time lock is here
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
 * maximum. One that was done or dead: pending again from attempt 1.
 * Returns SQLITE_DONE, or the SQLite error code.
 */
int	retryq_save_award(struct award_ctx *ctx, const struct award_req *req,
	    const char *error);
int	retryq_save_refund(struct award_ctx *ctx,
	    const struct refund_req *req, const char *error);

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

/*
 * Read row id if it is still pending: 1 with *it filled, 0 when it is not
 * (an admin or another path changed it since), -1 on error.
 */
int	retryq_load(struct award_ctx *ctx, int64_t id, struct retryq_item *it);

/* Mark row id done with outcome; 0 or -1. */
int	retryq_mark_done(struct award_ctx *ctx, int64_t id,
	    const char *outcome);

/*
 * Count a failed attempt of row id with the backoff (SPEC.md §6). Returns
 * 1 when the row is now dead, 0 when still pending, -1 on error.
 */
int	retryq_mark_failed(struct award_ctx *ctx, int64_t id,
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
