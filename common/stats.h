/*
 * The data behind the admin and bot read views (SPEC.md §5): retry-queue
 * counts and rows, ledger totals, payments by outcome, the last retry run
 * and cron health, the leaderboard, a user's tickets and the health check.
 * Renderings that only the web needs (the dashboard page, the Prometheus
 * text) live in fcgi/; this module gives them numbers and rows. The JSON
 * answers are built here: they are the data, in the shape of SPEC.md §5
 * (stats.c reads; stats_json.c builds the retry view and the leaderboard).
 *
 * Totals are kept incrementally (schema.sql, "Admin views' totals"): the
 * ledger's up to a watermark on its rowid, folded in by the writer
 * (totals.h), with the rows past the watermark added on the fly here;
 * payments' by triggers. Every answer is exact whatever the fold did, and
 * no view writes: a view answers while another process holds the write
 * lock (SPEC.md §5). These are the statements of roles_reader.
 */
#ifndef AWARD_STATS_H
#define AWARD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ctx.h"

#define STATS_LIMIT_DEFAULT	100
/* The stats' "dead" list: every dead row up to this, whatever ?limit= says. */
#define STATS_DEAD_MAX		1000
#define LEADERBOARD_DEFAULT	20
#define LEADERBOARD_MAX		1000

/* No retry run finished for this long while rows are pending: stale. */
#define STATS_STALE_MS		(15 * 60 * 1000)

#define STATS_NAME_MAX		64	/* a reason or outcome, truncated */
#define STATS_GROUPS_MAX	16	/* reasons / outcomes kept; more: "other" */
#define STATS_TEXT_MAX		256	/* contest id, stop reason: truncated */

struct stats_group {
	char	 name[STATS_NAME_MAX];
	int64_t	 rows;		/* ledger rows, or payments */
	int64_t	 tickets;	/* sum of delta, or payments refunded in full */
	int64_t	 rows_24h;	/* ledger rows created in the last 24 h */
};

struct stats_run {
	int	 present;	/* 0: no retry run ever recorded */
	char	 started_at[STATS_NAME_MAX];
	int64_t	 started_ms, ended_ms, duration_ms;
	int64_t	 picked, awarded, duplicate, not_eligible, refunds, failed,
		 dead, not_confirmed;
	int	 forced;
	int	 stopped;	/* 1: stopped on an outage, why in stop_reason */
	char	 stop_reason[STATS_TEXT_MAX];
};

struct stats_summary {
	int64_t			now_ms;
	int64_t			pending, done, dead;
	int64_t			acked;	/* of the dead, acknowledged */
	int64_t			oldest_pending_ms;	/* -1: none pending */
	struct stats_group	ledger[STATS_GROUPS_MAX];	/* by reason */
	size_t			nledger;
	struct stats_group	payments[STATS_GROUPS_MAX];	/* by outcome */
	size_t			npayments;
	int64_t			payments_total;
	struct stats_run	run;		/* the last retry run */
	int64_t			runs_total;
	int64_t			last_run_age_s;	/* -1: none ever ran */
	int			retry_stale;	/* SPEC.md §5 retryStale */
	int			contest_running;
	char			contest_id[STATS_TEXT_MAX];
	char			contest_ends_at[STATS_TEXT_MAX];
	int64_t			backup_ms;	/* last backup; -1: none */
};

/*
 * Fill *out at the context's clock. Returns 0, or -1 on a database error
 * (out then holds whatever was read).
 */
int	 stats_summary(struct award_ctx *ctx, struct stats_summary *out);

/*
 * retryStale of SPEC.md §5 from its inputs: rows pending and no run ever,
 * or the last run ended more than STATS_STALE_MS before now_ms.
 */
int	 stats_retry_stale(int64_t pending, const struct stats_run *run,
	    int64_t now_ms);

/* One row of failed_awards; text fields are NULL for SQL NULL. */
struct stats_queue_row {
	int64_t		 id;
	const char	*status, *kind;
	int		 has_tg;
	int64_t		 tg_id;
	const char	*order_id, *plan_id, *order_created_at;
	int64_t		 attempts;
	const char	*last_attempt_at, *error, *next_attempt_at;
	const char	*refund_id, *payment_id;
	const char	*acked_at, *acked_by;	/* NULL: not acknowledged */
	const char	*requeued_at, *requeued_by; /* the last requeue */
	const char	*outcome;	/* a done row's (SPEC.md §6), else NULL */
};

/*
 * Call fn for each failed_awards row of status ("pending" or "dead"),
 * newest first, at most limit. The row's pointers are valid during the
 * call only. fn returns 0 to go on, -1 to stop with an error. Returns 0,
 * or -1 on a database error or when fn stopped.
 */
int	 stats_queue_rows(struct award_ctx *ctx, const char *status,
	    int limit, int (*fn)(void *, const struct stats_queue_row *),
	    void *arg);

/* stats_queue_rows() from the offset-th row on (paging). */
int	 stats_queue_page(struct award_ctx *ctx, const char *status,
	    int64_t offset, int limit,
	    int (*fn)(void *, const struct stats_queue_row *), void *arg);

/* One payment; text NULL for SQL NULL. */
struct stats_payment_row {
	const char	*payment_id, *order_id, *plan_id, *currency;
	const char	*outcome, *created_at;
	int64_t		 tg_id;
	int		 has_amount;
	int64_t		 amount_minor, refunded_minor;
};

/* The latest payments (first seen), newest first; as stats_queue_rows(). */
int	 stats_payments_latest(struct award_ctx *ctx, int limit,
	    int (*fn)(void *, const struct stats_payment_row *), void *arg);

/*
 * What a view of one contest found. The values are fixed: callers that
 * compared with 0, 1 and -1 before read the same.
 */
enum stats_result {
	STATS_ERROR = -1,	/* a database error */
	STATS_OK = 0,
	STATS_NO_CONTEST = 1	/* no such contest, or none running now */
};

/*
 * The top owners of contest_id by tickets (descending, then telegram id),
 * at most limit, tickets > 0 only; fn(arg, owner, tickets) per owner.
 * Read from the owner totals' index plus the rows past the watermark.
 * Returns OK, NO_CONTEST, or ERROR (also when fn stopped).
 */
enum stats_result stats_top(struct award_ctx *ctx, const char *contest_id, int limit,
	    int (*fn)(void *, int64_t, int64_t), void *arg);

/*
 * GET /v1/admin/award-retry-stats: {"queueSize", "items" (pending, newest
 * first, at most limit), "counts" (pending, done, dead and of the dead
 * "acknowledged"), "dead" (with "id", and "acknowledgedAt" /
 * "acknowledgedBy", null when not acknowledged), "ledger",
 * "lastRun", "lastRunAgeSeconds", "retryStale"}. Returns a tree the caller
 * deletes, or NULL on a database error.
 */
cJSON	*stats_retry(struct award_ctx *ctx, int limit);

/*
 * Leaderboard of contest_id, at most limit owners by tickets (descending,
 * then telegram id). Returns OK with *out set (the caller deletes it),
 * NO_CONTEST or ERROR with *out NULL.
 */
enum stats_result stats_leaderboard(struct award_ctx *ctx, const char *contest_id,
	    int limit, cJSON **out);

/*
 * {"telegram_id","contest_id","tickets"}: the ledger sum. contest_id NULL
 * means the contest running now. Returns OK with *out set (the caller
 * deletes it), NO_CONTEST (unknown, or none running) or ERROR with *out
 * NULL.
 */
enum stats_result stats_user_tickets(struct award_ctx *ctx, int64_t telegram_id,
	    const char *contest_id, cJSON **out);

/* 0 when both databases answer a query, else -1. */
int	 stats_health(struct award_ctx *ctx);

/* This module's statements (ctx->st), a part of roles_reader (roles.h). */
extern const struct award_part stats_part;

#endif
