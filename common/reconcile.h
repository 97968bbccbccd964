/*
 * Reconciliation against YooKassa's API (SPEC.md §11): every page of
 * succeeded payments, then of succeeded refunds, since an instant; each
 * item the service never recorded is run through the webhook's own
 * validation (validate.c) and job code (job_run_group()), one commit
 * group per page, committed before the next page is fetched. The run's
 * record (reconcile_runs), its summary line and its lock are here too, so
 * that cron/reconcile.c stays a thin main().
 * Not here: HTTP (yookassa.c), the award rules (award.c, refund.c).
 */
#ifndef AWARD_RECONCILE_H
#define AWARD_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "yookassa.h"

#define RECONCILE_PAGES_MAX	100000	/* per list: a cursor loop ends here */
#define RECONCILE_SUMMARY_MAX	1024

/* Why a run stopped; the names are the summary's "stopped" values. */
enum reconcile_stop {
	RECONCILE_COMPLETED,		/* null */
	RECONCILE_API_UNAVAILABLE,	/* "api_unavailable" */
	RECONCILE_API_BAD_RESPONSE,	/* "api_bad_response" */
	RECONCILE_API_AUTH,		/* "api_auth": 401/403 */
	RECONCILE_DATABASE,		/* "database" */
	RECONCILE_STOP__MAX
};

struct reconcile_run {
	int64_t			started_ms, finished_ms, since_ms;
	int			dry_run;
	int64_t			fetched_payments, fetched_refunds;
	int64_t			known, skipped;
	int64_t			awarded, duplicate, not_eligible, queued;
	int64_t			reversed, partial, unknown_payment;
	int64_t			api_requests;
	enum reconcile_stop	stop;
	char			error[YK_ERR_MAX + 64];	/* when stopped */
};

/* NULL for RECONCILE_COMPLETED, else the summary's name of the reason. */
const char *reconcile_stop_name(enum reconcile_stop s);

/*
 * One run over yk's lists since since_ms. Payments first, then refunds;
 * page by page, each applied (one job_run_group() per page) and
 * committed before the next is fetched. A payment already in payments or
 * a refund already in refunds is known; one that fails §5's validation
 * is skipped (debug when it has no order_id at all, warn otherwise) and
 * not recorded. Every item applied is logged at warn with
 * "source":"reconcile". With dry_run, each page is judged inside a
 * transaction that is rolled back: nothing is written, the counts are
 * what would have been applied. A stop (API unavailable after retries,
 * a bad answer, refused credentials, a database outage) ends the run;
 * what was committed before stays. Fills *run; returns 0 when the run
 * completed, -1 when it stopped (run->stop, run->error say why).
 */
int	reconcile_run(struct award_ctx *ctx, struct yk_client *yk,
	    int64_t since_ms, int dry_run, struct reconcile_run *run);

/* Add run's reconcile_runs row (not for a dry run). 0 or -1. */
int	reconcile_record_run(struct award_ctx *ctx,
	    const struct reconcile_run *run);

/*
 * The one summary line of SPEC.md §11 into buf (no newline):
 * {"since","fetched":{"payments","refunds"},"known","skipped",
 * "applied":{"awarded","duplicate","not_eligible","queued","reversed",
 * "partial","unknown_payment"},"stopped"}. 0, or -1 when it does not fit.
 */
int	reconcile_summary(const struct reconcile_run *run, char *buf,
	    size_t bufsz);

/*
 * One reconciliation at a time per service database: an open file
 * description lock on a byte of db_path that SQLite never locks, apart
 * from the retry run's flock(2) (the two may run together) and released
 * when the process ends however it ends. Creates no file. Returns the
 * descriptor to keep open, -2 when another run holds it, -1 with err.
 */
int	reconcile_lock(const char *db_path, char *err, size_t errsz);

#endif
