/*
 * Reconciliation as the admin views show it (SPEC.md §11 "Admin"): the
 * last award-reconcile run from reconcile_runs, the payments it ever
 * recovered (reconcile_totals, kept by a trigger, so retention of old runs
 * does not shrink it), and whether it is stale. Reads only; the stats
 * JSON block and the two metrics are built here, the dashboard's HTML in
 * fcgi/dashboard.c. Not here: running reconciliation (reconcile.c).
 */
#ifndef AWARD_RECSTATS_H
#define AWARD_RECSTATS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ctx.h"

/* No run completed (stopped NULL) for this long, configured: stale. */
#define RECSTATS_STALE_MS	(3LL * 60 * 60 * 1000)
#define RECSTATS_TEXT_MAX	256	/* times, stop reason: truncated */

struct recstats_run {
	int	 present;	/* 0: no run ever recorded */
	int64_t	 id;
	char	 started_at[RECSTATS_TEXT_MAX];
	char	 finished_at[RECSTATS_TEXT_MAX];
	char	 since[RECSTATS_TEXT_MAX];
	int64_t	 finished_ms;	/* -1: unreadable */
	int64_t	 fetched_payments, fetched_refunds, known, skipped;
	int64_t	 awarded, duplicate, not_eligible, queued, reversed, partial,
		 unknown_payment, api_requests;
	int	 stopped;	/* 1: stopped, why in stop_reason */
	char	 stop_reason[RECSTATS_TEXT_MAX];
};

struct recstats {
	int64_t			now_ms;
	int			configured;	/* shop id and key set */
	struct recstats_run	last;		/* the latest run */
	int64_t			last_ok_ms;	/* latest completed; -1 none */
	int64_t			last_run_age_s;	/* -1: none ever ran */
	int64_t			recovered_total;
	int			stale;
};

/*
 * Fill *out at the context's clock (award_ctx_now) from the service
 * database; configured from ctx->cfg. Writes nothing. Returns 0, or -1 on
 * a database error.
 */
int	recstats_read(struct award_ctx *ctx, struct recstats *out);

/*
 * SPEC.md §11 stale: configured, and no run completed with stopped NULL
 * at or after now_ms - RECSTATS_STALE_MS (last_ok_ms -1: none ever).
 */
int	recstats_stale(int configured, int64_t last_ok_ms, int64_t now_ms);

/*
 * The stats JSON's block: {"lastRun": {...} | null, "lastRunAgeSeconds":
 * N | null, "stale": bool, "recoveredTotal": N}. NULL when out of memory;
 * the caller owns the tree.
 */
cJSON	*recstats_json(const struct recstats *r);

/*
 * The Prometheus text of award_reconcile_last_run_timestamp_seconds (the
 * latest run's end; absent before any run),
 * award_reconcile_recovered_total and award_reconcile_stale (0 or 1, as
 * in the stats JSON), each with HELP and TYPE. malloc'd
 * (caller frees), NULL when out of memory.
 */
char	*recstats_prom(const struct recstats *r);

#endif
