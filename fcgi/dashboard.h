/*
 * GET /v1/admin/dashboard (SPEC.md §5): server-rendered HTML pages for
 * people. The overview: a summary strip (health, the contest, the queue
 * with dead rows in red, the last retry, reconciliation and backup),
 * search, the first rows of the queue with "Retry now" and "Acknowledge",
 * ledger totals, the running contest's top 10, the latest payments and
 * the contests. Views behind it, each a GET that writes nothing: the
 * detail of one order, payment or telegram id (detail.c), the queue by
 * status with paging, a contest's leaderboard and totals (views.c). No
 * script, no external asset: the one inline style is allowed by hash in
 * the CSP (page.h). Every value from a database is escaped. The query
 * string is parsed and validated by console.c, not here.
 */
#ifndef AWARD_DASHBOARD_H
#define AWARD_DASHBOARD_H

#include <stdint.h>

#include "ctx.h"
#include "lookup.h"
#include "page.h"

#define dashboard_csp	page_csp

/*
 * Each page, read through ctx at its clock: a malloc'd string the caller
 * frees, or NULL on a database error or when out of memory.
 */
char	*dashboard_render(struct award_ctx *ctx);	/* the overview */

/* The detail view of one validated key (lookup_run()). */
char	*dashboard_detail(struct award_ctx *ctx, enum lookup_key key,
	    const char *text, int64_t tg);

/* A page saying why a query was refused (a 400), with the search forms. */
char	*dashboard_refused(struct award_ctx *ctx, const char *why);

#endif
