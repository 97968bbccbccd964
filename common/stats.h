/*
 * Read-only views for admins and the bot (SPEC.md §5): retry-queue stats,
 * leaderboard, a user's tickets, Prometheus metrics, the dashboard page and
 * the health check. Everything is derived from the database on each call.
 */
#ifndef AWARD_STATS_H
#define AWARD_STATS_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ctx.h"

#define STATS_LIMIT_DEFAULT	100
#define LEADERBOARD_DEFAULT	20
#define LEADERBOARD_MAX		1000

/*
 * GET /v1/admin/award-retry-stats: {"queueSize", "items" (pending, newest
 * first, at most limit), "counts", "dead", "ledger", "lastRun"}. Returns a
 * tree the caller deletes, or NULL on a database error.
 */
cJSON	*stats_retry(struct award_ctx *ctx, int limit);

/*
 * Leaderboard of contest_id, at most limit owners by tickets (descending,
 * then telegram id). Returns 0 with *out set, 1 when the contest does not
 * exist, -1 on error.
 */
int	 stats_leaderboard(struct award_ctx *ctx, const char *contest_id,
	    int limit, cJSON **out);

/*
 * {"telegram_id","contest_id","tickets"}: the ledger sum. contest_id NULL
 * means the contest running now. Returns 0, 1 when the contest is unknown
 * (or none is running), -1 on error.
 */
int	 stats_user_tickets(struct award_ctx *ctx, int64_t telegram_id,
	    const char *contest_id, cJSON **out);

/* Prometheus text format 0.0.4; malloc'd, caller frees; NULL on error. */
char	*stats_metrics(struct award_ctx *ctx);

/* The dashboard HTML page; malloc'd, caller frees; NULL on error. */
char	*stats_dashboard(struct award_ctx *ctx);

/* 0 when both databases answer a query, else -1. */
int	 stats_health(struct award_ctx *ctx);

/*
 * Prepare this module's statements on ctx->db (called once per connection
 * by award_ctx_open()): 0, or -1 with a message in err. unprepare
 * finalizes them; it is a no-op when nothing was prepared.
 */
int	stats_prepare(struct award_ctx *ctx, char *err, size_t errsz);
void	stats_unprepare(struct award_ctx *ctx);

#endif
